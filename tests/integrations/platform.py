"""A learning platform in the test: its RSA key and JWKS, id_tokens it signs, and a small
HTTP server for its key set, token endpoint, gradebook column and a webhook receiver, on a
free port of 127.0.0.1 (no outside network)."""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request

from piaa.integrations.keys import public_jwk

ISSUER = "https://platform.example.test"
CLIENT_ID = "piaa-tool-1"
DEPLOYMENT = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def new_key(kid: str) -> tuple[str, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, {**public_jwk(key.public_key()), "kid": kid}


@dataclass
class FakePlatform:
    base_url: str
    key_pem: str
    jwk: dict
    tool_public_jwks: dict | None = None
    received_scores: list = field(default_factory=list)
    received_hooks: list = field(default_factory=list)
    token_requests: list = field(default_factory=list)
    fail_next: int = 0  # answer this many score or webhook POSTs with a 503
    # What the platform's authorization endpoint answers in a browser: a resource-link launch
    # of ``launch_assessment`` by ``launch_roles``, or (``deep_linking``) a deep-linking request.
    launch_assessment: str | None = None
    launch_roles: tuple = (LEARNER,)
    deep_linking: bool = False
    deep_link_answers: list = field(default_factory=list)
    # what its deep-linking request says it takes
    deep_link_targets: tuple = ("window",)
    deep_link_multiple: bool = False

    @property
    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    @property
    def lineitem(self) -> str:
        return f"{self.base_url}/courses/7/lineitems/42/lineitem"

    def claims(self, nonce: str, *, sub: str = "learner-0001", email: str | None = "asha@example.gov.in",
               assessment: str | None = None, deployment: str = DEPLOYMENT, roles=(LEARNER,),
               ags: bool = True, lifetime_s: int = 300, issued_at: float | None = None, **extra) -> dict:
        at = int(issued_at if issued_at is not None else time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": at, "exp": at + lifetime_s, "nonce": nonce,
            "name": "Asha Verma", "given_name": "Asha", "family_name": "Verma",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": deployment,
            CLAIM + "target_link_uri": "http://127.0.0.1:5000/lti/launch",
            CLAIM + "resource_link": {"id": "link-9", "title": "Noting assessment"},
            CLAIM + "context": {"id": "course-7", "title": "Office procedure"},
            CLAIM + "roles": list(roles),
            CLAIM + "custom": {"assessment": assessment} if assessment else {},
        }
        if email:
            claims["email"] = email
        if ags:
            claims[AGS] = {"scope": [SCORE_SCOPE], "lineitem": self.lineitem,
                           "lineitems": f"{self.base_url}/courses/7/lineitems"}
        claims.update(extra)
        return claims

    def id_token(self, claims: dict, *, key_pem: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(claims, key_pem or self.key_pem, algorithm="RS256",
                          headers={"kid": kid or self.jwk["kid"]})


def _wsgi(platform: FakePlatform) -> Flask:
    app = Flask("fake_platform")

    @app.get("/start")
    def start():
        """A link on the platform's course page: third-party initiated login at the tool."""
        from urllib.parse import urlencode

        tool = request.args["tool"]
        query = {"iss": ISSUER, "login_hint": "hint-1", "target_link_uri": f"{tool}/lti/launch",
                 "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT}
        return "", 302, {"Location": f"{tool}/lti/login?{urlencode(query)}"}

    @app.get("/auth")
    def auth():
        """The platform's authorization endpoint: a page that posts the signed id_token to the
        tool at once, as platforms do."""
        claims = platform.claims(request.args["nonce"], assessment=platform.launch_assessment,
                                 roles=platform.launch_roles,
                                 **{"https://purl.imsglobal.org/spec/lti/claim/target_link_uri":
                                    request.args["redirect_uri"]})
        if platform.deep_linking:
            claims.pop(CLAIM + "resource_link")
            claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{platform.base_url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": list(platform.deep_link_targets),
                "accept_multiple": platform.deep_link_multiple}
        return (f'<!doctype html><form method="post" action="{request.args["redirect_uri"]}">'
                f'<input type="hidden" name="id_token" value="{platform.id_token(claims)}">'
                f'<input type="hidden" name="state" value="{request.args["state"]}"></form>'
                '<script>document.forms[0].submit()</script>')

    @app.post("/deep-link-return")
    def deep_link_return():
        platform.deep_link_answers.append(request.form["JWT"])
        return "<!doctype html><title>Course</title><p id='added'>Assessment added to the course.</p>"

    @app.get("/jwks")
    def jwks():
        return jsonify(platform.jwks)

    @app.post("/token")
    def token():
        assertion = request.form["client_assertion"]
        header = jwt.get_unverified_header(assertion)
        key = next(k for k in platform.tool_public_jwks["keys"] if k["kid"] == header["kid"])
        claims = jwt.decode(assertion, jwt.PyJWK(key).key, algorithms=["RS256"],
                            audience=f"{platform.base_url}/token")
        platform.token_requests.append({"claims": claims, "scope": request.form["scope"],
                                        "grant_type": request.form["grant_type"]})
        return jsonify({"access_token": "platform-token-" + uuid.uuid4().hex, "token_type": "Bearer",
                        "expires_in": 3600, "scope": request.form["scope"]})

    @app.post("/courses/7/lineitems/42/lineitem/scores")
    def scores():
        if platform.fail_next:
            platform.fail_next -= 1
            return "busy", 503
        platform.received_scores.append({"headers": dict(request.headers), "body": request.get_json(force=True)})
        return "", 204

    @app.post("/hook")
    def hook():
        if platform.fail_next:
            platform.fail_next -= 1
            return "busy", 503
        platform.received_hooks.append({"headers": dict(request.headers), "body": request.get_data()})
        return jsonify({"ok": True})

    return app


def serve() -> tuple[FakePlatform, callable]:
    """Start the platform's server; returns it and a function that stops it."""
    from werkzeug.serving import make_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pem, jwk = new_key("platform-key-1")
    platform = FakePlatform(f"http://127.0.0.1:{port}", pem, jwk)
    server = make_server("127.0.0.1", port, _wsgi(platform), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(5)

    return platform, stop


def json_dumps(value) -> str:
    return json.dumps(value, sort_keys=True)
