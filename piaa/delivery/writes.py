"""Writing rows outside the unit of work: the changes of loaded rows, and new rows.

The candidate's hot calls (an answer, the move to the next item) change a few columns of
one or two rows they have just read under a lock, and add at most one row. The unit of
work's flush costs several times the statements it sends. ``write_rows`` writes the
columns set on each loaded row since it was read, and inserts a new row, then leaves the
session as a flush would: the rows count as unchanged, the new one as persistent. On
PostgreSQL all of it goes to the server as one statement (the UPDATEs as data-modifying
CTEs of the last statement), so a move to the next item is one round trip, not three;
elsewhere as one statement each. Deletions, and rows it does not take, are left to the
flush.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import InstanceState, Mapper, Session, make_transient_to_detached
from sqlalchemy.sql.dml import Insert, Update

_COLUMN_KEYS: dict[Mapper, frozenset[str]] = {}
# (what the statement writes, combined?) -> statements; a handful per hot path.
_STATEMENTS: dict[tuple, list[Update | Insert]] = {}
_LOCK = threading.Lock()


@dataclass
class _Part:
    """One row's write: an UPDATE of ``keys`` or (``keys`` None) an INSERT of every column."""

    state: InstanceState
    keys: frozenset[str] | None
    values: dict[str, Any]

    @property
    def shape(self) -> tuple:
        return self.state.mapper, self.keys


def _column_keys(mapper: Mapper) -> frozenset[str]:
    found = _COLUMN_KEYS.get(mapper)
    if found is None:
        found = _COLUMN_KEYS[mapper] = frozenset(p.key for p in mapper.column_attrs)
    return found


def _update_part(row: object) -> _Part | None:
    state = inspect(row)
    keys = frozenset(state.committed_state)
    mapper = state.mapper
    if not keys or not state.persistent or len(mapper.primary_key) != 1 or not keys <= _column_keys(mapper):
        return None  # nothing to write, or not ours to write (the flush will)
    return _Part(state, keys, {"pk": state.identity[0], **{k: state.dict[k] for k in keys}})


def _insert_part(row: object) -> _Part | None:
    state = inspect(row)
    mapper = state.mapper
    (pk,) = mapper.primary_key
    values = {}
    for prop in mapper.column_attrs:
        if prop.columns[0] is pk:
            continue
        if prop.key not in state.dict:
            return None  # a column left to its default: the flush applies it
        values[prop.key] = state.dict[prop.key]
    return _Part(state, None, values)


def _statement(part: _Part, n: int) -> Update | Insert:
    mapper = part.state.mapper
    (pk,) = mapper.primary_key
    keys = sorted(part.keys) if part.keys is not None else sorted(part.values)
    values = {mapper.columns[k].name: bindparam(f"p{n}_{k}", type_=mapper.columns[k].type) for k in keys}
    if part.keys is None:
        return insert(mapper.local_table).values(values).returning(pk)
    return update(mapper.local_table).where(pk == bindparam(f"p{n}_pk")).values(values)


def _statements(parts: list[_Part], combined: bool) -> list[Update | Insert]:
    key = (tuple(p.shape for p in parts), combined)
    found = _STATEMENTS.get(key)
    if found is None:
        found = [_statement(part, n) for n, part in enumerate(parts)]
        if combined and len(found) > 1:
            *first, last = found
            found = [last.add_cte(*(s.cte(f"write_{n}") for n, s in enumerate(first)))]
        with _LOCK:
            _STATEMENTS[key] = found
    return found


def write_rows(session: Session, *rows: object, new: object | None = None) -> None:
    """Write what was set on each of ``rows`` (persistent ORM objects) since it was read,
    and insert ``new`` (a new ORM object with every column but its key set), if given.

    A row with a changed relationship, or of a mapper with a composite key, is left to the
    flush, and so is a new row with a column left to its default (it is added to the session)."""
    parts = [part for part in map(_update_part, rows) if part is not None]
    inserted = _insert_part(new) if new is not None else None
    if new is not None and inserted is None:
        session.add(new)
    if inserted is not None:
        parts.append(inserted)  # last: the statement whose RETURNING gives its key
    if not parts:
        return
    connection = session.connection()
    statements = _statements(parts, combined=connection.dialect.name == "postgresql")
    params = [{f"p{n}_{k}": v for k, v in part.values.items()} for n, part in enumerate(parts)]
    if len(statements) == 1:
        params = [{k: v for p in params for k, v in p.items()}]
    for statement, values in zip(statements, params):
        result = connection.execute(statement, values)
    for part in parts:
        if part.keys is not None:
            # What the flush does after writing a row (SQLAlchemy 2.0's own step, not public
            # API): the values set become the committed state and the row no longer counts as
            # modified, so neither a later flush nor the commit passes it through the unit of
            # work again only to find nothing to write.
            part.state._commit_all(part.state.dict, session.identity_map)
    if inserted is not None:
        mapper = inserted.state.mapper
        setattr(new, mapper.get_property_by_column(mapper.primary_key[0]).key, result.scalar_one())
        make_transient_to_detached(new)
        session.add(new)


def insert_row(session: Session, row: object) -> None:
    """``write_rows`` of one new row only."""
    write_rows(session, new=row)
