"""What people type into spreadsheets becomes comparable keys, or a reason that says what to fix."""

import datetime as dt
import random
from typing import Any

import phonenumbers
import pytest

from customer_bulk.normalize import (
    FieldProblem,
    _email_by_library,
    _phone_by_library,
    cell_text,
    clean_text,
    clean_value,
    normalize_email,
    normalize_number,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  An.Nguyen@Gmail.COM ", "an.nguyen@gmail.com"),
        ("an@shop.vn", "an@shop.vn"),
        ("AN\u00a0@shop.vn".replace("\u00a0", ""), "an@shop.vn"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("an.nguyen", "it has no @"),
        ("an@", "nothing comes after the @"),
        ("an at gmail.com", "it has no @"),
        ("an@@gmail.com", "characters an address cannot hold"),
    ],
)
def test_a_bad_email_says_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(FieldProblem) as problem:
        normalize_email(raw)
    assert f'"{raw}" is not a valid email address' in str(problem.value)
    assert reason in str(problem.value)


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "+84 912 345 678",
        "84912345678",
        "912345678",  # a number cell: Excel dropped the leading zero
        "9.12345678E+08",  # ... and then showed it in scientific notation
        "'+84912345678",  # Shopify-style exports prefix text with an apostrophe
        "０９１２３４５６７８",  # full-width digits
    ],
)
def test_vietnamese_phones_in_every_shape_become_e164(raw: str) -> None:
    assert normalize_phone(raw, "VN") == "+84912345678"


def test_a_phone_is_read_in_the_tenants_region() -> None:
    assert normalize_phone("030 1234567", "DE") == "+49301234567"
    assert normalize_phone("+49 30 1234567", "VN") == "+49301234567"


@pytest.mark.parametrize(("raw", "reason"), [("12345", "not a valid phone number"), ("call me", "not a phone number")])
def test_a_bad_phone_says_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(FieldProblem, match=reason):
        normalize_phone(raw, "VN")


def test_a_shortened_decimal_is_not_taken_for_a_phone() -> None:
    with pytest.raises(FieldProblem, match="Excel shortened"):
        normalize_phone("9.1234567891E+3", "VN")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (912345678.0, "912345678"),
        (12.5, "12.5"),
        (True, "TRUE"),
        (dt.datetime(1990, 2, 28), "1990-02-28"),
        (dt.datetime(1990, 2, 28, 13, 5), "1990-02-28 13:05:00"),
        (dt.date(1990, 2, 28), "1990-02-28"),
    ],
)
def test_cells_read_as_the_text_a_person_sees(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_text_is_trimmed_and_folded() -> None:
    assert clean_text("  Nguyễn\u00a0\u00a0Văn   An ") == "Nguyễn Văn An"


def _outcome(function: Any, *args: str) -> str:
    try:
        return str(function(*args))
    except FieldProblem as problem:
        return f"rejected: {problem}"


@pytest.mark.parametrize("region", ["VN", "US", "DK", "IT", "DE", "GB"])
def test_the_phone_fast_path_decides_exactly_as_phonenumbers(region: str) -> None:
    rng = random.Random(region)
    country_code = str(phonenumbers.country_code_for_region(region))
    prefixes = ["", "0", "+" + country_code, country_code, "00" + country_code, "+" + country_code + "0", "+1", "+44"]
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
        text = rng.choice(prefixes) + digits
        if rng.random() < 0.3:
            text = " ".join(text[i : i + 3] for i in range(0, len(text), 3))
        assert _outcome(normalize_phone, text, region) == _outcome(_phone_by_library, text, region), text


def test_the_email_fast_path_decides_exactly_as_email_validator() -> None:
    rng = random.Random(7)
    pieces = ["an", "AN", "a.b", "a..b", ".a", "a.", "a+tag", "a_b", "a-b", "a%b", "1", "ngọc", "a b", '"a"', ""]
    domains = ["shop.vn", "SHOP.VN", "a-b.com", "-ab.com", "ab-.com", "a--b.com", "xn--80ak6aa92e.com", "x.test",
               "x.local", "localhost", "x.c", "x.123", "mail.example.org", "a_b.com", "x..com", "sub.shop.com.vn",
               "ngọc.vn", "x" * 64 + ".com", "x.co" + "m" * 30]  # fmt: skip
    corpus = [f"{local}@{domain}" for local in pieces for domain in domains]
    corpus += [f"{rng.choice(pieces)}{rng.randint(0, 99)}@{rng.choice(domains)}" for _ in range(500)]
    corpus += ["a" * 64 + "@shop.vn", "a" * 65 + "@shop.vn", "no-at-sign", "two@@signs.vn", " spaced@shop.vn "]
    for text in corpus:
        # Both paths see the text after trimming and the Excel apostrophe are gone.
        assert _outcome(normalize_email, text) == _outcome(_email_by_library, clean_value(text)), text


def test_numbers_with_thousands_and_decimal_separators() -> None:
    assert [normalize_number(t) for t in ("100000", "100.000", "1,500,000", "12,5", "12.5", "'2.000.000 đ")] == [
        100000, 100000, 1500000, 12.5, 12.5, 2000000,
    ]  # fmt: skip
    with pytest.raises(FieldProblem, match="is not a number"):
        normalize_number("lots")


def test_values_a_careful_user_expects_at_the_edges() -> None:
    from customer_bulk.normalize import clean_text, normalize_date, normalize_email, normalize_phone

    assert clean_text("Bi\x00nh\x07 Nguyễn\x1b") == "Binh Nguyễn"  # control characters are never stored
    assert normalize_phone("0912345602.0", "VN") == "+84912345602"  # a phone column that went through a number
    with pytest.raises(FieldProblem, match="negative number"):
        normalize_phone("-912345609", "VN")
    with pytest.raises(FieldProblem, match=r"has an extension \(5\)"):
        normalize_phone("0912345678 ext. 5", "VN")
    # Excel's serial 60 (a 29 February 1900 that never was) reads as the workbook reader gives it.
    assert [normalize_date(serial) for serial in ("59", "60", "61")] == ["1900-02-28", "1900-02-28", "1900-03-01"]
    with pytest.raises(
        FieldProblem, match=r'mixes letters of several alphabets \(Cyrillic, Latin; "а" is Cyrillic Small Letter A\)'
    ):
        normalize_email("аlice@example.vn")
    assert normalize_email("ivan@пример.рф") == "ivan@пример.рф"  # one script in each part is fine
