"""Files candidates give as answers (upload and drawing items): taken while the attempt runs,
within the item's limits, and shown only to the raters of that answer.

A file is checked before it is kept: the attempt is the candidate's and running, the item
takes files, the file is not empty and not larger than the item's ``max_bytes``, and its
first bytes say it is one of the item's ``accept`` types (``piaa.items.types.submitted``),
whatever its name or the browser claims. The candidate then saves the answer as any other,
naming the file; an answer naming a file this attempt item does not hold is refused.

A rater sees the file of an answer waiting for that rater's rating (the rules of
``piaa.delivery.ratings``); nobody else reaches it through the service.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.clock import now
from piaa.delivery.models import AttemptItem, ResponseFile
from piaa.errors import Invalid, NotFound
from piaa.items.types import get_item_type
from piaa.items.types.submitted import FileUpload, answer_file, sniff
from piaa.i18n import N_

UNSAFE_NAME = re.compile(r"[^\w .()-]+")


def takes_files(item_type: str) -> bool:
    return issubclass(get_item_type(item_type), FileUpload)


def clean_name(name: str | None) -> str:
    """A file name fit to show a rater: no path, no control or markup characters, 120 at most."""
    base = re.split(r"[\\/]", name or "")[-1]
    return UNSAFE_NAME.sub("_", base).strip()[:120] or "answer"


def store_file(session: Session, attempt_id: int, user: User, ref: str, data: bytes,
               name: str | None = None, client: Any = None) -> dict[str, Any]:
    """Keep ``data`` as a file for the item ``ref`` of the caller's running attempt; returns
    the answer that names it (``{"file", "name", "type", "size"}``), which the candidate then saves.

    :raise NotFound: if the attempt or item is not the caller's.
    :raise Conflict: if the attempt is not running or the answer is final (as ``save_answer``).
    :raise Invalid: if the item takes no files, or the file is empty, too large or of a type it
        does not take.
    """
    from piaa.delivery import attempts

    attempt, row, version = attempts.lock_for_answer(session, attempt_id, user, ref)
    at = now()
    attempts.note_contact(session, attempt, at, client)
    attempts.require_answerable(attempt, row, at)
    if not takes_files(version.item_type):
        raise Invalid(N_("this question takes no file"), field="file")
    content = get_item_type(version.item_type).from_bank_json(version.content)
    if not data:
        raise Invalid(N_("the file is empty"), field="file")
    if len(data) > content["max_bytes"]:
        raise Invalid(f"the file is {len(data)} bytes; this question takes at most {content['max_bytes']}",
                      field="file")
    kind = sniff(data)
    if kind is None or kind not in content["accept"]:
        raise Invalid(f"this question takes {', '.join(content['accept'])} files; this file is "
                      f"{kind or 'none of those'}", field="file")
    sha = hashlib.sha256(data).hexdigest()
    held = session.scalar(select(ResponseFile.id).where(ResponseFile.attempt_item_id == row.id,
                                                        ResponseFile.sha256 == sha))
    shown = clean_name(name)
    if held is None:
        session.add(ResponseFile(attempt_item_id=row.id, sha256=sha, content_type=kind, size=len(data),
                                 name=shown, data=data, uploaded_at=at))
    session.flush()
    return {"file": sha, "name": shown, "type": kind, "size": len(data)}


def require_held(session: Session, row: AttemptItem, answer: Any) -> None:
    """:raise Invalid: if ``answer`` names a file the attempt item does not hold."""
    sha = answer_file(answer)
    if sha is None:
        return
    found = session.scalar(select(ResponseFile.id).where(ResponseFile.attempt_item_id == row.id,
                                                         ResponseFile.sha256 == sha))
    if found is None:
        raise Invalid(N_("the answer names a file that was not uploaded for this question"), field="answer")


def file_for_rater(session: Session, rater: User, row_id: int) -> ResponseFile:
    """The file of the answer ``row_id``, for a rater who may rate it now.

    :raise NotFound: if the answer waits for no rating, names no file, or the file is gone.
    :raise Forbidden: if ``rater`` may not rate it (see ``piaa.delivery.ratings.task``).
    """
    from piaa.delivery import ratings

    row, _, _ = ratings.locate(session, rater, row_id)
    sha = answer_file(ratings.written(row))
    found = session.scalar(select(ResponseFile).where(ResponseFile.attempt_item_id == row.id,
                                                      ResponseFile.sha256 == sha)) if sha else None
    if found is None:
        raise NotFound(f"answer {row_id} has no file")
    return found
