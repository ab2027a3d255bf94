"""``piaa lti ...`` and ``piaa webhooks ...``: the tool key, platform registration, result
webhooks, and the pass that retries results not yet delivered."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from piaa.errors import DomainError


@click.group("lti")
def lti_group() -> None:
    """PIAA as an LTI 1.3 tool of learning platforms."""


@lti_group.group("keys")
def keys_group() -> None:
    """The tool's RSA key (its public half is served at /lti/jwks.json)."""


@keys_group.command("init")
@click.option("--force", is_flag=True, help="Replace the key (platforms must fetch the new JWKS).")
@with_appcontext
def keys_init(force: bool) -> None:
    """Create the tool's RSA key."""
    from piaa.integrations.keys import ToolKeyError, init_tool_key, key_path

    path = key_path(current_app.instance_path, current_app.config)
    try:
        key = init_tool_key(path, force=force)
    except ToolKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    base = current_app.config["PIAA_BASE_URL"].rstrip("/")
    click.echo(f"tool key:  {path}")
    click.echo(f"key id:    {key.kid}")
    click.echo(f"JWKS URL:  {base}/lti/jwks.json")


@lti_group.group("platform")
def platform_group() -> None:
    """Learning platforms that launch learners into PIAA."""


@platform_group.command("add")
@click.option("--name", required=True)
@click.option("--issuer", required=True, help="The platform's iss.")
@click.option("--client-id", required=True, help="The client id the platform gave PIAA.")
@click.option("--deployment", "deployments", multiple=True, required=True, help="A deployment id (repeatable).")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth 2 token endpoint.")
@click.option("--auth-audience", default=None, help="Audience of the token request, if not the token URL.")
@click.option("--key-set-url", default=None, help="The platform's JWKS URL.")
@click.option("--key-set-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The platform's JWKS as a file, when it publishes no URL.")
@click.option("--link-by-email", is_flag=True,
              help="Link learners to existing candidate accounts by the e-mail the platform sends.")
@click.option("--cohort", default=None, help="Enrol launched learners in this cohort (by name).")
@with_appcontext
def platform_add(name, issuer, client_id, deployments, auth_login_url, auth_token_url, auth_audience,
                 key_set_url, key_set_file, link_by_email, cohort) -> None:
    """Register a platform."""
    from sqlalchemy import select

    from piaa.delivery.models import Cohort
    from piaa.extensions import db
    from piaa.integrations.lti import register_platform

    key_set = None
    if key_set_file is not None:
        try:
            key_set = json.loads(key_set_file.read_text())
        except ValueError as exc:
            raise click.ClickException(f"{key_set_file}: not JSON ({exc})") from exc
    cohort_row = None
    if cohort:
        cohort_row = db.session.scalar(select(Cohort).where(Cohort.name == cohort))
        if cohort_row is None:
            raise click.ClickException(f"no cohort named {cohort!r}")
    try:
        platform = register_platform(db.session, name=name, issuer=issuer, client_id=client_id,
                                     auth_login_url=auth_login_url, auth_token_url=auth_token_url,
                                     auth_audience=auth_audience, key_set_url=key_set_url, key_set=key_set,
                                     deployment_ids=list(deployments), link_by_email=link_by_email,
                                     cohort=cohort_row)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from exc
    db.session.commit()
    click.echo(f"platform {platform.id} registered: {platform.name} ({platform.issuer}, client {platform.client_id})")


@platform_group.command("list")
@with_appcontext
def platform_list() -> None:
    """The registered platforms."""
    from piaa.extensions import db
    from piaa.integrations.lti import platforms

    for p in platforms(db.session):
        click.echo(f"{p.id}\t{p.name}\t{p.issuer}\t{p.client_id}\tdeployments={','.join(p.deployment_ids)}"
                   f"\tlink_by_email={'yes' if p.link_by_email else 'no'}\t{'active' if p.active else 'inactive'}")


@lti_group.command("deliver")
@click.option("--every", type=click.FloatRange(min=1.0), default=None,
              help="Keep trying every this many seconds (without it: one pass).")
@with_appcontext
def deliver(every: float | None) -> None:
    """Try again the results (gradebook scores, webhooks) whose retry time has come."""
    from piaa.extensions import db
    from piaa.integrations.lti import forget_expired
    from piaa.integrations.outcomes import retry_due

    while True:
        report = retry_due(db.session)
        forget_expired(db.session)
        db.session.commit()
        click.echo(f"delivered {len(report['delivered'])}, failed {len(report['failed'])}, "
                   f"gave up {len(report['gave_up'])}")
        if every is None:
            return
        time.sleep(every)


@lti_group.command("deliveries")
@click.option("--attempt", "attempt_id", type=int, default=None, help="Only this attempt's results.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@with_appcontext
def deliveries(attempt_id: int | None, limit: int) -> None:
    """The delivery log of results sent out (gradebooks and webhooks), newest first."""
    from piaa.extensions import db
    from piaa.integrations.outcomes import recent_deliveries

    for d in recent_deliveries(db.session, limit, attempt_id):
        click.echo(f"{d.id}\tattempt {d.attempt_id}\t{d.kind}\t{d.state}\ttries {d.tries}\t"
                   f"HTTP {d.last_status or '-'}\t{d.url}\t{(d.last_error or '')[:120]}")


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed result webhooks for systems that do not speak LTI."""


@webhooks_group.command("add")
@click.argument("url")
@click.option("--assessment", default=None, help="Only results of this assessment (by code).")
@with_appcontext
def webhook_add(url: str, assessment: str | None) -> None:
    """Send every scored result to URL; prints the signing secret once."""
    from piaa.extensions import db
    from piaa.integrations.outcomes import SIGNATURE_HEADER, TIMESTAMP_HEADER, add_webhook

    try:
        hook, secret = add_webhook(db.session, url, assessment_code=assessment)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"webhook {hook.id}: {hook.url}")
    click.echo(f"secret (shown once): {secret}")
    click.echo(f"each POST carries {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}: "
               "sha256=HMAC-SHA256(secret, timestamp + '.' + body)")


commands = [lti_group, webhooks_group]
