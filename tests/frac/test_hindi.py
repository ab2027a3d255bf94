"""Every text of the FRAC and workplace pages, e-mails and PDF has its Hindi, with the same
placeholders."""
import re
from pathlib import Path

import piaa
from piaa.frac.proposals import ACTION_LABELS

ROOT = Path(piaa.__file__).parent
SOURCES = [*(ROOT / "templates" / "frac").glob("*.html"), *(ROOT / "templates" / "workplace").glob("*"),
           *(ROOT / "frac").glob("*.py"), *(ROOT / "workplace").glob("*.py")]
LITERAL = re.compile(r'''_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')''')


def _texts() -> set[str]:
    found = set(ACTION_LABELS.values())
    for path in SOURCES:
        found |= {(a or b).replace('\\"', '"') for a, b in LITERAL.findall(path.read_text(encoding="utf-8"))}
    return found


def test_every_frac_and_workplace_text_has_hindi(app):
    from piaa.i18n import _CATALOGUES

    texts = _texts()
    assert len(texts) > 100  # the scan finds the pages' texts, not nothing
    assert sorted(t for t in texts if t not in _CATALOGUES["hi"]) == []


def test_hindi_keeps_every_placeholder(app):
    from piaa.i18n import _CATALOGUES

    for english in _texts():
        hindi = _CATALOGUES["hi"][english]
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", hindi)), english
