"""Static files under URLs that name their content, and every answer compressed.

A candidate on a phone over a slow link pays for every byte and every round trip. Two things
keep both down:

- ``url_for('static', filename='css/site.css')`` gives ``/static/css/site.<digest>.css``, where
  the digest is the start of the file's SHA-256. Such a URL never changes its content, so it is
  answered with ``Cache-Control: public, max-age=31536000, immutable``: a browser keeps the file
  for a year and never asks again, not even on a reload; a changed file gets a new URL. A stale
  digest (a page rendered before a deploy) or a plain name still gets the current file, sent
  ``no-cache`` so that it is revalidated, never kept under a name that is not its own.
- Flask-Compress compresses every text answer (pages, JSON, style sheets, scripts) with Brotli,
  or gzip for a client without it. Static files are read whole first (they are small), so they
  are compressed like pages rather than as streams.

Pages keep ``no-store`` (``piaa.security_headers``): they carry personal data and items.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask, send_from_directory
from flask_compress import Compress
from werkzeug.security import safe_join

DIGEST_LENGTH = 16  # hex digits of SHA-256: 64 bits, no collision among a site's files
ONE_YEAR_S = 365 * 24 * 3600
_FINGERPRINTED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)$")

# Brotli first (smaller), gzip for the clients without it; nothing else is asked of them.
COMPRESSION_DEFAULTS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    # Below this an answer (a heartbeat, an acknowledged answer) is smaller sent as it is.
    "COMPRESS_MIN_SIZE": 500,
}
EXTRA_COMPRESSED_TYPES = ["text/csv", "application/ld+json", "application/problem+json"]

compress = Compress()


class StaticDigests:
    """The content digest of each file under a static folder, read again when the file's
    modification time or size changes (so a developer's edit shows at once)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._known: dict[str, tuple[int, int, str]] = {}

    def digest(self, filename: str) -> str | None:
        """The file's digest, or None when there is no such file."""
        path = safe_join(str(self.folder), filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known.get(filename)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()[:DIGEST_LENGTH]
        self._known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def url_name(self, filename: str) -> str:
        """``css/site.css`` -> ``css/site.<digest>.css``; a name without a suffix, or of no
        file, is left as it is."""
        directory, _, base = filename.rpartition("/")
        stem, dot, suffix = base.rpartition(".")
        digest = self.digest(filename) if dot and stem else None
        if digest is None:
            return filename
        return f"{directory}/{stem}.{digest}.{suffix}" if directory else f"{stem}.{digest}.{suffix}"

    def resolve(self, requested: str) -> tuple[str, bool]:
        """The file a static URL names, and whether the URL's digest is the file's own."""
        if self.digest(requested) is not None:
            return requested, False
        match = _FINGERPRINTED.match(requested)
        if match is None:
            return requested, False
        plain = match["stem"] + match["suffix"]
        return plain, self.digest(plain) == match["digest"]


def init_static_files(app: Flask) -> None:
    """Fingerprinted static URLs with a year's caching, and compressed answers."""
    digests = StaticDigests(app.static_folder)
    app.extensions["piaa_static_digests"] = digests

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = digests.url_name(values["filename"])

    def static(filename: str):
        """A static file; for a URL carrying the file's own digest, cached for a year."""
        plain, current = digests.resolve(filename)
        if current:
            response = send_from_directory(app.static_folder, plain, max_age=ONE_YEAR_S)
            response.cache_control.public = True
            response.cache_control.immutable = True
        else:
            response = send_from_directory(app.static_folder, plain, max_age=None)
        # Read whole (the files are a few kB) so that it is compressed and measured as any page.
        response.direct_passthrough = False
        response.make_sequence()
        return response

    app.view_functions["static"] = static
    from piaa.accounts.auth import public

    public(static)

    for key, value in COMPRESSION_DEFAULTS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    compress.compress_mimetypes_set.update(EXTRA_COMPRESSED_TYPES)
