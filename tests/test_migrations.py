"""Alembic's migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import os

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from piaa import create_app
from piaa.cli import alembic_config
from piaa.extensions import db
from tests.conftest import postgres_schema_url


def _fresh_database_url(tmp_path) -> tuple[str, callable]:
    base = os.environ.get("PIAA_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/migrated.sqlite3", lambda: None
    # a schema of its own, so the migration test never touches the test tables
    schema = f"migration_check_{os.getpid()}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    url = postgres_schema_url(base, schema)

    def drop():
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()

    return url, drop


def test_upgrade_to_head_matches_models(tmp_path):
    url, cleanup = _fresh_database_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
        with app.app_context():
            command.upgrade(alembic_config(url), "head")
            engine = create_engine(url)
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                        db.metadata)
            engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        cleanup()


def test_downgrade_to_base_removes_every_table(tmp_path):
    url, cleanup = _fresh_database_url(tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
        with app.app_context():
            command.upgrade(alembic_config(url), "head")
            command.downgrade(alembic_config(url), "base")
            engine = create_engine(url)
            from sqlalchemy import inspect

            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            engine.dispose()
    finally:
        cleanup()
