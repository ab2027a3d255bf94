"""Fixtures for the integrations: delivery's competency, bank, calibration and windows, the
tool's key, a fake platform served on 127.0.0.1 and registered in PIAA, and a launch helper."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from piaa.integrations import lti
from piaa.integrations.keys import init_tool_key, key_path
from tests.delivery.conftest import (_fresh_pool_cache, agency, bank, calibration, candidate,  # noqa: F401
                                     cohort, competency, make_assessment, make_window, operational,
                                     proctor)
from tests.integrations.platform import CLIENT_ID, DEPLOYMENT, ISSUER, serve


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "PIAA_LTI_KEY_FILE": str(tmp_path / "keys" / "lti-tool.pem")}


@pytest.fixture
def tool_key(app):
    return init_tool_key(key_path(app.instance_path, app.config), force=True)


@pytest.fixture
def platform():
    fake, stop = serve()
    yield fake
    stop()


@pytest.fixture
def registered(session, platform, tool_key, cohort):
    """The fake platform registered with its key set given directly; launched learners join
    the delivery fixtures' cohort, whose windows are open."""
    platform.tool_public_jwks = tool_key.jwks()
    row = lti.register_platform(session, name="iGOT test", issuer=ISSUER, client_id=CLIENT_ID,
                                auth_login_url=f"{platform.base_url}/auth",
                                auth_token_url=f"{platform.base_url}/token", key_set=platform.jwks,
                                deployment_ids=[DEPLOYMENT], cohort=cohort)
    session.commit()
    return row


@pytest.fixture
def window(calibration, make_assessment, make_window):
    return make_window(make_assessment(mode="loft"))


def start_login(client, **params) -> dict:
    """The platform's login initiation; returns the authorization request's parameters."""
    query = {"iss": ISSUER, "login_hint": "hint-1", "target_link_uri": "http://127.0.0.1:5000/lti/launch",
             "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT, **params}
    response = client.get("/lti/login", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return {k: v[0] for k, v in parse_qs(urlparse(response.location).query).items()}


def launch(client, platform, *, token=None, state=None, headers=None, **claim_options):
    """Login initiation, then the launch post with an id_token the platform signed."""
    auth = start_login(client)
    if token is None:
        token = platform.id_token(platform.claims(auth["nonce"], **claim_options))
    return client.post("/lti/launch", data={"id_token": token, "state": state or auth["state"]},
                       headers=headers or {})
