"""Media files that travel with items (pictures, audio, video), stored by content hash.

An imported item's HTML refers to its files as ``media:<sha256>`` (see
``piaa.items.types.rich``); the bytes live once in ``item_media`` however many items or
versions use them, and never change (the hash is the name). They are served to signed-in
users by hash only: the author's file name, which can give an answer away ("correct.png"),
stays on the server, as do the items that use the file.
"""
from __future__ import annotations

import hashlib
import io
import mimetypes
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort
from sqlalchemy import DateTime, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column

from piaa.accounts.auth import role_required
from piaa.clock import now
from piaa.extensions import db
from piaa.items.types.rich import SHA256

MAX_MEDIA_BYTES = 20 * 1024 * 1024
# What a candidate's browser may be handed; anything else stays out of the item.
MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".wav": "audio/wav", ".mp4": "video/mp4",
    ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".vtt": "text/vtt",
}


class ItemMedia(db.Model):
    """One media file, named by the SHA-256 of its bytes."""

    __tablename__ = "item_media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class MediaFile:
    """A file read from an import, not yet stored."""

    sha256: str
    content_type: str
    data: bytes
    name: str


def media_type(name: str) -> str | None:
    """The content type a file name stands for, if it is one PIAA serves."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return MEDIA_TYPES.get(suffix) or (None if suffix else mimetypes.guess_type(name)[0])


def media_file(name: str, data: bytes) -> MediaFile:
    """:raise ValueError: naming the file, if it is not a type PIAA serves or too large."""
    content_type = media_type(name)
    if content_type not in MEDIA_TYPES.values():
        raise ValueError(f"{name}: {content_type or 'this kind of file'} is not a media type "
                         f"PIAA serves ({', '.join(sorted(MEDIA_TYPES))})")
    if len(data) > MAX_MEDIA_BYTES:
        raise ValueError(f"{name}: {len(data)} bytes, more than the {MAX_MEDIA_BYTES} allowed")
    return MediaFile(hashlib.sha256(data).hexdigest(), content_type, data, name)


def store_media(session: Session, files: dict[str, MediaFile]) -> int:
    """Store the files not stored yet; returns how many were new. Never commits."""
    if not files:
        return 0
    held = set(session.scalars(select(ItemMedia.sha256).where(ItemMedia.sha256.in_(list(files)))))
    moment = now()
    new = [f for sha, f in files.items() if sha not in held]
    for found in new:
        session.add(ItemMedia(sha256=found.sha256, content_type=found.content_type,
                              size=len(found.data), data=found.data, created_at=moment))
    session.flush()
    return len(new)


def load_media(session: Session, sha256: str) -> ItemMedia | None:
    if not SHA256.match(sha256 or ""):
        return None
    return session.get(ItemMedia, sha256)


bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<sha256>")
@role_required()
def media(sha256: str):
    """A stored file by its hash, for any signed-in user (candidates see it in items).

    :raise 404: if no file has that hash.
    """
    found = load_media(db.session, sha256)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own must not run script or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


# Pictures a hotspot item is drawn on: formats whose size in pixels can be read (an SVG's
# cannot, reliably), since the areas' coordinates are in those pixels.
PICTURE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PICTURE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Picture:
    """A stored picture: its ``media:<sha256>`` reference and its size in pixels."""

    src: str
    width: int
    height: int


def store_picture(session: Session, name: str, data: bytes) -> Picture:
    """Store an uploaded picture for a hotspot item (once, by hash). Never commits.

    :raise Invalid: on field ``picture``, in plain words, if nothing was uploaded, the file is
        larger than 5 MB, or it is not a PNG, JPEG, GIF or WebP picture.
    """
    from PIL import Image, UnidentifiedImageError

    from piaa.errors import Invalid
    from piaa.i18n import N_
    from piaa.items.types.rich import MEDIA_SCHEME

    if not data:
        raise Invalid(N_("Choose a picture to upload."), field="picture")
    if len(data) > MAX_PICTURE_BYTES:
        raise Invalid(N_("The picture is larger than 5 MB; upload a smaller one."), field="picture")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        kind = width = height = None
    if kind not in PICTURE_FORMATS or not width or not height:
        raise Invalid(N_("Upload a PNG, JPEG, GIF or WebP picture."), field="picture")
    found = MediaFile(hashlib.sha256(data).hexdigest(), PICTURE_FORMATS[kind], data, name)
    store_media(session, {found.sha256: found})
    return Picture(MEDIA_SCHEME + found.sha256, width, height)
