"""The item-type registry: validation names fields, candidate views hide keys, scoring
follows the bank contract's formulas (credits worked out by hand in each test)."""
import json

import numpy as np
import pytest

from piaa.errors import Invalid
from piaa.items.types import ITEM_TYPES, Score, get_item_type
from tests.items.samples import ITEMS, item


def content_of(data):
    return get_item_type(data["type"]).from_bank_json(data)


def score(data, answer):
    return get_item_type(data["type"]).score(content_of(data), answer)


def fields(data, languages=("en", "hi")):
    kind = get_item_type(data["type"])
    return {p["field"] for p in kind.validate(kind.from_bank_json(data), languages)}


def test_registry_holds_every_contract_type():
    assert set(ITEM_TYPES) == {"single_choice", "multiple_response", "true_false", "text_entry",
                               "numeric_entry", "ordering", "situational_judgement", "likert",
                               "matching", "hotspot", "composite", "extended_text", "graphic_order",
                               "graphic_gap_match", "graphic_associate", "associate", "select_point", "slider",
                               "upload", "drawing"}
    for name, kind in ITEM_TYPES.items():
        # a composite holds several interactions, each its part's type's
        assert kind.name == name and (kind.qti_interaction.startswith("qti-") or name == "composite")


def test_unknown_type_names_the_known_ones():
    with pytest.raises(Invalid, match="unknown item type 'essay'.*single_choice"):
        get_item_type("essay")


@pytest.mark.parametrize("item_type", sorted(ITEMS))
def test_every_sample_is_valid(item_type):
    assert fields(ITEMS[item_type]) == set()


@pytest.mark.parametrize("item_type", sorted(ITEMS))
def test_bank_json_round_trip(item_type):
    data = ITEMS[item_type]
    kind = get_item_type(item_type)
    out = kind.to_bank_json(kind.from_bank_json(data))
    expected = {k: v for k, v in data.items() if k not in ("id", "competency", "level", "sub_area")}
    for key, value in kind.defaults.items():
        expected.setdefault(key, value)
    assert out == expected


@pytest.mark.parametrize("item_type", sorted(ITEMS))
@pytest.mark.parametrize("lang", ["en", "hi"])
def test_candidate_view_carries_no_key_credit_or_rationale(item_type, lang):
    data = ITEMS[item_type]
    view = get_item_type(item_type).candidate_view(content_of(data), lang, np.random.default_rng(1))
    text = json.dumps(view, ensure_ascii=False)
    for secret in ('"key"', '"credit"', '"rationale"', '"accepted"', '"tolerance"', "Section Officer\"",
                   "partial_credit", "case_sensitive", "The Section Officer signs"):
        if secret == "Section Officer\"" and item_type != "text_entry":
            continue
        assert secret not in text, f"{item_type} view leaks {secret}: {text}"
    assert view["type"] == item_type and view["stem"]
    assert view["lang"] == (lang if lang in data["stem"] else "en")


def test_candidate_view_uses_hindi_and_falls_back_to_english():
    hindi = get_item_type("single_choice").candidate_view(content_of(ITEMS["single_choice"]), "hi")
    assert hindi["stem"] == ITEMS["single_choice"]["stem"]["hi"]
    assert hindi["options"][1] == {"id": "B", "text": "Section Officer (हि)"}
    english_only = get_item_type("numeric_entry").candidate_view(content_of(ITEMS["numeric_entry"]), "hi")
    assert english_only["lang"] == "en" and english_only["unit"] == "days"


def test_stem_paragraphs_split_on_blank_lines():
    data = item("true_false", stem={"en": "First para\nsame para.\n\n  Second para.  "})
    view = get_item_type("true_false").candidate_view(content_of(data))
    assert view["stem_paragraphs"] == ["First para\nsame para.", "Second para."]


def test_ordering_is_shown_shuffled_never_in_key_order():
    data = ITEMS["ordering"]
    for seed in range(30):
        view = get_item_type("ordering").candidate_view(content_of(data), "en", np.random.default_rng(seed))
        ids = [o["id"] for o in view["options"]]
        assert sorted(ids) == ["A", "B", "C", "D"] and ids != data["key"]


# --- scoring ---------------------------------------------------------------------------------

def test_single_choice_scores_key_only():
    assert score(ITEMS["single_choice"], "B") == Score(1.0, 1.0, 1)
    assert score(ITEMS["single_choice"], "A") == Score(0.0, 1.0, 0)
    assert score(ITEMS["single_choice"], None) == Score(0.0, 1.0, 0)
    with pytest.raises(Invalid, match="one of the option ids A, B, C, got 'Z'"):
        score(ITEMS["single_choice"], "Z")


@pytest.mark.parametrize("answer, credit, category", [
    (["A", "B", "D"], 1.0, 1),        # all of the key
    (["A", "B"], 2 / 3, 0),           # 2 hits, 0 false picks, key of 3
    (["A", "B", "C"], 1 / 3, 0),      # 2 hits - 1 false pick
    (["C"], 0.0, 0),                  # max(0, 0 - 1)
    (["A", "B", "C", "D"], 2 / 3, 0), # 3 hits - 1 false pick
    ([], 0.0, 0),
])
def test_multiple_response_partial_credit_formula(answer, credit, category):
    result = score(ITEMS["multiple_response"], answer)
    assert result.credit == pytest.approx(credit) and result.category == category


def test_multiple_response_without_partial_credit_is_all_or_nothing():
    data = item("multiple_response", partial_credit=False)
    assert score(data, ["A", "B"]).credit == 0.0
    assert score(data, ["D", "B", "A"]).credit == 1.0
    with pytest.raises(Invalid, match="twice"):
        score(data, ["A", "A"])


def test_true_false_takes_booleans_or_their_ids():
    assert score(ITEMS["true_false"], True).credit == 1.0
    assert score(ITEMS["true_false"], "true").credit == 1.0
    assert score(ITEMS["true_false"], "false").credit == 0.0
    with pytest.raises(Invalid):
        score(ITEMS["true_false"], "yes")


@pytest.mark.parametrize("answer, credit", [
    ("Section Officer", 1.0), ("  section   OFFICER ", 1.0), ("so", 0.5), ("Under Secretary", 0.0),
])
def test_text_entry_accepts_with_case_and_space_rules(answer, credit):
    assert score(ITEMS["text_entry"], answer).credit == credit


def test_text_entry_case_sensitive_and_exact_spaces():
    data = item("text_entry", case_sensitive=True, collapse_spaces=False)
    assert score(data, "Section Officer").credit == 1.0
    assert score(data, "section officer").credit == 0.0
    assert score(data, "Section  Officer").credit == 0.0
    assert score(data, "SO").category == 0  # half credit is not the IRT "correct" category


def test_text_entry_matches_hindi_typed_decomposed():
    data = item("text_entry", accepted=[{"value": "अनुभाग अधिकारी", "credit": 1.0}])
    import unicodedata
    assert score(data, unicodedata.normalize("NFD", "अनुभाग  अधिकारी")).credit == 1.0


@pytest.mark.parametrize("answer, credit", [(30, 1.0), ("30", 1.0), ("30.0", 1.0), (31, 0.0), ("2,9", 0.0)])
def test_numeric_entry_exact(answer, credit):
    assert score(ITEMS["numeric_entry"], answer).credit == credit


def test_numeric_entry_tolerance_is_absolute_and_inclusive():
    data = item("numeric_entry", key=0.3, tolerance=0.05)
    assert score(data, 0.35).credit == 1.0       # at the edge
    assert score(data, 0.1 + 0.2).credit == 1.0  # representation error never costs credit
    assert score(data, 0.36).credit == 0.0
    assert score(item("numeric_entry", key=100000), "1,00,000").credit == 1.0  # Indian grouping
    for bad in ("thirty", "nan", "inf", True, [30]):
        with pytest.raises(Invalid) as refused:
            score(data, bad)
        # What to type, in plain words, about the answer box.
        assert (refused.value.message, refused.value.field) == ("Type a number, such as 12 or 3.5.", "answer")


@pytest.mark.parametrize("answer, credit", [
    (["A", "B", "C", "D"], 1.0), (["A", "B", "D", "C"], 0.5), (["B", "A", "D", "C"], 0.0),
    (["A", "C", "B", "D"], 0.5),
])
def test_ordering_partial_credit_is_share_of_positions_right(answer, credit):
    assert score(ITEMS["ordering"], answer).credit == credit


def test_ordering_without_partial_credit_and_incomplete_answers():
    data = item("ordering", partial_credit=False)
    assert score(data, ["A", "B", "D", "C"]).credit == 0.0
    with pytest.raises(Invalid, match="all 4 options"):
        score(data, ["A", "B"])


@pytest.mark.parametrize("item_type, answer, expected", [
    ("situational_judgement", "A", Score(2.0, 2.0, 2)), ("situational_judgement", "B", Score(1.0, 2.0, 1)),
    ("situational_judgement", "C", Score(0.0, 2.0, 0)), ("likert", "4", Score(3.0, 3.0, 3)),
    ("likert", "2", Score(1.0, 3.0, 1)), ("likert", None, Score(0.0, 3.0, 0)),
])
def test_polytomous_credit_is_the_category(item_type, answer, expected):
    assert score(ITEMS[item_type], answer) == expected


# --- validation names the field --------------------------------------------------------------

@pytest.mark.parametrize("item_type, changes, field", [
    ("single_choice", {"key": "Z"}, "key"),
    ("single_choice", {"options": [{"id": "A", "text": {"en": "only"}}]}, "options"),
    ("single_choice", {"stem": {"hi": "केवल हिंदी"}}, "stem.en"),
    ("single_choice", {"stem": {"en": "Which <b>one</b>?"}}, "stem.en"),
    ("single_choice", {"stem": {"en": "x", "ta": "y"}}, "stem.ta"),
    ("single_choice", {"rationale": {"en": " "}}, "rationale.en"),
    ("single_choice", {"feedback": [{"outcome": "FEEDBACK", "value": "x", "text": {}}]}, "feedback[0].text"),
    ("single_choice", {"feedback": [{"outcome": "FEEDBACK", "value": "x", "when": "soon",
                                     "text": {"en": "a"}}]}, "feedback[0].when"),
    ("single_choice", {"colour": "red"}, "colour"),
    ("single_choice", {"options": [{"id": "A", "text": {"en": "a", "hi": "अ"}},
                                   {"id": "A", "text": {"en": "b", "hi": "ब"}}], "key": "A"}, "options[1].id"),
    ("single_choice", {"options": [{"id": "A", "text": {"en": "a", "hi": "अ"}},
                                   {"id": "B", "text": {"en": "b"}}], "key": "A"}, "options[1].text.hi"),
    ("multiple_response", {"key": []}, "key"),
    ("multiple_response", {"key": ["A", "Q"]}, "key"),
    ("multiple_response", {"partial_credit": "yes"}, "partial_credit"),
    ("true_false", {"key": "true"}, "key"),
    ("text_entry", {"accepted": []}, "accepted"),
    ("text_entry", {"accepted": [{"value": "SO", "credit": 0.5}]}, "accepted"),
    ("text_entry", {"accepted": [{"value": "SO", "credit": 1.5}]}, "accepted[0].credit"),
    ("text_entry", {"accepted": [{"value": "SO", "credit": 1}, {"value": " so ", "credit": 0.5}]},
     "accepted[1].value"),
    ("numeric_entry", {"tolerance": -1}, "tolerance"),
    ("numeric_entry", {"key": "thirty"}, "key"),
    ("ordering", {"key": ["A", "B", "C"]}, "key"),
    ("situational_judgement", {"options": [{"id": "A", "text": {"en": "a"}, "credit": 0},
                                           {"id": "B", "text": {"en": "b"}, "credit": 2}]}, "options"),
    ("situational_judgement", {"key": "A"}, "key"),
    ("likert", {"options": [{"id": "A", "text": {"en": "a"}, "credit": 1.5},
                            {"id": "B", "text": {"en": "b"}, "credit": 0}]}, "options[0].credit"),
])
def test_validation_names_the_bad_field(item_type, changes, field):
    assert field in fields(item(item_type, **changes))


def test_languages_outside_the_bank_are_refused():
    assert "stem.hi" in fields(ITEMS["single_choice"], languages=("en",))


def test_ensure_valid_raises_with_every_problem():
    kind = get_item_type("single_choice")
    with pytest.raises(Invalid) as caught:
        kind.ensure_valid(kind.from_bank_json(item("single_choice", key="Z", rationale={"en": ""})))
    assert {p["field"] for p in caught.value.problems} == {"key", "rationale.en"}


def test_rationale_is_optional():
    """QTI never requires one; an imported item may come without (reviewers see it missing)."""
    kind = get_item_type("single_choice")
    assert kind.validate(kind.from_bank_json(item("single_choice", rationale=None))) == []
