"""Locating the outside tools the certificate tests drive (Poppler, zbar, node + npm)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERIFIER_DIR = REPO / "tools" / "verifier"
CONTEXTS_DIR = REPO / "piaa" / "certificates" / "contexts"


def require(*programs: str) -> None:
    """Skip, naming the Debian package, when a program cannot be found."""
    packages = {"pdfsig": "poppler-utils", "pdftoppm": "poppler-utils", "pdffonts": "poppler-utils",
                "zbarimg": "zbar-tools", "node": "nodejs", "npm": "npm"}
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed (Debian package {packages.get(program, program)})")


def node_verifier() -> Path:
    """tools/verifier with its npm packages installed from the committed lock file."""
    require("node", "npm")
    if not (VERIFIER_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=VERIFIER_DIR,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.skip(f"npm ci in tools/verifier failed: {result.stderr.strip()[-300:]}")
    return VERIFIER_DIR / "verify.js"
