"""Bounds on what a request may carry, so that malformed input is a 404 or a 422, never a 500.

* Whole numbers: the database stores 64-bit integers (SQLite raises OverflowError past
  2^63 - 1, PostgreSQL "bigint out of range"). A path's ``<int:...>`` beyond that matches no
  route (404); a JSON body holding one, or a number that is not finite, is refused (422).
* JSON: nested at most ``MAX_JSON_DEPTH`` deep (the parser would otherwise recurse until
  Python's stack runs out); a body that cannot be read is a 422 naming why.
* Text: no string in a JSON body may hold NUL (``\u0000``), which PostgreSQL text cannot
  store (SQLite can): refused (422) on both databases alike.
* What still slips through as a number out of range (a query string read by hand, a form),
  or as text holding NUL, is answered 422 by one error handler on both databases.
"""
from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import IntegerConverter, ValidationError

from piaa.errors import shorten

INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 64
NUMBER_OUT_OF_RANGE = "22003"  # SQLSTATE numeric_value_out_of_range (PostgreSQL)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` that matches only what a 64-bit column can hold."""

    def to_python(self, value: str) -> int:
        if len(value) > len(str(INT64_MAX)):
            raise ValidationError()
        number = super().to_python(value)
        if number > INT64_MAX:
            raise ValidationError()
        return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > len(str(INT64_MAX)) or not -INT64_MAX - 1 <= int(text) <= INT64_MAX:
        raise ValueError(f"the whole number {shorten(text, 40)} is out of range (at most 2^63 - 1)")
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {shorten(text, 40)} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _refuse_nul(value: Any) -> None:
    """PostgreSQL text cannot hold the NUL character (SQLite can): refuse it on both."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and "\x00" in node:
            raise ValueError("a string holds the NUL character (\\u0000), which text cannot hold")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading only numbers a database column can hold and bounded nesting."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_int", _bounded_int)
        kwargs.setdefault("parse_float", _finite_float)
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
        _check_depth(value)
        text = s if isinstance(s, str) else s.decode("utf-8", "replace")
        if "u0000" in text:  # only then can a string hold NUL (raw NUL is not JSON)
            _refuse_nul(value)
        return value


class BoundedRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not sent as JSON: Flask's own answer (415)
            return super().on_json_loading_failed(e)
        raise UnprocessableEntity(f"the body is not acceptable JSON: {shorten(e)}")


def is_number_out_of_range(exc: BaseException) -> bool:
    """An OverflowError, or the database refusing a number too large for its column."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == NUMBER_OUT_OF_RANGE


def is_text_with_nul(exc: BaseException) -> bool:
    """PostgreSQL's driver refusing text that holds NUL (read from a form or a query)."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError) and "NUL (0x00)" in str(exc.orig)


def init_input_bounds(app: Flask) -> None:
    """Bind the bounds to ``app``; before any route is added, so ``<int:...>`` is bounded."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)
    app.request_class = BoundedRequest
