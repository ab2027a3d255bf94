"""Slider items: pick a number on a scale from ``lower`` to ``upper`` in steps of ``step``
(QTI slider interaction).

The key is the right value; only it earns credit, unless a ``mapping`` gives values their own
credit (``piaa.items.types.mapping``, keyed by the value written as a number: ``"14"``,
``"2.5"``), as QTI's map_response over an integer or float response does: then a near value
can earn part of the credit. The candidate's control is a native range input, which arrow
keys, Page Up/Down, Home and End move and screen readers read out.
"""
from __future__ import annotations

import math
from typing import Any

from piaa.errors import Invalid
from piaa.items.types import mapping as weights
from piaa.items.types.base import ItemType, problem

MAX_STOPS = 10_000


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def value_name(value: float) -> str:
    """A value as the mapping names it: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def stops(content: dict[str, Any]) -> list[float]:
    """Every value the slider can take."""
    lower, upper, step = content["lower"], content["upper"], content["step"]
    count = int(round((upper - lower) / step))
    return [round(lower + n * step, 10) for n in range(count + 1)]


class Slider(ItemType):
    name = "slider"
    authored_in_form = False
    label, label_hi = "Slider", "स्लाइडर"
    interaction = "slider"
    type_fields = ("lower", "upper", "step", "key", "mapping")
    defaults = {"step": 1}
    qti_interaction, qti_cardinality, qti_base_type = "qti-slider-interaction", "single", "float"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = []
        lower, upper, step = content.get("lower"), content.get("upper"), content.get("step")
        for name, value in (("lower", lower), ("upper", upper), ("step", step)):
            if not _number(value):
                found.append(problem(name, f"must be a number, got {value!r}"))
        if found:
            return found
        if upper <= lower:
            return [problem("upper", f"must be above lower ({lower}), got {upper}")]
        if step <= 0 or (upper - lower) / step > MAX_STOPS:
            return [problem("step", f"must be above 0 and give at most {MAX_STOPS} stops, got {step}")]
        if not math.isclose((upper - lower) / step, round((upper - lower) / step), abs_tol=1e-9):
            found.append(problem("step", f"must divide {upper} - {lower} into whole steps, got {step}"))
            return found
        values = stops(content)
        key = content.get("key")
        if not _number(key) or not any(math.isclose(key, v, abs_tol=1e-9) for v in values):
            found.append(problem("key", f"must be one of the slider's values {lower}..{upper} by {step}, got {key!r}"))
        found += weights.check_mapping(content, [value_name(v) for v in values], 1)
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {"lower": content["lower"], "upper": content["upper"], "step": content["step"]}

    @classmethod
    def check_answer(cls, content, answer):
        if isinstance(answer, str):
            try:
                answer = float(answer)
            except ValueError:
                pass
        if not _number(answer):
            raise Invalid(f"answer must be a number, got {answer!r}", field="answer")
        match = next((v for v in stops(content) if math.isclose(answer, v, abs_tol=1e-9)), None)
        if match is None:
            raise Invalid(f"answer {answer!r} is not a value of the slider ({content['lower']} to "
                          f"{content['upper']} by {content['step']})", field="answer")
        return int(match) if float(match).is_integer() else match

    @classmethod
    def credit(cls, content, answer):
        if content.get("mapping"):
            return weights.credit(content["mapping"], [value_name(answer)],
                                  [value_name(v) for v in stops(content)], 1)
        return 1.0 if math.isclose(answer, content["key"], abs_tol=1e-9) else 0.0
