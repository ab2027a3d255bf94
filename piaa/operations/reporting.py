"""Error reporting to Sentry or any service that speaks its protocol (GlitchTip, for one),
when ``PIAA_SENTRY_DSN`` is set: unhandled errors of requests (the API's catch-all handler
logs them, and errors logged are reported) and failed jobs, with the request id as a tag.
No personal data is sent (no cookies, no bodies, no user e-mail).

``PIAA_SENTRY_ENVIRONMENT`` names the deployment; ``PIAA_SENTRY_TRACES_SAMPLE_RATE``
(default 0) turns on performance traces for that share of requests.
"""
from __future__ import annotations

import os

from flask import Flask

_initialised_dsn: str | None = None


def init_app(app: Flask) -> None:
    dsn = app.config.get("PIAA_SENTRY_DSN") or os.environ.get("PIAA_SENTRY_DSN")
    if not dsn:
        return
    _init_sdk(dsn)

    @app.before_request
    def tag_request_id():
        import sentry_sdk

        from piaa.operations.logs import current_request_id

        sentry_sdk.get_isolation_scope().set_tag("request_id", current_request_id())


def _init_sdk(dsn: str) -> None:
    global _initialised_dsn
    if _initialised_dsn == dsn:  # one client per process, however many apps are built
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.logging import ignore_logger

    from piaa import __version__

    sentry_sdk.init(
        dsn=dsn,
        release=f"piaa@{__version__}",
        environment=os.environ.get("PIAA_SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("PIAA_SENTRY_TRACES_SAMPLE_RATE", "0")),
        max_request_body_size="never",  # answers and uploads are candidates' data
        integrations=[FlaskIntegration()],
    )
    # A failed job is reported once, with its tags, by capture_job_failure; not again from
    # the job runner's log line.
    ignore_logger("piaa.jobs")
    _initialised_dsn = dsn


def capture_job_failure(func: str, job_id: str, exc: BaseException) -> None:
    """Report a failed job (the job runner stores failures instead of raising them)."""
    if _initialised_dsn is None:
        return
    import sentry_sdk

    from piaa.operations.logs import current_request_id

    with sentry_sdk.new_scope() as scope:
        scope.set_tag("job", func)
        scope.set_tag("job_id", job_id)
        scope.set_tag("request_id", current_request_id())
        sentry_sdk.capture_exception(exc)
