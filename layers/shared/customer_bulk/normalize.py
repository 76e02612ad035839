"""Turning what people type into spreadsheets into comparable values, with a specific reason when that fails.

The splitter (duplicate keys across the file) and the validator (every row) both call these, so a key means the
same thing everywhere: emails compared lower-cased and trimmed, phones as E.164.
"""

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class FieldProblem(ValueError):
    """A value that cannot be used; the message says what was expected."""


_SPACES = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE]\+?\d+$")


def cell_text(value: object) -> str:
    """A cell as the text a person sees: 912345678.0 -> '912345678', a date -> '1990-02-28'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def clean_text(text: str) -> str:
    """Trim, fold full-width characters and non-breaking spaces (NFKC), collapse runs of white space."""
    if text.isascii():
        return " ".join(text.split()) if text else ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def normalize_name(text: str, max_length: int = 255) -> str:
    value = clean_text(text)
    if len(value) > max_length:
        raise FieldProblem(f"is {len(value)} characters long; at most {max_length} are allowed")
    return value


@lru_cache(maxsize=65_536)
def normalize_email(text: str) -> str:
    """A syntactically valid address, lower-cased. No DNS lookups: an import must not depend on the network."""
    value = clean_text(text)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise FieldProblem(f'"{value}" is not a valid email address: {_sentence(str(error))}') from None
    return checked.normalized.lower()


@lru_cache(maxsize=65_536)
def normalize_phone(text: str, region: str) -> str:
    """E.164 ('+84912345678'). Accepts what Excel does to phones: a lost leading zero, 9.12345678E+08, a quote."""
    value = clean_text(text).lstrip("'")
    if _SCIENTIFIC.match(value):
        value = _expand_scientific(value)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise FieldProblem(f'"{value}" is not a phone number: {_sentence(error._msg)}') from None
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region
        raise FieldProblem(f'"{value}" is not a valid phone number (checked as a {where} number)')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _expand_scientific(value: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return value
    if number != number.to_integral_value():
        raise FieldProblem(f'"{value}" looks like a number Excel shortened; format the column as text and re-type it')
    return str(int(number))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text else "not valid"
