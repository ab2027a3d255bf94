"""JSON request bodies checked against the schema their operation documents.

Every API view documented with ``piaa.api.openapi(request=...)`` gets its body checked here
before it runs, so the document at /api/v1/openapi.json and what the service accepts cannot
drift apart: a missing required field, a value of the wrong type, outside its enum or bounds,
or a field the operation does not take is refused (422) with one problem per fault, each named
by its JSON path (``answers[3].seq``), at most ``MAX_BODY_PROBLEMS`` of them, each message cut
to ``MAX_PROBLEM_MESSAGE`` characters. Messages never echo the value sent (a 500 KB string
would come back whole), only its JSON type or length.

The schemas are OpenAPI 3.0 schema objects; ``nullable`` is turned into JSON Schema's
``"null"`` type once, when an operation's checker is first used, and the compiled validators
are kept for the life of the process. The candidate's answer call passes here on every answer,
so the verdict comes from jsonschema-rs (a compiled validator: under a microsecond for an
answer, where jsonschema takes tens to hundreds of microseconds, see
``benchmarks/request_bodies.py``); only a body it refuses is walked again by jsonschema,
whose errors carry the schema and instance that a precise message needs. Both read the same
JSON Schema (2020-12) and the same format functions.
"""
from __future__ import annotations

from typing import Any, Callable

import jsonschema_rs
from flask import request
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.exceptions import UnsupportedMediaType

from piaa.errors import Invalid, json_path, shorten

MAX_BODY_PROBLEMS = 20
MAX_PROBLEM_MESSAGE = 200
# Errors looked at to count the problems of a very bad body, before saying "or more".
_MAX_ERRORS_READ = 200
_JSON_TYPES = {dict: "an object", list: "a list", str: "text", bool: "a boolean", int: "a whole number",
               float: "a number", type(None): "null"}
_TYPE_WORDS = {"object": "an object", "array": "a list", "string": "text", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "null"}
# keyword: (what the value must be, whether the value's length is what is bounded)
_BOUNDS = {"minimum": ("must be {bound} {value}", False), "maximum": ("must be {bound} {value}", False),
           "minItems": ("must hold {bound} {value} entries", True),
           "maxItems": ("must hold {bound} {value} entries", True),
           "minLength": ("must be {bound} {value} characters long", True),
           "maxLength": ("must be {bound} {value} characters long", True),
           "minProperties": ("must have {bound} {value} fields", True),
           "maxProperties": ("must have {bound} {value} fields", True)}
_FORMAT_WORDS = {"date-time": "an ISO 8601 time (2026-01-31T09:30:00+05:30)",
                 "date": "an ISO 8601 date (2026-01-31)", "email": "an e-mail address"}


def _date_time(value: str) -> bool:
    """What the service's own parser reads (``datetime.fromisoformat``, Z for UTC): RFC 3339,
    and, as the service has always taken them, a time without offset (UTC) or a bare date."""
    from datetime import datetime

    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _email(value: str) -> bool:
    """One @ with something either side; the account services check an address properly."""
    local, _, domain = value.rpartition("@")
    return bool(local) and bool(domain)


# The formats the documents use, checked without optional packages, alike in both validators.
FORMATS = {"date-time": _date_time, "date": _date, "email": _email}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


_FORMAT_CHECKER = _format_checker()


def json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema: ``nullable: true`` becomes a ``"null"``
    type (or a ``null`` alternative beside an ``anyOf``/``oneOf``); the rest is the same."""
    if isinstance(schema, list):
        return [json_schema(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: json_schema(value) if key not in ("enum", "default", "example") else value
                 for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        elif "anyOf" in converted:
            converted["anyOf"] = [*converted["anyOf"], {"type": "null"}]
        else:
            converted = {"anyOf": [{"type": "null"}, converted]}
    return converted


class BodySchema:
    """One operation's documented request body and its validators, compiled on first use."""

    def __init__(self, schema: dict[str, Any], more_problems: Callable[[Any], list[dict]] | None = None):
        """``more_problems(body)``: an operation's own checks of a body, listed beside the
        schema's when the schema refuses it, so that one answer names every problem."""
        self.schema, self.more_problems = schema, more_problems
        self._verdict: jsonschema_rs.Draft202012Validator | None = None
        self._explainer: Draft202012Validator | None = None

    def compile(self) -> jsonschema_rs.Draft202012Validator:
        """The fast validator (built once)."""
        if self._verdict is None:
            self._verdict = jsonschema_rs.Draft202012Validator(
                json_schema(self.schema), validate_formats=True, formats=FORMATS)
        return self._verdict

    @property
    def explainer(self) -> Draft202012Validator:
        """The validator whose errors say where and why (built at the first refusal)."""
        if self._explainer is None:
            self._explainer = Draft202012Validator(json_schema(self.schema), format_checker=_FORMAT_CHECKER)
        return self._explainer

    def check(self, body: Any) -> None:
        """:raise Invalid: listing each way ``body`` breaks the schema, by JSON path."""
        if (self._verdict or self.compile()).is_valid(body):
            return
        problems: list[dict[str, str]] = []
        seen: set[tuple[str, str]] = set()
        read = 0
        for error in self.explainer.iter_errors(body):
            read += 1
            for found in _problems(error):
                key = (found["field"], found["message"])
                if key not in seen:
                    seen.add(key)
                    problems.append(found)
            if read >= _MAX_ERRORS_READ:
                break
        if self.more_problems:
            problems += [_problem(found.get("field") or "", found["message"]) for found in self.more_problems(body)
                         if (found.get("field") or "", found["message"]) not in seen]
        if not problems:  # the two validators disagree: say what the compiled one found
            problems = [_problem(json_path(error.instance_path), "does not match the documented schema")
                        for error in self.compile().iter_errors(body)][:MAX_BODY_PROBLEMS]
        raise body_refused(problems, counted_all=read < _MAX_ERRORS_READ)


def body_refused(problems: list[dict[str, str]], counted_all: bool = True) -> Invalid:
    """The 422 for a body with these ``problems`` (each ``{"field", "message"}``, in the order
    the schema names them: a field's own faults before missing ones): the first
    ``MAX_BODY_PROBLEMS`` listed, the message naming the first and counting the rest."""
    first = problems[0]
    more = len(problems) - 1
    message = f"{first['field'] or 'the request body'} {first['message']}"
    if more:
        count = f"{more}" if counted_all else f"{more} or more"
        message += f" (and {count} other problem{'s' if more != 1 else ''} in the request body)"
    return Invalid(message, field=first["field"] or None, problems=problems[:MAX_BODY_PROBLEMS])


def _problem(path: str, message: str) -> dict[str, str]:
    return {"field": shorten(path, 100), "message": shorten(message, MAX_PROBLEM_MESSAGE)}


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _listed(values: Any) -> str:
    return shorten(", ".join("null" if v is None else str(v) for v in values), MAX_PROBLEM_MESSAGE - 20)


def _problems(error) -> list[dict[str, str]]:
    """What one jsonschema error says to a client: where, and what the field must be."""
    path = json_path(error.absolute_path)
    instance, value, keyword = error.instance, error.validator_value, error.validator
    if keyword == "required":
        return [_problem(_join(path, name), "is required") for name in value
                if isinstance(instance, dict) and name not in instance]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        return [_problem(_join(path, str(name)), "is not a field of this request (unknown field)")
                for name in instance if name not in known]
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted if w != "null")
        if "null" in wanted:
            words += " or null"
        got = _JSON_TYPES.get(type(instance), "something else")
        return [_problem(path, f"must be {words}, got {got}")]
    if keyword == "enum":
        return [_problem(path, f"must be one of {_listed(value)}")]
    if keyword in _BOUNDS:
        shape, measured = _BOUNDS[keyword]
        bound = "at least" if keyword.startswith("min") else "at most"
        got = f"{len(instance):,}" if measured else shorten(instance, 40)
        return [_problem(path, shape.format(bound=bound, value=value) + f", got {got}")]
    if keyword == "format":
        return [_problem(path, f"must be {_FORMAT_WORDS.get(value, value)}")]
    if keyword == "pattern":
        return [_problem(path, f"must match the pattern {value}")]
    if keyword in ("anyOf", "oneOf"):
        shapes = error.schema.get("description") or "one of the forms the document gives for it"
        return [_problem(path, f"must be {shapes}")]
    return [_problem(path, shorten(error.message, MAX_PROBLEM_MESSAGE))]


def request_body() -> Any:
    """The request's JSON body as sent; no body at all is an empty object.

    :raise UnsupportedMediaType: (415) for a body that is not sent as JSON.
    :raise UnprocessableEntity: (422, ``piaa.input_bounds``) for JSON that cannot be read.
    """
    sent = request._get_current_object()  # once: each look-up through the proxy costs a few us
    if not sent.is_json:
        if sent.content_length or sent.get_data(cache=True):
            raise UnsupportedMediaType("send the body as JSON (Content-Type: application/json)")
        return {}
    if not sent.get_data(cache=True):
        return {}
    return sent.get_json()


def check_request_body(schema: BodySchema, max_bytes: int | None = None) -> None:
    """:raise Invalid: if the request's body breaks the operation's documented ``schema``.
    :raise RequestEntityTooLarge: (413) for a body over ``max_bytes``, before it is read."""
    if max_bytes is not None:
        request.max_content_length = max_bytes
    schema.check(request_body())
