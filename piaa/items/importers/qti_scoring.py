"""Recognising standard scoring in a QTI item's response processing, whatever sits beside it.

Authors' tools write the ``match_correct`` and ``map_response`` templates out in full and weave
feedback into them: a ``FEEDBACK`` or ``FEEDBACKBASIC`` outcome set in the same branches,
``SCORE`` set to ``MAXSCORE`` instead of 1, the mapped value added to ``SCORE`` under a
"not null" guard, one such rule per interaction. The rules are walked here as a small symbolic
program: outcomes other than ``SCORE`` are feedback and never change the score, and ``SCORE``
must end up as a sum of standard *terms*, one per response:

* ``match``: a constant when the response matches its correct response (``qti-match`` or
  ``qti-equal``, exact or within an absolute tolerance), else nothing;
* ``map``: the response's mapped value (``qti-map-response``).

Anything else (scores that depend on feedback outcomes, several branches giving different
credits, hand-written comparisons with literal values) is custom scoring, and the caller
refuses the item with the reason given here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from piaa.items.qti_processing import QTI3_NS, _elements, _name

SCORE = "SCORE"


class CustomScoring(Exception):
    """The response processing is not (a sum of) the standard rules; the message says why."""


@dataclass(frozen=True)
class Term:
    """One response's contribution to SCORE."""

    kind: str                   # match | map
    response: str               # the response variable's identifier
    value: float = 1.0          # credit when matched (match only)
    # a qti-equal's tolerance, ("absolute" | "relative", bound), relative in per cent (match only)
    tolerance: tuple[str, float] | None = None


@dataclass
class Scoring:
    """What the processing computes: SCORE as a sum of ``terms``, plus the feedback outcomes
    it sets and, where the branch says so, the value each takes on a right or wrong answer."""

    terms: list[Term]
    feedback_outcomes: set[str] = field(default_factory=set)
    feedback_when: dict[str, str] = field(default_factory=dict)  # value -> correct | incorrect
    # The item had no response processing: each response's correct response is matched for 1.
    assumed: bool = False
    # Why the processing is not (a sum of) the standard rules: the item keeps and runs its own
    # (``piaa.items.importers.qti_kept``); the terms then only say which responses it has.
    custom: str | None = None
    # Responses the item gives no key at all (no processing, no correct response): the item is
    # imported as a draft whose key an author must set.
    keyless: tuple[str, ...] = ()


@dataclass
class _State:
    """SCORE's symbolic value: a sum of terms plus a constant."""

    terms: tuple[Term, ...] = ()
    constant: float = 0.0

    def same(self, other: "_State") -> bool:
        return self.terms == other.terms and abs(self.constant - other.constant) < 1e-12


class _Walker:
    """Walks the rules for the symbolic value of one numeric outcome, ``target`` (SCORE, or a
    part score such as SCORE1 that SCORE later sums); ``env`` holds the values of the part
    scores already walked."""

    def __init__(self, outcome_defaults: dict[str, float], target: str = SCORE,
                 env: dict[str, "_State"] | None = None, never_true: frozenset[str] = frozenset()):
        self.defaults = outcome_defaults
        self.never_true = never_true
        self.target = target
        self.env = env if env is not None else {}
        self.feedback: set[str] = set()
        self.when: dict[str, str] = {}

    # --- expressions ----------------------------------------------------------------------
    def value(self, expression, state: _State) -> _State:
        """SCORE's new symbolic value after ``SCORE := expression``."""
        name = _name(expression)
        if name == "qti-base-value":
            try:
                return _State((), float(expression.text or ""))
            except ValueError:
                raise CustomScoring(f"SCORE is set to {expression.text!r}, not a number") from None
        if name == "qti-variable":
            identifier = expression.get("identifier")
            if identifier == self.target:
                return state
            if identifier in self.env:  # a part score walked before
                return self.env[identifier]
            if identifier in self.defaults:  # MAXSCORE and other constants
                return _State((), self.defaults[identifier])
            raise CustomScoring(f"SCORE is computed from the variable {identifier!r}")
        if name == "qti-map-response":
            return _State((Term("map", expression.get("identifier", "")),), 0.0)
        if name == "qti-sum":
            total = _State()
            for part in _elements(expression):
                part_value = self.value(part, state)
                total = _State(total.terms + part_value.terms, total.constant + part_value.constant)
            return total
        raise CustomScoring(f"SCORE is computed with {name or 'an unknown expression'}")

    @staticmethod
    def _response_of(test) -> tuple[str, str, tuple[str, float] | None] | None:
        """``("correct", id, tolerance)``, ``("null", id, None)``, ``("not-null", id, None)``
        for the tests the templates use, else None."""
        name = _name(test)
        operands = _elements(test)
        if name in ("qti-and", "qti-or") and len(operands) == 1:  # a tool's wrapper of one test
            return _Walker._response_of(operands[0])
        if name == "qti-not" and len(operands) == 1:
            inner = _Walker._response_of(operands[0])
            if inner and inner[0] == "null":
                return ("not-null", inner[1], None)
            return None
        if name == "qti-is-null" and len(operands) == 1 and _name(operands[0]) == "qti-variable":
            return ("null", operands[0].get("identifier", ""), None)
        if name in ("qti-match", "qti-equal") and len(operands) == 2:
            names = sorted(_name(o) for o in operands)
            if names != ["qti-correct", "qti-variable"]:
                return None
            ids = {o.get("identifier") for o in operands}
            if len(ids) != 1:
                return None
            tolerance = None
            mode = test.get("tolerance-mode", "exact")
            if name == "qti-equal" and mode != "exact":
                bounds = (test.get("tolerance") or "").split()
                if mode not in ("absolute", "relative") or not bounds or len(set(bounds)) != 1:
                    return None
                try:
                    tolerance = (mode, float(bounds[0]))
                except ValueError:
                    return None
            return ("correct", ids.pop(), tolerance)
        return None

    # --- rules ----------------------------------------------------------------------------
    def sets_score(self, rules) -> bool:
        for rule in rules:
            if _name(rule) == "qti-set-outcome-value" and rule.get("identifier") == self.target:
                return True
            if _name(rule) in ("qti-response-condition", "qti-response-if", "qti-response-else-if",
                               "qti-response-else") and self.sets_score(_elements(rule)):
                return True
        return False

    def run(self, rules, state: _State, outcome: str | None = None) -> _State:
        """Run ``rules`` from ``state``; ``outcome`` says which branch of a match we are in."""
        for rule in rules:
            name = _name(rule)
            if name == "qti-set-outcome-value":
                identifier = rule.get("identifier")
                expressions = _elements(rule)
                if identifier == self.target:
                    if len(expressions) != 1:
                        raise CustomScoring("SCORE is set without one expression")
                    state = self.value(expressions[0], state)
                else:
                    self._note_feedback(identifier, expressions, outcome)
            elif name == "qti-response-condition":
                state = self.condition(rule, state, outcome)
            elif name in ("qti-lookup-outcome-value", "qti-set-template-value"):
                if rule.get("identifier") == self.target:
                    raise CustomScoring(f"SCORE is set by {name}")
            else:
                raise CustomScoring(f"{name or 'an unknown rule'} in the response processing")
        return state

    def _note_feedback(self, identifier, expressions, outcome) -> None:
        self.feedback.add(identifier)
        if outcome and len(expressions) == 1 and _name(expressions[0]) == "qti-base-value":
            self.when.setdefault((expressions[0].text or "").strip(), outcome)

    def _never_taken(self, branch) -> bool:
        """A branch tested on a variable that is never true in PIAA (an end-attempt button's)."""
        parts = _elements(branch)
        return _name(branch) in ("qti-response-if", "qti-response-else-if") and bool(parts) and \
            _name(parts[0]) == "qti-variable" and parts[0].get("identifier") in self.never_true

    def condition(self, rule, state: _State, outcome: str | None) -> _State:
        branches = [b for b in _elements(rule) if not self._never_taken(b)]
        if not branches:
            return state
        if _name(branches[0]) == "qti-response-else":  # every test before it is never true
            return self.run(_elements(branches[0]), state, outcome)
        if not self.sets_score(branches):
            # Feedback only: walk it for the feedback outcomes it sets, whatever it tests.
            first = _elements(branches[0]) if branches else []
            tested = self._response_of(first[0]) if first else None
            right_test = tested is not None and tested[0] == "correct"
            for branch in branches:
                parts = _elements(branch)
                if _name(branch) == "qti-response-else":
                    self.run(parts, state, "incorrect" if right_test else outcome)
                else:
                    own = self._response_of(parts[0]) if parts else None
                    self.run(parts[1:], state, "correct" if own and own[0] == "correct" else outcome)
            return state
        return self.chain(branches, state, outcome)

    def chain(self, branches, state: _State, outcome: str | None) -> _State:
        """An if / else-if ... / else chain that sets SCORE: each else-if is the else branch's
        nested condition, so one rule per test suffices."""
        parts = _elements(branches[0])
        rest = branches[1:]

        def otherwise(start: _State, branch_outcome: str | None) -> _State:
            if not rest:
                return start
            if _name(rest[0]) == "qti-response-else":
                return self.run(_elements(rest[0]), start, branch_outcome)
            return self.chain(rest, start, branch_outcome)

        test = self._response_of(parts[0]) if parts else None
        if test is None:
            raise CustomScoring("SCORE depends on a test that is not the response against its "
                                "correct response or a null check")
        kind, response, tolerance = test
        if kind == "correct":
            right = self.run(parts[1:], state, "correct")
            wrong = otherwise(state, "incorrect")
            return self._match_term(state, right, wrong, response, tolerance)
        if kind == "not-null":
            answered, empty = self.run(parts[1:], state, outcome), otherwise(state, outcome)
        else:
            empty, answered = self.run(parts[1:], state, outcome), otherwise(state, outcome)
        # A null response earns nothing from any standard rule, so a guard that gives it
        # nothing changes no score.
        if not (empty.same(state) or (not empty.terms and abs(empty.constant) < 1e-12 and not state.terms
                                      and abs(state.constant) < 1e-12)):
            raise CustomScoring("an empty response is given a score")
        if any(t.response != response for t in answered.terms if t not in state.terms):
            raise CustomScoring("a null check on one response guards the scoring of another")
        return answered

    @staticmethod
    def _match_term(before: _State, right: _State, wrong: _State, response: str,
                    tolerance: tuple[str, float] | None) -> _State:
        # Either both branches set SCORE absolutely from a score of 0, or the right branch adds
        # to the running score and the wrong one leaves it alone.
        if wrong.terms != before.terms or right.terms != before.terms:
            raise CustomScoring("the branches of a correct-response test set SCORE from other responses")
        if abs(wrong.constant - before.constant) > 1e-12 and not (
                not before.terms and abs(before.constant) < 1e-12 and abs(wrong.constant) < 1e-12):
            raise CustomScoring(f"a wrong answer scores {wrong.constant}, not 0")
        gain = right.constant - before.constant
        if gain <= 0:
            raise CustomScoring(f"a right answer scores {right.constant}, no more than a wrong one")
        return _State(before.terms + (Term("match", response, gain, tolerance),), before.constant)


def _outcomes_set(rule) -> set[str]:
    return {e.get("identifier") for e in rule.iter(f"{{{QTI3_NS}}}qti-set-outcome-value")} | \
        ({rule.get("identifier")} if _name(rule) == "qti-set-outcome-value" else set())


def analyse(processing, outcome_defaults: dict[str, float] | None = None,
            part_scores: set[str] | frozenset[str] = frozenset(),
            never_true: set[str] | frozenset[str] = frozenset()) -> Scoring:
    """The standard terms SCORE is made of in ``processing`` (a ``qti-response-processing``
    element in QTI 3.0 names).

    ``part_scores`` are other numeric outcomes (SCORE1, SCORE2, ...) that authors set with
    the same standard rules and then sum into SCORE; each is walked as SCORE is, rule by rule,
    so that SCORE's sum reads their values. Branches tested on a ``never_true`` variable (the
    response of an end-attempt button PIAA leaves out) are never taken.

    :raise CustomScoring: if SCORE is computed any other way.
    """
    defaults = outcome_defaults or {}
    env: dict[str, _State] = {}
    never_true = frozenset(never_true)
    walker = _Walker(defaults, env=env, never_true=never_true)
    state = _State()
    for rule in _elements(processing):
        for part in sorted((_outcomes_set(rule) & set(part_scores)) - {SCORE}):
            start = env.get(part, _State((), defaults.get(part, 0.0)))
            try:
                env[part] = _Walker(defaults, target=part, env=env, never_true=never_true).run([rule], start)
            except CustomScoring:
                env.pop(part, None)  # SCORE cannot read it then, and says so if it tries
        state = walker.run([rule], state)
    if abs(state.constant) > 1e-12:
        raise CustomScoring(f"SCORE starts from {state.constant} whatever the answer")
    if not state.terms:
        raise CustomScoring("the response processing never sets SCORE")
    responses = [t.response for t in state.terms]
    if len(set(responses)) != len(responses):
        raise CustomScoring("one response is scored twice")
    return Scoring(list(state.terms), walker.feedback, walker.when)
