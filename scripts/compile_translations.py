"""Compile every catalogue under piaa/translations (.po -> .mo), listing what is left to
translate. `make translations` runs it after `pybabel update`; it stands in for `pybabel
compile`, whose format check takes "95% interval" for a %-format and refuses the Hindi."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's piaa, however it is installed

from piaa.i18n import TRANSLATIONS, compile_catalogue  # noqa: E402


def main() -> int:
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        data, problems = compile_catalogue(po_path)
        po_path.with_suffix(".mo").write_bytes(data)
        print(f"{po_path.relative_to(TRANSLATIONS.parent)}: compiled, {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
