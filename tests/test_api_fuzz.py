"""Schemathesis over every operation of /api/v1/openapi.json, as every role and as nobody.

Bounded so that it runs with the suite: a few examples per operation and role (schema-valid
data, then data that breaks the schema), and a time budget after which the rest is left out
and said so. A case fails on a 5xx, on a status code or content type the document does not
give for the operation (a success status must be listed by itself: ``default`` stands for the
errors), on an error body not of the documented ``Error`` shape, and on data breaking the
schema that is accepted (a 2xx). Bodies breaking their schema are also sent to the ids that
exist (the candidate's own attempt in progress, the bank, the item, ...) by each caller whose
sound body was taken there, where a view that took its input by hand would act on them;
generated ids mostly name nothing, and a 404 would prove nothing about the body. Beside it, every path is sent the methods it does not have: each
answers a JSON 405 with ``Allow``.

``PIAA_FUZZ_EXAMPLES`` raises the number of examples (positive; negative is half of it) and
``PIAA_FUZZ_BUDGET_S`` the time budget, for a longer run by hand.
"""
from __future__ import annotations

import contextvars
import os
import re
import time
from collections import Counter
from dataclasses import dataclass

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from piaa.accounts.models import ROLES  # noqa: E402
from tests.delivery.conftest import *  # noqa: F401,F403,E402  (a bank, assessments, windows)
from tests.delivery.helpers import Sitting, bearer  # noqa: E402

EXAMPLES = int(os.environ.get("PIAA_FUZZ_EXAMPLES", "3"))  # per operation, role and mode
# The whole run on 2 busy cores; what is left out past it is reported.
BUDGET_S = float(os.environ.get("PIAA_FUZZ_BUDGET_S", "150"))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Bodies breaking the schema sent to the ids that exist, by a caller whose sound body was taken.
NEGATIVE_ON_EXISTING = max(EXAMPLES + 1, 4)


@schemathesis.check
def success_status_is_documented(ctx, response, case):
    """A 2xx must be in the operation's responses by itself: the document's ``default`` is
    the error answer, so it must not make an undocumented 201 look documented."""
    status = response.status_code
    if 200 <= status < 300:
        documented = case.operation.definition.raw.get("responses", {})
        if str(status) not in documented:
            raise AssertionError(f"{status} is returned but the document lists {sorted(documented)}")


@schemathesis.check
def answers_json(ctx, response, case):
    """Every answer of the API is JSON, errors included (no HTML error page)."""
    content_type = response.headers.get("content-type", [""])[0]
    if not content_type.startswith("application/json"):
        raise AssertionError(f"{response.status_code} answered as {content_type!r}, not JSON")


POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_headers_conformance, response_schema_conformance,
                   success_status_is_documented, answers_json]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]


@dataclass
class World:
    """Who calls (a token for every role, and nobody) and the ids that lead somewhere."""

    callers: dict[str, dict]
    known: dict[str, object]


@pytest.fixture
def world(app, session, make_user, candidate, proctor, bank, make_assessment, make_window) -> World:
    """A bank of items, an assessment, a window and a candidate's attempt in progress; the
    proctor is the window's, the author and reviewer are of the bank's agency."""
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    agency = bank.organisation.name
    people = {"proctor": proctor, **{role: make_user(role=role, organisation=agency) for role in ROLES
                                     if role not in ("candidate", "proctor")}}
    callers = {"nobody": {}, "candidate": dict(sitting.headers),
               **{role: bearer(session, user) for role, user in people.items()}}
    item_id = Sitting(app.test_client(), callers["author"]).call("GET", f"/banks/{bank.id}/items")["items"][0]["id"]
    known = {"attempt_id": sitting.attempt_id, "bank_id": bank.id, "item_id": item_id,
             "assessment_id": window.assessment_id, "ref": sitting.items()[0]["ref"]}
    return World(callers, known)


def _run(operation, mode, auth: dict, checks: list, failures: list, cases: Counter,
         path_parameters: dict | None = None, examples: int | None = None) -> bool:
    """Run ``examples`` cases; whether any was answered 2xx."""
    examples = examples or (EXAMPLES if mode is GenerationMode.POSITIVE else max(EXAMPLES // 2, 1))
    succeeded = []

    @settings(max_examples=examples,
              deadline=None, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case):
        cases[mode.value] += 1
        try:
            # Each request in a context of its own, as in production (see IsolatedClient).
            response = contextvars.Context().run(case.call_and_validate, headers=auth, checks=checks)
            succeeded.append(200 <= response.status_code < 300)
        except BaseException as failure:  # noqa: B036  (schemathesis raises a group)
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append((operation.label, mode.value, str(failure).strip()[:1500]))

    run()
    return any(succeeded)


def test_every_operation_as_every_role_keeps_to_the_document(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[tuple[str, str, str]] = []
    cases: Counter = Counter()
    started = time.perf_counter()
    left_out = 0
    callers = world.callers
    for operation in operations:
        # Generated ids mostly name nothing (404): one positive pass runs on the ids that exist.
        existing = {name: world.known[name] for name in re.findall(r"\{(\w+)\}", operation.path)
                    if name in world.known}
        has_body = "requestBody" in operation.definition.raw
        for role, auth in callers.items():
            if time.perf_counter() - started > BUDGET_S:
                left_out += 1
                continue
            _run(operation, GenerationMode.POSITIVE, auth, POSITIVE_CHECKS, failures, cases)
            reaches_view = existing and _run(operation, GenerationMode.POSITIVE, auth, POSITIVE_CHECKS,
                                             failures, cases, existing)
            _run(operation, GenerationMode.NEGATIVE, auth, NEGATIVE_CHECKS, failures, cases)
            if reaches_view and has_body:  # a caller whose sound body was taken: now bad ones
                _run(operation, GenerationMode.NEGATIVE, auth, NEGATIVE_CHECKS, failures, cases, existing,
                     NEGATIVE_ON_EXISTING)
    elapsed = time.perf_counter() - started
    print(f"\nschemathesis: {len(operations)} operations x {len(callers)} callers, "
          f"{sum(cases.values())} cases ({dict(cases)}) in {elapsed:.1f} s; "
          f"{len(failures)} failing; {left_out} operation-caller pairs left out by the time budget")
    distinct = {}
    for label, mode, message in failures:
        distinct.setdefault((label, mode, message.splitlines()[2] if message.count("\n") > 2 else message),
                            message)
    assert not distinct, "\n\n".join(f"{label} ({mode}):\n{message}"
                                     for (label, mode, _), message in list(distinct.items())[:15])
    assert left_out < len(operations) * len(callers) // 2, "the time budget left out most of the run"


def test_every_path_answers_a_json_405_with_allow_for_a_method_it_lacks(app, world):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    client, auth = app.test_client(), world.callers["admin"]
    wrong = []
    for path, operations in document["paths"].items():
        url = "/api/v1" + re.sub(r"\{\w+\}", "1", path)
        allowed = {method.upper() for method in operations}
        for method in set(METHODS) - allowed:
            response = client.open(url, method=method, headers=auth)
            allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
            if (response.status_code != 405 or not allowed <= allow or not response.is_json):
                wrong.append((method, path, response.status_code, response.headers.get("Allow")))
    assert wrong == []


def test_the_run_fails_when_a_body_breaking_its_schema_is_accepted(app, world):
    """The negative check bites: with the body check switched off, the flag call's own view
    takes ``{"flagged": <not a boolean>}`` as "not flagged" and answers 200, which must fail."""
    from unittest import mock

    from piaa.request_bodies import BodySchema

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    [operation] = [result.ok() for result in schema.get_all_operations()
                   if result.ok().label == "POST /attempts/{attempt_id}/responses/{ref}/flag"]
    existing = {"attempt_id": world.known["attempt_id"], "ref": world.known["ref"]}
    candidate, failures = world.callers["candidate"], []
    with mock.patch.object(BodySchema, "check", lambda self, body: None):
        _run(operation, GenerationMode.NEGATIVE, candidate, NEGATIVE_CHECKS, failures, Counter(), existing, 8)
    assert any("Schema-violating request accepted" in message for _, _, message in failures), failures
    failures.clear()
    _run(operation, GenerationMode.NEGATIVE, candidate, NEGATIVE_CHECKS, failures, Counter(), existing, 8)
    assert failures == []
