"""Vietnamese first, English available.

Source strings are Vietnamese (NFC); ``EN`` maps them to English. The locale comes from
``?lang=`` (remembered in the session), else the configured default.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session

from exam_engine.kernel.legal_time import vn_datetime_text
from exam_engine.kernel.translations_en import EN

LOCALES = ("vi", "en")


def current_locale() -> str:
    asked = request.args.get("lang")
    if asked in LOCALES:
        session["lang"] = asked
    return session.get("lang") or current_app.config["DEFAULT_LOCALE"]


def add_english(entries: dict[str, str]) -> None:
    """Add a package's English (its pages' strings) to ``EN``; one source, one English."""
    clash = {text for text, english in entries.items() if EN.get(text, english) != english}
    if clash:
        raise ValueError(f"two English texts for {sorted(clash)[:5]}")
    EN.update(entries)


def gettext(text: str) -> str:
    return EN.get(text, text) if current_locale() == "en" else text


def localized(vi: str, en: str) -> str:
    return en if current_locale() == "en" else vi


def format_number(value: float | int, decimals: int | None = None, locale: str = "vi") -> str:
    """A number as people read it: Vietnamese ``1.234,5`` (decimal comma, dot for thousands),
    English ``1,234.5``. ``decimals=None`` keeps what the value needs (up to 2 places, no
    trailing zeros; an integer stays whole)."""
    if decimals is None:
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{decimals}f}"
    if locale == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def number_filter(value: float | int | None, decimals: int | None = None) -> str:
    """Jinja ``|number``: ``{{ 66.67|number }}`` → ``66,67`` in Vietnamese, ``66.67`` in English."""
    if value is None:
        return ""
    return format_number(value, decimals, current_locale())


def install_i18n(app: Flask) -> None:
    app.jinja_env.globals.update(_=gettext, current_locale=current_locale)
    app.jinja_env.filters.update(number=number_filter, vn_datetime=vn_datetime_text)
