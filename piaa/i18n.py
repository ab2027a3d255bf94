"""English and Hindi. Strings are written in English in code and templates; ``_()`` looks up
the Hindi text in small per-domain catalogues (``register``) when the reader chose Hindi."""
from __future__ import annotations

from flask import Flask, g, has_request_context, request, session

SUPPORTED_LANGUAGES = {"en": "English", "hi": "हिन्दी"}
_CATALOGUES: dict[str, dict[str, str]] = {"hi": {}}


def register(lang: str, messages: dict[str, str]) -> None:
    """Add translations; domains call this at import time with their own strings."""
    _CATALOGUES.setdefault(lang, {}).update(messages)


def current_language() -> str:
    if has_request_context():
        return getattr(g, "lang", "en")
    return "en"


def gettext(text: str, **values) -> str:
    translated = _CATALOGUES.get(current_language(), {}).get(text, text)
    return translated.format(**values) if values else translated


_ = gettext


def pick(texts: dict[str, str] | str | None, lang: str | None = None) -> str:
    """Choose the reader's language from a ``{"en": ..., "hi": ...}`` text, falling back to English."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    lang = lang or current_language()
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def init_i18n(app: Flask) -> None:
    @app.before_request
    def choose_language():
        from flask_login import current_user

        lang = request.args.get("lang") or session.get("lang")
        if lang is None and current_user and current_user.is_authenticated:
            lang = current_user.preferred_language
        g.lang = lang if lang in SUPPORTED_LANGUAGES else "en"

    app.jinja_env.globals.update(_=gettext, pick=pick, languages=SUPPORTED_LANGUAGES,
                                 current_language=current_language)


register("hi", {
    "Sign in": "साइन इन करें",
    "Sign out": "साइन आउट करें",
    "E-mail": "ई-मेल",
    "Password": "पासवर्ड",
    "Language": "भाषा",
    "Skip to main content": "मुख्य सामग्री पर जाएँ",
    "E-mail or password is wrong.": "ई-मेल या पासवर्ड गलत है।",
    "Home": "मुख्य पृष्ठ",
    "Change": "बदलें",
    "Something went wrong": "कुछ गलत हो गया",
    "Proctored, Independent, Authorised Assessment": "पर्यवेक्षित, स्वतंत्र, अधिकृत मूल्यांकन",
    "My assessments": "मेरे मूल्यांकन",
    "My certificates": "मेरे प्रमाणपत्र",
    "Item banks": "प्रश्न बैंक",
    "Import": "आयात",
    "Review queue": "समीक्षा कतार",
    "Competency dictionary": "दक्षता शब्दकोश",
    "Live proctoring": "लाइव निरीक्षण",
})
