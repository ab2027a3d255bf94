"""The reader's language. Strings are written in English in code and templates and marked for
translation; Flask-Babel looks them up in the gettext catalogues under ``piaa/translations``
(``make translations`` extracts, updates and compiles them). A language is offered as soon as
its compiled catalogue is there: adding one is a translator's file, not a code change.

Texts keep ``str.format`` placeholders (``_("Question {n}", n=3)``): the translation is looked
up first, then filled in, so a translator moves ``{n}`` where the sentence needs it."""
from __future__ import annotations

from pathlib import Path

import flask_babel
from babel import Locale
from flask import Flask, g, has_app_context, request, session
from flask_babel.speaklater import LazyString

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT_LANGUAGE = "en"  # the language the texts are written in


def available_languages(directory: Path = TRANSLATIONS) -> dict[str, str]:
    """English plus every language with a compiled catalogue, each named in itself."""
    codes = [DEFAULT_LANGUAGE] + sorted(
        path.name for path in directory.iterdir()
        if (path / "LC_MESSAGES" / "messages.mo").is_file() and path.name != DEFAULT_LANGUAGE
    ) if directory.is_dir() else [DEFAULT_LANGUAGE]
    return {code: Locale.parse(code).get_display_name(code) for code in codes}


SUPPORTED_LANGUAGES = available_languages()
babel = flask_babel.Babel(configure_jinja=False)  # templates get our ``_`` (str.format style)


def current_language() -> str:
    """The reader's language in a request (or inside ``force_locale``), else English."""
    if has_app_context():
        locale = flask_babel.get_locale()
        if locale is not None:
            return str(locale)
    return DEFAULT_LANGUAGE


def gettext(text, /, **values) -> str:
    """``text`` in the reader's language, with ``{name}`` placeholders filled from ``values``."""
    text = str(text)  # a lazily translated form label arrives as a LazyString
    translated = flask_babel.gettext(text) if text and has_app_context() else text
    if values and any(hasattr(value, "__html__") for value in values.values()):
        # A value that is markup (a template's ``<code>``) stays markup; the rest is escaped.
        from markupsafe import Markup, escape

        return Markup(escape(translated)).format(**values)
    return translated.format(**values) if values else translated


_ = gettext


def lazy_gettext(text: str, **values) -> LazyString:
    """For texts defined at import time (form labels, validators' messages): translated when shown."""
    return LazyString(gettext, text, **values)


_l = lazy_gettext


def N_(text: str) -> str:
    """Marks a text for the catalogue without translating it: tables of labels that a page
    translates later with ``_(label)``."""
    return text


def pick(texts: dict[str, str] | str | None, lang: str | None = None) -> str:
    """Choose the reader's language from a ``{"en": ..., "hi": ...}`` text, falling back to English."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    lang = lang or current_language()
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def picked_language(texts: dict[str, str] | str | None, lang: str | None = None) -> str:
    """The language ``pick`` shows of ``texts``: a page marks authored content that has no
    version in the reader's language with ``lang`` (an item written only in English)."""
    lang = lang or current_language()
    if not isinstance(texts, dict) or texts.get(lang):
        return lang
    return DEFAULT_LANGUAGE if texts.get(DEFAULT_LANGUAGE) else next(iter(texts), lang)


def in_language(record, attribute: str, lang: str | None = None) -> str:
    """A record's text in the reader's language: ``name_hi`` beside ``name`` (a competency's,
    an organisation's, an assessment's ``title_hi``), else the text itself, else its
    catalogue translation (a standard label such as a level's "Proficient")."""
    if record is None:
        return ""
    lang = lang or current_language()
    read = record.get if isinstance(record, dict) else lambda name: getattr(record, name, None)
    text = read(attribute) or ""
    if lang != DEFAULT_LANGUAGE:
        translated = read(f"{attribute}_{lang}")
        if translated:
            return translated
        return gettext(text) if text else text
    return text


def _selected_language() -> str | None:
    return g.get("lang")


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=_selected_language)

    @app.before_request
    def choose_language():
        from flask_login import current_user

        lang = request.args.get("lang") or session.get("lang")
        if lang is None and current_user and current_user.is_authenticated:
            lang = current_user.preferred_language
        g.lang = lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
        flask_babel.refresh()  # a hook before this one may have asked for the locale already

    from piaa.errors import problem_in_language

    app.jinja_env.globals.update(_=gettext, pick=pick, picked_language=picked_language, in_language=in_language,
                                 problem_in_language=problem_in_language, languages=SUPPORTED_LANGUAGES,
                                 current_language=current_language)


# --- the catalogues' build step (``make translations``) ----------------------------------------

def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields of a text, sorted (``{{`` is a literal brace, not a field)."""
    import string

    return sorted(field for _literal, field, _spec, _conv in string.Formatter().parse(text)
                  if field is not None)


def compile_catalogue(po_path: Path) -> tuple[bytes, list[str]]:
    """The .mo bytes of a .po file, and its problems: a text without translation, a fuzzy one,
    or a translation whose placeholders differ from the English. Our texts use ``{name}``
    placeholders, so Babel's own check (which reads "95% interval" as a %-format) is not used."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if not message.string:
            problems.append(f"no translation: {message.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy (check and clear the flag): {message.id!r}")
        elif placeholders(message.id) != placeholders(message.string):
            problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue(), problems
