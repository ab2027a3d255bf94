"""``piaa keys ...`` and ``piaa certificates ...``: signing keys, batch rendering, offline checks."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from piaa.clock import now


@click.group("keys")
def keys_group() -> None:
    """The service's signing keys (credential key and PDF signing certificate)."""


@keys_group.command("init")
@click.option("--organisation", default="PIAA", show_default=True, help="Organisation named in the certificate.")
@click.option("--force", is_flag=True, help="Replace existing keys (certificates signed before stay verifiable only with the old keys).")
@with_appcontext
def keys_init(organisation: str, force: bool) -> None:
    """Create the Ed25519 credential key and a self-signed PDF signing certificate."""
    from .credential import IssuerIdentity
    from .keys import KeyPaths, SigningKeyError, init_keys
    from .multikey import public_key_multibase

    paths = KeyPaths.resolve(current_app.instance_path, current_app.config)
    try:
        keys = init_keys(paths, organisation=organisation, now=now(), force=force)
    except SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    issuer = IssuerIdentity(current_app.config["PIAA_BASE_URL"], organisation)
    click.echo(f"credential key:   {paths.credential_key}")
    click.echo(f"PDF signing key:  {paths.document_key}")
    click.echo(f"PDF certificate:  {paths.document_cert}")
    click.echo(f"public Multikey:  {public_key_multibase(keys.credential_key.public_key())}")
    click.echo(f"issuer profile:   {issuer.profile_url}")


@click.group("certificates")
def certificates_group() -> None:
    """Proficiency certificates."""


@certificates_group.command("issue")
@click.option("--window", "window_id", type=int, default=None,
              help="Only certificates of this assessment window (set by delivery when it issues).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Jobs to split the batch into; each runs on its own worker.")
@click.option("--rerender", is_flag=True, help="Render again certificates that have a PDF already.")
@with_appcontext
def certificates_issue(window_id: int | None, workers: int, rerender: bool) -> None:
    """Render and sign the PDFs of pending certificates through the job runner."""
    from tqdm import tqdm

    from piaa.extensions import db
    from piaa.jobs import FAILED, FINISHED, enqueue, job_status

    from . import services

    ids = services.pending_certificate_ids(db.session, window_id=window_id, rerender=rerender)
    if not ids:
        click.echo("no certificates to render")
        return
    chunks = [ids[i::workers] for i in range(workers) if ids[i::workers]]
    job_ids = [enqueue("piaa.certificates.jobs.render_batch", certificate_ids=chunk) for chunk in chunks]
    failures = []
    with tqdm(total=len(ids), unit="certificate", desc="rendering") as bar:
        pending = set(job_ids)
        while pending:
            time.sleep(0.5)
            done = 0
            for job_id in job_ids:
                job = job_status(job_id)
                done += job.done or 0
                if job.state in (FINISHED, FAILED) and job_id in pending:
                    pending.discard(job_id)
                    if job.state == FAILED:
                        failures.append(job.error.splitlines()[0])
            bar.n = min(done, len(ids))
            bar.refresh()
    if failures:
        raise click.ClickException("rendering failed: " + "; ".join(failures))
    click.echo(f"rendered {len(ids)} certificate(s) in {len(chunks)} job(s)")


@certificates_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--status-list", "status_list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="The status list credential (JSON) the credential points to.")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Issuer profile JSON with the public key; default: this instance's key.")
@click.option("--cert", "cert_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PDF signing certificate (PEM); default: this instance's certificate.")
@with_appcontext
def certificates_verify(file: Path, status_list_file: Path, profile_file: Path | None, cert_file: Path | None) -> None:
    """Check a certificate PDF or credential JSON offline; exit 1 with the reason on any failure."""
    from .verification import VALID, verify_copy

    profile, cert_pem = _trust_material(profile_file, cert_file)
    report = verify_copy(
        file.read_bytes(),
        profile=profile,
        status_list_credential=json.loads(status_list_file.read_text(encoding="utf-8")),
        document_cert_pem=cert_pem,
        now=now(),
    )
    for check in report.checks:
        click.echo(f"{'ok ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    click.echo(f"result: {report.status}")
    if report.status != VALID:
        reasons = report.reasons or ["the certificate was revoked by its issuer"]
        click.echo("; ".join(reasons), err=True)
        sys.exit(1)


def _trust_material(profile_file: Path | None, cert_file: Path | None) -> tuple[dict, bytes | None]:
    from cryptography.hazmat.primitives import serialization

    if profile_file and cert_file:
        return json.loads(profile_file.read_text(encoding="utf-8")), cert_file.read_bytes()
    from . import services

    try:
        keys = services.current_keys()
    except Exception as exc:  # SigningKeyError or an unreadable file: say which and stop
        raise click.ClickException(f"no --profile/--cert given and no local keys: {exc}") from exc
    profile = (json.loads(profile_file.read_text(encoding="utf-8")) if profile_file
               else services.issuer_profile_document())
    cert = cert_file.read_bytes() if cert_file else keys.document_cert.public_bytes(serialization.Encoding.PEM)
    return profile, cert


commands = [keys_group, certificates_group]
