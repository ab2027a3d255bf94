"""QTI response and template processing, run as the item's author wrote it.

An imported QTI item whose scoring is not one of the standard templates keeps its declarations
and its ``qti-response-processing`` (and, for an item model, its ``qti-template-processing``);
PIAA scores a response by running those rules here. Nothing is guessed: an expression or rule
this module does not know is refused when the item is read, with its name and line
(``ProcessingRefused``).

Values follow the QTI 3.0 information model (``Value``): a cardinality (single, multiple,
ordered, record), a base type (identifier, string, boolean, integer, float, pair, directedPair,
point, ...) and the data, ``None`` being NULL. An empty container is NULL too (QTI 3.0 §
"NULL values"). Operators propagate NULL as the specification says: most give NULL when an
operand is NULL; ``and`` is false when any operand is false, else NULL when one is NULL;
``or`` is true when any operand is true, else NULL when one is NULL; ``isNull`` and
``containerSize`` test it.

Template processing draws an item *instance* (``Processor.draw``) from a ``numpy`` generator
passed in: template values, correct responses and defaults it sets. The instance is plain data
(``instance_to_json`` / ``instance_from_json``) so that the scored instance can be stored with
the attempt and shown again.

Pure: no Flask, no database.

References: 1EdTech QTI 3.0 Assessment, Section and Item Information Model (ASI), sections on
expressions, response processing and template processing; QTI 2.1 Final, same sections.
"""
from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
from lxml import etree

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
NUMERIC = ("integer", "float")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          remove_comments=True, remove_pis=True)
# Template processing that keeps failing its constraints falls back to the declared defaults
# after this many tries, as QTI 3.0 (templateConstraint) says a delivery system may.
MAX_CONSTRAINT_TRIES = 100


def parse(source: str | bytes) -> etree._Element:
    """Stored or imported QTI XML, read without entities, DTDs or network access.

    :raise ProcessingRefused: if it declares a document type (nothing PIAA stores does).
    :raise etree.XMLSyntaxError: if it is not well-formed.
    """
    data = source.encode() if isinstance(source, str) else source
    if b"<!DOCTYPE" in data[:2000].upper():
        raise ProcessingRefused("the QTI text declares a document type, which PIAA does not read")
    return etree.fromstring(data, _PARSER)


class ProcessingRefused(Exception):
    """The processing uses something this interpreter does not run; the message names it and
    its line."""


class ExitProcessing(Exception):
    """``exitResponse`` / ``exitTemplate``: stop the rules here."""


@dataclass(frozen=True)
class Value:
    """One QTI value. ``data`` is a scalar (single), a tuple (multiple, ordered), a dict
    (record) or None (NULL). Pairs are tuples of two identifiers, points tuples of two ints."""

    cardinality: str = "single"
    base_type: str | None = None
    data: Any = None

    @property
    def null(self) -> bool:
        return self.data is None or (self.cardinality != "single" and len(self.data) == 0)

    def items(self) -> tuple:
        """The values held: one for a single value, the members of a container, none for NULL."""
        if self.null:
            return ()
        return (self.data,) if self.cardinality == "single" else tuple(self.data)


NULL = Value()


def _name(element) -> str:
    if not isinstance(element.tag, str):
        return ""
    qname = etree.QName(element)
    return qname.localname if qname.namespace == QTI3_NS else ""


def _elements(element) -> list:
    return [c for c in element if isinstance(c.tag, str) and _name(c)]


def _where(element) -> str:
    return f"{_name(element) or etree.QName(element).localname} (line {element.sourceline})"


# --- parsing values ------------------------------------------------------------------------------

def parse_scalar(text: str, base_type: str | None) -> Any:
    """A value written in a QTI document (``qti-value``, ``qti-base-value``) as Python data.

    :raise ValueError: if the text is not a value of ``base_type``.
    """
    text = (text or "").strip()
    if base_type == "integer":
        return int(text)
    if base_type == "float":
        return float(text)
    if base_type == "boolean":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{text!r} is not a boolean")
        return text.lower() in ("true", "1")
    if base_type in ("pair", "directedPair"):
        parts = text.split()
        if len(parts) != 2:
            raise ValueError(f"{text!r} is not a pair of identifiers")
        return tuple(sorted(parts)) if base_type == "pair" else tuple(parts)
    if base_type == "point":
        x, y = text.split()
        return (int(x), int(y))
    return text


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def make(cardinality: str, base_type: str | None, values: list) -> Value:
    """A value of ``cardinality`` holding ``values`` (NULL when there are none)."""
    if not values:
        return Value(cardinality, base_type, None)
    if cardinality == "single":
        return Value("single", base_type, values[0])
    return Value(cardinality, base_type, tuple(values))


def value_to_json(value: Value) -> dict[str, Any]:
    return {"cardinality": value.cardinality, "base_type": value.base_type,
            "values": [_scalar_text(v) for v in value.items()]}


def value_from_json(data: dict[str, Any]) -> Value:
    return make(data["cardinality"], data["base_type"],
                [parse_scalar(v, data["base_type"]) for v in data["values"]])


# --- declarations --------------------------------------------------------------------------------

@dataclass
class Declaration:
    """A response, outcome or template variable as the item declares it."""

    identifier: str
    kind: str                         # response | outcome | template
    cardinality: str
    base_type: str | None
    default: Value = NULL
    correct: Value = NULL
    mapping: dict[Any, tuple[float, bool]] | None = None   # key -> (value, case sensitive)
    mapping_default: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None
    area_mapping: list[tuple[str, list[float], float]] | None = None
    area_default: float = 0.0
    lookup: Callable[[Any], Any] | None = None
    normal_maximum: float | None = None
    math_variable: bool = False


def _values_of(element, declaration: Declaration) -> Value:
    values = []
    for v in element:
        if _name(v) == "qti-value":
            try:
                values.append(parse_scalar(v.text, v.get("base-type") or declaration.base_type))
            except ValueError as exc:
                raise ProcessingRefused(f"{exc} in {_where(v)}") from None
    return make(declaration.cardinality, declaration.base_type, values)


def _lookup_table(element, base_type: str | None) -> Callable[[Any], Any] | None:
    for table in _elements(element):
        name = _name(table)
        if name not in ("qti-match-table", "qti-interpolation-table"):
            continue
        default_text = table.get("default-value")
        default = parse_scalar(default_text, base_type) if default_text is not None else None
        if name == "qti-match-table":
            entries = {int(e.get("source-value")): parse_scalar(e.get("target-value"), base_type)
                       for e in _elements(table)}
            return lambda x, entries=entries, default=default: entries.get(x, default)
        rows = [(float(e.get("source-value")), e.get("include-boundary", "true") == "true",
                 parse_scalar(e.get("target-value"), base_type)) for e in _elements(table)]

        def interpolate(x, rows=rows, default=default):
            for bound, inclusive, target in rows:
                if x > bound or (inclusive and x == bound):
                    return target
            return default
        return interpolate
    return None


def _declaration(element) -> Declaration:
    kind = _name(element).split("-")[1]
    declaration = Declaration(element.get("identifier", ""), kind, element.get("cardinality", "single"),
                              element.get("base-type"),
                              math_variable=element.get("math-variable") == "true")
    for child in _elements(element):
        name = _name(child)
        if name == "qti-default-value":
            declaration.default = _values_of(child, declaration)
        elif name == "qti-correct-response":
            declaration.correct = _values_of(child, declaration)
        elif name == "qti-mapping":
            declaration.mapping = {}
            for entry in _elements(child):
                try:
                    key = parse_scalar(entry.get("map-key", ""), declaration.base_type)
                except ValueError as exc:
                    raise ProcessingRefused(f"{exc} in {_where(entry)}") from None
                declaration.mapping[key] = (float(entry.get("mapped-value", "0")),
                                            entry.get("case-sensitive", "true") != "false")
            declaration.mapping_default = float(child.get("default-value", "0"))
            declaration.lower_bound = _optional_float(child.get("lower-bound"))
            declaration.upper_bound = _optional_float(child.get("upper-bound"))
        elif name == "qti-area-mapping":
            declaration.area_mapping = [
                (e.get("shape", "default"), [float(c) for c in (e.get("coords") or "").replace(" ", "").split(",") if c],
                 float(e.get("mapped-value", "0"))) for e in _elements(child)]
            declaration.area_default = float(child.get("default-value", "0"))
            declaration.lower_bound = _optional_float(child.get("lower-bound"))
            declaration.upper_bound = _optional_float(child.get("upper-bound"))
    if kind == "outcome":
        declaration.lookup = _lookup_table(element, declaration.base_type)
        declaration.normal_maximum = _optional_float(element.get("normal-maximum"))
    return declaration


def _optional_float(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


# --- the known vocabulary --------------------------------------------------------------------------

RESPONSE_RULES = ("qti-response-condition", "qti-response-if", "qti-response-else-if", "qti-response-else",
                  "qti-set-outcome-value", "qti-exit-response", "qti-lookup-outcome-value",
                  "qti-response-processing-fragment")
TEMPLATE_RULES = ("qti-template-condition", "qti-template-if", "qti-template-else-if", "qti-template-else",
                  "qti-set-template-value", "qti-set-correct-response", "qti-set-default-value",
                  "qti-template-constraint", "qti-exit-template")


def _number(value: Value) -> float | int:
    return value.data


def _all_numbers(values: list[Value]) -> list:
    return [x for v in values for x in v.items()]


def _numeric_type(values: list[Value]) -> str:
    return "integer" if all(v.base_type == "integer" for v in values) else "float"


def _round_half_up(x: float) -> int:
    # QTI's round: n + 0.5 rounded down (so -6.5 gives -6), not Python's banker's rounding.
    return math.floor(x + 0.5)


def _round_to(x: float, mode: str, figures: int) -> float:
    """``roundTo`` / ``equalRounded``: half away from zero, to significant figures or decimal places."""
    if x == 0 or not math.isfinite(x):
        return x
    places = figures if mode == "decimalPlaces" else figures - 1 - math.floor(math.log10(abs(x)))
    scaled = abs(x) * 10 ** places
    # repr-based nudge so that 1.005 * 100 = 100.49999... still rounds as written (to 1.01)
    scaled = float(f"{scaled:.10g}")
    return math.copysign(math.floor(scaled + 0.5) / 10 ** places, x)


def _inside(shape: str, coords: list[float], point: tuple[int, int]) -> bool:
    x, y = point
    if shape == "default":
        return True
    if shape == "rect":
        left, top, right, bottom = coords
        return left <= x <= right and top <= y <= bottom
    if shape == "circle":
        cx, cy, r = coords
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if shape == "ellipse":
        cx, cy, rx, ry = coords
        return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
    if shape == "poly":
        points = list(zip(coords[0::2], coords[1::2]))
        inside = False
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
        return inside
    raise ProcessingRefused(f"unknown shape {shape!r}")


MATH_FUNCTIONS: dict[str, Callable[..., float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
    "atan": math.atan, "atan2": math.atan2, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
    "sec": lambda x: 1 / math.cos(x), "csc": lambda x: 1 / math.sin(x), "cot": lambda x: 1 / math.tan(x),
    "log": math.log10, "ln": math.log, "exp": math.exp, "abs": abs, "signum": lambda x: (x > 0) - (x < 0),
    "floor": math.floor, "ceil": math.ceil, "toDegrees": math.degrees, "toRadians": math.radians,
    "asec": lambda x: math.acos(1 / x), "acsc": lambda x: math.asin(1 / x), "acot": lambda x: math.atan(1 / x),
    "sech": lambda x: 1 / math.cosh(x), "csch": lambda x: 1 / math.sinh(x), "coth": lambda x: 1 / math.tanh(x),
}


def _tolerances(text: str | None, scope: "_Scope") -> list[float]:
    parts = (text or "0").split()
    found = []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):  # a template variable's value
            found.append(float(scope.lookup(part[1:-1]).data))
        else:
            found.append(float(part))
    return found if len(found) == 2 else found * 2


def _attribute_number(element, name: str, scope: "_Scope", default: float | None = None) -> float:
    """An attribute that may name a template variable (``{N}`` or ``N``) instead of a number."""
    text = element.get(name)
    if text is None:
        if default is None:
            raise ProcessingRefused(f"{_where(element)} has no {name}")
        return default
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        value = scope.lookup(text.strip("{}"))
        if value.null:
            raise ProcessingRefused(f"{_where(element)}: {name} names {text}, which is NULL") from None
        return float(value.data)


# --- evaluation --------------------------------------------------------------------------------------

@dataclass
class _Scope:
    """The variables while rules run, and the randomness template processing draws from."""

    declarations: dict[str, Declaration]
    values: dict[str, Value]
    correct: dict[str, Value]
    defaults: dict[str, Value]
    rng: np.random.Generator | None = None

    def lookup(self, identifier: str) -> Value:
        if identifier not in self.values:
            raise ProcessingRefused(f"the variable {identifier!r} is not declared")
        return self.values[identifier]


def evaluate(element, scope: _Scope) -> Value:
    """The value of one expression element."""
    name = _name(element)
    try:
        operator = OPERATORS[name]
    except KeyError:
        raise ProcessingRefused(f"the expression {_where(element)} is not one PIAA runs") from None
    return operator(element, [evaluate(e, scope) for e in _elements(element)]
                    if name not in LAZY else [], scope)


def _base_value(element, _args, _scope) -> Value:
    base_type = element.get("base-type")
    try:
        return Value("single", base_type, parse_scalar(element.text, base_type))
    except ValueError as exc:
        raise ProcessingRefused(f"{exc} in {_where(element)}") from None


def _variable(element, _args, scope) -> Value:
    return scope.lookup(element.get("identifier", ""))


def _correct(element, _args, scope) -> Value:
    identifier = element.get("identifier", "")
    if identifier not in scope.correct:
        raise ProcessingRefused(f"{_where(element)} names {identifier!r}, which is not a response")
    return scope.correct[identifier]


def _default(element, _args, scope) -> Value:
    return scope.defaults.get(element.get("identifier", ""), NULL)


def _declared(element, scope) -> Declaration:
    identifier = element.get("identifier", "")
    declaration = scope.declarations.get(identifier)
    if declaration is None:
        raise ProcessingRefused(f"{_where(element)} names {identifier!r}, which is not declared")
    return declaration


def _bounded(total: float, declaration: Declaration) -> float:
    if declaration.lower_bound is not None:
        total = max(total, declaration.lower_bound)
    if declaration.upper_bound is not None:
        total = min(total, declaration.upper_bound)
    return total


def _map_response(element, _args, scope) -> Value:
    declaration = _declared(element, scope)
    if declaration.mapping is None:
        raise ProcessingRefused(f"{_where(element)}: {declaration.identifier} has no mapping")
    response = scope.lookup(declaration.identifier)
    if response.null and declaration.cardinality == "single":
        return Value("single", "float", _bounded(declaration.mapping_default, declaration))
    total = 0.0
    # Each distinct value counts once (QTI: {B, B, C} maps as {B, C}).
    for value in dict.fromkeys(response.items()):
        total += _mapped(declaration, value)
    return Value("single", "float", _bounded(total, declaration))


def _mapped(declaration: Declaration, value: Any) -> float:
    if value in declaration.mapping:
        return declaration.mapping[value][0]
    if isinstance(value, str):
        for key, (mapped, case_sensitive) in declaration.mapping.items():
            if not case_sensitive and isinstance(key, str) and key.casefold() == value.casefold():
                return mapped
    return declaration.mapping_default


def _map_response_point(element, _args, scope) -> Value:
    declaration = _declared(element, scope)
    if declaration.area_mapping is None:
        raise ProcessingRefused(f"{_where(element)}: {declaration.identifier} has no area mapping")
    total = 0.0
    points = scope.lookup(declaration.identifier).items()
    for shape, coords, mapped in declaration.area_mapping:
        # An area counts once however many points fall in it.
        if any(_inside(shape, coords, p) for p in points):
            total += mapped
    if not points:
        total = declaration.area_default
    return Value("single", "float", _bounded(total, declaration))


def _null_if_any(function):
    def operator(element, args, scope):
        if any(a.null for a in args):
            return NULL
        return function(element, args, scope)
    return operator


def _boolean(result: bool) -> Value:
    return Value("single", "boolean", bool(result))


@_null_if_any
def _match(element, args, _scope) -> Value:
    a, b = args
    if a.cardinality == "multiple" or b.cardinality == "multiple":
        return _boolean(Counter(a.items()) == Counter(b.items()))
    return _boolean(a.items() == b.items())


@_null_if_any
def _member(element, args, _scope) -> Value:
    return _boolean(args[0].data in args[1].items())


@_null_if_any
def _contains(element, args, _scope) -> Value:
    whole, part = args
    if whole.cardinality == "ordered":
        n, sub = len(part.items()), part.items()
        return _boolean(any(whole.items()[i:i + n] == sub for i in range(len(whole.items()) - n + 1)))
    held = Counter(whole.items())
    return _boolean(all(held[k] >= n for k, n in Counter(part.items()).items()))


def _is_null(element, args, _scope) -> Value:
    return _boolean(args[0].null)


def _and(element, args, _scope) -> Value:
    if any(not a.null and a.data is False for a in args):
        return _boolean(False)
    return NULL if any(a.null for a in args) else _boolean(True)


def _or(element, args, _scope) -> Value:
    if any(not a.null and a.data is True for a in args):
        return _boolean(True)
    return NULL if any(a.null for a in args) else _boolean(False)


@_null_if_any
def _not(element, args, _scope) -> Value:
    return _boolean(not args[0].data)


@_null_if_any
def _equal(element, args, scope) -> Value:
    x, y = float(args[0].data), float(args[1].data)
    mode = element.get("tolerance-mode", "exact")
    if mode == "exact":
        return _boolean(x == y)
    t0, t1 = _tolerances(element.get("tolerance"), scope)
    if mode == "absolute":
        low, high = x - t0, x + t1
    elif mode == "relative":
        low, high = x * (1 - t0 / 100), x * (1 + t1 / 100)
    else:
        raise ProcessingRefused(f"{_where(element)}: tolerance-mode {mode!r} is not exact, absolute or relative")
    low, high = min(low, high), max(low, high)
    above = y >= low if element.get("include-lower-bound", "true") == "true" else y > low
    below = y <= high if element.get("include-upper-bound", "true") == "true" else y < high
    return _boolean(above and below)


@_null_if_any
def _equal_rounded(element, args, scope) -> Value:
    mode = element.get("rounding-mode", "significantFigures")
    figures = int(_attribute_number(element, "figures", scope))
    return _boolean(_round_to(float(args[0].data), mode, figures) == _round_to(float(args[1].data), mode, figures))


def _compare(test):
    @_null_if_any
    def operator(element, args, _scope):
        return _boolean(test(args[0].data, args[1].data))
    return operator


def _arithmetic(function, integer_result: bool | None = None):
    @_null_if_any
    def operator(element, args, _scope):
        numbers = _all_numbers(args)
        if not numbers:
            return NULL
        result = function(numbers)
        if result is None or (isinstance(result, float) and not math.isfinite(result)):
            return NULL
        kind = ("integer" if integer_result else "float") if integer_result is not None else _numeric_type(args)
        return Value("single", kind, int(result) if kind == "integer" else float(result))
    return operator


def _divide(numbers):
    return None if numbers[1] == 0 else numbers[0] / numbers[1]


def _power(numbers):
    try:
        return float(numbers[0]) ** float(numbers[1])
    except (OverflowError, ZeroDivisionError, ValueError):
        return None


def _integer_divide(numbers):
    return None if numbers[1] == 0 else numbers[0] // numbers[1]


def _integer_modulus(numbers):
    return None if numbers[1] == 0 else numbers[0] % numbers[1]


@_null_if_any
def _round(element, args, _scope) -> Value:
    return Value("single", "integer", _round_half_up(float(args[0].data)))


@_null_if_any
def _truncate(element, args, _scope) -> Value:
    return Value("single", "integer", math.trunc(float(args[0].data)))


@_null_if_any
def _round_to_op(element, args, scope) -> Value:
    mode = element.get("rounding-mode", "significantFigures")
    return Value("single", "float", _round_to(float(args[0].data), mode, int(_attribute_number(element, "figures", scope))))


@_null_if_any
def _integer_to_float(element, args, _scope) -> Value:
    return Value("single", "float", float(args[0].data))


def _container(cardinality: str):
    def operator(element, args, _scope):
        members = [x for a in args for x in a.items()]
        base_type = next((a.base_type for a in args if not a.null), None)
        return make(cardinality, base_type, members)
    return operator


def _container_size(element, args, _scope) -> Value:
    return Value("single", "integer", len(args[0].items()))


@_null_if_any
def _index(element, args, scope) -> Value:
    n = int(_attribute_number(element, "n", scope))
    items = args[0].items()
    return Value("single", args[0].base_type, items[n - 1]) if 1 <= n <= len(items) else NULL


@_null_if_any
def _delete(element, args, _scope) -> Value:
    gone, container = args
    return make(container.cardinality, container.base_type, [x for x in container.items() if x != gone.data])


@_null_if_any
def _string_match(element, args, _scope) -> Value:
    a, b = str(args[0].data), str(args[1].data)
    if element.get("case-sensitive", "true") == "false":
        a, b = a.casefold(), b.casefold()
    return _boolean(b in a if element.get("substring") == "true" else a == b)


@_null_if_any
def _pattern_match(element, args, scope) -> Value:
    pattern = element.get("pattern", "")
    if pattern.startswith("{") and pattern.endswith("}"):
        pattern = str(scope.lookup(pattern[1:-1]).data)
    try:
        return _boolean(re.fullmatch(pattern, str(args[0].data)) is not None)
    except re.error:
        raise ProcessingRefused(f"{_where(element)}: pattern {pattern!r} is not a regular expression") from None


@_null_if_any
def _substring(element, args, _scope) -> Value:
    a, b = str(args[0].data), str(args[1].data)
    if element.get("case-sensitive", "true") == "false":
        a, b = a.casefold(), b.casefold()
    return _boolean(a in b)


def _min_max(function):
    @_null_if_any
    def operator(element, args, _scope):
        numbers = _all_numbers(args)
        kind = _numeric_type(args)
        return Value("single", kind, (int if kind == "integer" else float)(function(numbers)))
    return operator


@_null_if_any
def _gcd(element, args, _scope) -> Value:
    return Value("single", "integer", math.gcd(*[int(x) for x in _all_numbers(args)]))


@_null_if_any
def _lcm(element, args, _scope) -> Value:
    numbers = [int(x) for x in _all_numbers(args)]
    return Value("single", "integer", 0 if 0 in numbers else math.lcm(*numbers))


@_null_if_any
def _field_value(element, args, _scope) -> Value:
    record = args[0].data or {}
    found = record.get(element.get("field-identifier", ""))
    return found if isinstance(found, Value) else NULL


def _null(element, args, _scope) -> Value:
    return NULL


def _any_n(element, args, scope) -> Value:
    low, high = int(_attribute_number(element, "min", scope)), int(_attribute_number(element, "max", scope))
    true = sum(1 for a in args if not a.null and a.data is True)
    unknown = sum(1 for a in args if a.null)
    if low <= true <= high and unknown == 0:
        return _boolean(True)
    if true > high or true + unknown < low:
        return _boolean(False)
    return NULL if unknown else _boolean(low <= true <= high)


@_null_if_any
def _math_operator(element, args, _scope) -> Value:
    name = element.get("name", "")
    if name not in MATH_FUNCTIONS:
        raise ProcessingRefused(f"{_where(element)}: math operator {name!r} is not one PIAA runs")
    try:
        result = MATH_FUNCTIONS[name](*[float(a.data) for a in args])
    except (ValueError, ZeroDivisionError, OverflowError):
        return NULL
    if name in ("signum", "floor", "ceil"):
        return Value("single", "integer", int(result))
    return Value("single", "float", float(result)) if math.isfinite(result) else NULL


def _math_constant(element, args, _scope) -> Value:
    constants = {"pi": math.pi, "e": math.e}
    name = element.get("name", "")
    if name not in constants:
        raise ProcessingRefused(f"{_where(element)}: math constant {name!r} is not pi or e")
    return Value("single", "float", constants[name])


@_null_if_any
def _stats(element, args, _scope) -> Value:
    numbers = [float(x) for x in args[0].items()]
    name = element.get("name", "")
    try:
        result = {"mean": statistics.fmean, "sampleVariance": statistics.variance,
                  "sampleSD": statistics.stdev, "popVariance": statistics.pvariance,
                  "popSD": statistics.pstdev}[name](numbers)
    except KeyError:
        raise ProcessingRefused(f"{_where(element)}: statistic {name!r} is not one PIAA runs") from None
    except statistics.StatisticsError:
        return NULL
    return Value("single", "float", float(result))


def _repeat(element, _args, scope) -> Value:
    times = int(_attribute_number(element, "number-repeats", scope))
    members: list = []
    base_type = None
    for _ in range(times):
        for child in _elements(element):
            value = evaluate(child, scope)
            base_type = base_type or value.base_type
            members += value.items()
    return make("ordered", base_type, members)


@_null_if_any
def _inside_op(element, args, _scope) -> Value:
    coords = [float(c) for c in (element.get("coords") or "").replace(" ", "").split(",") if c]
    return _boolean(any(_inside(element.get("shape", "default"), coords, p) for p in args[0].items()))


def _random(element, args, scope) -> Value:
    items = args[0].items()
    if not items:
        return NULL
    return Value("single", args[0].base_type, items[int(_rng(element, scope).integers(len(items)))])


def _random_integer(element, _args, scope) -> Value:
    low = int(_attribute_number(element, "min", scope, 0))
    high = int(_attribute_number(element, "max", scope))
    step = int(_attribute_number(element, "step", scope, 1))
    if high < low or step < 1:
        raise ProcessingRefused(f"{_where(element)}: no integer from {low} to {high} in steps of {step}")
    return Value("single", "integer", low + step * int(_rng(element, scope).integers((high - low) // step + 1)))


def _random_float(element, _args, scope) -> Value:
    low = _attribute_number(element, "min", scope, 0.0)
    high = _attribute_number(element, "max", scope)
    return Value("single", "float", float(_rng(element, scope).uniform(low, high)))


def _rng(element, scope) -> np.random.Generator:
    if scope.rng is None:
        raise ProcessingRefused(f"{_where(element)} draws a random value outside template processing")
    return scope.rng


OPERATORS: dict[str, Callable[[Any, list[Value], _Scope], Value]] = {
    "qti-base-value": _base_value, "qti-variable": _variable, "qti-correct": _correct,
    "qti-default": _default, "qti-map-response": _map_response, "qti-map-response-point": _map_response_point,
    "qti-match": _match, "qti-member": _member, "qti-contains": _contains, "qti-is-null": _is_null,
    "qti-and": _and, "qti-or": _or, "qti-not": _not, "qti-any-n": _any_n,
    "qti-equal": _equal, "qti-equal-rounded": _equal_rounded,
    "qti-gt": _compare(lambda a, b: a > b), "qti-gte": _compare(lambda a, b: a >= b),
    "qti-lt": _compare(lambda a, b: a < b), "qti-lte": _compare(lambda a, b: a <= b),
    "qti-sum": _arithmetic(sum), "qti-product": _arithmetic(math.prod),
    "qti-subtract": _arithmetic(lambda n: n[0] - n[1]), "qti-divide": _arithmetic(_divide, False),
    "qti-power": _arithmetic(_power, False), "qti-integer-divide": _arithmetic(_integer_divide, True),
    "qti-integer-modulus": _arithmetic(_integer_modulus, True),
    "qti-round": _round, "qti-truncate": _truncate, "qti-round-to": _round_to_op,
    "qti-integer-to-float": _integer_to_float,
    "qti-min": _min_max(min), "qti-max": _min_max(max), "qti-gcd": _gcd, "qti-lcm": _lcm,
    "qti-multiple": _container("multiple"), "qti-ordered": _container("ordered"),
    "qti-container-size": _container_size, "qti-index": _index, "qti-delete": _delete,
    "qti-string-match": _string_match, "qti-pattern-match": _pattern_match, "qti-substring": _substring,
    "qti-field-value": _field_value, "qti-null": _null, "qti-math-operator": _math_operator,
    "qti-math-constant": _math_constant, "qti-stats-operator": _stats, "qti-repeat": _repeat,
    "qti-inside": _inside_op, "qti-random": _random, "qti-random-integer": _random_integer,
    "qti-random-float": _random_float,
}
BUILT_IN = frozenset(("numAttempts", "duration"))
# Operators that evaluate their own operands (repeat runs them once per repetition).
LAZY = frozenset(("qti-repeat",))


# --- rules -------------------------------------------------------------------------------------------

def _coerce(value: Value, declaration: Declaration) -> Value:
    """A value as the variable it is stored in declares it (an integer set into a float outcome
    is a float; a single value set into a container variable is a container of one)."""
    if value.null:
        return Value(declaration.cardinality, declaration.base_type, None)
    items = list(value.items())
    if declaration.base_type == "float":
        items = [float(x) for x in items]
    elif declaration.base_type == "integer" and all(isinstance(x, float) and x.is_integer() for x in items):
        items = [int(x) for x in items]
    cardinality = declaration.cardinality if declaration.cardinality != "record" else value.cardinality
    return make(cardinality, declaration.base_type or value.base_type, items)


def _run(rules: list, scope: _Scope) -> None:
    for rule in rules:
        name = _name(rule)
        if name in ("qti-response-condition", "qti-template-condition"):
            for branch in _elements(rule):
                parts = _elements(branch)
                if _name(branch).endswith("-else"):
                    _run(parts, scope)
                    break
                test = evaluate(parts[0], scope)
                if not test.null and test.data is True:
                    _run(parts[1:], scope)
                    break
        elif name in ("qti-set-outcome-value", "qti-set-template-value"):
            declaration = _declared(rule, scope)
            scope.values[declaration.identifier] = _coerce(evaluate(_elements(rule)[0], scope), declaration)
        elif name == "qti-lookup-outcome-value":
            declaration = _declared(rule, scope)
            source = evaluate(_elements(rule)[0], scope)
            if declaration.lookup is None:
                raise ProcessingRefused(f"{_where(rule)}: {declaration.identifier} has no lookup table")
            found = declaration.lookup(source.data) if not source.null else None
            scope.values[declaration.identifier] = make(declaration.cardinality, declaration.base_type,
                                                        [] if found is None else [found])
        elif name == "qti-set-correct-response":
            declaration = _declared(rule, scope)
            scope.correct[declaration.identifier] = _coerce(evaluate(_elements(rule)[0], scope), declaration)
        elif name == "qti-set-default-value":
            declaration = _declared(rule, scope)
            scope.defaults[declaration.identifier] = _coerce(evaluate(_elements(rule)[0], scope), declaration)
        elif name == "qti-template-constraint":
            test = evaluate(_elements(rule)[0], scope)
            if test.null or test.data is not True:
                raise _ConstraintFailed()
        elif name in ("qti-exit-response", "qti-exit-template"):
            raise ExitProcessing()
        elif name == "qti-response-processing-fragment":
            _run(_elements(rule), scope)
        else:
            raise ProcessingRefused(f"the rule {_where(rule)} is not one PIAA runs")


class _ConstraintFailed(Exception):
    pass


RANDOM = frozenset(("qti-random", "qti-random-integer", "qti-random-float"))


def check_rules(processing, allowed: tuple[str, ...]) -> None:
    """Refuse, naming it and its line, the first rule or expression this module does not run.
    Random values are drawn only in template processing: a score must be the same each time
    the same response is scored.

    :raise ProcessingRefused: if ``processing`` uses one.
    """
    def expression(element) -> None:
        name = _name(element)
        if name not in OPERATORS:
            raise ProcessingRefused(f"the expression {_where(element)} is not one PIAA runs")
        if name in RANDOM and allowed is RESPONSE_RULES:
            raise ProcessingRefused(f"{_where(element)} draws a random value while scoring, so the same "
                                    "response could score differently")
        if name in ("qti-math-operator",) and element.get("name") not in MATH_FUNCTIONS:
            raise ProcessingRefused(f"{_where(element)}: math operator {element.get('name')!r} is not one PIAA runs")
        for child in element:
            if isinstance(child.tag, str):
                expression(child)

    def rules(items) -> None:
        for rule in items:
            if not isinstance(rule.tag, str):
                continue
            name = _name(rule)
            if name not in allowed:
                raise ProcessingRefused(f"the rule {_where(rule)} is not one PIAA runs")
            parts = [c for c in rule if isinstance(c.tag, str)]
            if name.endswith("-condition") or name.endswith("-else") or \
                    name == "qti-response-processing-fragment":
                rules(parts)
            elif name.endswith(("-if", "-else-if")):
                if not parts:
                    raise ProcessingRefused(f"{_where(rule)} has no test")
                expression(parts[0])
                rules(parts[1:])
            else:
                for child in parts:
                    expression(child)

    rules(list(processing))


def _set_score(expression: str) -> str:
    return f'<qti-set-outcome-value identifier="SCORE">{expression}</qti-set-outcome-value>'


_ZERO = '<qti-base-value base-type="float">0</qti-base-value>'
_NULL_TEST = '<qti-is-null><qti-variable identifier="RESPONSE"/></qti-is-null>'
# The standard response processing templates of QTI 3.0 (rptemplates), as their rules.
STANDARD_TEMPLATES = {
    "match_correct": (
        '<qti-response-condition><qti-response-if><qti-match><qti-variable identifier="RESPONSE"/>'
        '<qti-correct identifier="RESPONSE"/></qti-match>'
        + _set_score('<qti-base-value base-type="float">1</qti-base-value>')
        + '</qti-response-if><qti-response-else>' + _set_score(_ZERO)
        + '</qti-response-else></qti-response-condition>'),
    "map_response": (
        f'<qti-response-condition><qti-response-if>{_NULL_TEST}{_set_score(_ZERO)}</qti-response-if>'
        '<qti-response-else>' + _set_score('<qti-map-response identifier="RESPONSE"/>')
        + '</qti-response-else></qti-response-condition>'),
    "map_response_point": (
        f'<qti-response-condition><qti-response-if>{_NULL_TEST}{_set_score(_ZERO)}</qti-response-if>'
        '<qti-response-else>' + _set_score('<qti-map-response-point identifier="RESPONSE"/>')
        + '</qti-response-else></qti-response-condition>'),
}
TEMPLATE_ALIASES = {"cc2_match": "match_correct", "cc2_match_basic": "match_correct",
                    "cc2_map_response": "map_response"}


def template_name(template: str) -> str | None:
    """The standard template (``match_correct``, ``map_response``, ``map_response_point``) a
    URL names in any of its forms: only the last path segment counts, with or without
    ``.xml``; None for any other."""
    last = re.sub(r"\.xml$", "", template.strip().rstrip("/").rsplit("/", 1)[-1], flags=re.IGNORECASE).lower()
    name = TEMPLATE_ALIASES.get(last, last)
    return name if name in STANDARD_TEMPLATES else None


def standard_rules(template: str):
    """The ``qti-response-processing`` element of the standard template ``template`` names,
    else None."""
    rules = STANDARD_TEMPLATES.get(template_name(template) or "")
    if rules is None:
        return None
    return etree.fromstring(f'<qti-response-processing xmlns="{QTI3_NS}">{rules}</qti-response-processing>')


# --- the item's processing ---------------------------------------------------------------------------

@dataclass
class Instance:
    """One drawn instance of an item model: its template values, and the correct responses
    and defaults its template processing set."""

    templates: dict[str, Value] = field(default_factory=dict)
    correct: dict[str, Value] = field(default_factory=dict)
    defaults: dict[str, Value] = field(default_factory=dict)


def instance_to_json(instance: Instance) -> dict[str, Any]:
    return {part: {k: value_to_json(v) for k, v in getattr(instance, part).items()}
            for part in ("templates", "correct", "defaults")}


def instance_from_json(data: dict[str, Any] | None) -> Instance:
    data = data or {}
    return Instance(*({k: value_from_json(v) for k, v in (data.get(part) or {}).items()}
                      for part in ("templates", "correct", "defaults")))


class Processor:
    """An item's declarations and processing, ready to draw instances and score responses.

    ``source`` is the XML of a ``qti-assessment-item`` in QTI 3.0 names holding (at least) the
    declarations and the processing; the item body is not read.

    :raise ProcessingRefused: if the processing uses a rule or expression this module does not
        run, naming it and its line.
    """

    def __init__(self, source: str | bytes | etree._Element):
        root = source if isinstance(source, etree._Element) else parse(source)
        # The variables every item has without declaring them (QTI 3.0 "built-in variables"):
        # one submission per attempt in PIAA, its duration not measured per item.
        self.declarations: dict[str, Declaration] = {
            "numAttempts": Declaration("numAttempts", "response", "single", "integer", Value("single", "integer", 1)),
            "duration": Declaration("duration", "response", "single", "float", Value("single", "float", 0.0)),
        }
        for status in ("completionStatus", "completion_status"):
            self.declarations[status] = Declaration(status, "outcome", "single", "identifier",
                                                    Value("single", "identifier", "not_attempted"))
        for element in _elements(root):
            if _name(element) in ("qti-response-declaration", "qti-outcome-declaration",
                                  "qti-template-declaration"):
                declaration = _declaration(element)
                self.declarations[declaration.identifier] = declaration
        self.response_rules = self._rules(root, "qti-response-processing", RESPONSE_RULES)
        self.template_rules = self._rules(root, "qti-template-processing", TEMPLATE_RULES)

    @staticmethod
    def _rules(root, name: str, allowed: tuple[str, ...]) -> list:
        element = next((e for e in _elements(root) if _name(e) == name), None)
        if element is None:
            return []
        template = element.get("template") or element.get("template-location")
        if template:
            standard = standard_rules(template)
            if standard is None:
                raise ProcessingRefused(f"{_where(element)} names the template {template!r}, which is not "
                                        "match_correct, map_response or map_response_point")
            element = standard
        check_rules(element, allowed)
        return _elements(element)

    @property
    def templated(self) -> bool:
        return bool(self.template_rules)

    def _of(self, kind: str) -> dict[str, Declaration]:
        return {k: d for k, d in self.declarations.items() if d.kind == kind}

    def draw(self, rng: np.random.Generator) -> Instance:
        """An instance of the item model: its template processing run with ``rng``; while a
        template constraint fails it is run again, up to ``MAX_CONSTRAINT_TRIES`` times, after
        which the declared defaults stand (QTI 3.0, templateConstraint)."""
        for _ in range(MAX_CONSTRAINT_TRIES):
            scope = self._scope({}, None, rng)
            try:
                _run(self.template_rules, scope)
            except ExitProcessing:
                pass
            except _ConstraintFailed:
                continue
            templates = {k: scope.values[k] for k in self._of("template")}
            return Instance(templates, {k: v for k, v in scope.correct.items()
                                        if v != self.declarations[k].correct},
                            {k: v for k, v in scope.defaults.items() if v != self.declarations[k].default})
        return Instance({k: d.default for k, d in self._of("template").items()})

    def _scope(self, responses: dict[str, Value], instance: Instance | None,
               rng: np.random.Generator | None = None) -> _Scope:
        instance = instance or Instance()
        defaults = {k: d.default for k, d in self.declarations.items()}
        defaults.update(instance.defaults)
        values: dict[str, Value] = {}
        for identifier, declaration in self.declarations.items():
            if declaration.kind == "template":
                values[identifier] = instance.templates.get(identifier, defaults[identifier])
            elif declaration.kind == "outcome":
                values[identifier] = defaults[identifier] if not defaults[identifier].null else (
                    Value("single", declaration.base_type, 0 if declaration.base_type == "integer" else 0.0)
                    if declaration.base_type in NUMERIC and declaration.cardinality == "single"
                    else Value(declaration.cardinality, declaration.base_type, None))
            else:
                values[identifier] = responses.get(identifier, declaration.default if identifier in BUILT_IN
                                                   else Value(declaration.cardinality, declaration.base_type, None))
        correct = {k: d.correct for k, d in self.declarations.items() if d.kind == "response"}
        correct.update(instance.correct)
        return _Scope(self.declarations, values, correct, defaults, rng)

    def outcomes(self, responses: dict[str, Value], instance: Instance | None = None) -> dict[str, Value]:
        """Every outcome after running the response processing on ``responses`` (response
        identifier -> value; a response left out is NULL)."""
        scope = self._scope(responses, instance)
        try:
            _run(self.response_rules, scope)
        except ExitProcessing:
            pass
        return {k: scope.values[k] for k in self._of("outcome")}

    def score(self, responses: dict[str, Value], instance: Instance | None = None) -> float:
        """SCORE after running the response processing (0 when it is NULL)."""
        score = self.outcomes(responses, instance).get("SCORE", NULL)
        return 0.0 if score.null else float(score.data)

    def maximum(self, instance: Instance | None = None) -> float:
        """The most SCORE can be: its normal maximum, else MAXSCORE's default, else what the
        correct responses score (the instance's, for an item model)."""
        declared = self.declarations.get("SCORE")
        if declared is not None and declared.normal_maximum is not None:
            return declared.normal_maximum
        most = self.declarations.get("MAXSCORE")
        if most is not None and not most.default.null and most.base_type in NUMERIC:
            return float(most.default.data)
        correct = self.correct_responses(instance)
        found = self.score(correct, instance)
        if found > 0 or instance is None:
            return found
        # An item model compared with its own values: what the best of them scores.
        return self.score({**correct, **self.best_values(instance)}, instance)

    def best_values(self, instance: Instance, responses: list[str] | None = None) -> dict[str, Value]:
        """For the responses (default: all) the instance gives no correct response, the best of
        its values and of the values the processing compares with (``best_responses``)."""
        correct = self.correct_responses(instance)
        names = responses if responses is not None else [
            k for k, d in self.declarations.items() if d.kind == "response" and k not in BUILT_IN]
        unset = {r: self.instance_candidates(self.declarations[r], instance) + self.literals(self.declarations[r])
                 for r in names if r not in correct and r in self.declarations}
        found = {}
        for identifier, texts in self.best_responses(unset, instance).items():
            declaration = self.declarations[identifier]
            found[identifier] = make(declaration.cardinality, declaration.base_type,
                                     [parse_scalar(t, declaration.base_type) for t in texts])
        return found

    def instance_candidates(self, declaration: Declaration, instance: Instance | None) -> list[list[str]]:
        """An item model instance's template values a response of ``declaration`` could be
        given (a drawn answer compared with the response), as value texts."""
        if instance is None or declaration.cardinality != "single":
            return []
        fits = (NUMERIC,) if declaration.base_type in NUMERIC else ((declaration.base_type,),)
        return [[_scalar_text(v.data)] for v in instance.templates.values()
                if v.cardinality == "single" and not v.null and any(v.base_type in f for f in fits)]

    def literals(self, declaration: Declaration) -> list[list[str]]:
        """The single values of ``declaration``'s type the response processing writes."""
        kinds = NUMERIC if declaration.base_type in NUMERIC else (declaration.base_type,)
        found = []
        for rule in self.response_rules:
            for element in rule.iter(f"{{{QTI3_NS}}}qti-base-value"):
                if element.get("base-type") in kinds and (element.text or "").strip():
                    found.append([(element.text or "").strip()])
        return found if declaration.cardinality == "single" else []

    def best_responses(self, candidates: dict[str, list[list[str]]],
                       instance: Instance | None = None) -> dict[str, list[str]]:
        """For each response, the candidate (value texts) that the processing scores highest,
        found response by response with the others at their correct or best responses so far,
        until none changes; a response no candidate earns anything for is left out."""
        chosen = dict(self.correct_responses(instance))
        found: dict[str, list[str]] = {}
        for _ in range(len(candidates) + 1):
            changed = False
            for response_id, options in candidates.items():
                declaration = self.declarations[response_id]
                best, best_score = found.get(response_id), self.score(chosen, instance)
                for candidate in options:
                    try:
                        value = make(declaration.cardinality, declaration.base_type,
                                     [parse_scalar(t, declaration.base_type) for t in candidate])
                    except ValueError:
                        continue
                    score = self.score({**chosen, response_id: value}, instance)
                    if score > best_score + 1e-12:
                        best, best_score = candidate, score
                        chosen[response_id] = value
                if best is not None and best != found.get(response_id):
                    found[response_id], changed = best, True
            if not changed:
                break
        return found

    def correct_responses(self, instance: Instance | None = None) -> dict[str, Value]:
        scope = self._scope({}, instance)
        return {k: v for k, v in scope.correct.items() if not v.null}

    def response_value(self, identifier: str, answer: Any) -> Value:
        """A PIAA answer (an option id, a list of ids, [source, target] pairs, text, a number,
        true/false) as the QTI value of the response ``identifier``."""
        declaration = self.declarations[identifier]
        if answer is None or answer == "" or answer == []:
            return Value(declaration.cardinality, declaration.base_type, None)
        many = isinstance(answer, (list, tuple)) and declaration.base_type not in ("pair", "directedPair", "point") \
            or isinstance(answer, (list, tuple)) and answer and isinstance(answer[0], (list, tuple))
        values = list(answer) if many else [answer]
        if declaration.cardinality == "single" and len(values) > 1:
            raise ValueError(f"{identifier} takes one value, got {len(values)}")
        converted = [_answer_scalar(v, declaration.base_type) for v in values]
        return make(declaration.cardinality, declaration.base_type, converted)


_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def qti_identifier(identifier: str) -> str:
    """An XML name for ``identifier``; ``1`` travels as ``_1`` (the importer undoes it)."""
    return identifier if _NCNAME.match(identifier) else f"_{identifier}"


def piaa_identifier(identifier: str) -> str:
    """The inverse of ``qti_identifier``: identifiers that are not XML names (``1``, ``2a``)
    travel as ``_1``, ``_2a``."""
    if identifier.startswith("_") and identifier[1:2] and not re.match(r"[A-Za-z_]", identifier[1]):
        return identifier[1:]
    return identifier


def _answer_scalar(value: Any, base_type: str | None) -> Any:
    if base_type in ("pair", "directedPair"):
        pair = tuple(qti_identifier(str(v)) for v in value)
        return tuple(sorted(pair)) if base_type == "pair" else pair
    if base_type == "identifier":
        if isinstance(value, bool):
            return "true" if value else "false"
        return qti_identifier(str(value))
    if base_type == "integer":
        return int(value) if float(value).is_integer() else float(value)
    if base_type == "float":
        return float(value)
    if base_type == "boolean":
        return bool(value)
    if base_type == "point":
        return (int(value[0]), int(value[1]))
    return str(value)


@lru_cache(maxsize=512)
def processor(source: str) -> Processor:
    """The ``Processor`` of stored item XML, kept between scorings of the same item."""
    return Processor(source)
