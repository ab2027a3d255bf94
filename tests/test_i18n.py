"""The interface's translations: every text marked in the code and templates has its Hindi in
the catalogue, with the English placeholders; the compiled .mo is the .po as it stands; a
third language is a translator's file, found without a code change."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import piaa
from piaa.i18n import TRANSLATIONS, available_languages, compile_catalogue, placeholders

PACKAGE = Path(piaa.__file__).parent
MAPPING = PACKAGE.parent / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `make translations` passes them
HINDI_PO = TRANSLATIONS / "hi" / "LC_MESSAGES" / "messages.po"


def marked_texts(root: Path = PACKAGE) -> dict[str, str]:
    """Every text marked for translation under ``root`` (as pybabel extracts it), with where it is."""
    with MAPPING.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS):
        text = message[0] if isinstance(message, tuple) else message
        if text:
            found.setdefault(text, f"{filename}:{lineno}")
    return found


def read_catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def hindi() -> dict[str, str]:
    """The Hindi catalogue as English -> Hindi (translated, not fuzzy, entries only)."""
    return {m.id: m.string for m in read_catalogue(HINDI_PO) if m.id and m.string and not m.fuzzy}


def untranslated(texts: dict[str, str], catalogue: dict[str, str]) -> list[str]:
    return sorted(f"{where}: {text!r}" for text, where in texts.items() if text not in catalogue)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return marked_texts()


def test_every_marked_text_has_hindi(texts):
    assert len(texts) > 800  # the scan finds the pages' and the code's texts, not nothing
    assert untranslated(texts, hindi()) == []


def test_the_template_holds_every_marked_text(texts):
    """`make translations` was run after the last text was added: the .pot translators work
    from lists them all."""
    template = {m.id for m in read_catalogue(TRANSLATIONS / "messages.pot") if m.id}
    assert sorted(set(texts) - template) == []


def test_hindi_keeps_every_placeholder():
    catalogue = read_catalogue(HINDI_PO)
    differ = [(m.id, m.string) for m in catalogue
              if m.id and m.string and placeholders(m.id) != placeholders(m.string)]
    assert differ == []
    assert sum(1 for m in catalogue if m.id and placeholders(m.id)) > 50  # the check sees placeholders


@pytest.mark.parametrize("po_path", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")),
                         ids=lambda p: p.parts[-3])
def test_each_compiled_catalogue_is_its_po_as_it_stands(po_path):
    data, problems = compile_catalogue(po_path)
    assert problems == []
    assert po_path.with_suffix(".mo").read_bytes() == data, "stale .mo: run `make translations`"


def test_the_checks_can_fail(tmp_path):
    """A new text in a template, a wrong placeholder, a fuzzy entry and a stale .mo are caught."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "new.html").write_text('<p>{{ _("A text nobody translated, {n} times", n=2) }}</p>')
    (tmp_path / "code.py").write_text('from piaa.i18n import N_\nLABEL = N_("Another new label")\n')
    found = marked_texts(tmp_path)
    assert set(found) == {"A text nobody translated, {n} times", "Another new label"}
    assert len(untranslated(found, hindi())) == 2

    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Question {n} of {total}"\nmsgstr "प्रश्न {n} / {count}"\n\n'
                  '#, fuzzy\nmsgid "Saved"\nmsgstr "सहेजा"\n\nmsgid "Next"\nmsgstr ""\n', encoding="utf-8")
    data, problems = compile_catalogue(po)
    assert [p.split(":")[0] for p in problems] == ["placeholders differ", "fuzzy (check and clear the flag)",
                                                   "no translation"]
    po.with_suffix(".mo").write_bytes(data)
    po.write_text(po.read_text(encoding="utf-8").replace("{count}", "{total}"), encoding="utf-8")
    assert compile_catalogue(po)[0] != po.with_suffix(".mo").read_bytes()


def test_languages_come_from_the_catalogues_present(tmp_path):
    """A third language is its catalogue: `pybabel init -l ta`, translate, compile; no code."""
    assert available_languages() == {"en": "English", "hi": "हिन्दी"}
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy)
    tamil = copy / "ta" / "LC_MESSAGES"
    tamil.mkdir(parents=True)
    (tamil / "messages.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                       'msgid "Sign in"\nmsgstr "உள்நுழைக"\n', encoding="utf-8")
    assert available_languages(copy) == {"en": "English", "hi": "हिन्दी"}  # not compiled yet
    (tamil / "messages.mo").write_bytes(compile_catalogue(tamil / "messages.po")[0])
    assert available_languages(copy) == {"en": "English", "hi": "हिन्दी", "ta": "தமிழ்"}

    from flask_babel import force_locale

    from piaa import create_app
    from piaa.i18n import gettext

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "BABEL_TRANSLATION_DIRECTORIES": str(copy)})
    with app.app_context(), force_locale("ta"):
        assert gettext("Sign in") == "உள்நுழைக"
        assert gettext("Question {n} of {total}", n=2, total=9) == "Question 2 of 9"  # English stands in


def test_pages_speak_the_chosen_language_and_fill_placeholders(app, client):
    from piaa.i18n import gettext

    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        assert gettext("Question {n} of {total}", n=2, total=9) == hindi()["Question {n} of {total}"].format(n=2, total=9)
        assert gettext("95% interval") == "95% अंतराल"
    english = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in english and "Sign in" in english
    page = client.get("/login?lang=hi").get_data(as_text=True)
    assert '<html lang="hi">' in page and hindi()["Sign in"] in page and ">Sign in<" not in page


def test_the_composite_definition_pages_translate_is_the_one_computed():
    from piaa.psychometrics import effectiveness

    assert effectiveness.COMPOSITE_DEFINITION in hindi()


def test_records_and_errors_speak_the_readers_language(app):
    from markupsafe import Markup

    from piaa.errors import Forbidden
    from piaa.i18n import gettext, in_language, picked_language

    class Competency:
        name, name_hi, description, description_hi = "Empathy", "समानुभूति", "Understands people.", None

    class Level:
        label, label_hi = "Proficient", None

    error = Forbidden("this needs the role {roles}; you are {role}", values={"roles": ["analyst", "admin"],
                                                                            "role": "psychometrician"})
    assert error.message == "this needs the role analyst or admin; you are psychometrician"
    with app.test_request_context("/?lang=hi"):
        app.preprocess_request()
        assert in_language(Competency(), "name") == "समानुभूति"
        assert in_language(Competency(), "description") == "Understands people."  # no Hindi: as written
        assert in_language(Level(), "label") == "प्रवीण"  # a standard label: from the catalogue
        assert in_language({"name": "x", "name_hi": "य"}, "name") == "य"
        assert picked_language({"en": "Stem"}) == "en" and picked_language({"en": "a", "hi": "b"}) == "hi"
        assert error.in_language() == "इसके लिए विश्लेषक या प्रशासक की भूमिका चाहिए; आपकी भूमिका मनोमिति विशेषज्ञ है"
        shown = gettext("CSV columns: {columns} — or the dictionary JSON. All or nothing; a code that exists gets a new version.",
                        columns=Markup("<code>a,b</code>"))
        assert "<code>a,b</code>" in shown and shown.startswith("CSV स्तंभ")
        # beside a markup value, a plain one is escaped
        assert gettext("{focal} vs {reference}", focal=Markup("<i>x</i>"), reference="<b>") == "<i>x</i> बनाम &lt;b&gt;"
    with app.test_request_context("/"):
        app.preprocess_request()
        assert in_language(Competency(), "name") == "Empathy"


def test_a_pages_script_reads_api_errors_in_its_readers_language(app, make_user):
    """The sitting shows "Could not save: {message}": a browser session in Hindi gets the
    message in Hindi; the code stays the machine's word."""
    from tests.conftest import login

    client = app.test_client()
    login(client, make_user(role="candidate"))
    english = client.get("/api/v1/proctor/attempts")
    assert english.status_code == 403
    assert english.get_json()["error"]["message"].startswith("this needs the role")
    client.post("/language", data={"lang": "hi"})
    hindi_error = client.get("/api/v1/proctor/attempts").get_json()["error"]
    assert hindi_error["code"] == "forbidden"
    assert hindi_error["message"].startswith("इसके लिए") and "needs" not in hindi_error["message"]
