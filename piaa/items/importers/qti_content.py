"""A QTI item body as rich HTML: pictures (stored with the item), MathML and tables kept.

The plain-text stem (``qti.text_of``) stays what search, spreadsheets and reviewers read; when
the body holds what plain text cannot carry (a picture, a formula, a table, audio or video),
the item also gets ``body``: the same stem as clean HTML per language, media referred to as
``media:<sha256>`` (see ``piaa.items.types.rich``). Interactions are not part of it: a choice
list becomes its prompt, an inline box becomes a blank ``____`` as in the plain stem.
"""
from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

from piaa.items.media import MediaFile, media_file
from piaa.items.types import rich

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
RICH_TAGS = ("img", "math", "table", "audio", "video")
BLANK = "____"

Resolve = Callable[[str], "bytes | None"]


@dataclass
class RichBody:
    html: str = ""
    media: dict[str, MediaFile] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rich(self) -> bool:
        return any(f"<{tag}" in self.html for tag in RICH_TAGS)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _namespace(element) -> str | None:
    return etree.QName(element).namespace if isinstance(element.tag, str) else None


def _replace(element, new) -> None:
    new.tail = element.tail
    element.getparent().replace(element, new)


def media_source(element, resolve: Resolve | None, found: RichBody) -> str | None:
    """``media:<sha>`` for the file ``element`` refers to, stored in ``found``; None (and a
    problem) when it cannot be had."""
    href = element.get("src") or element.get("data") or ""
    if not href:
        return None
    if "://" in href or href.startswith(("/", "data:")):
        found.problems.append(f"{href[:80]}: only files inside the package are kept, not links")
        return None
    data = resolve(href) if resolve else None
    if data is None:
        found.problems.append(f"{href}: not in the package")
        return None
    try:
        media = media_file(posixpath.basename(href), data)
    except ValueError as exc:
        found.problems.append(str(exc))
        return None
    found.media[media.sha256] = media
    return rich.MEDIA_SCHEME + media.sha256


# Interactions answered on a picture (see piaa.items.importers.qti.GRAPHIC_INTERACTIONS).
PICTURE_INTERACTIONS = ("qti-hotspot-interaction", "qti-graphic-order-interaction",
                        "qti-graphic-gap-match-interaction", "qti-graphic-associate-interaction",
                        "qti-select-point-interaction", "qti-drawing-interaction",
                        "qti-position-object-interaction", "qti-position-object-stage")


def rich_body(body, skipped: frozenset[str], resolve: Resolve | None,
              containers: tuple[str, ...] = (), labels: dict | None = None) -> RichBody:
    """The item body (``qti-item-body``, QTI 3.0 names) as clean HTML with its media.

    ``skipped`` elements go with their content (feedback, choices the widget shows);
    ``containers`` are interactions whose content stays (text around hot texts and gaps).
    ``labels`` (interaction -> label) makes a composite item's body: an inline interaction
    stands as ``____ (label)``, the others go (each part shows its own content).
    """
    found = RichBody()
    originals = list(body.iter(etree.Element))
    tree = copy.deepcopy(body)
    label_of = {}
    if labels:
        label_of = {copied: labels[original] for original, copied in zip(originals, tree.iter(etree.Element))
                    if original in labels}
    gaps = 0
    for element in list(tree.iter(etree.Element)):
        if element is tree or element.getparent() is None:
            continue
        name, namespace = _local(element), _namespace(element)
        parent = _local(element.getparent())
        if element in label_of:
            if name in ("qti-text-entry-interaction", "qti-inline-choice-interaction"):
                blank = etree.Element("span")
                blank.text = f"{BLANK} ({label_of[element]})"
                _replace(element, blank)
            else:
                rich.drop_keeping_tail(element)
        elif namespace == QTI3_NS and name in skipped:
            rich.drop_keeping_tail(element)
        elif name in ("object", "img", "picture") and parent in PICTURE_INTERACTIONS:
            rich.drop_keeping_tail(element)  # the widget shows the interaction's picture
        elif namespace == QTI3_NS and name == "qti-gap":
            gaps += 1
            marker = etree.Element("span")
            marker.text = f"[{gaps}]"
            _replace(element, marker)
        elif namespace == QTI3_NS and name in ("qti-choice-interaction", "qti-order-interaction"):
            prompt = next((c for c in element if _local(c) == "qti-prompt"), None)
            if prompt is None:  # nothing of it belongs to the stem
                rich.drop_keeping_tail(element)
                continue
            paragraph = etree.Element("p")
            paragraph.text = prompt.text
            paragraph.extend(list(prompt))
            _replace(element, paragraph)
        elif namespace == QTI3_NS and name.endswith("-interaction") and name not in containers:
            blank = etree.Element("span")
            blank.text = BLANK
            _replace(element, blank)
    for element in list(tree.iter(etree.Element)):
        name, namespace = _local(element), _namespace(element)
        if namespace == MATHML_NS:
            element.tag = name
        elif name in ("img", "object", "audio", "video", "source", "track"):
            source = media_source(element, resolve, found)
            if name == "object":
                if source and (element.get("type") or "").startswith("image/"):
                    image = etree.Element("img", src=source, alt=(element.text or "").strip())
                    _replace(element, image)
                else:
                    rich.drop_keeping_tail(element)
                continue
            for attribute in ("src", "data"):
                element.attrib.pop(attribute, None)
            if source:
                element.set("src", source)
            if name == "img" and not source:
                rich.drop_keeping_tail(element)
                continue
            element.tag = name
        elif namespace == QTI3_NS:
            element.tag = {"qti-prompt": "p", "qti-content-body": "div"}.get(name, name)
    etree.cleanup_namespaces(tree)
    parts = [tree.text or ""] + [etree.tostring(c, encoding="unicode", method="html") for c in tree]
    found.html = rich.sanitise("".join(parts))
    return found
