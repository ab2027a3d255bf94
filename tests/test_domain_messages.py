"""Refusals that a person meets on a page or through the API are marked texts with values, so
that a page shows them in the reader's language and the API sends them filled in, in English.

The scan reads the source (no import, no request): every ``DomainError`` (or a subclass) raised
in a module of the web and API tiers must be given ``N_("... {name} ...")`` with ``values`` for
the placeholders, never an f-string or a joined string that the catalogue cannot hold. Pure
library code (``piaa.psychometrics``) and the command line's own messages are for developers
and are not scanned."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from piaa.errors import DomainError, Invalid, NotFound
from piaa.i18n import placeholders

PACKAGE = Path(__file__).resolve().parents[1] / "piaa"
# Developers' code: the numeric library, the command line, the demo's own set-up.
NOT_SCANNED = re.compile(r"^(psychometrics/|demo(_hindi)?\.py$|calibration/demo\.py$|.*cli\.py$)")


def error_classes() -> set[str]:
    """DomainError and every subclass defined anywhere in the package (by class name)."""
    names = {"DomainError"}
    trees = [ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")]
    grown = True
    while grown:
        grown = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        isinstance(base, ast.Name) and base.id in names for base in node.bases):
                    names.add(node.name)
                    grown = True
    return names


def scanned_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if not NOT_SCANNED.match(path.relative_to(PACKAGE).as_posix()))


def marked_text(node: ast.expr) -> str | None:
    """The text of ``N_("...")``, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_" \
            and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
        return node.args[0].value
    return None


def unmarked(node: ast.expr) -> bool:
    """A message the catalogue cannot hold: an f-string, or a text built by ``+`` or ``%``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return unmarked(node.left) or unmarked(node.right) or isinstance(node.left, ast.Constant)
    if isinstance(node, ast.IfExp):
        return unmarked(node.body) or unmarked(node.orelse)
    return False


def raised_messages(classes: set[str]):
    """(where, message node, call) of every construction of a domain error."""
    for path in scanned_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in classes:
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node.args[0], node


def test_the_scan_finds_the_errors_and_the_modules():
    classes = error_classes()
    assert {"DomainError", "Invalid", "Conflict", "NotFound", "Forbidden", "LaunchRefused"} <= classes
    found = list(raised_messages(classes))
    assert len(found) > 300  # the service refuses in a few hundred places
    modules = {where.split(":")[0] for where, _, _ in found}
    assert "piaa/delivery/attempts.py" in modules and not any("psychometrics/" in m for m in modules)


def test_the_scan_catches_an_unmarked_message():
    tree = ast.parse('raise Invalid(f"no window {window_id}")\n'
                     'raise Invalid("no rater " + str(rater_id))\n'
                     'raise Invalid(N_("no window {window_id}"), values={"window_id": 3})\n')
    messages = [node.exc.args[0] for node in tree.body]
    assert [unmarked(m) for m in messages] == [True, True, False]


# The imports whose row-level problems a page lists: each problem's message is a marked text,
# given with its values (``found_problem``, or a module's ``bad``/``report`` helper) so that the
# page shows it in the reader's language.
IMPORT_MODULES = ("items/services/competencies.py", "frac/positions.py", "calibration/parameter_files.py",
                  "reports/learners_file.py", "reports/services.py", "workplace/services.py",
                  "items/import_service.py", "items/bank_format.py", "items/importers/tabular.py")
# Where each helper takes the message: found_problem(template, ...), bad(field, message, ...),
# report(mask, field, template, shown) (or, before, a function of the cell giving the text), and
# the bank import's problem(message, file=..., values=...).
PROBLEM_HELPERS = {"found_problem": 0, "bad": 1, "report": 2, "problem": 0}


def unmarked_problems(tree: ast.AST) -> list[int]:
    """Lines of problems whose message the catalogue cannot hold: an f-string (or a text built
    by ``+``) as a problem's ``"message"``, or given to a helper that makes problems."""
    lines = []
    for node in ast.walk(tree):
        messages = []
        if isinstance(node, ast.Dict):
            messages = [v for k, v in zip(node.keys, node.values)
                        if isinstance(k, ast.Constant) and k.value == "message"]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in PROBLEM_HELPERS and len(node.args) > PROBLEM_HELPERS[name]:
                message = node.args[PROBLEM_HELPERS[name]]
                messages = [message.body if isinstance(message, ast.Lambda) else message]
        lines += [m.lineno for m in messages if unmarked(m)]
    return sorted(lines)


def test_the_problem_scan_catches_an_unmarked_problem_message():
    tree = ast.parse('problems.append({"row": 2, "message": f"{email} listed twice"})\n'
                     'bad("code", f"must be letters, got {code!r}")\n'
                     'report(mask, "learner", lambda v: f"learner {v} appears twice")\n'
                     'problems.append(found_problem(N_("{email} listed twice"), {"email": email}, row=2))\n'
                     'report(mask, "level", N_("not a level: {value}"), lambda v: {"value": v})\n')
    assert unmarked_problems(tree) == [1, 2, 3]


@pytest.mark.parametrize("module", IMPORT_MODULES)
def test_no_import_problem_is_an_unmarked_f_string(module):
    lines = unmarked_problems(ast.parse((PACKAGE / module).read_text()))
    assert not lines, f"mark these problems of piaa/{module} with found_problem(N_(\"... {{name}} ...\"), " \
                      f"values): lines {lines}"


def test_no_refusal_of_the_web_or_api_tiers_is_an_unmarked_f_string():
    found = [where for where, message, _ in raised_messages(error_classes()) if unmarked(message)]
    assert not found, "mark these with N_(\"... {name} ...\") and values={...}:\n" + "\n".join(found)


def test_a_plain_text_refusal_is_marked_for_the_catalogue():
    found = [where for where, message, _ in raised_messages(error_classes())
             if isinstance(message, ast.Constant) and isinstance(message.value, str)]
    assert not found, "mark these with N_(...):\n" + "\n".join(found)


def test_each_marked_refusal_gives_exactly_the_values_its_text_names():
    wrong = []
    for where, message, call in raised_messages(error_classes()):
        texts = [marked_text(message)] if marked_text(message) is not None else \
            [marked_text(m) for m in (message.body, message.orelse)] if isinstance(message, ast.IfExp) else []
        values = next((k.value for k in call.keywords if k.arg == "values"), None)
        if not texts or None in texts:
            continue
        if not isinstance(values, ast.Dict):
            # Without values a text is shown as written (its braces are a JSON example); values
            # built elsewhere are checked when the error is made.
            continue
        given = {k.value for k in values.keys}
        for text in texts:
            if set(placeholders(text)) - given:
                wrong.append(f"{where}: {text!r} names {sorted(set(placeholders(text)) - given)} "
                             f"that values does not give")
    assert not wrong, "\n".join(wrong)


def test_the_api_sends_the_english_filled_in_and_a_page_the_readers_language(app):
    error = NotFound("no window {window_id}", values={"window_id": 12})
    assert error.message == "no window 12" and error.to_dict()["error"]["message"] == "no window 12"
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        assert error.in_language() == "अवधि 12 नहीं है"
        refused = Invalid("Type a number, such as 12 or 3.5.", field="answer")
        assert refused.in_language() == "एक संख्या लिखें, जैसे 12 या 3.5।"
        assert refused.to_dict()["error"] == {"code": "invalid", "field": "answer",
                                               "message": "Type a number, such as 12 or 3.5."}


@pytest.mark.parametrize("template", ["no attempt {attempt_id}", "item {code}: {problems}",
                                      "window {window_name} is open from {as_utc} to {as_utc2}; it is not open now"])
def test_sample_refusals_have_hindi_with_the_same_placeholders(app, template):
    values = {name: f"<{name}>" for name in placeholders(template)}
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        shown = DomainError(template, values=values).in_language()
    assert shown != template.format(**values), "no Hindi in the catalogue"
    assert all(value in shown for value in values.values())


def test_a_placeholder_may_have_any_name_even_the_translators_own(app):
    # "{text}" once collided with the translating function's own argument and the page failed.
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        shown = Invalid("{field} must be a number, got {text}", values={"field": "examinees", "text": "'sure'"})
        assert shown.in_language() == "examinees एक संख्या होनी चाहिए, मिला 'sure'"


@pytest.mark.parametrize("template, values, hindi", [
    ("this attempt is {attempt_state}; it takes no more answers", {"attempt_state": "timed out"},
     "इस प्रयास की स्थिति समय समाप्त है; यह अब और उत्तर नहीं लेता"),
    ("item {item_code} is {item_state}; it cannot be edited now", {"item_code": "Q-1", "item_state": "in_review"},
     "प्रश्न Q-1 की स्थिति समीक्षाधीन है; इसे अभी संपादित नहीं किया जा सकता"),
])
def test_a_state_given_as_a_value_reads_as_a_word_in_hindi(app, template, values, hindi):
    error = DomainError(template, values=values)
    assert error.message == template.format(**values)  # the API keeps the code
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        assert error.in_language() == hindi


def test_a_problem_reads_in_the_readers_language_from_its_template(app):
    from piaa.errors import found_problem, problem_in_language

    found = found_problem("{code} appears again (first at row {first_row})", {"code": "ASO", "first_row": 2},
                          file="p.csv", row=5, field="code")
    assert found["message"] == "ASO appears again (first at row 2)"
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        assert problem_in_language(found) == "ASO फिर से आया है (पहली बार पंक्ति 2 में)"
        assert problem_in_language({"field": "title", "message": "must be non-empty text"}) != "must be non-empty text"
