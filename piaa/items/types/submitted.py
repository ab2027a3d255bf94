"""Answers given as a file, rated by people against a rubric: a document or photograph the
candidate uploads (QTI upload interaction), and a drawing made on the screen, optionally over
a picture (QTI drawing interaction).

Like an extended text (``piaa.items.types.essay``) the item has a ``rubric`` and
``max_points`` and raters score it (``piaa.delivery.ratings``). The candidate's file is stored
with the attempt (``piaa.delivery.uploads``), never with the item: the answer names it
``{"file": <sha256>, "name": ..., "type": ..., "size": ...}``. ``accept`` lists the file types
the item takes (of ``FILE_TYPES``) and ``max_bytes`` the largest file (at most
``MAX_BYTES``). A drawing is saved as a PNG; a candidate who cannot draw with a pointer may
upload a picture of a drawing made on paper instead.
"""
from __future__ import annotations

import re
from typing import Any

from piaa.errors import Invalid
from piaa.items.types.base import pick_text, problem
from piaa.items.types.essay import ExtendedText
from piaa.items.types.hotspot import check_picture
from piaa.items.types.rich import MEDIA_SCHEME, MEDIA_URL

# What PIAA takes, told by the file's first bytes (never by its name or the browser's word).
FILE_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sniff(data: bytes) -> str | None:
    """The file type of ``data`` among ``FILE_TYPES`` by its signature, or None."""
    return next((kind for kind, magic in FILE_TYPES.items() if data.startswith(magic)), None)


class FileUpload(ExtendedText):
    name = "upload"
    label, label_hi = "File upload (rated)", "फ़ाइल अपलोड (मूल्यांकक द्वारा)"
    interaction = "upload"
    authored_in_form = False
    type_fields = ("rubric", "max_points", "accept", "max_bytes")
    defaults = {"accept": list(FILE_TYPES), "max_bytes": DEFAULT_MAX_BYTES}
    qti_interaction, qti_cardinality, qti_base_type = "qti-upload-interaction", "single", "file"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = cls.check_rating(content, languages, stem_langs)
        accept = content.get("accept")
        if not isinstance(accept, list) or not accept or any(a not in FILE_TYPES for a in accept) \
                or len(set(accept)) != len(accept):
            found.append(problem("accept", f"must list file types among {', '.join(FILE_TYPES)}, got {accept!r}"))
        size = content.get("max_bytes")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BYTES:
            found.append(problem("max_bytes", f"must be a number of bytes from 1 to {MAX_BYTES}, got {size!r}"))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {"accept": content["accept"], "max_bytes": content["max_bytes"]}

    @classmethod
    def check_answer(cls, content, answer):
        if not isinstance(answer, dict) or set(answer) != {"file", "name", "type", "size"} \
                or not isinstance(answer["file"], str) or not SHA256.match(answer["file"]):
            raise Invalid(f'answer must name an uploaded file: {{"file": sha256, "name", "type", "size"}}, '
                          f"got {answer!r}", field="answer")
        if answer["type"] not in content["accept"]:
            raise Invalid(f"a {answer['type']} file is not one this question takes ({', '.join(content['accept'])})",
                          field="answer")
        size = answer["size"]
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= content["max_bytes"]:
            raise Invalid(f"the file is {size!r} bytes; at most {content['max_bytes']}", field="answer")
        if not isinstance(answer["name"], str) or len(answer["name"]) > 200:
            raise Invalid("the file's name must be text of at most 200 characters", field="answer")
        return dict(answer)


class Drawing(FileUpload):
    name = "drawing"
    label, label_hi = "Drawing (rated)", "चित्र बनाना (मूल्यांकक द्वारा)"
    interaction = "drawing"
    type_fields = ("rubric", "max_points", "image", "accept", "max_bytes")
    defaults = {"accept": ["image/png", "image/jpeg"], "max_bytes": DEFAULT_MAX_BYTES}
    qti_interaction = "qti-drawing-interaction"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = super().validate_fields(content, languages, stem_langs)
        if any(a not in ("image/png", "image/jpeg") for a in content.get("accept") or []):
            found.append(problem("accept", "a drawing is a picture: image/png or image/jpeg"))
        if content.get("image") is not None:  # the picture to draw on
            found += check_picture(content, languages)
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        view = super().widget(content, lang, rng)
        image = content.get("image")
        if image:
            view.update(image=MEDIA_URL + image["src"][len(MEDIA_SCHEME):], width=image["width"],
                        height=image["height"], alt=pick_text(image.get("alt"), lang) if image.get("alt") else "")
        return view


def answer_file(answer: Any) -> str | None:
    """The sha256 of the file an answer names, if it names one."""
    return answer.get("file") if isinstance(answer, dict) and isinstance(answer.get("file"), str) else None

