"""What a person reads, in their language: gettext catalogs for the words, Babel (CLDR) for numbers, dates and
plurals.

English is the source language: messages are written in English in the code, marked ``_("...")`` (or ``n_`` where a
count chooses the form), and ``locale/<lang>/LC_MESSAGES/customer_bulk.po`` translates them (``make catalogs``
extracts and compiles; the ``.mo`` files are committed and a test keeps them in step with the ``.po``).

The language in force is a context (``speaking(job.language)``), set where a job's work starts: the job records the
language it was started in, so its rows, files and emails all speak it. Outside any context it is English (logs).
Placeholders are ``{name}``; numbers and dates passed as parameters are written the locale's way.
"""

import gettext
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_month_names
from babel.numbers import format_decimal

Language = Literal["vi", "en", "it", "da"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
SOURCE_LANGUAGE: Language = "en"
DOMAIN = "customer_bulk"
LOCALE_DIR = Path(__file__).parent / "locale"

# A tenant's language when it has not chosen one: its region's (VN, IT, DK), otherwise English.
_REGION_LANGUAGE: dict[str, Language] = {"VN": "vi", "IT": "it", "DK": "da"}
# Where a tenant's times are shown when it has not said: its region's capital's zone.
_REGION_ZONE = {"VN": "Asia/Ho_Chi_Minh", "IT": "Europe/Rome", "DK": "Europe/Copenhagen"}
_LOCALE = {"vi": "vi_VN", "en": "en_US", "it": "it_IT", "da": "da_DK"}

_current: ContextVar[Language] = ContextVar("language", default=SOURCE_LANGUAGE)


def language_of_region(region: str) -> Language:
    return _REGION_LANGUAGE.get(region.upper(), SOURCE_LANGUAGE)


def zone_name_of_region(region: str) -> str:
    return _REGION_ZONE.get(region.upper(), "UTC")


def negotiate(accept_language: str | None) -> Language | None:
    """The best of our languages for an ``Accept-Language`` header (q-values honoured), or None when it names none."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if match := re.fullmatch(r"\s*q=([01](?:\.\d{0,3})?)\s*", params):
            quality = float(match.group(1))
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return next((language for *_order, language in sorted(ranked)), None)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate everything said inside into ``language`` (English if it is not one of ours)."""
    token = _current.set(language if language in LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def current_language() -> Language:
    return _current.get()


def current_locale() -> Locale:
    return Locale.parse(_LOCALE[_current.get()])


@cache
def catalog(language: Language) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (a missing one is an error, never a silent fall back to English)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, [language])


def _(message: str, /, **params: Any) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled (numbers and dates the locale's way)."""
    text = catalog(_current.get()).gettext(message)
    return text.format_map(_localized(params)) if params else text


def n_(singular: str, plural: str, count: int, /, **params: Any) -> str:
    """The form of the message that ``count`` takes in the current language (``{count}`` is filled in too)."""
    text = catalog(_current.get()).ngettext(singular, plural, count)
    return text.format_map(_localized({"count": count, **params}))


def N_(message: str) -> str:
    """Marks a message kept in a table for translation later, with ``_(message)`` where it is said."""
    return message


def number(value: int | float) -> str:
    """``2.401`` in vi / it / da, ``2,401`` in en."""
    return format_decimal(value, locale=current_locale())


def month_name(month: int) -> str:
    return str(get_month_names("wide", locale=current_locale())[month])


def day(value: date) -> str:
    return format_date(value, "medium", locale=current_locale())


def moment(value: datetime, zone: str = "UTC") -> str:
    """A time as the locale writes it, in the IANA ``zone`` (the tenant's region's), the zone named after it."""
    return f"{format_datetime(value, 'medium', tzinfo=ZoneInfo(zone), locale=current_locale())} ({zone})"


def _localized(params: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float | datetime | date):
            out[name] = value
        elif isinstance(value, datetime):
            out[name] = moment(value)
        elif isinstance(value, date):
            out[name] = day(value)
        else:
            out[name] = number(value)
    return out
