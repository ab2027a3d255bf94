"""Writing rows outside the unit of work: prepared UPDATEs of loaded rows, and INSERTs.

The candidate's hot calls (an answer, the move to the next item) change a few columns of
one or two rows they have just read under a lock, and add at most one row. The unit of
work's flush costs several times the statements it sends. ``write_changes`` sends one
UPDATE per row, of the columns set since loading, and records the new values as the row's
committed state, so neither a later flush nor the commit writes them again;
``insert_row`` sends one INSERT and attaches the new row to the session as if it had been
read. Deletions, and rows these do not take, are left to the flush.
"""
from __future__ import annotations

import threading

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.sql.dml import Update

# (mapper, changed column attributes) -> the UPDATE writing them; a handful per mapper.
_STATEMENTS: dict[tuple[Mapper, frozenset[str]], Update] = {}
_COLUMN_KEYS: dict[Mapper, frozenset[str]] = {}
_LOCK = threading.Lock()


def _statement(mapper: Mapper, keys: frozenset[str]) -> Update:
    found = _STATEMENTS.get((mapper, keys))
    if found is None:
        table = mapper.local_table
        (pk,) = mapper.primary_key
        found = (update(table).where(pk == bindparam("pk_"))
                 .values({mapper.columns[k].name: bindparam(f"v_{k}", type_=mapper.columns[k].type)
                          for k in sorted(keys)}))
        with _LOCK:
            _STATEMENTS[(mapper, keys)] = found
    return found


def _column_keys(mapper: Mapper) -> frozenset[str]:
    found = _COLUMN_KEYS.get(mapper)
    if found is None:
        found = _COLUMN_KEYS[mapper] = frozenset(p.key for p in mapper.column_attrs)
    return found


def write_changes(session: Session, *rows: object) -> None:
    """Write what was set on each of ``rows`` (persistent ORM objects) since it was loaded.

    A row with a changed relationship, or of a mapper with a composite key, is left to the
    caller's flush (nothing on the hot paths does that)."""
    for row in rows:
        state = inspect(row)
        keys = frozenset(state.committed_state)
        if not keys or not state.persistent:
            continue
        mapper = state.mapper
        if len(mapper.primary_key) != 1 or not keys <= _column_keys(mapper):
            continue
        values = {k: getattr(row, k) for k in keys}
        session.connection().execute(_statement(mapper, keys), {
            "pk_": state.identity[0], **{f"v_{k}": v for k, v in values.items()}})
        # What the flush does after writing a row (SQLAlchemy 2.0's own step, not public API):
        # the values set become the committed state and the row no longer counts as
        # modified, so neither a later flush nor the commit passes it through the unit of
        # work again only to find nothing to write.
        state._commit_all(state.dict, session.identity_map)


def insert_row(session: Session, row: object) -> None:
    """Insert ``row``, a new ORM object with every column but its key set, and attach it to
    the session as persistent. A row with a column left to its default is added to the
    session instead, for the caller's flush to insert."""
    state = inspect(row)
    mapper = state.mapper
    (pk,) = mapper.primary_key
    values = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column is pk:
            continue
        if prop.key not in state.dict:
            session.add(row)
            return
        values[column.name] = state.dict[prop.key]
    key = session.connection().execute(insert(mapper.local_table).returning(pk), values).scalar_one()
    setattr(row, mapper.get_property_by_column(pk).key, key)
    make_transient_to_detached(row)
    session.add(row)
