"""Flask extensions, created here and bound to an app in create_app()."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
# While the shared store (Redis) is unreachable the limits are counted in this process's
# memory instead, so that sign-in and the other limited routes keep working (each process then
# throttles on its own, which still bounds guessing) rather than answering 503; the store is
# tried again with a growing back-off and used as soon as it answers.
limiter = Limiter(key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True)


def init_limiter(app) -> None:
    """Bind the limiter to ``app`` with a store that has not yet failed: the extension keeps
    "the store is dead" on the (module-level) limiter, and a new app has a new store."""
    limiter.init_app(app)
    limiter._storage_dead = False


def commit_last() -> None:
    """Commit a request's last unit of work without expiring what the session holds.

    A commit expires every object of the session so that later reads see the database, but
    a view that has built its reply reads none of them again: on the candidate's hot calls
    (the attempt, its rows, the assessment and the caller) that expiry was about 4% of the
    request's CPU, spent for nothing."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before
