"""Rich item content: the HTML an imported item keeps (pictures, MathML, tables), made safe.

Imported content is rendered as HTML in the candidate's browser, so it passes an allowlist
here twice: when it is imported (what is stored is already clean) and when it is shown (what
is stored may have been written by an older version or by hand). Everything not on the list
goes: elements such as ``script``, ``style``, ``iframe``, ``form`` with their content, other
unknown elements keeping their text, every attribute not listed (so no ``on*`` handler and no
``style``), and every ``src`` that is not one of the item's own stored media files, written
``media:<sha256>``. The candidate's copy points those at the media route, which serves a file
by its content hash: no file name (which could give an answer away) reaches the browser.
A picture, source or track whose file is not kept goes, and so does an audio or video player
left with nothing to play; a ``source`` or ``track`` outside a player (a ``picture``'s
sources) goes too, as the player's element is what gives it a meaning.

MathML is kept as MathML; Chromium and Firefox render it natively.
"""
from __future__ import annotations

import re

from lxml import etree, html

MEDIA_SCHEME = "media:"
MEDIA_URL = "/media/"
SHA256 = re.compile(r"^[0-9a-f]{64}$")

HTML_TAGS = frozenset(
    "p br div span em strong b i u s sub sup small abbr cite code kbd samp var q blockquote pre "
    "ul ol li dl dt dd h3 h4 h5 h6 hr table caption colgroup col thead tbody tfoot tr th td "
    "figure figcaption img audio video source track ruby rt rp bdi bdo".split())
MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot msub msup msubsup munder mover "
    "munderover mtable mtr mtd mstyle merror mpadded mphantom mfenced menclose semantics "
    "annotation mmultiscripts mprescripts none".split())
# Dropped with everything inside them: their text is code or chrome, not item content.
DROPPED_WITH_CONTENT = frozenset(
    "script style iframe frame frameset object embed applet form input button select textarea "
    "noscript template link meta base svg canvas head title".split())
COMMON_ATTRIBUTES = frozenset(("lang", "dir", "title", "class"))
ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "audio": {"src", "controls"}, "video": {"src", "controls", "width", "height", "poster"},
    "source": {"src", "type"}, "track": {"src", "kind", "srclang", "label"},
    "td": {"colspan", "rowspan", "headers"}, "th": {"colspan", "rowspan", "headers", "scope"},
    "col": {"span"}, "colgroup": {"span"}, "ol": {"start", "type"}, "abbr": {"title"},
    "math": {"display", "alttext"}, "mo": {"fence", "separator", "stretchy", "form", "lspace", "rspace"},
    "mi": {"mathvariant"}, "mn": {"mathvariant"}, "mtext": {"mathvariant"}, "mstyle": {"mathvariant", "displaystyle"},
    "mfrac": {"linethickness"}, "mtd": {"columnspan", "rowspan"}, "mfenced": {"open", "close", "separators"},
    "menclose": {"notation"}, "annotation": {"encoding"}, "mspace": {"width"},
}
SOURCE_ATTRIBUTES = frozenset(("src", "poster"))
# Written by QTI as xs:boolean, where "false" turns the control off; a browser reads any value
# of an HTML boolean attribute as on, so an off one is dropped.
BOOLEAN_ATTRIBUTES = frozenset(("controls",))
# The candidate's page holds the h1 and h2; an item's own heading stays a heading below them.
OUTRANKED_HEADINGS = {"h1": "h3", "h2": "h3"}
# What plays a media file: a source or track means something only inside one of them.
PLAYERS = frozenset(("audio", "video"))
PLAYED = frozenset(("source", "track"))
NUMBER = re.compile(r"^\d{1,4}(%|px)?$")
CLASS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}( [A-Za-z][A-Za-z0-9_-]{0,40}){0,5}$")


def _allowed_value(tag: str, name: str, value: str) -> bool:
    if name in BOOLEAN_ATTRIBUTES:
        return value.strip().lower() not in ("false", "0")
    if name in SOURCE_ATTRIBUTES:
        return value.startswith(MEDIA_SCHEME) and bool(SHA256.match(value[len(MEDIA_SCHEME):]))
    if name in ("width", "height", "colspan", "rowspan", "span", "start"):
        return bool(NUMBER.match(value.strip()))
    if name == "class":
        return bool(CLASS_NAME.match(value.strip()))
    return len(value) <= 500


def _local_name(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _clean(element: etree._Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str):  # comments, processing instructions
            drop_keeping_tail(child)
            continue
        tag = _local_name(child)
        tag = OUTRANKED_HEADINGS.get(tag, tag)
        if tag in DROPPED_WITH_CONTENT or (tag in PLAYED and _local_name(element) not in PLAYERS):
            drop_keeping_tail(child)  # a picture's sources: its img is what is kept
            continue
        _clean(child)
        if tag not in HTML_TAGS and tag not in MATHML_TAGS:
            child.drop_tag() if hasattr(child, "drop_tag") else _unwrap(child)
            continue
        child.tag = tag
        allowed = COMMON_ATTRIBUTES | ATTRIBUTES.get(tag, set())
        for name, value in list(child.attrib.items()):
            local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
            del child.attrib[name]
            if local in allowed and _allowed_value(tag, local, value):
                child.set(local, value)
        if tag in ("img", "source", "track") and "src" not in child.attrib:
            drop_keeping_tail(child)  # its file is not one of the item's own: nothing to show
        elif tag in PLAYERS and "src" not in child.attrib and not any(c.tag == "source" for c in child):
            drop_keeping_tail(child)  # nothing left to play


def drop_keeping_tail(element) -> None:
    """Remove ``element`` and its content, keeping the text that follows it."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _unwrap(element) -> None:
    """Replace ``element`` by its text and children (what lxml.html's drop_tag does)."""
    parent = element.getparent()
    index = parent.index(element)
    text, tail = element.text or "", element.tail or ""
    children = list(element)
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        last = children[-1]
        last.tail = (last.tail or "") + tail
    elif index == 0:
        parent.text = (parent.text or "") + tail
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + tail
    parent.remove(element)


def unnest_empty_elements(root: etree._Element) -> None:
    """What follows a ``source`` or ``track`` put back after it: they are empty in HTML5, but
    lxml's HTML parser does not know them and nests the rest of their parent inside them."""
    for parent in list(root.iter(etree.Element)):
        index = 0
        while index < len(parent):
            child = parent[index]
            if isinstance(child.tag, str) and _local_name(child) in PLAYED and (len(child) or child.text):
                inner, tail = list(child), child.tail
                child.tail, child.text = child.text, None
                for offset, moved in enumerate(inner):
                    parent.insert(index + 1 + offset, moved)
                last = inner[-1] if inner else child
                last.tail = (last.tail or "") + (tail or "")
            index += 1


def sanitise(markup: str) -> str:
    """``markup`` with everything off the allowlist removed (see the module docstring)."""
    if not markup or not markup.strip():
        return ""
    wrapper = html.fragment_fromstring(markup, create_parent="div")
    unnest_empty_elements(wrapper)
    _clean(wrapper)
    inner = (wrapper.text or "") and _escape(wrapper.text)
    return inner + "".join(etree.tostring(child, encoding="unicode", method="html") for child in wrapper)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def media_hashes(markup: str) -> set[str]:
    """The stored media files ``markup`` refers to."""
    return set(re.findall(r'(?:src|poster)="' + re.escape(MEDIA_SCHEME) + r'([0-9a-f]{64})"', markup or ""))


def for_candidate(markup: str) -> str:
    """Clean HTML for the candidate's browser, media pointed at the media route."""
    clean = sanitise(markup)
    return re.sub(r'((?:src|poster)=")' + re.escape(MEDIA_SCHEME) + r'([0-9a-f]{64})"',
                  lambda m: f'{m.group(1)}{MEDIA_URL}{m.group(2)}"', clean)
