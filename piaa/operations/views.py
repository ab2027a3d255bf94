"""``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics`` (Prometheus).

``/metrics`` answers a bearer of ``PIAA_METRICS_TOKEN`` when that is set; without it, only
callers on this machine or a private network (a scraper beside the service).
"""
from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, jsonify, request

from piaa.accounts.auth import public

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
@public  # load balancers and orchestrators ask without signing in
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public
def readyz():
    from piaa.operations.health import REQUIRED, readiness

    ready, checks = readiness(current_app)
    degraded = not all(check.ok for check in checks.values())
    body = {"status": "ready" if ready and not degraded else "degraded" if ready else "unavailable",
            "checks": {name: check.as_dict() for name, check in checks.items()}}
    if not ready:
        failed = ", ".join(name for name in REQUIRED if not checks[name].ok)
        body["error"] = {"code": "unavailable", "message": f"not ready: {failed}"}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_scrape() -> bool:
    token = current_app.config.get("PIAA_METRICS_TOKEN") or os.environ.get("PIAA_METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@bp.get("/metrics")
@public  # a scraper has no account: its own token or a private address (_may_scrape)
def metrics():
    from prometheus_client import CONTENT_TYPE_LATEST

    from piaa.operations.metrics import exposition

    if not _may_scrape():
        abort(403)
    return Response(exposition(current_app), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Cache-Control": "no-store"})
