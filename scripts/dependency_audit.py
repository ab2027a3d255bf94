"""Known vulnerabilities in the locked dependencies (``make audit``), with pip-audit.

    python scripts/dependency_audit.py [requirements.lock ...]

Exits 1 when a locked version has a known vulnerability, 0 when none has. Where no
vulnerability database can be reached (a machine without the internet, or one whose package
mirror answers no vulnerability queries) it says so and exits 0 rather than failing a build
on what it could not check: pip-audit then reports every dependency as skipped, or fails to
connect.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def summarise(lock: str, report: dict | None, error: str = "") -> tuple[list[str], bool]:
    """Lines to print for one lock file's pip-audit JSON ``report`` (None: pip-audit gave
    none), and whether a vulnerability was found."""
    if report is None:
        return [f"{lock}: skipped, no vulnerability database reachable ({error[:200]})"], False
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return [f"{lock}: skipped, no vulnerability database reachable "
                f"(all {len(dependencies)} dependencies unanswered)"], False
    lines = []
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"{lock}: {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    skipped = len(dependencies) - len(audited)
    lines.append(f"{lock}: {len(audited)} dependencies audited, {len(vulnerable)} vulnerable"
                 + (f", {skipped} not found in the database" if skipped else ""))
    return lines, bool(vulnerable)


def audit(lock: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report on ``lock``, or None and the last line it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        report_file = Path(tmp) / "audit.json"
        done = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--requirement", str(ROOT / lock), "--no-deps",
             "--disable-pip", "--progress-spinner", "off", "--format", "json",
             "--output", str(report_file)], capture_output=True, text=True)
        try:
            return json.loads(report_file.read_text()), ""
        except (OSError, ValueError):
            return None, (done.stderr.strip().splitlines() or ["no output"])[-1]


def main(lock_files: list[str]) -> int:
    failed = False
    for lock in lock_files or ["requirements.lock"]:
        lines, vulnerable = summarise(lock, *audit(lock))
        print("\n".join(lines))
        failed = failed or vulnerable
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
