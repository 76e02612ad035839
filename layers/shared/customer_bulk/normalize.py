"""Turning what people type into spreadsheets into comparable values, with a specific reason when that fails.

The splitter (keys repeated across the file) and the validator (every row) both call these, so a key means the
same thing everywhere: emails compared lower-cased and trimmed, phones as E.164.

Speed: email-validator and phonenumbers take 80-120 microseconds a value. Both have a fast path here for the common
shapes that *only accepts* what the library would accept with the same result, and hands everything else (every
rejection included, so the reasons stay the library's, said in our words and the job's language) to the library.
tests/unit/test_normalize.py and
bench/validate.py check the two agree.
"""

import calendar
import datetime as dt
import gettext
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from typing import Any

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from customer_bulk.i18n import N_, _, current_language, month_name


class FieldProblem(ValueError):
    """A value that cannot be used; the message says what was expected."""


Outcome = tuple[bool, Any]  # (True, value) or (False, what is wrong)


class Remembered:
    """A parser whose outcomes, rejections included, are cached: in a real list the same city, gender, consent or
    bad date comes back thousands of times. ``outcome`` never raises, so a repeated bad value costs no exception."""

    def __init__(self, function: Callable[..., Any], maxsize: int) -> None:
        self.function = function
        self._cached: Callable[..., Outcome] = lru_cache(maxsize=maxsize)(self._outcome)
        wraps(function)(self)

    def outcome(self, *args: Any) -> Outcome:
        # Keyed by the language too: a rejection's message is said in the job's language.
        return self._cached(current_language(), *args)

    def _outcome(self, _language: str, *args: Any) -> Outcome:
        try:
            return True, self.function(*args)
        except FieldProblem as problem:
            return False, str(problem)

    def __call__(self, *args: Any) -> Any:
        ok, result = self.outcome(*args)
        if ok:
            return result
        raise FieldProblem(result)


def remembered(maxsize: int) -> Callable[[Callable[..., Any]], Remembered]:
    return lambda function: Remembered(function, maxsize)


def outcome_of(function: Callable[..., Any], *args: Any) -> Outcome:
    """The outcome of a parser that is not remembered (emails and phones are unique: caching them buys nothing)."""
    try:
        return True, function(*args)
    except FieldProblem as problem:
        return False, str(problem)


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


# Control characters that are not white space (NUL, BEL, ESC, C1...) are never data: they are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def clean_text(text: str) -> str:
    """Trim, fold full-width characters and non-breaking spaces (NFKC), drop control characters, collapse runs of
    white space."""
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if not text.isprintable():
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


# OWASP CSV injection: text starting with these may be evaluated by a spreadsheet.
FORMULA_STARTS = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().\-/]*\d[\d\s().\-/]*$")


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet could evaluate; plain signed numbers and phones are data, not formulas."""
    return text[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.match(text)


def clean_value(text: str) -> str:
    """clean_text, minus the apostrophe Excel and Shopify exports put before text that looks like a number."""
    value = clean_text(text)
    return value[1:].lstrip() if value.startswith("'") else value


def strip_accents(text: str) -> str:
    """The letters without their accents ('Đà Nẵng' -> 'Da Nang'): Vietnamese đ is a letter of its own in Unicode."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive form ('Không' -> 'khong', 'Việt Nam' -> 'vietnam')."""
    return re.sub(r"[^0-9a-z]", "", strip_accents(text).casefold())


@remembered(16_384)  # names, cities, companies repeat a lot in real lists
def text_of(text: str, max_length: int = 255) -> str:
    """A text cell: cleaned, without Excel's leading apostrophe, at most ``max_length`` characters."""
    return normalize_name(clean_value(text), max_length)


def normalize_name(text: str, max_length: int = 255) -> str:
    value = clean_text(text)
    if len(value) > max_length:
        raise FieldProblem(
            _("is {length} characters long; at most {limit} are allowed", length=len(value), limit=max_length)
        )
    return value


# ---------- email ----------
_FAST_EMAIL = re.compile(
    r"^[a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9_%+-])?@"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
_SPECIAL_USE_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


def normalize_email(text: str) -> str:
    """A syntactically valid address, lower-cased. No DNS lookups: an import must not depend on the network."""
    value = clean_value(text)
    lowered = value.lower()
    if (
        _FAST_EMAIL.match(lowered)
        and ".." not in lowered
        and "--" not in lowered.partition("@")[2]
        and len(lowered) <= 254
        and lowered.rpartition(".")[2] not in _SPECIAL_USE_TLDS
    ):
        return lowered
    address = _email_by_library(value)
    _refuse_mixed_scripts(address)
    return address


def _refuse_mixed_scripts(address: str) -> None:
    """An address whose local part or a domain label mixes alphabets ("аlice" with a Cyrillic а) looks like
    another customer's and would silently become a second customer: refused, naming the odd letter."""
    local, _at, domain = address.partition("@")
    for part in (local, *domain.split(".")):
        scripts = {_script(letter): letter for letter in part if letter.isalpha()}
        if len(scripts) > 1:
            odd = next(letter for script, letter in scripts.items() if script != "LATIN") if "LATIN" in scripts else ""
            name = unicodedata.name(odd, "").title() if odd else ""
            alphabets = ", ".join(sorted(s.title() for s in scripts))
            raise FieldProblem(
                _(
                    '"{value}" mixes letters of several alphabets ({alphabets}; "{odd}" is {name}), which makes it '
                    "look like another address: retype it",
                    value=address,
                    alphabets=alphabets,
                    odd=odd,
                    name=name,
                )
                if name
                else _(
                    '"{value}" mixes letters of several alphabets ({alphabets}), which makes it look like another '
                    "address: retype it",
                    value=address,
                    alphabets=alphabets,
                )
            )


def _script(letter: str) -> str:
    return unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0]


@lru_cache(maxsize=8192)
def _email_by_library(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise FieldProblem(_email_problem(value, str(error))) from None
    return checked.normalized.lower()


# ---------- phone ----------
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_WHOLE_FLOAT = re.compile(r"^\+?\d{6,15}\.0+$")


class _RegionNumbers:
    """A region's numbering plan from phonenumbers' own metadata: which national numbers are valid."""

    def __init__(self, region: str) -> None:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        self.usable = metadata is not None and not metadata.leading_zero_possible
        if metadata is None:
            return
        self.country_code = str(metadata.country_code)
        self.national_prefix = metadata.national_prefix or ""
        self.prefix_for_parsing = metadata.national_prefix_for_parsing or ""
        self.general = self._desc(metadata.general_desc)
        types = (
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
            metadata.mobile,
        )
        described = [self._desc(desc) for desc in types if desc is not None]
        self.types = [desc for desc in described if desc is not None]
        # phonenumbers tries each number type in turn; one alternation per national-number length is the same test.
        self._by_length: dict[int, re.Pattern[str]] = {}
        general_lengths = self.general[0] if self.general else frozenset()
        for length in general_lengths or range(1, 18):
            patterns = [pattern.pattern for lengths, pattern in self.types if not lengths or length in lengths]
            if patterns:
                self._by_length[length] = re.compile("|".join(f"(?:{p})" for p in patterns))
        # Only a single-character national prefix parsed as itself ("0") is handled here; the rest goes to parse().
        self.simple_prefix = self.prefix_for_parsing in ("", self.national_prefix) and len(self.national_prefix) <= 1

    @staticmethod
    def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> tuple[frozenset[int], re.Pattern[str]] | None:
        if desc is None or desc.national_number_pattern is None:
            return None
        return frozenset(desc.possible_length or ()), re.compile(f"(?:{desc.national_number_pattern})")

    @staticmethod
    def _matches(desc: tuple[frozenset[int], re.Pattern[str]] | None, number: str) -> bool:
        if desc is None:
            return False
        lengths, pattern = desc
        return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None

    def is_valid(self, national: str) -> bool:
        by_length = self._by_length.get(len(national))
        return by_length is not None and self._matches(self.general, national) and bool(by_length.fullmatch(national))

    def e164(self, digits: str, international: bool) -> str | None:
        """E.164 when the shape is one we can read with certainty and the number is valid, else None."""
        if international:
            if not digits.startswith(self.country_code):
                return None
            national = digits[len(self.country_code) :]
        elif self.simple_prefix and self.national_prefix and digits.startswith(self.national_prefix):
            national = digits[len(self.national_prefix) :]
        elif digits.startswith(self.country_code) and self.general and not self.general[1].fullmatch(digits):
            # phonenumbers strips a leading country code (84912345678) when the whole is no national number
            # but the rest is; when the rest is not valid either, the library decides (and explains).
            national = digits[len(self.country_code) :]
        else:
            national = digits
        if national.startswith("0") or not self.is_valid(national):
            return None
        return f"+{self.country_code}{national}"


@lru_cache(maxsize=64)
def _region(region: str) -> _RegionNumbers:
    return _RegionNumbers(region)


def normalize_phone(text: str, region: str) -> str:
    """E.164 ('+84912345678'). Accepts what Excel does to phones: a lost leading zero, 9.12345678E+08, a quote."""
    value = clean_value(text)
    if value.startswith("-"):
        raise FieldProblem(_('"{value}" is not a phone number: it is a negative number', value=value))
    if _WHOLE_FLOAT.match(value):  # 912345602.0: a phone column that went through a number format
        value = value.partition(".")[0]
    plan = _region(region)
    if plan.usable:
        digits = _PHONE_SEPARATORS.sub("", value)
        international = digits.startswith("+")
        if international:
            digits = digits[1:]
        if digits.isdigit() and digits.isascii():
            fast = plan.e164(digits, international)
            if fast is not None:
                return fast
    return _phone_by_library(value, region)


@lru_cache(maxsize=8192)
def _phone_by_library(value: str, region: str) -> str:
    if _SCIENTIFIC.match(value):
        value = _expand_scientific(value)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        reason = _(_PHONE_PARSE_PROBLEMS.get(error.error_type, _PHONE_PARSE_PROBLEMS[error.NOT_A_NUMBER]))
        raise FieldProblem(_('"{value}" is not a phone number: {reason}', value=value, reason=reason)) from None
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region
        raise FieldProblem(
            _('"{value}" is not a valid phone number (checked as a {region} number)', value=value, region=where)
        )
    if number.extension:
        raise FieldProblem(
            _(
                '"{value}" has an extension ({extension}): a phone column holds one number a customer can be '
                "reached at; put the extension in the note",
                value=value,
                extension=number.extension,
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _expand_scientific(value: str) -> str:
    number = Decimal(value)
    if number != number.to_integral_value():
        raise FieldProblem(
            _('"{value}" looks like a number Excel shortened; format the column as text and re-type it', value=value)
        )
    return str(int(number))


# ---------- dates ----------
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_PARTS = re.compile(r"^(\d{1,4})[/.\- ](\d{1,2})[/.\- ](\d{1,4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_ORDERS = {"DMY": ("day", "month", "year"), "MDY": ("month", "day", "year"), "YMD": ("year", "month", "day")}


@remembered(16_384)
def normalize_date(text: str, order: str = "DMY") -> str:
    """An ISO date from 28/02/1990 (in the tenant's order), 1990-02-28, 19900228 or an Excel serial (32932)."""
    value = clean_value(text)
    if len(value) == 10 and value[2] == value[5] and value[2] in "/.-" and order != "YMD":
        first, second, last = value[:2], value[3:5], value[6:]
        if first.isdigit() and second.isdigit() and last.isdigit():  # the common 28/02/1990 (or 02/28/1990)
            day, month = (first, second) if order == "DMY" else (second, first)
            return _checked_date(value, int(last), int(month), int(day))
    if value.isdigit():
        if len(value) == 8:
            return _checked_date(value, int(value[:4]), int(value[4:6]), int(value[6:]))
        serial = int(value)
        if 1 <= serial <= 2_958_465:  # Excel's own range of dates
            # Excel counts a 29 February 1900 that never was (serial 60); below it, days are one off. Serial 60
            # reads as 28 February, as the workbook reader gives it, so a date means the same in .xlsx and .csv.
            days = serial if serial >= 60 else serial + 1
            return (_EXCEL_EPOCH + dt.timedelta(days=days)).isoformat()
    iso = _ISO_DATE.match(value)
    if iso:
        return _checked_date(value, int(iso[1]), int(iso[2]), int(iso[3]))
    parts = _PARTS.match(value)
    if parts:
        if len(parts[1]) == 4:  # 1990/02/28 is year first whatever the tenant's order
            named = dict(zip(("year", "month", "day"), parts.groups(), strict=True))
        else:
            named = dict(zip(DATE_ORDERS.get(order, DATE_ORDERS["DMY"]), parts.groups(), strict=True))
        year = int(named["year"])
        if len(named["year"]) <= 2:
            year += 1900 if year > dt.date.today().year % 100 else 2000
        return _checked_date(value, year, int(named["month"]), int(named["day"]))
    example = {"DMY": "28/02/1990", "MDY": "02/28/1990", "YMD": "1990-02-28"}.get(order, "28/02/1990")
    raise FieldProblem(
        _('"{value}" is not a date (write it like {example} or 1990-02-28)', value=value, example=example)
    )


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _checked_date(value: str, year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        raise FieldProblem(_('"{value}" is not a date: there is no month {month}', value=value, month=str(month)))
    if not 1 <= year <= 9999:
        raise FieldProblem(_('"{value}" is not a date: the year {year} is out of range', value=value, year=str(year)))
    last = 29 if month == 2 and calendar.isleap(year) else _DAYS[month - 1]
    if not 1 <= day <= last:
        raise FieldProblem(
            _(
                '"{value}" is not a date: {month} {year} has {last} days, not {day}',
                value=value,
                month=month_name(month),
                year=str(year),
                last=last,
                day=day,
            )
        )
    return f"{year:04d}-{month:02d}-{day:02d}"


# ---------- yes / no ----------
# What we write (exports, templates, diff workbooks); everything below is what we read.
YES_WORD, NO_WORD = N_("yes"), N_("no")  # written in the job's language: có / không, sì / no, ja / nej


def yes_no(value: bool) -> str:
    return _(YES_WORD) if value else _(NO_WORD)


_YES = {"yes", "y", "true", "1", "x", "co", "dongy", "ja", "si", "checked", "subscribed", "on", "v"}
_NO = {"no", "n", "false", "0", "khong", "k", "nej", "off", "unsubscribed", "notsubscribed"}


@remembered(1024)
def normalize_bool(text: str) -> bool:
    plain = text.strip().lower()
    if plain in _YES:
        return True
    if plain in _NO:
        return False
    token = fold(clean_value(text)) or clean_value(text)
    if token in _YES or token == "✓":
        return True
    if token in _NO:
        return False
    raise FieldProblem(
        _(
            '"{value}" is not yes or no (write {yes} or {no}; yes/no, true/false, 1/0 and có/không work too)',
            value=clean_text(text),
            yes=_(YES_WORD),
            no=_(NO_WORD),
        )
    )


# ---------- countries ----------
@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded names (English, Vietnamese, Italian, Danish) and codes -> ISO alpha-2."""
    index: dict[str, str] = {}
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("vi", "it", "da")
    ]
    for country in pycountry.countries:
        names = {country.name, getattr(country, "common_name", ""), getattr(country, "official_name", "")}
        names |= {translation.gettext(country.name) for translation in translations}
        for name in names:
            if name:
                index.setdefault(fold(name), country.alpha_2)
        index[fold(country.alpha_3)] = country.alpha_2
    index.update({"usa": "US", "us": "US", "uk": "GB", "england": "GB", "vn": "VN", "vietnam": "VN"})
    return index


@remembered(1024)
def normalize_country_code(text: str) -> str:
    value, shown = clean_value(text).upper(), clean_text(text)
    if len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None:
        return value
    if len(value) == 3 and (country := pycountry.countries.get(alpha_3=value)) is not None:
        return str(country.alpha_2)
    raise FieldProblem(_('"{value}" is not a country code (ISO 3166, like VN, US or DK)', value=shown))


@remembered(1024)
def country_code_of(text: str) -> str:
    """The ISO code of a country named in English, Vietnamese, Italian or Danish (or given by its code)."""
    value = clean_value(text)
    code = _country_index().get(fold(value))
    if code is None:
        raise FieldProblem(
            _('"{value}" is not a country we know (write its name, or its code in the code column)', value=value)
        )
    return code


@lru_cache(maxsize=1024)
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


# ---------- numbers, tags, choices ----------
_GROUPED = re.compile(r"^-?\d{1,3}(?:([.,' ])\d{3})(?:\1\d{3})*$")


def normalize_number(text: str) -> int | float:
    """100000, 100.000 and 100,000 (thousands), 12,5 and 12.5 (decimals), with currency marks ignored."""
    value = re.sub(r"[^\d.,'\- ]", "", clean_value(text)).strip()
    if _GROUPED.match(value):
        value = re.sub(r"[.,' ]", "", value)
    else:
        value = value.replace(" ", "").replace("'", "")
        if value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise FieldProblem(_('"{value}" is not a number', value=clean_text(text))) from None
    if not number.is_finite():
        raise FieldProblem(_('"{value}" is not a number', value=clean_text(text)))
    return int(number) if number == number.to_integral_value() else float(number)


@remembered(4096)
def tags_of(text: str, max_tags: int = 250) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for part in re.split(r"[,;]", clean_text(text)):
        tag = part.strip()
        if tag and tag.casefold() not in seen:
            if len(tag) > 255:
                raise FieldProblem(
                    _(
                        'a tag of {length} characters; at most 255 are allowed ("{start}...")',
                        length=len(tag),
                        start=tag[:20],
                    )
                )
            seen[tag.casefold()] = tag
    if len(seen) > max_tags:
        raise FieldProblem(_("{count} tags; at most {limit} are allowed", count=len(seen), limit=max_tags))
    return tuple(seen.values())


@remembered(4096)
def normalize_choice(text: str, allowed: tuple[str, ...]) -> str:
    """One of the tenant's allowed values, exactly (as LadiFlow does: "NAM" is not "Nam")."""
    value = clean_value(text)
    if value in allowed:
        return value
    listed = ", ".join(f'"{choice}"' for choice in allowed)
    raise FieldProblem(_('"{value}" is not one of the allowed values ({allowed})', value=value, allowed=listed))


# What the email library says, in our words (its own are English only); anything else: "not a valid email address".
_EMAIL_PROBLEMS = (
    ("must have an @-sign", N_('"{value}" is not a valid email address: it has no @')),
    ("something before the @-sign", N_('"{value}" is not a valid email address: nothing comes before the @')),
    ("something after the @-sign", N_('"{value}" is not a valid email address: nothing comes after the @')),
    ("should have a period", N_('"{value}" is not a valid email address: the part after the @ has no dot')),
    ("two periods in a row", N_('"{value}" is not a valid email address: it has two dots in a row')),
    ("invalid character", N_('"{value}" is not a valid email address: it has characters an address cannot hold')),
    ("too long", N_('"{value}" is not a valid email address: it is too long')),
    ("special-use or reserved", N_('"{value}" is not a valid email address: its domain is reserved')),
)


def _email_problem(value: str, library_message: str) -> str:
    for clue, message in _EMAIL_PROBLEMS:
        if clue in library_message:
            return _(message, value=value)
    return _('"{value}" is not a valid email address', value=value)


_PHONE_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: N_("its country code is not valid"),
    phonenumbers.NumberParseException.NOT_A_NUMBER: N_("it does not look like a phone number"),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: N_("it is too short after the international prefix"),
    phonenumbers.NumberParseException.TOO_SHORT_NSN: N_("it is too short"),
    phonenumbers.NumberParseException.TOO_LONG: N_("it is too long"),
}
