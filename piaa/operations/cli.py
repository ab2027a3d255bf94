"""``piaa backup`` and ``piaa restore``: see :mod:`piaa.operations.backup`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive: Path) -> None:
    """Write the database, signing keys and uploads to ARCHIVE (a .tar.gz, owner-readable only:
    it holds the private keys)."""
    from piaa.operations.backup import BackupError, create_backup

    try:
        manifest = create_backup(current_app._get_current_object(), archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    keys = sum(name.startswith("keys/") for name in manifest.files)
    uploads = sum(name.startswith("uploads/") for name in manifest.files)
    click.echo(f"backup written to {archive}: {manifest.database['kind']} database "
               f"(revision {manifest.database['revision'] or 'unknown'}), {keys} key files, {uploads} uploads")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that has tables and existing key files")
@click.option("--verify/--no-verify", default=True,
              help="check the audit chain and every certificate afterwards (default: on)")
@with_appcontext
def restore_command(archive: Path, force: bool, verify: bool) -> None:
    """Restore ARCHIVE into PIAA_DATABASE_URL, the signing key files and the upload folder, then
    verify the audit chain and every certificate."""
    from piaa.extensions import db
    from piaa.operations.backup import BackupError, restore_backup, verify_restored

    try:
        manifest = restore_backup(current_app._get_current_object(), archive, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {archive} (made {manifest.created_at})")
    if not verify:
        return
    db.session.remove()
    check = verify_restored(db.session)
    click.echo(f"audit chain: {check.audit_rows} rows "
               f"{'intact' if check.audit_problem is None else 'BROKEN: ' + check.audit_problem}")
    click.echo(f"certificates: {check.certificates} checked, {len(check.failures)} failed")
    for failure in check.failures[:50]:
        click.echo(f"  {failure}", err=True)
    if not check.ok:
        raise click.ClickException("the restored service did not verify")


commands = [backup_command, restore_command]
