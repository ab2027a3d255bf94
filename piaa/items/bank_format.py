"""The bank format: what a bank folder, an item and the competency dictionary look like.

Every importer turns its input (bank folder, CSV/XLSX rows, QTI XML) into plain item dicts of
this one format, and every exporter starts from them, so the checks live here once: the JSON
Schemas in ``piaa/items/schemas/`` for structure, and the rules a schema cannot say (a key names
an option, identifiers are unique, polytomous credits run 0..K-1) in ``item_problems``.

A problem is a dict with ``message`` and, where known, ``file``, ``row``, ``item`` and ``field``
(a JSON path such as ``options[2].text.en``); ``piaa.errors.Invalid`` carries the list.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from piaa.errors import Invalid, found_problem, json_path
from piaa.i18n import N_

BANK_FORMAT = "piaa-bank/1"
MANIFEST_NAME = "bank.json"
COMPETENCIES_FILE = "competencies.json"

ITEM_TYPES = ("single_choice", "multiple_response", "true_false", "text_entry", "numeric_entry",
              "ordering", "situational_judgement", "likert")
# Types that come from QTI packages (and bank folders) only: a spreadsheet row cannot hold them.
PACKAGE_ONLY_TYPES = ("matching", "hotspot", "composite", "extended_text", "graphic_order", "graphic_gap_match",
                      "graphic_associate", "associate", "select_point", "slider", "upload", "drawing")
LOAD_STATES = ("draft", "approved", "operational")
SCHEMA_DIR = Path(__file__).with_name("schemas")

# Defaults the contract gives to optional fields; an item compares equal with or without them.
TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "multiple_response": {"partial_credit": False},
    "ordering": {"partial_credit": False},
    "matching": {"partial_credit": False},
    "text_entry": {"case_sensitive": False, "collapse_spaces": True},
    "numeric_entry": {"tolerance": 0},
    "extended_text": {"max_length": 10_000},
}


@dataclass
class ParsedBank:
    """What an importer read: bank facts (None where the source does not say) and items.

    ``sources[i]`` says where ``items[i]`` came from (``file``, ``row``) for problem reports;
    ``unsupported`` lists items that exist in the source but cannot be mapped (one problem
    each); ``notices`` lists things deliberately left aside (e.g. a QTI test in a package).
    """

    name: str | None = None
    agency: str | None = None
    description: str = ""
    languages: list[str] | None = None
    state: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    kind: str = ""
    # What an importer could not keep of an item it converted (QTI): one problem per loss.
    losses: list[dict[str, Any]] = field(default_factory=list)
    # Media files the items refer to, by SHA-256 (piaa.items.media.MediaFile), stored with them.
    media: dict[str, Any] = field(default_factory=dict)

    def add(self, item: dict[str, Any], **source: Any) -> None:
        self.items.append(item)
        self.sources.append({k: v for k, v in source.items() if v is not None})


def problem(message: str, *, file: str | None = None, row: int | None = None,
            item: str | None = None, field: str | None = None,
            values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A problem where it was found; with ``values``, ``message`` is a marked text with
    ``{name}`` placeholders that a page shows in the reader's language."""
    found = {"file": file, "row": row, "item": item, "field": field}
    where = {k: v for k, v in found.items() if v is not None}
    return found_problem(message, values, **where) if values else {**where, "message": message}


# A refusal lists this many problems and counts the rest: the first thousand say what to mend,
# and a list of every problem of a large bad file would be stored and sent again on every read.
MAX_REPORTED_PROBLEMS = 1000


def refuse(problems: list[dict[str, Any]], what: str) -> None:
    """Raise ``Invalid`` listing the first ``MAX_REPORTED_PROBLEMS`` problems and counting all
    (``problem_count``), if there are any."""
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        listed = "" if len(problems) <= MAX_REPORTED_PROBLEMS else \
            f" (the first {MAX_REPORTED_PROBLEMS:,} are listed)"
        exc = Invalid(N_("{what} was refused: {n_problems:,} {noun}{listed}"),
                      problems=problems[:MAX_REPORTED_PROBLEMS],
                      values={"what": what, "n_problems": len(problems), "noun": noun, "listed": listed})
        exc.problem_count = len(problems)
        raise exc


# --- JSON Schemas --------------------------------------------------------------------------

@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """One of ``bank``, ``item-file``, ``competencies`` (``piaa/items/schemas/NAME.schema.json``)."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft202012Validator:
    if name == "item":  # one item: the item-file schema's definition, with its $defs
        item_file = load_schema("item-file")
        schema = {"$defs": item_file["$defs"], "$ref": "#/$defs/item"}
    else:
        schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    # Resolving $ref on every item is most of the validation time of a large import; the
    # definitions are not recursive, so they are inlined once.
    return Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


def item_fields() -> list[str]:
    """The fields an item of the bank format may have (``item-file`` schema's item)."""
    return list(load_schema("item-file")["$defs"]["item"]["properties"])


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(defs[ref.split("/")[-1]], defs)
            rest = {k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
            return {**target, **rest} if not set(rest) & set(target) else {"allOf": [target, rest]}
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _schema_message(error) -> str:
    if error.validator == "not" and error.validator_value == {}:
        return "this field does not apply to this item type"
    if error.validator == "pattern" and error.path and error.path[0] == "item_files":
        return f"{error.instance!r} must be a relative path to a .json file inside the bank folder"
    if error.validator == "contains" and error.path and error.path[-1] == "languages":
        return "the languages must include en (English)"
    if error.validator == "enum" and error.path and error.path[-1] == "type":
        return f"unknown type {error.instance!r}; one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        return f"missing {missing.group(1)}" if missing else error.message
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field")
    if error.validator == "pattern" and error.path and error.path[-1] == "id":
        return f"{error.instance!r} is not a valid identifier (letters, digits, - _ . only)"
    if error.validator == "pattern" and error.instance == "" or error.validator == "minLength":
        return "must not be empty"
    if error.validator == "pattern" and isinstance(error.instance, str) and not error.instance.strip():
        return "must not be blank"
    return error.message


def _leaf_errors(errors) -> list:
    """Report the precise cause under allOf / if-then rather than the wrapper."""
    leaves = []
    for error in errors:
        if error.context:
            leaves.extend(_leaf_errors(error.context))
        else:
            leaves.append(error)
    return leaves


@lru_cache(maxsize=None)
def _item_validator(item_type: str) -> Draft202012Validator:
    """The item schema with only ``item_type``'s if/then branch: the same verdicts as the
    whole schema for an item of that type, at a fraction of the cost on large imports."""
    schema = _validator("item").schema
    branches = [b for b in schema["allOf"] if item_type in _branch_types(b)]
    return Draft202012Validator({**schema, "allOf": [b["then"] for b in branches]})


def _branch_types(branch: dict[str, Any]) -> tuple[str, ...]:
    condition = branch["if"]["properties"]["type"]
    return (condition["const"],) if "const" in condition else tuple(condition["enum"])


def schema_problems(name: str, data: Any, **where: Any) -> list[dict[str, Any]]:
    """Problems of ``data`` against schema ``name`` (``item`` for one item)."""
    validator = _validator(name)
    if name == "item" and isinstance(data, dict) and data.get("type") in ITEM_TYPES:
        validator = _item_validator(data["type"])
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    found, seen = [], set()
    for error in _leaf_errors(errors):
        path = json_path(error.absolute_path)
        if error.validator == "required":
            missing = re.search(r"'([^']+)' is a required property", error.message)
            if missing:
                path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        message = _schema_message(error)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        found.append(problem(message, field=path or None, **where))
    return found


# --- items -----------------------------------------------------------------------------------

def _rule_problems(item: dict[str, Any], languages: list[str] | None) -> list[dict[str, str]]:
    """The item type's own checks (key names an option, credits run 0..K-1, plain text, ...),
    from the item-type registry so that import and authoring apply the same rules."""
    from piaa.items.types import ITEM_TYPES

    item_type = ITEM_TYPES.get(item.get("type"))
    if item_type is None:
        return []  # the schema has named the unknown type
    content = item_type.from_bank_json(item)
    return item_type.validate(content, tuple(languages) if languages else None)


def _overlaps(field: str | None, fields: set[str]) -> bool:
    if not field:
        return False
    return any(field == f or field.startswith(f + ".") or field.startswith(f + "[")
               or f.startswith(field + ".") or f.startswith(field + "[") for f in fields)


def item_problems(item: Any, *, languages: list[str] | None = None, **where: Any) -> list[dict]:
    """Every problem of one item; ``where`` (file, row) locates it in the source."""
    item_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
    where = {**where, "item": item_id}
    found = schema_problems("item", item, **where)
    if not isinstance(item, dict):
        return found
    reported = {p["field"] for p in found if p.get("field")}
    for rule in _rule_problems(item, languages):
        if not _overlaps(rule["field"], reported):
            # kept with its marked text and values, if it has them, for a page in Hindi
            found.append({**problem(rule["message"], field=rule["field"], **where),
                          **{k: rule[k] for k in ("template", "values") if k in rule}})
            reported.add(rule["field"])
    return found


def items_problems(items: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None,
                   languages: list[str] | None = None) -> list[dict[str, Any]]:
    """Problems of every item, plus identifiers used twice (both places are named)."""
    sources = sources or [{} for _ in items]
    found: list[dict[str, Any]] = []
    first_seen: dict[str, dict[str, Any]] = {}
    for item, source in zip(items, sources):
        found.extend(item_problems(item, languages=languages, **source))
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        if item_id in first_seen:
            found.append(problem(N_("duplicate item id {item_id} (first at {first_at})"), item=item_id, field="id",
                                 values={"item_id": repr(item_id), "first_at": _where(first_seen[item_id])},
                                 **source))
        else:
            first_seen[item_id] = source
    return found


def _where(source: dict[str, Any]) -> str:
    parts = [str(source["file"])] if source.get("file") else []
    if source.get("row") is not None:
        parts.append(f"row {source['row']}")
    return ", ".join(parts) or "an earlier item"


def canonical_item(item: dict[str, Any]) -> dict[str, Any]:
    """The item with the contract's defaults filled in, so equal content compares equal."""
    result = {**TYPE_DEFAULTS.get(item["type"], {}), **item}
    if "accepted" in result:
        result["accepted"] = [{"value": a["value"], "credit": float(a.get("credit", 1.0))}
                              for a in result["accepted"]]
    if "tolerance" in result:
        result["tolerance"] = float(result["tolerance"])
    if item["type"] == "numeric_entry":
        result["key"] = float(result["key"])
    return result


# --- manifest and competency dictionary -------------------------------------------------------

def manifest_problems(manifest: Any, file: str = MANIFEST_NAME) -> list[dict[str, Any]]:
    return schema_problems("bank", manifest, file=file)


def competencies_problems(data: Any, file: str = COMPETENCIES_FILE) -> list[dict[str, Any]]:
    found = schema_problems("competencies", data, file=file)
    if found:
        return found
    codes: set[str] = set()
    for i, competency in enumerate(data["competencies"]):
        code = competency["code"]
        if code in codes:
            found.append(problem(N_("duplicate competency code {code}"), file=file,
                                 field=f"competencies[{i}].code", values={"code": repr(code)}))
        codes.add(code)
        levels = sorted(level["level"] for level in competency["levels"])
        if levels != [1, 2, 3, 4, 5]:
            found.append(problem(N_("levels must be 1, 2, 3, 4, 5 once each, got {levels}"), file=file,
                                 field=f"competencies[{i}].levels", values={"levels": str(levels)}))
    return found


def read_json(path: Path, display: str) -> tuple[Any, list[dict[str, Any]]]:
    """Parse a JSON file; a syntax error becomes a problem naming its line and column."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [problem(N_("file not found"), file=display)]
    except UnicodeDecodeError as exc:
        return None, [problem(N_("not UTF-8 text ({reason} at byte {byte})"), file=display,
                              values={"reason": exc.reason, "byte": exc.start})]
    except json.JSONDecodeError as exc:
        return None, [problem(N_("malformed JSON at line {line}, column {column}: {reason}"), file=display,
                              values={"line": exc.lineno, "column": exc.colno, "reason": exc.msg})]
