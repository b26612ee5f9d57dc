"""Vietnamese first, English available.

Source strings are Vietnamese (NFC); ``EN`` maps them to English. The locale comes from
``?lang=`` (remembered in the session), else the configured default.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session

from exam_engine.kernel.translations_en import EN

LOCALES = ("vi", "en")


def current_locale() -> str:
    asked = request.args.get("lang")
    if asked in LOCALES:
        session["lang"] = asked
    return session.get("lang") or current_app.config["DEFAULT_LOCALE"]


def gettext(text: str) -> str:
    return EN.get(text, text) if current_locale() == "en" else text


def localized(vi: str, en: str) -> str:
    return en if current_locale() == "en" else vi


def install_i18n(app: Flask) -> None:
    app.jinja_env.globals.update(_=gettext, current_locale=current_locale)
