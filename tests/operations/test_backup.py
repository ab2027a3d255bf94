"""``piaa backup`` / ``piaa restore``: a service with certificates (rendered, pending and
revoked), an audit chain and uploads is backed up, restored into an empty database with no
keys, and verified: chain intact, every certificate valid or revoked as before. Damage to the
archive or to the restored data is named, not restored or passed."""
from __future__ import annotations

import os
import stat
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from piaa import create_app
from piaa.audit import AuditEvent
from piaa.certificates import services as certificates
from piaa.extensions import db
from piaa.operations.backup import BackupError, create_backup, restore_backup, verify_restored
from piaa.operations.cli import backup_command, restore_command
from tests.conftest import _test_config, postgres_schema_url

ASSESSED = datetime(2026, 1, 5, 8, 30, tzinfo=timezone.utc)


def _facts(user, attempt_id: int) -> dict:
    return dict(attempt_id=attempt_id, user=user, competency_code="FN-DA-01", competency_name="Data analysis",
                level=3, level_label="Proficient", level_descriptor="Analyses routine data independently.",
                agency_name="National Assessment Agency", assessed_at=ASSESSED, decision_confidence=0.93)


@pytest.fixture
def source(app, session, make_user, key_settings, tmp_path):
    """The test's service with signing keys, three certificates (one rendered, one waiting for
    its PDF, one revoked) and an uploaded file."""
    from piaa.certificates.keys import KeyPaths, init_keys

    app.config.update(key_settings, PIAA_UPLOAD_DIR=str(tmp_path / "uploads"))
    init_keys(KeyPaths.resolve(app.instance_path, app.config), organisation="Test", now=ASSESSED)
    official = make_user(role="candidate", name="Asha Verma")
    admin = make_user(role="admin")
    certificates.issue_for_attempt(session, **_facts(official, 1))
    certificates.issue_for_attempt(session, **_facts(official, 2), render=False)
    revoked = certificates.issue_for_attempt(session, **_facts(official, 3))
    session.commit()
    certificates.revoke(session, public_id=revoked.public_id, reason="issued in error", actor=admin)
    session.commit()
    (tmp_path / "uploads" / "bank").mkdir(parents=True)
    (tmp_path / "uploads" / "bank" / "items.csv").write_text("id,stem\nX-1,Which officer signs?\n")
    return app


@pytest.fixture
def empty_target(database_url, tmp_path):
    """Settings of a second service: an empty database, no key files, an empty upload folder."""
    keys = tmp_path / "restored-keys"
    settings = {"PIAA_SIGNING_KEY_FILE": str(keys / "credential.pem"),
                "PIAA_SIGNING_CERT_KEY_FILE": str(keys / "document-key.pem"),
                "PIAA_SIGNING_CERT_FILE": str(keys / "document-cert.pem"),
                "PIAA_UPLOAD_DIR": str(tmp_path / "restored-uploads")}
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield settings | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
        return
    import psycopg

    name = f"piaa_restore_{os.getpid()}"
    admin = url.set(drivername="postgresql", database="postgres", query={}).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = url.set(database=name, query={}).render_as_string(hide_password=False)
    schema = url.query["options"].split("search_path=")[1]
    yield settings | {"SQLALCHEMY_DATABASE_URI": postgres_schema_url(base, schema)}
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _target_app(source_app, settings: dict):
    config = _test_config(settings["SQLALCHEMY_DATABASE_URI"], Path(settings["PIAA_UPLOAD_DIR"]).parent)
    config.update(settings, PIAA_BASE_URL=source_app.config["PIAA_BASE_URL"], PIAA_CLOCK=source_app.config["PIAA_CLOCK"])
    return create_app(config)


def _invoke(app, command, *args: str):
    """Run ``command`` on ``app`` (the test's own app context is open on the source service)."""
    with app.app_context():
        out = app.test_cli_runner().invoke(command, list(args))
        db.session.remove()
        db.engine.dispose()
    return out


def test_a_restored_backup_verifies_its_audit_chain_and_every_certificate(source, session, empty_target, tmp_path):
    audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
    archive = tmp_path / "piaa-backup.tar.gz"
    manifest = create_backup(source, archive)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the private keys
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "keys/credential_key.pem", "keys/document_key.pem", "keys/document_cert.pem",
            "uploads/bank/items.csv"} <= names
    assert manifest.database["kind"] == make_url(source.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()

    target = _target_app(source, empty_target)
    restore_backup(target, archive)
    with target.app_context():
        check = verify_restored(db.session)
        restored_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
        db.engine.dispose()
    assert check.ok, (check.audit_problem, check.failures)
    assert check.certificates == 3 and check.audit_rows == restored_rows == audit_rows
    assert (Path(empty_target["PIAA_UPLOAD_DIR"]) / "bank" / "items.csv").read_text().startswith("id,stem")
    assert Path(empty_target["PIAA_SIGNING_KEY_FILE"]).read_bytes() == Path(
        source.config["PIAA_SIGNING_KEY_FILE"]).read_bytes()


def test_the_commands_back_up_restore_and_refuse_a_second_restore(source, empty_target, tmp_path):
    archive = tmp_path / "cli-backup.tar.gz"
    out = source.test_cli_runner().invoke(backup_command, [str(archive)])
    assert out.exit_code == 0, out.output
    assert "3 key files, 1 uploads" in out.output

    out = _invoke(_target_app(source, empty_target), restore_command, str(archive))
    assert out.exit_code == 0, out.output
    assert "audit chain:" in out.output and "intact" in out.output
    assert "certificates: 3 checked, 0 failed" in out.output

    again = _invoke(_target_app(source, empty_target), restore_command, str(archive))
    assert again.exit_code != 0 and "already has" in again.output and "--force" in again.output


def test_a_damaged_archive_is_named_and_not_restored(source, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    damaged = tmp_path / "damaged.tar.gz"
    (unpacked / "uploads" / "bank" / "items.csv").write_text("id,stem\nX-1,Altered\n")
    with tarfile.open(damaged, "w:gz") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(unpacked).as_posix())
    target = _target_app(source, empty_target)
    with pytest.raises(BackupError, match="uploads/bank/items.csv does not match its checksum"):
        restore_backup(target, damaged)
    with target.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []  # nothing half-done
        db.engine.dispose()


def test_tampering_in_the_restored_data_fails_verification(source, empty_target, tmp_path):
    from piaa.certificates.models import Certificate

    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    target = _target_app(source, empty_target)
    restore_backup(target, archive)
    engine = create_engine(empty_target["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:  # behind the service's back, as an intruder with SQL would
        first = conn.scalar(text("SELECT min(id) FROM audit_event"))
        conn.execute(text("UPDATE audit_event SET subject_id = 'tampered' WHERE id = :id"), {"id": first})
    engine.dispose()
    with target.app_context():
        certificate = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
        credential = dict(certificate.credential)
        credential["validFrom"] = "2020-01-01T00:00:00Z"
        certificate.credential = credential
        db.session.commit()
        check = verify_restored(db.session)
        db.session.remove()
        db.engine.dispose()
    assert check.audit_problem.startswith(f"audit chain broken at row {first}")
    assert len(check.failures) == 1 and "(credential): invalid, expected valid" in check.failures[0]

    out = _invoke(target, restore_command, str(archive))
    assert out.exit_code != 0  # refuses to write over it without --force
    out = _invoke(target, restore_command, str(archive), "--force")
    assert out.exit_code == 0, out.output  # the clean copy replaces the tampered one
    assert "certificates: 3 checked, 0 failed" in out.output
