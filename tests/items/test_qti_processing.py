"""The QTI expression and processing interpreter (piaa.items.qti_processing).

Expected values come from the worked examples in the 1EdTech QTI 3.0 ASI Information Model
(and QTI 2.1, whose expression definitions 3.0 keeps) where the specification gives one, and
otherwise from hand computation written beside the assertion.
"""
from __future__ import annotations

import numpy as np
import pytest

from piaa.items import qti_processing as qp
from piaa.items.qti_processing import NULL, ProcessingRefused, Value

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


def item(declarations: str, rules: str = "", templates: str = "") -> str:
    template = f"<qti-template-processing>{templates}</qti-template-processing>" if templates else ""
    processing = f"<qti-response-processing>{rules}</qti-response-processing>" if rules else ""
    return (f'<qti-assessment-item xmlns="{NS}">{declarations}'
            '<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>'
            f"{template}{processing}</qti-assessment-item>")


def value_of(expression: str, declarations: str = "", responses: dict | None = None,
             cardinality: str = "single") -> Value:
    """The value ``expression`` gives, by setting it into an outcome RESULT."""
    source = item(declarations + f'<qti-outcome-declaration identifier="RESULT" cardinality="{cardinality}"/>',
                  f'<qti-set-outcome-value identifier="RESULT">{expression}</qti-set-outcome-value>')
    processor = qp.Processor(source)
    return processor.outcomes(responses or {})["RESULT"]


def base(value, base_type="float") -> str:
    return f'<qti-base-value base-type="{base_type}">{value}</qti-base-value>'


def op(tag: str, *operands: str, **attributes: str) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f"<qti-{tag}{attrs}>{''.join(operands)}</qti-{tag}>"


NULL_EXPR = "<qti-null/>"
MAPPED = ('<qti-response-declaration identifier="R" cardinality="{card}" base-type="identifier">'
          '<qti-mapping default-value="0"><qti-map-entry map-key="A" mapped-value="0"/>'
          '<qti-map-entry map-key="B" mapped-value="1"/><qti-map-entry map-key="C" mapped-value="0.5"/>'
          '<qti-map-entry map-key="D" mapped-value="0"/></qti-mapping></qti-response-declaration>')


# --- reference values -----------------------------------------------------------------------

@pytest.mark.parametrize("cardinality, response, expected", [
    # The specification's mapResponse example: {A, B, C, D} -> {0, 1, 0.5, 0}; C maps to 0.5,
    # {C, B} to 1.5, and {B, B, C} still to 1.5 (a value counts once).
    ("single", ("C",), 0.5),
    ("multiple", ("C", "B"), 1.5),
    ("multiple", ("B", "B", "C"), 1.5),
])
def test_map_response_follows_the_specifications_example(cardinality, response, expected):
    declarations = MAPPED.format(card=cardinality)
    given = qp.make(cardinality, "identifier", list(response))
    assert value_of('<qti-map-response identifier="R"/>', declarations, {"R": given}).data == expected


def test_map_response_keeps_within_the_bounds():
    declarations = ('<qti-response-declaration identifier="R" cardinality="multiple" base-type="identifier">'
                    '<qti-mapping default-value="-1" lower-bound="0" upper-bound="1.5">'
                    '<qti-map-entry map-key="A" mapped-value="1"/><qti-map-entry map-key="B" mapped-value="1"/>'
                    '</qti-mapping></qti-response-declaration>')
    # hand: A + B = 2 -> upper bound 1.5; A + X + Y = 1 - 1 - 1 = -1 -> lower bound 0
    assert value_of('<qti-map-response identifier="R"/>', declarations,
                    {"R": qp.make("multiple", "identifier", ["A", "B"])}).data == 1.5
    assert value_of('<qti-map-response identifier="R"/>', declarations,
                    {"R": qp.make("multiple", "identifier", ["A", "X", "Y"])}).data == 0.0


@pytest.mark.parametrize("x, expected", [
    # QTI's round: n + 0.5 rounds up to n + 1, so round(6.5) = 7 and round(-6.5) = -6
    # (ASI, "round"); 6.49 -> 6 and -6.51 -> -7 by the same rule.
    (6.8, 7), (6.5, 7), (6.49, 6), (-6.5, -6), (-6.51, -7),
])
def test_round_rounds_halves_up(x, expected):
    found = value_of(op("round", base(x)))
    assert found.data == expected and found.base_type == "integer"


@pytest.mark.parametrize("x, mode, figures, expected", [
    # hand: 3.14159 to 2 decimal places; 1234.5 to 3 significant figures; 0.0012345 to 2
    # significant figures; 2.5 to 0 decimal places (a half rounds up); 3.175 to 2 places is
    # 3.18 as written although the binary double is 3.17499...
    (3.14159, "decimalPlaces", 2, 3.14), (1234.5, "significantFigures", 3, 1230.0),
    (0.0012345, "significantFigures", 2, 0.0012), (2.5, "decimalPlaces", 0, 3.0),
    (3.175, "decimalPlaces", 2, 3.18),
])
def test_round_to(x, mode, figures, expected):
    assert value_of(op("round-to", base(x), rounding_mode=mode, figures=figures)).data == pytest.approx(expected)


def test_truncate_goes_towards_zero():
    # hand: truncate(6.8) = 6, truncate(-6.8) = -6
    assert value_of(op("truncate", base(6.8))).data == 6
    assert value_of(op("truncate", base(-6.8))).data == -6


@pytest.mark.parametrize("x, y, divide, modulus", [
    # integerDivide rounds x / y down (ASI: the greatest integer i with i <= x / y);
    # integerModulus is x - z * y with z that quotient. hand: 7 / 2 -> 3 rem 1;
    # -7 / 2 -> -4 rem 1; 7 / -2 -> -4 rem -1.
    (7, 2, 3, 1), (-7, 2, -4, 1), (7, -2, -4, -1),
])
def test_integer_divide_and_modulus(x, y, divide, modulus):
    assert value_of(op("integer-divide", base(x, "integer"), base(y, "integer"))).data == divide
    assert value_of(op("integer-modulus", base(x, "integer"), base(y, "integer"))).data == modulus


def test_arithmetic_keeps_integers_integers_and_division_is_float():
    total = value_of(op("sum", base(2, "integer"), base(3, "integer")))
    assert (total.data, total.base_type) == (5, "integer")
    mixed = value_of(op("sum", base(2, "integer"), base(0.5)))
    assert (mixed.data, mixed.base_type) == (2.5, "float")
    # hand: (2 * 3 * 4) = 24; 10 - 4 = 6; 7 / 2 = 3.5; 2 ^ 10 = 1024
    assert value_of(op("product", base(2, "integer"), base(3, "integer"), base(4, "integer"))).data == 24
    assert value_of(op("subtract", base(10, "integer"), base(4, "integer"))).data == 6
    half = value_of(op("divide", base(7, "integer"), base(2, "integer")))
    assert (half.data, half.base_type) == (3.5, "float")
    assert value_of(op("power", base(2, "integer"), base(10, "integer"))).data == 1024.0


@pytest.mark.parametrize("mode, tolerance, y, lower, upper, expected", [
    # absolute: y within [x - t0, x + t1]; hand, x = 10
    ("absolute", "0.5", 10.5, "true", "true", True),
    ("absolute", "0.5", 10.5, "true", "false", False),
    ("absolute", "0.5 1", 9.4, "true", "true", False),
    ("absolute", "0.5 1", 11.0, "true", "true", True),
    # relative: y within [x (1 - t0 / 100), x (1 + t1 / 100)]; hand, x = 10, 5 % -> [9.5, 10.5]
    ("relative", "5", 9.5, "true", "true", True),
    ("relative", "5", 10.6, "true", "true", False),
    ("exact", "", 10.0, "true", "true", True),
])
def test_equal_with_tolerance(mode, tolerance, y, lower, upper, expected):
    attributes = dict(tolerance_mode=mode, include_lower_bound=lower, include_upper_bound=upper)
    if tolerance:
        attributes["tolerance"] = tolerance
    assert value_of(op("equal", base(10), base(y), **attributes)).data is expected


def test_equal_rounded():
    # hand: 3.14159 and 3.1449 are both 3.14 to 3 significant figures, 3.15 is not
    assert value_of(op("equal-rounded", base(3.14159), base(3.1449), figures="3")).data is True
    assert value_of(op("equal-rounded", base(3.14159), base(3.15), figures="3")).data is False


def test_containers_and_their_operators():
    multiple = op("multiple", base("A", "identifier"), base("B", "identifier"), base("A", "identifier"))
    ordered = op("ordered", base("A", "identifier"), base("B", "identifier"), base("C", "identifier"))
    assert value_of(op("container-size", multiple)).data == 3
    assert value_of(op("member", base("B", "identifier"), multiple)).data is True
    assert value_of(op("index", ordered, n="2")).data == "B"
    assert value_of(op("index", ordered, n="4")).null  # out of range is NULL
    assert value_of(op("delete", base("A", "identifier"), multiple), cardinality="multiple").data == ("B",)
    # multiple compares as a bag, ordered as a sequence
    assert value_of(op("match", multiple, op("multiple", base("B", "identifier"), base("A", "identifier"),
                                             base("A", "identifier")))).data is True
    assert value_of(op("match", ordered, op("ordered", base("A", "identifier"), base("C", "identifier"),
                                            base("B", "identifier")))).data is False
    # contains: an ordered container holds a sub-sequence only when it is contiguous
    assert value_of(op("contains", ordered, op("ordered", base("B", "identifier"), base("C", "identifier")))).data
    assert not value_of(op("contains", ordered, op("ordered", base("A", "identifier"), base("C", "identifier")))).data


def test_strings():
    assert value_of(op("string-match", base("York", "string"), base("york", "string"), case_sensitive="false")).data
    assert not value_of(op("string-match", base("York", "string"), base("york", "string"), case_sensitive="true")).data
    assert value_of(op("substring", base("ork", "string"), base("New York", "string"))).data
    assert value_of(op("pattern-match", base("AB-123", "string"), pattern="[A-Z]{2}-[0-9]{3}")).data
    assert not value_of(op("pattern-match", base("AB-1234", "string"), pattern="[A-Z]{2}-[0-9]{3}")).data


def test_statistics_and_min_max():
    numbers = op("ordered", *(base(x, "integer") for x in (2, 4, 4, 4, 5, 5, 7, 9)))
    # hand: mean 40 / 8 = 5; population variance 32 / 8 = 4, so popSD = 2;
    # sample variance 32 / 7
    assert value_of(op("stats-operator", numbers, name="mean")).data == 5.0
    assert value_of(op("stats-operator", numbers, name="popSD")).data == pytest.approx(2.0)
    assert value_of(op("stats-operator", numbers, name="sampleVariance")).data == pytest.approx(32 / 7)
    assert value_of(op("min", numbers)).data == 2 and value_of(op("max", numbers)).data == 9
    assert value_of(op("gcd", base(12, "integer"), base(18, "integer"))).data == 6
    assert value_of(op("lcm", base(4, "integer"), base(6, "integer"))).data == 12


def test_map_response_point_counts_each_area_once():
    declarations = ('<qti-response-declaration identifier="R" cardinality="multiple" base-type="point">'
                    '<qti-area-mapping default-value="0"><qti-area-map-entry shape="circle" coords="10,10,5" '
                    'mapped-value="2"/><qti-area-map-entry shape="rect" coords="50,50,60,60" mapped-value="1"/>'
                    '</qti-area-mapping></qti-response-declaration>')
    # hand: (12, 10) and (10, 13) both fall in the circle (counted once: 2); (55, 59) in the
    # rectangle (1); total 3
    points = qp.make("multiple", "point", [(12, 10), (10, 13), (55, 59)])
    assert value_of('<qti-map-response-point identifier="R"/>', declarations, {"R": points}).data == 3.0


# --- NULL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    (op("and", base("false", "boolean"), NULL_EXPR), False),   # false wins over NULL
    (op("and", base("true", "boolean"), NULL_EXPR), None),     # otherwise NULL
    (op("or", base("true", "boolean"), NULL_EXPR), True),      # true wins over NULL
    (op("or", base("false", "boolean"), NULL_EXPR), None),
    (op("not", NULL_EXPR), None),
    (op("match", NULL_EXPR, base("A", "identifier")), None),
    (op("sum", base(1), NULL_EXPR), None),
    (op("gt", base(1), NULL_EXPR), None),
    (op("divide", base(1), base(0)), None),                    # division by zero is NULL
    (op("is-null", NULL_EXPR), True),
    (op("is-null", op("multiple")), True),                     # an empty container is NULL
    (op("container-size", NULL_EXPR), 0),
])
def test_null_semantics(expression, expected):
    found = value_of(expression)
    assert (None if found.null else found.data) == expected


def test_a_null_test_takes_no_branch_but_the_else():
    declarations = '<qti-response-declaration identifier="R" cardinality="single" base-type="identifier"/>'
    rules = ('<qti-response-condition><qti-response-if><qti-match><qti-variable identifier="R"/>'
             + base("A", "identifier") + '</qti-match><qti-set-outcome-value identifier="SCORE">' + base(1)
             + '</qti-set-outcome-value></qti-response-if><qti-response-else><qti-set-outcome-value '
             'identifier="SCORE">' + base(0.25) + '</qti-set-outcome-value></qti-response-else>'
             '</qti-response-condition>')
    processor = qp.Processor(item(declarations, rules))
    assert processor.score({}) == 0.25  # R unanswered: the match is NULL, not true
    assert processor.score({"R": Value("single", "identifier", "A")}) == 1.0


def test_an_unanswered_response_is_null_and_set_outcomes_take_their_declared_type():
    declarations = ('<qti-response-declaration identifier="R" cardinality="single" base-type="integer"/>'
                    '<qti-outcome-declaration identifier="N" cardinality="single" base-type="float"/>')
    processor = qp.Processor(item(declarations, '<qti-set-outcome-value identifier="N">'
                                                + base(3, "integer") + "</qti-set-outcome-value>"))
    found = processor.outcomes({})["N"]
    assert (found.data, found.base_type) == (3.0, "float") and isinstance(found.data, float)


# --- refusals ----------------------------------------------------------------------------------

def test_an_unknown_expression_is_refused_with_its_name_and_line():
    source = item('<qti-response-declaration identifier="R" cardinality="single" base-type="float"/>',
                  '<qti-set-outcome-value identifier="SCORE">\n<qti-custom-operator class="x">'
                  '<qti-variable identifier="R"/></qti-custom-operator></qti-set-outcome-value>')
    with pytest.raises(ProcessingRefused, match=r"qti-custom-operator \(line 2\)"):
        qp.Processor(source)


def test_an_unknown_rule_is_refused_with_its_name_and_line():
    source = item("", "\n\n<qti-set-something identifier='SCORE'/>")
    with pytest.raises(ProcessingRefused, match=r"qti-set-something \(line 3\)"):
        qp.Processor(source)


def test_random_values_are_refused_in_response_processing():
    source = item("", '<qti-set-outcome-value identifier="SCORE"><qti-random-integer min="0" max="1"/>'
                      "</qti-set-outcome-value>")
    with pytest.raises(ProcessingRefused, match="draws a random value while scoring"):
        qp.Processor(source)


# --- rules and templates --------------------------------------------------------------------------

def test_exit_response_stops_the_rules():
    rules = ('<qti-set-outcome-value identifier="SCORE">' + base(2) + "</qti-set-outcome-value>"
             "<qti-exit-response/>"
             '<qti-set-outcome-value identifier="SCORE">' + base(5) + "</qti-set-outcome-value>")
    assert qp.Processor(item("", rules)).score({}) == 2.0


def test_lookup_outcome_value_reads_the_interpolation_table():
    declarations = ('<qti-outcome-declaration identifier="GRADE" cardinality="single" base-type="identifier">'
                    '<qti-interpolation-table default-value="F">'
                    '<qti-interpolation-table-entry source-value="8" target-value="A"/>'
                    '<qti-interpolation-table-entry source-value="5" include-boundary="false" target-value="B"/>'
                    "</qti-interpolation-table></qti-outcome-declaration>")
    for points, grade in ((9, "A"), (8, "A"), (6, "B"), (5, "F")):  # hand: >= 8 A, > 5 B, else F
        rules = (f'<qti-lookup-outcome-value identifier="GRADE">{base(points)}</qti-lookup-outcome-value>')
        assert qp.Processor(item(declarations, rules)).outcomes({})["GRADE"].data == grade


MODEL = item(
    '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="integer"/>'
    '<qti-template-declaration identifier="A" cardinality="single" base-type="integer"/>'
    '<qti-template-declaration identifier="B" cardinality="single" base-type="integer"/>',
    '<qti-response-condition><qti-response-if><qti-match><qti-variable identifier="RESPONSE"/>'
    '<qti-correct identifier="RESPONSE"/></qti-match><qti-set-outcome-value identifier="SCORE">'
    + base(1) + '</qti-set-outcome-value></qti-response-if></qti-response-condition>',
    '<qti-set-template-value identifier="A"><qti-random-integer min="1" max="1000000"/></qti-set-template-value>'
    '<qti-set-template-value identifier="B"><qti-random-integer min="1" max="9"/></qti-set-template-value>'
    '<qti-template-constraint><qti-gt><qti-variable identifier="B"/>' + base(5, "integer") + "</qti-gt>"
    "</qti-template-constraint>"
    '<qti-set-correct-response identifier="RESPONSE"><qti-sum><qti-variable identifier="A"/>'
    '<qti-variable identifier="B"/></qti-sum></qti-set-correct-response>')


def test_an_item_model_draws_reproducibly_and_scores_on_its_instance():
    processor = qp.Processor(MODEL)
    first = processor.draw(np.random.default_rng([11, 3]))
    again = processor.draw(np.random.default_rng([11, 3]))
    other = processor.draw(np.random.default_rng([12, 3]))
    assert qp.instance_to_json(first) == qp.instance_to_json(again)
    assert first.templates["A"] != other.templates["A"]
    assert first.templates["B"].data > 5  # the constraint holds
    right = first.templates["A"].data + first.templates["B"].data
    assert first.correct["RESPONSE"].data == right
    assert processor.score({"RESPONSE": Value("single", "integer", right)}, first) == 1.0
    assert processor.score({"RESPONSE": Value("single", "integer", right)}, other) == 0.0
    # stored and read back, the instance scores the same
    stored = qp.instance_from_json(qp.instance_to_json(first))
    assert processor.score({"RESPONSE": Value("single", "integer", right)}, stored) == 1.0


def test_an_unsatisfiable_constraint_falls_back_to_the_defaults():
    source = item('<qti-template-declaration identifier="A" cardinality="single" base-type="integer">'
                  "<qti-default-value><qti-value>4</qti-value></qti-default-value></qti-template-declaration>",
                  templates='<qti-set-template-value identifier="A"><qti-random-integer min="1" max="3"/>'
                            '</qti-set-template-value><qti-template-constraint><qti-gt><qti-variable '
                            'identifier="A"/>' + base(3, "integer") + "</qti-gt></qti-template-constraint>")
    assert qp.Processor(source).draw(np.random.default_rng(1)).templates["A"].data == 4


def test_the_standard_templates_run_as_their_rules():
    declarations = ('<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">'
                    "<qti-correct-response><qti-value>B</qti-value></qti-correct-response>"
                    "</qti-response-declaration>")
    source = item(declarations).replace(
        "</qti-assessment-item>", '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/'
        'v3p0/rptemplates/match_correct.xml"/></qti-assessment-item>')
    processor = qp.Processor(source)
    assert processor.score({"RESPONSE": Value("single", "identifier", "B")}) == 1.0
    assert processor.score({"RESPONSE": Value("single", "identifier", "A")}) == 0.0
    assert processor.score({}) == 0.0
    assert NULL.null


def test_stored_processing_with_a_document_type_is_refused():
    source = '<!DOCTYPE x [<!ENTITY big "many">]>' + item("", '<qti-set-outcome-value identifier="SCORE">'
                                                            + base(1) + "</qti-set-outcome-value>")
    with pytest.raises(ProcessingRefused, match="document type"):
        qp.Processor(source)


def test_the_interpreter_and_item_models_stand_alone():
    """Pure modules: importable with nothing of Flask, SQLAlchemy or the rest of piaa."""
    import subprocess
    import sys

    code = ("import sys, piaa.items.qti_processing, piaa.items.item_models; "
            "bad = sorted(m for m in sys.modules if m.startswith(('flask', 'sqlalchemy')) or "
            "(m.startswith('piaa') and m not in ('piaa', 'piaa.items', 'piaa.items.qti_processing', "
            "'piaa.items.item_models'))); print(bad); sys.exit(1 if bad else 0)")
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stdout + done.stderr
