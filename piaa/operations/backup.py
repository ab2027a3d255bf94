"""Backups: the database, the signing keys and the uploaded files in one archive, and the
restore that checks what it brought back.

The archive is a gzipped tar holding ``manifest.json`` (what is inside, with a SHA-256 of each
file), the database (``pg_dump --format=custom`` for PostgreSQL, SQLite's online backup for
SQLite: both consistent while the service runs), ``keys/`` and ``uploads/``. It holds the
private signing keys: it is written readable by its owner only, and belongs where the keys
themselves may be kept.

A restore refuses to write over a database that has tables, or over key files, unless told
to (``force``); it then verifies the restored service: the audit chain from its first row to
its last, and every certificate (its signed credential and, once rendered, its signed PDF)
against the restored keys and status lists. A certificate the service revoked must come back
revoked, every other one valid.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

FORMAT = "piaa-backup/1"
KEY_NAMES = ("credential_key", "document_key", "document_cert")


class BackupError(RuntimeError):
    """A backup that cannot be made or restored; the message says why and what to do."""


# --- the database --------------------------------------------------------------------------

def _libpq(url: URL) -> tuple[str, dict[str, str], list[str]]:
    """A libpq URI without the password, the environment carrying it, and ``--schema`` options
    when the URL confines its connections to one schema (``options=-csearch_path=...``)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    schemas = []
    options = url.query.get("options")
    if isinstance(options, str) and "search_path=" in options:
        schemas = [f"--schema={options.split('search_path=', 1)[1].split()[0]}"]
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env, schemas


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def dump_database(url: URL, target: Path) -> str:
    """Write a consistent copy of the database at ``url`` to ``target``; returns its kind."""
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # the online backup API: consistent while others write
        finally:
            copy.close()
            source.close()
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        uri, env, schemas = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *schemas,
              f"--file={target}", f"--dbname={uri}"], env)
        return "postgresql"
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def load_database(url: URL, source: Path, kind: str, engine) -> None:
    """Restore the copy ``source`` (of ``kind``) into the database at ``url``."""
    if url.get_backend_name() != kind:
        raise BackupError(f"the backup holds a {kind} database; PIAA_DATABASE_URL names a "
                          f"{url.get_backend_name()} one")
    engine.dispose()
    if kind == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        copy, target = sqlite3.connect(source), sqlite3.connect(url.database)
        try:
            copy.backup(target)
        finally:
            target.close()
            copy.close()
        return
    uri, env, _ = _libpq(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          "--clean", "--if-exists", f"--dbname={uri}", str(source)], env)


def _revision(engine) -> str | None:
    from sqlalchemy import text

    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


# --- archive -------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _key_paths(app: Flask):
    from piaa.certificates.keys import KeyPaths

    return KeyPaths.resolve(app.instance_path, app.config)


@dataclass
class Manifest:
    created_at: str
    database: dict
    files: dict[str, str] = field(default_factory=dict)  # archive name -> sha256
    piaa_version: str = ""
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


def create_backup(app: Flask, archive: Path) -> Manifest:
    """Write the database, the signing keys and the uploads of ``app`` to ``archive``.

    :raise BackupError: if the database cannot be dumped (the reason is in the message).
    """
    from piaa import __version__
    from piaa.extensions import db

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with tempfile.TemporaryDirectory(prefix="piaa-backup-") as tmp:
        work = Path(tmp)
        members: dict[str, Path] = {}
        with app.app_context():
            database_file = work / "database"
            kind = dump_database(url, database_file)
            revision = _revision(db.engine)
        members[f"database.{'sqlite3' if kind == 'sqlite' else 'pgdump'}"] = database_file
        paths = _key_paths(app)
        for name in KEY_NAMES:
            path = getattr(paths, name)
            if path.exists():
                members[f"keys/{name}.pem"] = path
        uploads = Path(app.config["PIAA_UPLOAD_DIR"])
        if uploads.is_dir():
            for path in sorted(p for p in uploads.rglob("*") if p.is_file()):
                members[f"uploads/{path.relative_to(uploads).as_posix()}"] = path
        manifest = Manifest(created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            database={"kind": kind, "revision": revision}, piaa_version=__version__,
                            files={name: _sha256(path) for name, path in members.items()})
        archive.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds private keys
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = manifest.to_json()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
    return manifest


def read_archive(archive: Path, into: Path) -> Manifest:
    """Unpack ``archive`` into ``into`` and check every file against the manifest.

    :raise BackupError: if it is not a PIAA backup, or a file is missing or altered.
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")  # no absolute paths, links out or devices
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive}: not a readable backup archive ({exc})") from exc
    try:
        data = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{archive}: no readable manifest.json") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"{archive}: format {data.get('format')!r}, expected {FORMAT}")
    manifest = Manifest(**data)
    for name, digest in manifest.files.items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"{archive}: {name} is listed in the manifest but missing")
        if _sha256(path) != digest:
            raise BackupError(f"{archive}: {name} does not match its checksum (altered or truncated)")
    return manifest


def restore_backup(app: Flask, archive: Path, *, force: bool = False) -> Manifest:
    """Put the database, keys and uploads of ``archive`` where ``app`` keeps them.

    :raise BackupError: if the archive is damaged, or the database has tables or key files
        exist already and ``force`` is false.
    """
    from piaa.extensions import db

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    paths = _key_paths(app)
    with tempfile.TemporaryDirectory(prefix="piaa-restore-") as tmp:
        work = Path(tmp)
        manifest = read_archive(archive, work)
        with app.app_context():
            tables = inspect(db.engine).get_table_names()
            existing_keys = [str(getattr(paths, n)) for n in KEY_NAMES
                             if f"keys/{n}.pem" in manifest.files and getattr(paths, n).exists()]
            if not force and tables:
                raise BackupError(f"the database already has {len(tables)} tables: restore into an empty "
                                  "database, or pass --force to replace its contents")
            if not force and existing_keys:
                raise BackupError(f"key files exist already: {', '.join(existing_keys)} (--force replaces them)")
            kind = manifest.database["kind"]
            load_database(url, work / f"database.{'sqlite3' if kind == 'sqlite' else 'pgdump'}", kind, db.engine)
            db.engine.dispose()
        for name in KEY_NAMES:
            source = work / f"keys/{name}.pem"
            if source.exists():
                target = getattr(paths, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(source.read_bytes())
        uploads = Path(app.config["PIAA_UPLOAD_DIR"])
        for name in manifest.files:
            if name.startswith("uploads/"):
                target = uploads / name[len("uploads/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work / name, target)
    from piaa.certificates.keys import load_keys

    load_keys.cache_clear()  # the keys on disk may have changed under this process
    return manifest


# --- verification --------------------------------------------------------------------------

@dataclass
class RestoreCheck:
    audit_rows: int
    audit_problem: str | None
    certificates: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit_problem is None and not self.failures


def verify_restored(session) -> RestoreCheck:
    """Walk the audit chain and verify every certificate (call inside the app's context)."""
    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    from piaa.audit import verify_chain
    from piaa.certificates import services
    from piaa.certificates.models import Certificate
    from piaa.certificates.verification import verify_copy
    from piaa.clock import now
    from piaa.errors import NotFound

    chain = verify_chain(session)
    check = RestoreCheck(chain.rows, None if chain.ok else
                         f"audit chain broken at row {chain.first_broken_id}: {chain.reason}")
    profile = services.issuer_profile_document()
    from cryptography.hazmat.primitives import serialization

    cert_pem = services.current_keys().document_cert.public_bytes(serialization.Encoding.PEM)
    status_lists: dict[int, dict | None] = {}
    certificates = session.scalars(select(Certificate).options(undefer(Certificate.pdf))
                                   .order_by(Certificate.id).execution_options(yield_per=200))
    for certificate in certificates:
        check.certificates += 1
        number = certificate.status_list_number
        if number not in status_lists:
            try:
                status_lists[number] = services.status_list_document(session, number)
            except NotFound:
                status_lists[number] = None
        expected = "revoked" if certificate.is_revoked else "valid"
        copies = [("credential", json.dumps(certificate.credential).encode())]
        if certificate.pdf:
            copies.append(("PDF", certificate.pdf))
        for what, data in copies:
            report = verify_copy(data, profile=profile, status_list_credential=status_lists[number],
                                 document_cert_pem=cert_pem, now=now())
            if report.status != expected:
                check.failures.append(f"certificate {certificate.serial or certificate.public_id} ({what}): "
                                      f"{report.status}, expected {expected}: {'; '.join(report.reasons)}")
    return check
