"""QTI items: QTI 3.0 item files and content packages, QTI 2.1/2.2 item files and packages.

What maps onto a PIAA item type:

* choice interaction, single cardinality: ``single_choice`` (match_correct, or map_response
  with one option worth 1); ``situational_judgement`` / ``likert`` (map_response with whole
  credits 0..K-1); ``true_false`` (two choices identified ``true`` and ``false``);
* choice interaction, multiple cardinality: ``multiple_response`` (match_correct; or
  map_response giving +v to each key option and -v to the others with lower bound 0, which is
  PIAA's partial credit rescaled to 0..1);
* order interaction: ``ordering`` (match_correct);
* text entry interaction: ``text_entry`` (string; match_correct or map_response, the mapping's
  entries being the accepted answers with their credits) or ``numeric_entry`` (float or
  integer; match_correct, or a rule ``qti-equal`` with an absolute tolerance);
* inline choice and hot text as choices, match and gap match as ``matching``, hotspot as
  ``hotspot``; a map_response whose values are not PIAA's partial credit is kept as the
  item's ``mapping`` (``piaa.items.types.mapping``);
* extended text: ``extended_text``, rated by people against the item's rubric for scorers;
* several interactions in one item: ``composite``, one part per interaction, each worth what
  the response processing adds to SCORE for it.

Response processing is recognised from the standard templates, named by any of their URL
forms (only the last path segment counts, with or without ``.xml``: ``match_correct``,
``map_response``, ``CC2_match``, ``CC2_map_response``), or from the same rules written out
(``piaa.items.importers.qti_scoring``). Other response processing, and template processing
(an item model, a new instance per attempt), is kept with the item and run as written
(``piaa.items.importers.qti_kept``, ``piaa.items.qti_processing``); an item that gives no key
at all is a draft whose key is missing. Anything else (interactions PIAA does not deliver,
processing PIAA does not run, adaptive items) is reported item by item as unsupported, and
what an imported item cannot keep is listed as its losses: nothing is dropped silently.

PIAA's own facts about an item (competency, level, sub-area, type, reference, ...) travel in
the content package's manifest, on the item's resource: ``<metadata><piaa:item .../>`` in the
namespace ``urn:piaa:qti:1`` (see item_banks/README.md). A single item file gets them from the
importer's options.
"""
from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from lxml import etree

from piaa.items.bank_format import ParsedBank, problem
from piaa.items.importers.archive import ArchiveFiles, ArchiveRefused, open_archive
from piaa.items.importers import qti_content, qti_kept, qti_scoring
from piaa.items import item_models
from piaa.items.qti_processing import piaa_identifier, template_name
from piaa.items.types import mapping as weights
from piaa.items.types.composite import MAX_PARTS
from piaa.items.types.essay import MAX_POINTS as ESSAY_MAX_POINTS

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI2_NAMESPACES = {"http://www.imsglobal.org/xsd/imsqti_v2p2": "2.2",
                   "http://www.imsglobal.org/xsd/imsqti_v2p1": "2.1"}
PIAA_NS = "urn:piaa:qti:1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MANIFEST_FILE = "imsmanifest.xml"
ITEM_RESOURCE = re.compile(r"^imsqti_item_xmlv(3p0|2p2|2p1)")
RATIONALE_USE = "ext:rationale"
UNIT_CLASS = "piaa-unit"

# QTI 2.x writes HTML content elements under their HTML names; everything else is a QTI
# element whose QTI 3.0 name is "qti-" plus the camelCase name in kebab case.
HTML_ELEMENTS = frozenset(
    "a abbr acronym address b bdo big blockquote br caption cite code col colgroup dd dfn div "
    "dl dt em h1 h2 h3 h4 h5 h6 hr i img kbd li object ol p param pre q rb rp rt ruby samp "
    "small span strong sub sup table tbody td tfoot th thead tr tt ul var".split())
BLOCK_ELEMENTS = frozenset(
    "address blockquote caption dd div dl dt h1 h2 h3 h4 h5 h6 hr li ol p pre table tbody td "
    "tfoot th thead tr ul qti-prompt qti-content-body qti-simple-choice".split())
SKIPPED_CONTENT = frozenset(("qti-feedback-block", "qti-feedback-inline", "qti-modal-feedback",
                             "qti-rubric-block", "qti-template-block", "qti-template-inline",
                             "qti-printed-variable", "qti-stylesheet"))
SUPPORTED_INTERACTIONS = ("qti-choice-interaction", "qti-order-interaction",
                          "qti-text-entry-interaction", "qti-inline-choice-interaction",
                          "qti-hottext-interaction", "qti-match-interaction",
                          "qti-gap-match-interaction", "qti-hotspot-interaction",
                          "qti-extended-text-interaction", "qti-graphic-order-interaction",
                          "qti-graphic-gap-match-interaction", "qti-graphic-associate-interaction",
                          "qti-associate-interaction", "qti-select-point-interaction",
                          "qti-slider-interaction", "qti-upload-interaction", "qti-drawing-interaction",
                          "qti-position-object-interaction")
# Interactions answered on a picture: the picture is the widget's, not the stem's.
GRAPHIC_INTERACTIONS = qti_content.PICTURE_INTERACTIONS
# What a candidate can answer in PIAA (extended text is rated by people).
DELIVERED_INTERACTIONS = SUPPORTED_INTERACTIONS
# Interactions whose content is part of the stem (the text around hot texts and gaps, the
# prompt); the others stand in the stem as a blank.
CONTAINER_INTERACTIONS = ("qti-choice-interaction", "qti-order-interaction", "qti-hottext-interaction",
                          "qti-match-interaction", "qti-gap-match-interaction", "qti-hotspot-interaction",
                          "qti-extended-text-interaction") + GRAPHIC_INTERACTIONS[1:] + \
    ("qti-associate-interaction", "qti-slider-interaction", "qti-upload-interaction")
# Answers rated by people against the item's rubric: a text, a file, a drawing.
RATED_INTERACTIONS = ("qti-extended-text-interaction", "qti-upload-interaction", "qti-drawing-interaction")
# Interactions read by piaa.items.importers.qti_graphic.
PICTURE_READERS = ("qti-graphic-order-interaction", "qti-graphic-gap-match-interaction",
                   "qti-graphic-associate-interaction", "qti-associate-interaction",
                   "qti-select-point-interaction", "qti-slider-interaction", "qti-position-object-interaction")
# What the widget shows in place of the stem: choices, match sets, gap words, the hotspot picture.
CHOICE_ELEMENTS = frozenset(("qti-simple-choice", "qti-simple-match-set", "qti-gap-text",
                             "qti-hotspot-choice", "qti-inline-choice", "qti-gap-img",
                             "qti-associable-hotspot", "qti-simple-associable-choice"))
GAP = "\x00gap\x00"  # where an inline answer box sat in a sentence
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                               remove_comments=True, remove_pis=True, huge_tree=False)


class Unsupported(Exception):
    """The item is sound QTI but cannot become a PIAA item; the message says why."""


class Malformed(Exception):
    """The file is not well-formed XML or not a QTI item."""


# --- XML helpers -----------------------------------------------------------------------------

def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def _to_qti3_names(root: etree._Element) -> None:
    """Rename a QTI 2.x tree in place to QTI 3.0 element and attribute names."""
    for element in root.iter(etree.Element):
        qname = etree.QName(element)
        if qname.namespace not in QTI2_NAMESPACES:
            continue
        local = qname.localname
        element.tag = f"{{{QTI3_NS}}}{local if local in HTML_ELEMENTS else 'qti-' + _kebab(local)}"
        for attribute in list(element.attrib):
            if not attribute.startswith("{") and attribute != _kebab(attribute):
                element.attrib[_kebab(attribute)] = element.attrib.pop(attribute)


def _name(element: etree._Element) -> str:
    qname = etree.QName(element)
    return qname.localname if qname.namespace == QTI3_NS else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _name(c) == name]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _descendants(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.iter(f"{{{QTI3_NS}}}{name}"))


def _lang(element: etree._Element, inherited: str) -> str:
    value = element.get(XML_LANG) or element.get("lang")
    return value.split("-")[0].lower() if value else inherited


def _bool(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() in ("true", "1")


def parse_xml(data: bytes, file: str) -> etree._Element:
    """:raise Malformed: naming the line, if ``data`` is not well-formed XML."""
    try:
        return etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise Malformed(f"malformed XML: {exc.msg} (line {exc.lineno})") from None


# --- texts -------------------------------------------------------------------------------------

@dataclass
class _Texts:
    """Paragraphs per language, gathered from mixed content."""

    paragraphs: dict[str, list[str]] = field(default_factory=dict)
    current: dict[str, list[str]] = field(default_factory=dict)
    gaps: int = 0
    # Composite items: answer boxes stand as "____ (n)", n the part's label by interaction.
    labels: dict[Any, str] | None = None

    def add(self, lang: str, text: str | None) -> None:
        if text:
            self.current.setdefault(lang, []).append(text)

    def brk(self) -> None:
        for lang, parts in self.current.items():
            paragraph = _tidy("".join(parts))
            if paragraph:
                self.paragraphs.setdefault(lang, []).append(paragraph)
        self.current = {}

    def result(self, separator: str = "\n\n") -> dict[str, str]:
        self.brk()
        return {lang: separator.join(ps) for lang, ps in self.paragraphs.items() if ps}


def _tidy(paragraph: str) -> str:
    lines = [" ".join(line.split()) for line in paragraph.split("\n")]
    text = "\n".join(line for line in lines if line)
    if text.replace(GAP, "").strip() == "":
        return ""  # a paragraph holding only the answer box
    text = re.sub(r"\s*" + re.escape(GAP) + r"\s*", " ____ ", text)
    return re.sub(r" ____ (?=[.,;:!?।])", " ____", text).strip()


def _gather(element: etree._Element, lang: str, texts: _Texts, skip: frozenset[str]) -> None:
    name = _name(element)
    lang = _lang(element, lang)
    if name in skip or (element.get("class") or "").split().count(UNIT_CLASS):
        return
    if texts.labels is not None and name.endswith("-interaction"):
        if name not in CONTAINER_INTERACTIONS and element in texts.labels:
            texts.add(lang, f"{GAP}({texts.labels[element]})")
        return  # a part shows its own content
    if name.endswith("-interaction") and name not in CONTAINER_INTERACTIONS:
        texts.add(lang, GAP)
        return
    if name == "qti-gap":
        texts.gaps += 1
        texts.add(lang, f"[{texts.gaps}]")
        return
    if name in ("object", "img", "picture") and _name(element.getparent()) in GRAPHIC_INTERACTIONS:
        return  # the picture is the widget's
    block = name in BLOCK_ELEMENTS
    if block:
        texts.brk()
    if name == "br":
        texts.add(lang, "\n")
    texts.add(lang, element.text)
    for child in element:
        if isinstance(child.tag, str):
            _gather(child, lang, texts, skip)
        texts.add(lang, child.tail)
    if block:
        texts.brk()


def text_of(element: etree._Element, lang: str, *, skip: frozenset[str] = SKIPPED_CONTENT,
            separator: str = "\n\n", labels: dict[Any, str] | None = None) -> dict[str, str]:
    """Plain text per language of ``element``'s content (blank line between paragraphs);
    with ``labels`` (interaction -> label) interactions stand as numbered blanks or not at all."""
    texts = _Texts(labels=labels)
    texts.add(_lang(element, lang), element.text)
    for child in element:
        if isinstance(child.tag, str):
            _gather(child, _lang(element, lang), texts, skip)
        texts.add(_lang(element, lang), child.tail)
    return texts.result(separator)


def _stem(body: etree._Element, lang: str) -> dict[str, str]:
    """The item body's text without the choices: prompt and paragraphs around the interaction."""
    return text_of(body, lang, skip=SKIPPED_CONTENT | CHOICE_ELEMENTS)


# --- response declarations and processing ------------------------------------------------------

@dataclass
class Declaration:
    cardinality: str
    base_type: str
    correct: list[str]
    mapping: dict[str, float] | None
    mapping_case_sensitive: dict[str, bool]
    default_value: float
    lower_bound: float | None
    upper_bound: float | None


def _declaration(element: etree._Element) -> Declaration:
    correct = _child(element, "qti-correct-response")
    values = [(v.text or "").strip() for v in _children(correct, "qti-value")] if correct is not None else []
    mapping_el = _child(element, "qti-mapping")
    mapping, case = None, {}
    default = lower = upper = None
    if mapping_el is not None:
        mapping = {}
        for entry in _children(mapping_el, "qti-map-entry"):
            key = entry.get("map-key", "")
            mapping[key] = _number(entry.get("mapped-value", "0"), "mapped-value")
            case[key] = _bool(entry.get("case-sensitive"), False)
        default = _number(mapping_el.get("default-value", "0"), "default-value")
        lower = _number(mapping_el.get("lower-bound"), "lower-bound") if mapping_el.get("lower-bound") else None
        upper = _number(mapping_el.get("upper-bound"), "upper-bound") if mapping_el.get("upper-bound") else None
    return Declaration(cardinality=element.get("cardinality", "single"),
                       base_type=element.get("base-type", "identifier"), correct=values,
                       mapping=mapping, mapping_case_sensitive=case, default_value=default or 0.0,
                       lower_bound=lower, upper_bound=upper)


def _number(value: str | None, attribute: str) -> float:
    """:raise Malformed: naming the attribute, if ``value`` is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Malformed(f"{attribute} {value!r} is not a number") from None


@dataclass
class Scoring:
    kind: str                  # match_correct | map_response | tolerance
    tolerance: float = 0.0
    relative: bool = False     # tolerance in per cent of the correct value


def _outcome_defaults(item: etree._Element) -> dict[str, float]:
    """Numeric default values of the outcomes other than SCORE (MAXSCORE, ...)."""
    defaults = {}
    for declaration in _children(item, "qti-outcome-declaration"):
        identifier = declaration.get("identifier")
        default = _child(declaration, "qti-default-value")
        value = _child(default, "qti-value") if default is not None else None
        if identifier and identifier != qti_scoring.SCORE and value is not None:
            try:
                defaults[identifier] = float((value.text or "").strip())
            except ValueError:
                pass
    return defaults


def _analysis(item: etree._Element, response_ids: list[str]) -> qti_scoring.Scoring:
    """How the item scores its responses: (sums of) the standard rules, or its own processing
    kept and run as written (``custom`` says why).

    :raise Unsupported: if it cannot be scored at all, with the reason.
    """
    processing = _child(item, "qti-response-processing")
    if _descendants(item, "qti-template-processing"):
        if _bool(item.get("adaptive"), False):
            raise Unsupported("its own response processing scores it over several submissions")
        return _custom(response_ids, "the item draws its values per candidate (template processing)")
    if processing is None:
        declared = {d.get("identifier"): d for d in _children(item, "qti-response-declaration")}
        if not response_ids or any(declared.get(r) is None for r in response_ids):
            raise Unsupported("the item has no response processing and does not declare each "
                              "interaction's response, so it cannot be scored")
        keyless = tuple(r for r in response_ids if not _declaration(declared[r]).correct)
        return qti_scoring.Scoring([qti_scoring.Term("match", r) for r in response_ids], assumed=True,
                                   keyless=keyless)
    template = processing.get("template") or processing.get("template-location")
    if template:
        kind = template_name(template)
        if kind is None:
            raise Unsupported(f"response processing template {template!r} is not match_correct, "
                              "map_response or map_response_point")
        # The templates score the response called RESPONSE, whatever else the item has.
        return qti_scoring.Scoring([qti_scoring.Term("match" if kind == "match_correct" else "map",
                                                     "RESPONSE")])
    numeric = {d.get("identifier") for d in _children(item, "qti-outcome-declaration")
               if d.get("base-type") in ("float", "integer")}
    buttons = {e.get("response-identifier") for e in _descendants(item, "qti-end-attempt-interaction")}
    try:
        return qti_scoring.analyse(processing, _outcome_defaults(item), numeric, buttons)
    except qti_scoring.CustomScoring as exc:
        if _bool(item.get("adaptive"), False):
            raise Unsupported("its own response processing scores it over several submissions") from None
        return _custom(response_ids, str(exc))


def _custom(response_ids: list[str], why: str) -> qti_scoring.Scoring:
    return qti_scoring.Scoring([qti_scoring.Term("match", r) for r in response_ids], custom=why)


def _kept_keys(root: etree._Element, interactions: dict[str, etree._Element]) -> dict[str, list[str]]:
    """The key shown for each response (identifier -> its interaction) of an item that keeps
    its own processing: an item model's example instance's correct response, else the declared
    one, else the response the processing scores highest.

    :raise Unsupported: if the processing cannot be run, or credits no response of one.
    """
    try:
        keys = {r: qti_kept.example_correct(root, r) for r in interactions}
        keys = {r: k for r, k in keys.items() if k}
        missing = {r: i for r, i in interactions.items() if r not in keys}
        declared = {d.get("identifier"): _declaration(d) for d in _children(root, "qti-response-declaration")}
        keys.update({r: declared[r].correct for r in missing if r in declared and declared[r].correct})
        if len(keys) < len(interactions):
            keys.update(qti_kept.derived_correct(root, {r: i for r, i in interactions.items() if r not in keys},
                                                 qti_kept.example_instance(root)))
    except qti_kept.NotKept as exc:
        raise Unsupported(f"response processing PIAA cannot run: {exc}") from None
    unkeyed = [r for r in interactions if not keys.get(r)]
    if unkeyed:
        raise Unsupported(f"custom response processing credits no response PIAA can find for "
                          f"{', '.join(map(repr, unkeyed))} and the item declares no correct response")
    return keys


def _kept_scoring(root: etree._Element, response_id: str | None, keys: dict[str, list[str]]) -> dict[str, Any]:
    try:
        return qti_kept.scoring_field(root, response_id, keys)
    except qti_kept.NotKept as exc:
        raise Unsupported(f"response processing PIAA cannot run: {exc}") from None


def _scoring(analysis: qti_scoring.Scoring, response_id: str) -> Scoring:
    """The one term of a single-response item as the type mappers take it."""
    terms = [t for t in analysis.terms if t.response == response_id]
    others = [t.response for t in analysis.terms if t.response != response_id]
    if not terms:
        raise Unsupported(f"the response processing does not score {response_id!r}")
    if others:
        raise Unsupported(f"the response processing scores {', '.join(others)}, which no "
                          "interaction answers")
    term = terms[0]
    if term.kind == "map":
        return Scoring("map_response")
    if term.tolerance:
        return Scoring("tolerance", term.tolerance[1], relative=term.tolerance[0] == "relative")
    return Scoring("match_correct")


# --- interactions to item types ------------------------------------------------------------------

_unprefix = piaa_identifier


def _choices(interaction: etree._Element, lang: str, tag: str = "qti-simple-choice",
             resolve: qti_content.Resolve | None = None, media: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The choices with their texts; with ``media`` (the item's), a choice showing a picture
    keeps it as ``html`` (its text is then the picture's alternative text, else "Picture n")."""
    return [choice_entry(choice, n, lang, resolve, media) for n, choice in enumerate(_descendants(interaction, tag), start=1)]


def choice_entry(choice: etree._Element, n: int, lang: str, resolve: qti_content.Resolve | None = None,
                 media: dict[str, Any] | None = None) -> dict[str, Any]:
    """One choice (the ``n``th) with its text; with ``media``, its picture kept (see ``_choices``).

    :raise Unsupported: if it has no text and its picture cannot be kept, or lacks the question's language.
    """
    text = text_of(choice, _lang(choice, lang), separator=" ")
    entry: dict[str, Any] = {"id": _unprefix(choice.get("identifier", "")), "text": text}
    pictures = [e for e in choice.iter(etree.Element) if etree.QName(e).localname in ("img", "object")]
    problems = ["a drop-down or a hot text shows no pictures"]
    if pictures and media is not None:
        shown = qti_content.rich_body(choice, SKIPPED_CONTENT, resolve)
        problems = shown.problems or ["it is not a picture PIAA shows"]
        if "<img" in shown.html and not shown.problems:
            media.update(shown.media)
            entry["html"] = {lang: shown.html.strip()}
            if not text:
                alt = (pictures[0].get("alt") or "").strip()
                entry["text"] = text = {lang: alt or f"Picture {n}"}
    if not text:
        raise Unsupported(f"choice {choice.get('identifier')!r} has no text (a picture alone), and its "
                          f"picture cannot be kept: {'; '.join(problems)}")
    if lang not in text:
        raise Unsupported(f"choice {choice.get('identifier')!r} is written in {', '.join(text)} while "
                          f"the question is in {lang}; PIAA needs every text in the question's languages")
    return entry


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _single_choice(decl: Declaration, scoring: Scoring, choices: list[dict], hint: str | None
                   ) -> dict[str, Any]:
    ids = [c["id"] for c in choices]
    if hint == "true_false" or sorted(i.lower() for i in ids) == ["false", "true"]:
        if scoring.kind != "match_correct" or len(decl.correct) != 1:
            raise Unsupported("a true/false item must be scored by matching its one correct choice")
        return {"type": "true_false", "key": decl.correct[0].lower() == "true"}
    if scoring.kind == "match_correct":
        if len(decl.correct) != 1:
            raise Unsupported(f"a single-choice item needs one correct response, got {len(decl.correct)}")
        return {"type": "single_choice", "options": choices, "key": _unprefix(decl.correct[0])}
    credits = {_unprefix(k): v for k, v in (decl.mapping or {}).items()}
    values = [credits.get(i, decl.default_value) for i in ids]
    if hint in (None, "single_choice") and sorted(values) == [0.0] * (len(values) - 1) + [1.0]:
        return {"type": "single_choice", "options": choices, "key": ids[values.index(1.0)]}
    whole = all(v >= 0 and float(v).is_integer() for v in values)
    distinct = sorted(set(values))
    polytomous = hint in ("situational_judgement", "likert") or (
        hint is None and whole and distinct == list(range(len(distinct))) and len(distinct) > 2)
    if not polytomous:
        if max(values) <= 0:
            raise Unsupported(f"the mapping credits no option; got {values}")
        # Weights other than whole credits 0..K-1: kept as written, the best option as the key.
        return {"type": "single_choice", "options": choices, "key": ids[values.index(max(values))],
                "mapping": _weights(decl, ids)}
    if not whole:
        raise Unsupported(f"option credits {values} are not whole numbers >= 0, which PIAA's "
                          "polytomous items need")
    kind = hint if hint in ("situational_judgement", "likert") else "situational_judgement"
    return {"type": kind, "options": [{**c, "credit": int(v)} for c, v in zip(choices, values)]}


def _multiple_response(decl: Declaration, scoring: Scoring, choices: list[dict]) -> dict[str, Any]:
    ids = [c["id"] for c in choices]
    if scoring.kind == "match_correct":
        if not decl.correct:
            raise Unsupported("a multiple-response item needs its correct responses")
        return {"type": "multiple_response", "options": choices,
                "key": [_unprefix(v) for v in decl.correct], "partial_credit": False}
    credits = {_unprefix(k): v for k, v in (decl.mapping or {}).items()}
    values = {i: credits.get(i, decl.default_value) for i in ids}
    positive = [i for i in ids if values[i] > 0]
    step = values[positive[0]] if positive else 0.0
    penalised = all(_close(values[i], step) if i in positive else _close(values[i], -step) for i in ids)
    if not positive:
        raise Unsupported(f"the mapping credits no option; got {values}")
    if not penalised or decl.lower_bound is None or not _close(decl.lower_bound, 0.0):
        # Weights of their own (QTI's map_response as written): kept, the credited options as the key.
        return {"type": "multiple_response", "options": choices, "key": positive, "partial_credit": False,
                "mapping": _weights(decl, ids)}
    return {"type": "multiple_response", "options": choices, "key": positive, "partial_credit": True}


def _weights(decl: Declaration, choices: list[str], pairs: bool = False) -> dict[str, Any]:
    """The declaration's mapping as a PIAA ``mapping`` over ``choices`` (ids, or "source
    target" pairs); entries naming no choice are dropped (``_unmapped`` lists them as lost)."""
    def name(key: str) -> str:
        return " ".join(_unprefix(p) for p in key.split()) if pairs else _unprefix(key)

    values = {name(k): _plain(v) for k, v in (decl.mapping or {}).items() if name(k) in choices}
    found: dict[str, Any] = {"values": values, "default": _plain(decl.default_value)}
    if decl.lower_bound is not None:
        found["lower_bound"] = _plain(decl.lower_bound)
    if decl.upper_bound is not None:
        found["upper_bound"] = _plain(decl.upper_bound)
    return found


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _text_entry(decl: Declaration, scoring: Scoring, hint: str | None) -> dict[str, Any]:
    if decl.cardinality != "single":
        raise Unsupported(f"a text entry with {decl.cardinality} cardinality is not supported")
    numeric = decl.base_type in ("float", "integer") or hint == "numeric_entry"
    if numeric:
        correct = decl.correct
        if scoring.kind == "map_response":
            # A mapping that credits one value and nothing else is that value as the key.
            credited = [k for k, v in (decl.mapping or {}).items() if v > 0]
            correct = credited if len(credited) == 1 and decl.default_value <= 0 else []
        if len(correct) != 1:
            raise Unsupported("a numeric entry must be scored against its one correct value")
        try:
            key = float(correct[0])
        except ValueError:
            raise Unsupported(f"the correct value {correct[0]!r} is not a number") from None
        tolerance = abs(key) * scoring.tolerance / 100 if scoring.relative else scoring.tolerance
        return {"type": "numeric_entry", "key": int(key) if key.is_integer() and decl.base_type == "integer" else key,
                "tolerance": tolerance}
    if scoring.kind == "tolerance":
        raise Unsupported("a tolerance applies to numbers, but the response is text")
    if scoring.kind == "match_correct":
        if not decl.correct:
            raise Unsupported("a text entry needs its correct response")
        # QTI's match compares exactly, hence case-sensitive
        return {"type": "text_entry", "case_sensitive": True,
                "accepted": [{"value": v, "credit": 1.0} for v in decl.correct]}
    entries = {k: v for k, v in (decl.mapping or {}).items() if v != 0}
    if not entries or decl.default_value != 0:
        raise Unsupported("the mapping must give credit to accepted answers and 0 to the rest")
    if any(v < 0 for v in entries.values()):
        raise Unsupported(f"mapped credits must be positive, got {sorted(entries.values())}")
    top = max(entries.values())
    if top > 1:  # points, not credits: PIAA credits run 0..1, so rescale by the best answer's
        entries = {k: v / top for k, v in entries.items()}
    cases = {decl.mapping_case_sensitive[k] for k in entries}
    if len(cases) != 1:
        raise Unsupported("the accepted answers mix case-sensitive and case-insensitive matching")
    case_sensitive = cases.pop()
    accepted: dict[str, dict[str, Any]] = {}
    for value, credit in entries.items():
        # "York" and "york" are one answer when case does not count: keep the better credit.
        norm = value if case_sensitive else value.casefold()
        if norm not in accepted or accepted[norm]["credit"] < credit:
            accepted[norm] = {"value": value, "credit": credit}
    return {"type": "text_entry", "case_sensitive": case_sensitive, "accepted": list(accepted.values())}


IGNORED_INTERACTIONS = frozenset(("qti-end-attempt-interaction",))


def _interactions(body: etree._Element, losses: list[str]) -> list[etree._Element]:
    interactions = [e for e in body.iter(etree.Element) if _name(e).endswith("-interaction")]
    for ignored in [e for e in interactions if _name(e) in IGNORED_INTERACTIONS]:
        losses.append(f"the {_name(ignored)} button ({ignored.get('title') or 'end attempt'}) "
                      "is left out: a PIAA sitting has no hints or early ends per item")
    interactions = [e for e in interactions if _name(e) not in IGNORED_INTERACTIONS]
    if not interactions:
        raise Unsupported("the item has no interaction")
    for interaction in interactions:
        name = _name(interaction)
        if name not in SUPPORTED_INTERACTIONS:
            raise Unsupported(f"{name} is not an interaction PIAA delivers")
    files = [_name(e) for e in interactions if _name(e) in RATED_INTERACTIONS[1:]]
    if files and len(interactions) > 1:
        raise Unsupported(f"a {files[0]} as one part of an item with other interactions is not supported")
    essays = [e for e in interactions if _name(e) == "qti-extended-text-interaction"]
    if len(essays) > 1:
        raise Unsupported(f"the item has {len(essays)} extended text interactions; a composite item has at most "
                          "one part rated by people")
    if len(interactions) > MAX_PARTS:
        raise Unsupported(f"the item has {len(interactions)} interactions; a composite item has at most {MAX_PARTS}")
    return interactions


def _unit(body: etree._Element, lang: str) -> str | dict[str, str] | None:
    for element in body.iter(etree.Element):
        if UNIT_CLASS in (element.get("class") or "").split():
            texts = text_of(element, _lang(element, lang), skip=frozenset(), separator=" ")
            return texts if len(texts) > 1 else next(iter(texts.values()), None)
    return None


def _rationale(body: etree._Element, lang: str) -> dict[str, str] | None:
    for block in _descendants(body, "qti-rubric-block"):
        if block.get("use") == RATIONALE_USE:
            return text_of(block, _lang(block, lang), skip=SKIPPED_CONTENT - {"qti-rubric-block"}) or None
    return None


FEEDBACK_ELEMENTS = ("qti-modal-feedback", "qti-feedback-block", "qti-feedback-inline")


def _feedback(root: etree._Element, lang: str, analysis: qti_scoring.Scoring) -> list[dict[str, Any]]:
    """Modal and inline feedback, each with the outcome value that shows (or hides) it and,
    where the response processing says so, whether that value means a right or wrong answer."""
    found = []
    for element in root.iter(*(f"{{{QTI3_NS}}}{n}" for n in FEEDBACK_ELEMENTS)):
        text = text_of(element, _lang(element, lang), skip=SKIPPED_CONTENT - {_name(element)})
        if not text:
            continue
        value = element.get("identifier", "")
        entry: dict[str, Any] = {"outcome": element.get("outcome-identifier", "FEEDBACK"),
                                 "value": value, "show": element.get("show-hide", "show") != "hide",
                                 "text": text}
        when = analysis.feedback_when.get(value) or \
            (value.lower() if value.lower() in ("correct", "incorrect") else None)
        if when:
            entry["when"] = when
        if _name(element) != "qti-modal-feedback":
            entry["inline"] = True
        found.append(entry)
    return found


def _count(elements, kept: str = "") -> dict[str, int]:
    seen: dict[str, int] = {}
    for element in elements:
        name = _name(element)
        if not name and etree.QName(element).localname == "math":
            name = "math"
        seen[name] = seen.get(name, 0) + 1
    for name in ("img", "math", "table", "audio", "video"):
        if name in seen:
            seen[name] -= kept.count(f"<{name}")
    if "object" in seen:  # an image object is kept as an img
        seen["object"] -= max(0, kept.count("<img") - sum(1 for e in elements if _name(e) == "img"))
    return seen


def _kept_attributes(item: dict[str, Any]) -> frozenset[str]:
    """The interaction attributes an item (or part) of this type keeps (shuffle, max-choices)."""
    return frozenset(k for k, field_name in (("shuffle", "shuffle"), ("max-choices", "max_choices"))
                     if field_name in item or (k == "shuffle" and item["type"] == "ordering"))


def _losses(root: etree._Element, body: etree._Element, interactions: list[tuple[etree._Element, frozenset[str]]],
            losses: list[str], kept_html: str = "", kept_rubrics: list[etree._Element] = ()) -> None:
    """What the item holds that the PIAA item will not: listed, never dropped silently.

    ``kept_html`` is the rich body kept (its pictures, formulas and tables are not lost);
    ``interactions`` pairs each interaction with the attributes its item type keeps
    (shuffle, max-choices).
    """
    seen = _count(list(root.iter(etree.Element)), kept_html)
    if _child(root, "qti-template-processing") is not None:
        seen.pop("qti-template-declaration", None)  # an item model keeps them with its scoring
    described = {
        "img": "image(s)", "object": "embedded object(s)", "picture": "picture(s)",
        "audio": "audio", "video": "video", "math": "MathML formula(s), flattened to text",
        "table": "table(s), flattened to paragraphs", "qti-stylesheet": "stylesheet(s)",
        "qti-template-declaration": "template variables (values varied per candidate)",
        "qti-printed-variable": "printed template value(s)",
        "qti-companion-materials-info": "companion materials (calculator, rule, ...)",
        "qti-catalog-info": "accessibility catalog (alternative renderings)",
        "qti-portable-custom-interaction": "portable custom interaction",
    }
    for name, what in described.items():
        if seen.get(name, 0) > 0:
            losses.append(f"{what} not kept ({seen[name]})")
    for block in _descendants(body, "qti-rubric-block"):
        if block.get("use") != RATIONALE_USE and block not in kept_rubrics:
            views = block.get("view", "")
            losses.append(f"a rubric block for {views or 'all views'} not kept")
    for interaction, kept in interactions:
        _interaction_losses(interaction, kept, losses)


def _interaction_losses(interaction: etree._Element, kept: frozenset[str], losses: list[str]) -> None:
    if _bool(interaction.get("shuffle"), False) and "shuffle" not in kept:
        losses.append("options were to be shuffled for each candidate; PIAA shows them in "
                      "the authored order")
    max_choices = interaction.get("max-choices")
    if "max-choices" not in kept and max_choices and max_choices.isdigit() and int(max_choices) > 1 and \
            int(max_choices) < len(_descendants(interaction, "qti-simple-choice")):
        losses.append(f"at most {max_choices} choices may be picked; PIAA does not limit them")
    if interaction.get("min-choices") not in (None, "0", "1"):
        losses.append(f"at least {interaction.get('min-choices')} choices must be picked; "
                      "PIAA does not require them")


def _mapping_losses(item: dict[str, Any], decl: Declaration, losses: list[str]) -> None:
    mapping = item.get("mapping")
    if not mapping:
        return
    if len(mapping["values"]) < len(decl.mapping or {}):
        losses.append(f"{len(decl.mapping) - len(mapping['values'])} mapping entries name no choice "
                      "of the interaction; left out")
    if weights.can_go_negative(mapping):
        losses.append("the mapping can total below 0; PIAA scores such an answer 0")


@dataclass
class QtiItem:
    """One converted item: the bank-format item and what of the source it could not keep."""

    item: dict[str, Any]
    losses: list[str] = field(default_factory=list)
    media: dict[str, Any] = field(default_factory=dict)  # sha256 -> piaa.items.media.MediaFile


def item_from_qti(data: bytes, file: str, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    """One bank-format item from a QTI item file (see ``read_item``)."""
    return read_item(data, file, hints).item


def read_item(data: bytes, file: str, hints: dict[str, Any] | None = None,
              resolve: qti_content.Resolve | None = None) -> QtiItem:
    """One bank-format item from a QTI item file, with the list of what was not kept.

    ``hints`` are PIAA facts from the package manifest (or the importer's options): id, type,
    competency, level, sub_area, reference, partial_credit, collapse_spaces.

    ``resolve`` reads a file the item refers to (a picture), by its path relative to the item
    file; the media found are returned with the item.

    :raise Malformed: if the file is not well-formed XML or not a QTI assessment item.
    :raise Unsupported: if the item cannot be expressed as a PIAA item (the reason says why).
    """
    hints = hints or {}
    root = parse_xml(data, file)
    namespace = etree.QName(root).namespace
    if namespace in QTI2_NAMESPACES:
        _to_qti3_names(root)
    elif namespace != QTI3_NS:
        raise Malformed(f"not a QTI 3.0 or 2.x item: root element {etree.QName(root).localname!r} "
                        f"in namespace {namespace or '(none)'}")
    if _name(root) != "qti-assessment-item":
        raise Malformed(f"not an assessment item: root element {etree.QName(root).localname!r}")
    try:
        return _convert(root, hints, resolve)
    except Unsupported as exc:
        raise Unsupported(f"{_why_not_deliverable(root)}{exc}") from None


def _why_not_deliverable(root: etree._Element) -> str:
    """What makes an item refused for another reason undeliverable in any case, said first."""
    if _bool(root.get("adaptive"), False):
        return ("the item is adaptive (scored over several submissions with feedback between), which a "
                "PIAA sitting does not do; ")
    return ""


MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _mark_template_content(root: etree._Element) -> None:
    """An item model's body with its template values as markers the delivery fills in per
    instance (``piaa.items.item_models``): printed variables and MathML variables as
    ``{{NAME}}``, template blocks and inlines between show/hide markers."""
    templates = {d.get("identifier"): d for d in _children(root, "qti-template-declaration")}
    math_variables = {k for k, d in templates.items() if _bool(d.get("math-variable"), False)}
    number = 0
    for element in list(root.iter(etree.Element)):
        name = _name(element)
        if name == "qti-printed-variable" and element.get("identifier") in templates:
            _replace_with_text(element, item_models.printed_marker(element.get("identifier"), element.get("format")))
        elif name in ("qti-template-block", "qti-template-inline") and \
                element.get("template-identifier") in templates:
            number += 1
            start, end = item_models.block_markers(number, element.get("show-hide", "show") != "hide",
                                                   element.get("template-identifier"), element.get("identifier", ""))
            _unwrap_between(element, start, end)
        elif etree.QName(element).namespace == MATHML_NS and etree.QName(element).localname == "mi" \
                and (element.text or "").strip() in math_variables and len(element) == 0:
            element.text = item_models.printed_marker(element.text.strip())


def _attach_text(element: etree._Element, text: str) -> None:
    """``text`` put where ``element`` starts: after its previous sibling, else in its parent."""
    previous, parent = element.getprevious(), element.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _replace_with_text(element: etree._Element, text: str) -> None:
    # The layout whitespace after a printed value is one space, as a browser shows it.
    _attach_text(element, text + re.sub(r"\s+", " ", element.tail or ""))
    element.getparent().remove(element)


def _unwrap_between(element: etree._Element, start: str, end: str) -> None:
    """``element``'s content in its place, between the texts ``start`` and ``end``."""
    parent, index = element.getparent(), element.getparent().index(element)
    children = list(element)
    lead = start + (element.text or "")
    if children:
        children[-1].tail = (children[-1].tail or "") + end + (element.tail or "")
    else:
        lead += end + (element.tail or "")
    _attach_text(element, lead)
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)


def _convert(root: etree._Element, hints: dict[str, Any], resolve: qti_content.Resolve | None) -> QtiItem:
    lang = _lang(root, "en")
    body = _child(root, "qti-item-body")
    if body is None:
        raise Unsupported("the item has no item body")
    losses: list[str] = []
    if _child(root, "qti-template-processing") is not None:
        _mark_template_content(root)
    interactions = _interactions(body, losses)
    declarations = {d.get("identifier"): d for d in _children(root, "qti-response-declaration")}
    if len(interactions) > 1:
        return _composite(root, body, interactions, declarations, lang, hints, resolve, losses)
    interaction = interactions[0]
    response_id = interaction.get("response-identifier", "RESPONSE")
    if _name(interaction) in RATED_INTERACTIONS:
        return _essay(root, body, interaction, declarations.get(response_id), lang, hints, resolve, losses)
    if response_id not in declarations:
        raise Malformed(f"the interaction answers {response_id!r}, which is not declared")
    decl = _declaration(declarations[response_id])
    analysis = _analysis(root, [response_id])
    _assumed_loss(analysis, losses)
    keys = _kept_keys(root, {response_id: interaction}) if analysis.custom else {}
    if analysis.custom:
        decl.correct = keys[response_id]
    if analysis.keyless:
        decl.correct = _placeholder_key(interaction, decl)
    scoring = _scoring(analysis, response_id)
    media: dict[str, Any] = {}
    item = _typed_content(_name(interaction), interaction, decl, scoring, lang, body, hints.get("type"),
                          resolve, media, losses)
    item = _with_facts(item, root, body, lang, hints)
    if analysis.custom:
        item["scoring"] = _kept_scoring(root, response_id, keys)
    if analysis.keyless:
        _without_key(item)
        item["key_missing"] = True
        _keyless_loss(losses, analysis.keyless)
    feedback = _feedback(root, lang, analysis)
    if feedback:
        item["feedback"] = feedback
    shown = qti_content.rich_body(body, SKIPPED_CONTENT | CHOICE_ELEMENTS, resolve, CONTAINER_INTERACTIONS)
    _keep_body(item, shown, body, lang, media, losses)
    _mapping_losses(item, decl, losses)
    kept_html = _kept_markup(item, lang)
    _losses(root, body, [(interaction, _kept_attributes(item))], losses, kept_html)
    return QtiItem(item, losses, media)


def _keep_body(item: dict[str, Any], shown: qti_content.RichBody, body: etree._Element, lang: str,
               media: dict[str, Any], losses: list[str]) -> None:
    """The rich body kept on the item when it holds what the plain stem cannot; the files it
    could not have are listed either way (a player left with nothing to play goes with them)."""
    if shown.rich and _single_language(body, lang):
        item["body"] = {lang: shown.html}
        media.update(shown.media)
    losses.extend(f"not kept: {p}" for p in shown.problems)


SCORER_VIEWS = ("scorer",)


def _scorer_rubric(body: etree._Element, lang: str) -> tuple[dict[str, str] | None, list[etree._Element]]:
    """The rubric blocks written for scorers (not PIAA's rationale), as one text, and the blocks."""
    blocks = [b for b in _descendants(body, "qti-rubric-block")
              if b.get("use") != RATIONALE_USE and set(b.get("view", "").split()) & set(SCORER_VIEWS)]
    texts: dict[str, list[str]] = {}
    for block in blocks:
        for block_lang, text in text_of(block, _lang(block, lang), skip=SKIPPED_CONTENT - {"qti-rubric-block"}).items():
            texts.setdefault(block_lang, []).append(text)
    return ({k: "\n\n".join(v) for k, v in texts.items()} or None), blocks


def _maximum(root: etree._Element) -> float | None:
    """The most SCORE can be: its normal-maximum, else MAXSCORE's default value."""
    for declaration in _children(root, "qti-outcome-declaration"):
        if declaration.get("identifier") == qti_scoring.SCORE and declaration.get("normal-maximum"):
            return _number(declaration.get("normal-maximum"), "normal-maximum")
    return _outcome_defaults(root).get("MAXSCORE")


def _essay(root: etree._Element, body: etree._Element, interaction: etree._Element,
           declaration: etree._Element | None, lang: str, hints: dict[str, Any],
           resolve: qti_content.Resolve | None, losses: list[str]) -> QtiItem:
    """Extended text, upload or drawing as an item rated by people against the item's rubric
    for scorers."""
    if declaration is None:
        raise Malformed(f"the interaction answers {interaction.get('response-identifier')!r}, which is not declared")
    media: dict[str, Any] = {}
    if _name(interaction) == "qti-extended-text-interaction":
        if declaration.get("cardinality", "single") != "single" or declaration.get("base-type", "string") != "string":
            raise Unsupported("extended text answered as several strings is not supported (one text per answer)")
        content: dict[str, Any] = {"type": "extended_text"}
    else:
        from piaa.items.importers import qti_graphic

        content = qti_graphic.file_answer(interaction, declaration, lang, resolve, media, losses)
    rubric, blocks = _scorer_rubric(body, lang)
    most = _maximum(root)
    if most is None or most < 1 or not float(most).is_integer() or most > ESSAY_MAX_POINTS:
        content["max_points"] = 1 if most is None or most < 1 else min(ESSAY_MAX_POINTS, max(1, round(most)))
        losses.append(f"the item gives {'no' if most is None else 'a ' + repr(most)} maximum score; raters "
                      f"give 0 to {content['max_points']} whole points until an author sets the maximum")
    else:
        content["max_points"] = int(most)
    if rubric:
        content["rubric"] = rubric
    else:
        losses.append("the item has no rubric for scorers; write one before raters use it")
    if _child(root, "qti-response-processing") is not None:
        losses.append("the response processing is left aside: raters score the answer against the rubric")
    item = _with_facts(content, root, body, lang, hints)
    shown = qti_content.rich_body(body, SKIPPED_CONTENT | CHOICE_ELEMENTS, resolve, CONTAINER_INTERACTIONS)
    _keep_body(item, shown, body, lang, media, losses)
    _losses(root, body, [], losses, _kept_markup(item, lang), kept_rubrics=blocks)
    return QtiItem(item, losses, media)


def _kept_markup(item: dict[str, Any], lang: str) -> str:
    """The markup an item keeps (its body, its choices' pictures, a hotspot's picture, its
    parts'), against which the losses count what was not kept."""
    kept = item.get("body", {}).get(lang, "") + ("<img" if item.get("image") else "") + \
        ("<img" if item.get("marker") else "")
    for option in (item.get("options") or []) + (item.get("sources") or []):
        kept += (option.get("html") or {}).get(lang, "")
    return kept + "".join(_kept_markup({**part, "body": {}}, lang) for part in item.get("parts") or [])


KEY_FIELDS = ("key", "accepted")


def _placeholder_key(interaction: etree._Element, decl: Declaration) -> list[str]:
    """A stand-in correct response, only so that the type's content can be built for an
    interaction the item gives no key; ``_without_key`` takes it out again."""
    if decl.base_type in ("directedPair", "pair"):
        sources = _descendants(interaction, "qti-gap-text") or _descendants(interaction, "qti-simple-associable-choice")
        targets = _descendants(interaction, "qti-gap") or _descendants(interaction, "qti-simple-associable-choice")[-1:]
        return [f"{sources[0].get('identifier')} {targets[0].get('identifier')}"] if sources and targets else []
    if decl.base_type in ("float", "integer"):
        return ["0"]
    if decl.base_type == "string":
        return ["-"]
    tags = ("qti-simple-choice", "qti-inline-choice", "qti-hottext", "qti-hotspot-choice")
    choices = [e.get("identifier", "") for e in interaction.iter(etree.Element) if _name(e) in tags]
    return choices if decl.cardinality == "ordered" else choices[:1]


def _without_key(content: dict[str, Any]) -> None:
    for name in KEY_FIELDS:
        content.pop(name, None)


def _keyless_loss(losses: list[str], responses: tuple[str, ...]) -> None:
    losses.append(f"the item gives no key for {', '.join(responses)} (no response processing and no correct "
                  "response): imported as a draft whose key is missing; an author sets it before the item "
                  "can be sent for review")


def _assumed_loss(analysis: qti_scoring.Scoring, losses: list[str]) -> None:
    if analysis.assumed and len(analysis.keyless) < len(analysis.terms):  # some responses have a key
        losses.append("the item has no response processing; each response is scored by matching "
                      "its correct response, as QTI's match_correct does")


def _part_scoring(analysis: qti_scoring.Scoring, response_id: str) -> tuple[Scoring, qti_scoring.Term | None]:
    terms = [t for t in analysis.terms if t.response == response_id]
    if not terms:
        return Scoring("match_correct"), None
    term = terms[0]
    if term.kind == "map":
        return Scoring("map_response"), term
    if term.tolerance:
        return Scoring("tolerance", term.tolerance[1], relative=term.tolerance[0] == "relative"), term
    return Scoring("match_correct"), term


def _map_points(decl: Declaration) -> float:
    """The most a response's map_response can add: its best value (single) or the sum of its
    positive values (multiple), within the mapping's bounds."""
    positive = sorted((v for v in (decl.mapping or {}).values() if v > 0), reverse=True)
    total = (positive[:1] if decl.cardinality == "single" else positive)
    best = float(sum(total))
    if decl.upper_bound is not None:
        best = min(best, decl.upper_bound)
    return best


def _composite(root: etree._Element, body: etree._Element, interactions: list[etree._Element],
               declarations: dict[str, etree._Element], lang: str, hints: dict[str, Any],
               resolve: qti_content.Resolve | None, losses: list[str]) -> QtiItem:
    """An item with several interactions as a PIAA composite item: one part per interaction,
    each worth what the response processing adds to SCORE for it."""
    response_ids = [i.get("response-identifier", "") for i in interactions]
    for response_id in response_ids:
        if response_id not in declarations:
            raise Malformed(f"the interaction answers {response_id!r}, which is not declared")
    if len(set(response_ids)) != len(response_ids):
        raise Unsupported("two interactions answer the same response")
    # the written part is rated by people, not by the response processing
    analysis = _analysis(root, [r for r, i in zip(response_ids, interactions)
                                if _name(i) != "qti-extended-text-interaction"])
    _assumed_loss(analysis, losses)
    unanswered = [t.response for t in analysis.terms if t.response not in response_ids]
    if unanswered:
        raise Unsupported(f"the response processing scores {', '.join(unanswered)}, which no interaction answers")
    labels = {interaction: str(n) for n, interaction in enumerate(interactions, start=1)}
    keys = _kept_keys(root, dict(zip(response_ids, interactions))) if analysis.custom else {}
    media: dict[str, Any] = {}
    parts, pairs = [], []
    for interaction, response_id in zip(interactions, response_ids):
        label, name = labels[interaction], _name(interaction)
        decl = _declaration(declarations[response_id])
        if analysis.custom:
            decl.correct = keys[response_id]
        if response_id in analysis.keyless:
            decl.correct = _placeholder_key(interaction, decl)
        scoring, term = _part_scoring(analysis, response_id)
        if name == "qti-extended-text-interaction":
            essay = _essay_part(root, body, declarations[response_id], label, interaction, analysis, lang, losses)
            parts.append({"id": _unprefix(response_id), "label": label, **essay})
            pairs.append((interaction, _kept_attributes(essay)))
            continue
        try:
            content = _typed_content(name, interaction, decl, scoring, lang, body, None, resolve, media, losses)
        except Unsupported as exc:
            raise Unsupported(f"part {label} ({response_id}): {exc}") from None
        part: dict[str, Any] = {"id": _unprefix(response_id), "label": label, "type": content.pop("type")}
        if name in CONTAINER_INTERACTIONS:
            prompt = _stem(interaction, lang)
            if prompt:
                part["prompt"] = prompt
        if name == "qti-inline-choice-interaction":
            part["inline"] = True
        part.update(content)
        if response_id in analysis.keyless:
            _without_key(part)
        if term is None:
            points = 0.0
            losses.append(f"part {label} ({response_id}) is not scored by the item's response processing; "
                          "it counts for nothing")
        else:
            points = _map_points(decl) if term.kind == "map" else term.value
        part["points"] = _plain(points)
        _mapping_losses(part, decl, losses)
        parts.append(part)
        pairs.append((interaction, _kept_attributes(part)))
    item = _with_facts({"type": "composite", "parts": parts}, root, body, lang, hints)
    if analysis.custom:
        item["scoring"] = _kept_scoring(root, None, keys)
    if analysis.keyless:
        item["key_missing"] = True
        _keyless_loss(losses, analysis.keyless)
    stem = text_of(body, lang, skip=SKIPPED_CONTENT | CHOICE_ELEMENTS, labels=labels)
    if not stem and root.get("title"):
        stem = {lang: root.get("title").strip()}
        losses.append("the item has no text of its own beside its parts; its title is the question")
    if not stem:
        raise Unsupported("the item body has no text to show as the question")
    item["stem"] = stem
    feedback = _feedback(root, lang, analysis)
    if feedback:
        item["feedback"] = feedback
    shown = qti_content.rich_body(body, SKIPPED_CONTENT | CHOICE_ELEMENTS, resolve, labels=labels)
    _keep_body(item, shown, body, lang, media, losses)
    kept_html = _kept_markup(item, lang)
    rated = [p for p in parts if p["type"] == "extended_text" and p.get("rubric")]
    _losses(root, body, pairs, losses, kept_html, kept_rubrics=_scorer_rubric(body, lang)[1] if rated else ())
    return QtiItem(item, losses, media)


def _essay_part(root: etree._Element, body: etree._Element, declaration: etree._Element, label: str,
                interaction: etree._Element, analysis: qti_scoring.Scoring, lang: str,
                losses: list[str]) -> dict[str, Any]:
    """A composite's extended text as a part rated by people: worth the item's maximum less
    what the other parts can earn (whole points), its prompt, and the rubric for scorers."""
    if declaration.get("cardinality", "single") != "single" or declaration.get("base-type", "string") != "string":
        raise Unsupported(f"part {label}: extended text answered as several strings is not supported")
    most = _maximum(root)
    others = 0.0
    for term in analysis.terms:
        decl = _declaration(next(d for d in _children(root, "qti-response-declaration")
                                 if d.get("identifier") == term.response))
        others += _map_points(decl) if term.kind == "map" else term.value
    left = None if most is None else most - others
    if left is None or left < 1 or not float(left).is_integer() or left > ESSAY_MAX_POINTS:
        points = 1 if left is None or left < 1 else min(ESSAY_MAX_POINTS, max(1, round(left)))
        losses.append(f"part {label}: the item gives no whole maximum for the written part; raters give 0 to "
                      f"{points} whole points until an author sets it")
    else:
        points = int(left)
    part: dict[str, Any] = {"type": "extended_text", "max_points": points, "points": points}
    prompt = _stem(interaction, lang)
    if prompt:
        part["prompt"] = prompt
    rubric, _ = _scorer_rubric(body, lang)
    if rubric:
        part["rubric"] = rubric
    else:
        losses.append(f"part {label}: the item has no rubric for scorers; write one before raters use it")
    return part


def _single_language(body: etree._Element, lang: str) -> bool:
    """Rich bodies are kept for items written in one language (PIAA's own parallel-language
    exports are plain text)."""
    return all(_lang(e, lang) == lang for e in body.iter(etree.Element))


CHOICE_TAGS = {"qti-inline-choice-interaction": "qti-inline-choice",
               "qti-hottext-interaction": "qti-hottext"}


def _pairs(values: list[str]) -> list[list[str]]:
    pairs = []
    for value in values:
        parts = value.split()
        if len(parts) != 2:
            raise Malformed(f"{value!r} is not a pair of identifiers")
        pairs.append([_unprefix(parts[0]), _unprefix(parts[1])])
    return pairs


def _matching(name: str, interaction: etree._Element, decl: Declaration, scoring: Scoring,
              lang: str, resolve: qti_content.Resolve | None, media: dict[str, Any]) -> dict[str, Any]:
    if decl.base_type not in ("directedPair", "directed-pair"):
        raise Unsupported(f"a {name} answered with {decl.base_type} values is not supported")
    if name == "qti-match-interaction":
        sets = _descendants(interaction, "qti-simple-match-set")
        if len(sets) != 2:
            raise Malformed("a match interaction needs two match sets")
        sources, targets = (_choices(one, lang, "qti-simple-associable-choice", resolve, media) for one in sets)
        limits = {c.get("identifier"): c.get("match-max") for c in _descendants(interaction, "qti-simple-associable-choice")}
    else:
        from piaa.items.importers import qti_graphic

        sources = qti_graphic.gap_sources(interaction, lang, resolve, media)
        targets = [{"id": _unprefix(g.get("identifier", "")), "text": {lang: f"[{n}]"}}
                   for n, g in enumerate(_descendants(interaction, "qti-gap"), start=1)]
        limits = {c.get("identifier"): c.get("match-max") for c in _descendants(interaction, "qti-gap-text")}
    for entry in sources + targets:
        most = limits.get(entry["id"])
        if most and most.isdigit() and int(most) > 0:
            entry["match_max"] = int(most)
    item = {"type": "matching", "sources": sources, "targets": targets, **pair_scoring(decl, scoring, sources, targets)}
    if name == "qti-gap-match-interaction":
        item["gaps"] = True
    return item


def pair_scoring(decl: Declaration, scoring: Scoring, sources: list[dict], targets: list[dict]) -> dict[str, Any]:
    """The key, partial credit and mapping of an item answered with [source, target] pairs."""
    if scoring.kind == "match_correct":
        key, partial = _pairs(decl.correct), False
    elif scoring.kind == "map_response":
        mapping = {tuple(p): v for p, v in zip(_pairs(list(decl.mapping or {})), (decl.mapping or {}).values())}
        credited = [list(p) for p, v in mapping.items() if v > 0]
        if not credited:
            raise Unsupported("the pair mapping credits no pair")
        # PIAA's partial credit is +v per right pair and -v per other pair, floored at 0;
        # other weights are kept below as the item's mapping.
        step = max(mapping.values())
        wrong = [v for v in mapping.values() if v <= 0] + [decl.default_value]
        partial = all(_close(v, step) for v in mapping.values() if v > 0) and \
            all(_close(v, -step) for v in wrong) and decl.lower_bound is not None and _close(decl.lower_bound, 0.0)
        key = credited
    else:
        raise Unsupported("a tolerance applies to numbers, not to pairs")
    if not key:
        raise Unsupported("the item gives no right pairs")
    found: dict[str, Any] = {"key": key, "partial_credit": partial}
    if scoring.kind == "map_response" and not partial:
        found["mapping"] = _weights(decl, [f"{s['id']} {t['id']}" for s in sources for t in targets], pairs=True)
    return found


def _hotspot(interaction: etree._Element, decl: Declaration, scoring: Scoring, lang: str,
             resolve: qti_content.Resolve | None, media: dict[str, Any]) -> dict[str, Any]:
    from piaa.items.importers import qti_graphic

    image = qti_graphic.picture(interaction, resolve, media, "hotspot", lang)
    areas = qti_graphic.areas(interaction, "qti-hotspot-choice", lang)
    if scoring.kind == "map_response":
        key = [_unprefix(k) for k, v in (decl.mapping or {}).items() if v > 0]
    else:
        key = [_unprefix(v) for v in decl.correct]
    item = {"type": "hotspot", "image": image, "areas": areas, "key": key}
    if scoring.kind == "map_response":
        item["mapping"] = _weights(decl, [a["id"] for a in areas])
    most = interaction.get("max-choices", "")
    if decl.cardinality == "single":
        item["max_choices"] = 1
    elif most.isdigit() and int(most) > 0:
        item["max_choices"] = int(most)
    return item


def _typed_content(name: str, interaction: etree._Element, decl: Declaration, scoring: Scoring,
                   lang: str, body: etree._Element, hint: str | None,
                   resolve: qti_content.Resolve | None = None,
                   media: dict[str, Any] | None = None, losses: list[str] | None = None) -> dict[str, Any]:
    if name in ("qti-match-interaction", "qti-gap-match-interaction"):
        return _matching(name, interaction, decl, scoring, lang, resolve, media if media is not None else {})
    if name == "qti-hotspot-interaction":
        return _hotspot(interaction, decl, scoring, lang, resolve, media if media is not None else {})
    if name in PICTURE_READERS:
        from piaa.items.importers import qti_graphic

        return qti_graphic.read(name, interaction, decl, scoring, lang, resolve,
                                media if media is not None else {}, losses if losses is not None else [])
    if name == "qti-text-entry-interaction":
        item = _text_entry(decl, scoring, hint)
        unit = _unit(body, lang)
        if unit and item["type"] == "numeric_entry":
            item["unit"] = unit
        return item
    if scoring.kind == "tolerance":
        raise Unsupported("a tolerance applies to numbers, not to choices")
    pictures_kept = name in ("qti-choice-interaction", "qti-order-interaction") and media is not None
    choices = _choices(interaction, lang, CHOICE_TAGS.get(name, "qti-simple-choice"), resolve,
                       media if pictures_kept else None)
    if name == "qti-order-interaction":
        if decl.cardinality != "ordered" or scoring.kind != "match_correct":
            raise Unsupported("an ordering must be scored by matching its correct order")
        if sorted(_unprefix(v) for v in decl.correct) != sorted(c["id"] for c in choices):
            raise Unsupported(f"the correct order names {len(decl.correct)} of the {len(choices)} "
                              "choices, not each once")
        return {"type": "ordering", "options": choices, "key": [_unprefix(v) for v in decl.correct],
                "partial_credit": False}
    if decl.cardinality == "multiple":
        item = _multiple_response(decl, scoring, choices)
        most = interaction.get("max-choices", "")
        if most.isdigit() and 0 < int(most) < len(choices):
            item["max_choices"] = int(most)
    elif decl.cardinality != "single":
        raise Unsupported(f"a choice with {decl.cardinality} cardinality is not supported")
    else:
        item = _single_choice(decl, scoring, choices, hint)
    if item["type"] in ("single_choice", "multiple_response") and _bool(interaction.get("shuffle"), False):
        item["shuffle"] = True
    return item


def _with_facts(content: dict[str, Any], root: etree._Element, body: etree._Element, lang: str,
                hints: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": hints.get("id") or _unprefix(root.get("identifier", "")),
                            "type": content.pop("type")}
    for name in ("competency", "level", "sub_area"):
        if hints.get(name) is not None:
            item[name] = hints[name]
    item["stem"] = _stem(body, lang)
    if not item["stem"]:
        raise Unsupported("the item body has no text to show as the question")
    if "en" not in item["stem"]:
        raise Unsupported(f"the item is written in {', '.join(item['stem'])} only; every PIAA item has "
                          "an English text (add one, then import)")
    item.update(content)
    for flag in ("partial_credit", "collapse_spaces", "case_sensitive"):
        if flag in hints and (flag in content or (flag == "collapse_spaces" and item["type"] == "text_entry")):
            item[flag] = hints[flag]
    rationale = _rationale(body, lang)
    if rationale:
        item["rationale"] = rationale
    if hints.get("reference"):
        item["reference"] = hints["reference"]
    return item


# --- content packages ---------------------------------------------------------------------------

def _piaa_element(parent: etree._Element | None, name: str) -> etree._Element | None:
    if parent is None:
        return None
    return parent.find(f".//{{{PIAA_NS}}}{name}")


def item_hints(resource: etree._Element) -> dict[str, Any]:
    """PIAA facts about one item from its manifest resource (``<piaa:item>``)."""
    element = _piaa_element(_local_child(resource, "metadata"), "item")
    if element is None:
        return {}
    hints: dict[str, Any] = {}
    for attribute, key in (("id", "id"), ("type", "type"), ("competency", "competency"),
                           ("sub-area", "sub_area")):
        if element.get(attribute):
            hints[key] = element.get(attribute)
    if element.get("level"):
        hints["level"] = int(element.get("level")) if element.get("level").isdigit() else element.get("level")
    for attribute, key in (("partial-credit", "partial_credit"), ("collapse-spaces", "collapse_spaces")):
        if element.get(attribute) is not None:
            hints[key] = _bool(element.get(attribute), False)
    reference = element.find(f"{{{PIAA_NS}}}reference")
    if reference is not None and (reference.text or "").strip():
        hints["reference"] = reference.text.strip()
    return hints


def _local_child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return child
    return None


def _bank_facts(manifest: etree._Element, bank: ParsedBank) -> None:
    element = _piaa_element(_local_child(manifest, "metadata"), "bank")
    if element is None:
        return
    bank.name = element.get("name") or None
    bank.agency = element.get("agency") or None
    bank.state = element.get("state") or None
    if element.get("languages"):
        bank.languages = element.get("languages").split()
    description = element.find(f"{{{PIAA_NS}}}description")
    if description is not None and description.text:
        bank.description = description.text.strip()


def read_package(files: Mapping[str, bytes], display: str) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """Every item of a content package given as ``{path in package: bytes}``.

    Returns the bank (items that map, plus ``unsupported`` for those that do not) and the
    problems that make the package unusable whatever the user asks (malformed XML, missing
    files, duplicate identifiers are found later by the item checks).
    """
    bank = ParsedBank(kind="qti")
    if MANIFEST_FILE not in files:
        return bank, [problem(f"no {MANIFEST_FILE} at the top of the package", file=display)]
    try:
        manifest = parse_xml(files[MANIFEST_FILE], MANIFEST_FILE)
    except Malformed as exc:
        return bank, [problem(str(exc), file=f"{display}:{MANIFEST_FILE}")]
    _bank_facts(manifest, bank)
    problems: list[dict[str, Any]] = []
    resources = _local_child(manifest, "resources")
    for resource in (resources if resources is not None else []):
        if not isinstance(resource.tag, str) or etree.QName(resource).localname != "resource":
            continue
        kind = resource.get("type", "")
        href = resource.get("href") or _first_file(resource)
        if not ITEM_RESOURCE.match(kind):
            bank.notices.append(f"{href or resource.get('identifier')}: a {kind or 'untyped'} "
                                "resource, not an item; left aside")
            continue
        path = str(PurePosixPath(href)) if href else None
        if path is None or path not in files:
            problems.append(problem(f"the manifest names {href!r}, which is not in the package",
                                    file=f"{display}:{MANIFEST_FILE}", item=resource.get("identifier")))
            continue
        hints = item_hints(resource)
        _read_one(files[path], f"{display}:{path}", hints, bank, problems, _package_resolver(files, path))
    if not bank.items and not bank.unsupported and not problems:
        problems.append(problem("the package holds no items", file=display))
    return bank, problems


def _first_file(resource: etree._Element) -> str | None:
    for child in resource:
        if isinstance(child.tag, str) and etree.QName(child).localname == "file":
            return child.get("href")
    return None


def _package_resolver(files: dict[str, bytes], item_path: str) -> qti_content.Resolve:
    """Files by their path relative to the item file, never outside the package."""
    folder = PurePosixPath(item_path).parent

    def resolve(href: str) -> bytes | None:
        joined = posixpath.normpath(str(folder / unquote(href.split("#")[0].split("?")[0])))
        return None if joined.startswith("..") else files.get(joined)
    return resolve


def _folder_resolver(folder: Path) -> qti_content.Resolve:
    """Files beside a single item file on disk, never outside its folder."""
    root = folder.resolve()

    def resolve(href: str) -> bytes | None:
        target = (root / unquote(href.split("#")[0].split("?")[0])).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target.read_bytes()
    return resolve


def _read_one(data: bytes, file: str, hints: dict[str, Any], bank: ParsedBank,
              problems: list[dict[str, Any]], resolve: qti_content.Resolve | None = None) -> None:
    try:
        converted = read_item(data, file, hints, resolve)
        bank.add(converted.item, file=file)
        bank.media.update(converted.media)
        for loss in converted.losses:
            bank.losses.append(problem(loss, file=file, item=converted.item.get("id")))
    except Malformed as exc:
        problems.append(problem(str(exc), file=file))
    except Unsupported as exc:
        identifier = hints.get("id") or _identifier(data)
        bank.unsupported.append(problem(f"cannot be imported: {exc}", file=file, item=identifier))


def _identifier(data: bytes) -> str | None:
    try:
        return _unprefix(etree.fromstring(data, _SAFE_PARSER).get("identifier") or "") or None
    except etree.XMLSyntaxError:
        return None


def read_qti_file(data: bytes, display: str, resolve: qti_content.Resolve | None = None
                  ) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """A single QTI item file (``.xml``; ``resolve`` reads the files it refers to) or a
    content package (``.zip``)."""
    if data[:4] == b"PK\x03\x04":
        try:
            with open_archive(data) as zipped:
                return read_package(ArchiveFiles(zipped), display)
        except ArchiveRefused as exc:
            return ParsedBank(kind="qti"), [problem(str(exc), file=display)]
    bank, problems = ParsedBank(kind="qti"), []
    _read_one(data, display, {}, bank, problems, resolve)
    return bank, problems


def read_qti_path(path: Path, display: str | None = None) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """A QTI item file, a zipped package, or an unpacked package folder."""
    display = display or path.name
    if path.is_dir():
        files = {str(p.relative_to(path).as_posix()): p.read_bytes()
                 for p in path.rglob("*") if p.is_file()}
        return read_package(files, display)
    return read_qti_file(path.read_bytes(), display, _folder_resolver(path.parent))
