"""Every text of the administration pages has its Hindi: the templates' ``_()`` strings, the
dashboards' links, and the forms' labels, choices and messages."""
import re
from pathlib import Path

from wtforms.fields.core import UnboundField

import piaa
from piaa.admin import forms, views

TEMPLATES = Path(piaa.__file__).parent / "templates" / "admin"
ADMIN_CODE = Path(piaa.__file__).parent / "admin"
LITERAL = re.compile(r'''_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')''')


def _english(text) -> str:
    """A lazily translated label's English text (its msgid)."""
    return text._args[0] if hasattr(text, "_args") else text


def _texts() -> set[str]:
    found = set()
    for path in [*TEMPLATES.glob("*.html"), *ADMIN_CODE.glob("*.py")]:
        found |= {a or b for a, b in LITERAL.findall(path.read_text())}
    for link in views.ADMIN_LINKS + views.PSYCHOMETRICIAN_LINKS + views.ANALYST_LINKS:
        found |= {link.label, link.description}
    for form in (forms.AssessmentForm, forms.CohortForm, forms.WindowForm, forms.AccountForm,
                 forms.OrganisationForm, forms.RevokeForm, forms.TokenForm, forms.AccommodationForm):
        for value in vars(form).values():
            if isinstance(value, UnboundField):
                found.add(_english(value.args[0]))
                found |= {_english(c[1]) for c in value.kwargs.get("choices") or []}
                found |= {_english(v.message) for v in value.kwargs.get("validators") or []
                          if getattr(v, "message", None)}
    return found


def test_every_admin_text_has_hindi(app):
    from tests.test_i18n import hindi

    texts = _texts()
    assert len(texts) > 250  # the scan finds the pages' texts, not nothing
    missing = sorted(t for t in texts if t not in hindi())
    assert missing == []
