"""Every route, every role: who gets in is exactly what the route declares.

Each view is either marked public (``piaa.accounts.auth.public``) or guarded by
``role_required(...)``; a route that is neither fails this test, so no page can be added
without deciding who may see it.
"""
import re

import pytest

from piaa.accounts.models import ROLES
from tests.conftest import login

SKIP_ENDPOINTS = {"static"}


def _url(rule) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, view


def _call(client, method: str, url: str):
    return client.open(url, method=method, data={} if method != "GET" else None)


def test_every_route_declares_who_may_use_it(app):
    undeclared = [f"{method} {rule.rule}" for rule, method, view in _routes(app)
                  if not getattr(view, "_public", False) and not hasattr(view, "_roles")]
    assert undeclared == [], "routes with neither @public nor @role_required: " + ", ".join(undeclared)


def test_anonymous_callers_are_sent_to_sign_in(app, client):
    for rule, method, view in _routes(app):
        if getattr(view, "_public", False):
            continue
        response = _call(client, method, _url(rule))
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, f"{method} {rule.rule}"
        else:
            assert response.status_code == 302 and "/login" in response.location, f"{method} {rule.rule}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_in_exactly_where_allowed(app, make_user, role):
    user = make_user(role=role)
    client = app.test_client()
    login(client, user)
    for rule, method, view in _routes(app):
        if getattr(view, "_public", False) or rule.endpoint == "accounts.logout":
            continue
        allowed = not view._roles or role in view._roles
        response = _call(client, method, _url(rule))
        where = f"{role} {method} {rule.rule} -> {response.status_code}"
        if allowed:
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where
