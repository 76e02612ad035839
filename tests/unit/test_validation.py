"""LadiFlow's field-level acceptance: a bad non-key value is skipped with a warning, a row without a usable key is
rejected, and every message names the column as uploaded and what was expected."""

from customer_bulk.models.job import MatchKey
from customer_bulk.validation import RowContext, key_values, primary_key, validate_row

HEADERS = ["Tên", "Họ", "E-mail", "SĐT"]
FIELDS = ["first_name", "last_name", "email", "phone"]


def context(match_key: MatchKey = MatchKey.AUTO) -> RowContext:
    return RowContext(HEADERS, FIELDS, "VN", match_key)


def test_a_good_row_is_normalised() -> None:
    row = validate_row(2, ["  An ", "Nguyễn", "An@Gmail.com", "0912 345 678"], context())
    assert row.is_valid and not row.warnings
    assert row.values == {"first_name": "An", "last_name": "Nguyễn", "email": "an@gmail.com", "phone": "+84912345678"}


def test_blank_cells_are_simply_absent() -> None:
    row = validate_row(2, ["An", "", "an@gmail.com"], context())
    assert row.values == {"first_name": "An", "email": "an@gmail.com"}


def test_a_bad_phone_beside_a_good_email_is_skipped_with_a_warning() -> None:
    row = validate_row(3, ["An", "", "an@gmail.com", "12345"], context())
    assert row.is_valid
    assert "phone" not in row.values
    assert [str(w) for w in row.warnings] == [
        'SĐT: "12345" is not a valid phone number (checked as a VN number); this field was not imported'
    ]


def test_a_row_without_any_usable_key_is_rejected_naming_both_columns() -> None:
    row = validate_row(4, ["An", "", "an at gmail", "12"], context())
    assert not row.is_valid
    messages = [str(e) for e in row.errors]
    assert messages[0].startswith('E-mail: "an at gmail" is not a valid email address')
    assert messages[1].startswith('SĐT: "12" is not a valid phone number')


def test_a_row_with_no_key_at_all_says_so() -> None:
    row = validate_row(5, ["An", "Nguyễn", "", ""], context())
    assert [str(e) for e in row.errors] == [
        "E-mail or SĐT: is required: the row has no usable email or phone, so it cannot be matched to a customer"
    ]


def test_matching_by_email_requires_the_email() -> None:
    row = validate_row(6, ["An", "", "", "0912345678"], context(MatchKey.EMAIL))
    assert not row.is_valid
    assert "this import matches customers by email" in str(row.errors[0])


def test_a_too_long_name_is_skipped_not_fatal() -> None:
    row = validate_row(7, ["A" * 300, "", "an@gmail.com"], context())
    assert row.is_valid and "first_name" not in row.values
    assert "is 300 characters long; at most 255 are allowed" in str(row.warnings[0])


def test_a_repeated_key_rejects_the_later_row_and_names_the_first() -> None:
    row = validate_row(9, ["An", "", "an@gmail.com"], context(), duplicate_of={"email": 2})
    assert not row.is_valid
    assert str(row.errors[0]) == (
        'E-mail: "an@gmail.com" is also on row 2; the first occurrence was imported and this row was skipped'
    )


def test_a_repeated_second_key_is_dropped_from_the_later_row() -> None:
    row = validate_row(9, ["Binh", "", "binh@gmail.com", "0912345678"], context(), shared_keys={"phone": 2})
    assert row.is_valid and "phone" not in row.values
    assert str(row.warnings[0]) == 'SĐT: "+84912345678" is also on row 2; not set on this row'


def test_key_values_and_primary_key_follow_the_match_rule() -> None:
    email, phone = key_values(["", "", "x@y.vn", "0912345678"], context())
    assert (email, phone) == ("x@y.vn", "+84912345678")
    assert primary_key(email, phone, MatchKey.AUTO) == ("email", "x@y.vn")
    assert primary_key(None, phone, MatchKey.AUTO) == ("phone", "+84912345678")
    assert primary_key(email, phone, MatchKey.PHONE) == ("phone", "+84912345678")
    assert primary_key(email, None, MatchKey.PHONE) is None
