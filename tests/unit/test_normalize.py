"""What people type into spreadsheets becomes comparable keys, or a reason that says what to fix."""

import datetime as dt

import pytest

from customer_bulk.normalize import FieldProblem, cell_text, clean_text, normalize_email, normalize_phone


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
        ("an.nguyen", "@-sign"),
        ("an@", "after the @-sign"),
        ("an at gmail.com", "@-sign"),
        ("an@@gmail.com", "@-sign"),
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
