"""``make audit`` (scripts/dependency_audit.py): a vulnerable locked version fails the build;
an unreachable vulnerability database is reported as skipped, not as a pass or a failure."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("dependency_audit", ROOT / "scripts" / "dependency_audit.py")
dependency_audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dependency_audit)


def test_a_vulnerable_version_fails_and_is_named():
    report = {"dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
        {"name": "localpkg", "version": "1.0", "skip_reason": "Dependency not found on PyPI"}]}
    lines, vulnerable = dependency_audit.summarise("requirements.lock", report)
    assert vulnerable
    assert "requirements.lock: jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in lines
    assert lines[-1] == "requirements.lock: 2 dependencies audited, 1 vulnerable, 1 not found in the database"


def test_nothing_answered_is_a_skip_not_a_pass():
    report = {"dependencies": [{"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}]}
    lines, vulnerable = dependency_audit.summarise("requirements.lock", report)
    assert not vulnerable and "skipped, no vulnerability database reachable" in lines[0]
    lines, vulnerable = dependency_audit.summarise("requirements.lock", None, "ConnectionError: refused")
    assert not vulnerable and "skipped" in lines[0] and "ConnectionError" in lines[0]


def test_the_locks_pin_every_dependency_exactly():
    """The image installs requirements.lock without resolving: every line is name==version."""
    for lock in ("requirements.lock", "requirements-test.lock"):
        pins = [line.split()[0] for line in (ROOT / lock).read_text().splitlines()
                if line and not line.startswith((" ", "#"))]
        assert pins and all("==" in pin for pin in pins), lock
        names = {pin.split("==")[0].lower() for pin in pins}
        assert {"flask", "sqlalchemy", "gunicorn", "prometheus-client", "sentry-sdk"} <= names, lock
