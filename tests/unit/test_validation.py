"""LadiFlow's field-level acceptance: a bad non-key value is skipped with a warning, a row without a usable key (or
without what the tenant requires) is rejected, and every message names the column as uploaded and what was
expected."""

from typing import Any

from customer_bulk.models.job import MatchKey
from customer_bulk.models.tenant import CustomField, CustomFieldKind, NameOrder, Requirement, TenantSettings
from customer_bulk.validation import RowContext, ValidatedRow, key_values, primary_key, validate_row

HEADERS = ["Tên", "Họ", "E-mail", "SĐT"]
FIELDS = ["first_name", "last_name", "email", "phone"]
LADIFLOW = TenantSettings(genders=("Nam", "Nữ"))


def context(match_key: MatchKey = MatchKey.AUTO) -> RowContext:
    return RowContext(HEADERS, FIELDS, LADIFLOW, match_key)


def one(
    headers: dict[str, str], values: dict[str, str], settings: TenantSettings = LADIFLOW, **kw: Any
) -> ValidatedRow:
    """Validate one row given as {header: field} and {header: cell}, with an email so it is valid."""
    names = ["Email", *headers]
    ctx = RowContext(names, ["email", *headers.values()], settings, kw.get("match_key", MatchKey.AUTO))
    return validate_row(2, [values.get("Email", "a@shop.vn"), *(values.get(h, "") for h in headers)], ctx)


def messages(issues: list[Any]) -> list[str]:
    return [str(issue) for issue in issues]


def test_a_good_row_is_normalised() -> None:
    row = validate_row(2, ["  An ", "Nguyễn", "An@Gmail.com", "0912 345 678"], context())
    assert row.is_valid and not row.warnings
    assert row.values == {"first_name": "An", "last_name": "Nguyễn", "email": "an@gmail.com", "phone": "+84912345678"}


def test_a_bad_phone_beside_a_good_email_is_skipped_with_a_warning() -> None:
    row = validate_row(3, ["An", "", "an@gmail.com", "12345"], context())
    assert row.is_valid and "phone" not in row.values
    assert messages(row.warnings) == [
        'SĐT: "12345" is not a valid phone number (checked as a VN number); this field was not imported'
    ]


def test_a_row_without_any_usable_key_is_rejected_naming_both_columns() -> None:
    row = validate_row(4, ["An", "", "an at gmail", "12"], context())
    assert not row.is_valid
    assert messages(row.errors)[0].startswith('E-mail: "an at gmail" is not a valid email address')
    assert messages(row.errors)[1].startswith('SĐT: "12" is not a valid phone number')


def test_a_row_with_no_key_at_all_says_so() -> None:
    row = validate_row(5, ["An", "Nguyễn", "", ""], context())
    assert messages(row.errors) == [
        "E-mail or SĐT: is required: the row has no usable email or phone, so it cannot be matched to a customer"
    ]


def test_matching_by_email_requires_the_email() -> None:
    row = validate_row(6, ["An", "", "", "0912345678"], context(MatchKey.EMAIL))
    assert "this import matches customers by email" in messages(row.errors)[0]


def test_gender_must_be_one_of_the_tenants_values_exactly() -> None:
    row = one({"Giới tính": "gender"}, {"Giới tính": "NAM"})
    assert row.is_valid and "gender" not in row.values
    assert messages(row.warnings) == [
        'Giới tính: "NAM" is not one of the allowed values ("Nam", "Nữ"); this field was not imported'
    ]
    assert one({"Giới tính": "gender"}, {"Giới tính": " Nữ "}).values["gender"] == "Nữ"


def test_dates_in_the_tenants_order_iso_and_excel_serials() -> None:
    for text in ("28/02/1990", "28-2-1990", "1990-02-28", "28.02.90", "32932", "19900228"):
        assert one({"Ngày sinh": "birthday"}, {"Ngày sinh": text}).values["birthday"] == "1990-02-28", text
    american = TenantSettings(date_order="MDY")
    assert one({"DOB": "birthday"}, {"DOB": "02/28/1990"}, american).values["birthday"] == "1990-02-28"


def test_an_impossible_date_is_skipped_saying_why() -> None:
    row = one({"Ngày sinh": "birthday"}, {"Ngày sinh": "31/02/1990"})
    assert messages(row.warnings) == [
        'Ngày sinh: "31/02/1990" is not a date: February 1990 has 28 days, not 31; this field was not imported'
    ]


def test_country_and_code_are_derived_from_each_other() -> None:
    by_name = one({"Quốc gia": "country"}, {"Quốc gia": "Việt Nam"})
    assert (by_name.values["country"], by_name.values["country_code"]) == ("Vietnam", "VN")
    by_code = one({"Country Code": "country_code"}, {"Country Code": "dk"})
    assert (by_code.values["country"], by_code.values["country_code"]) == ("Denmark", "DK")
    italian = one({"Paese": "country"}, {"Paese": "Germania"})
    assert italian.values["country_code"] == "DE"


def test_an_unknown_country_code_is_skipped() -> None:
    row = one({"Country Code": "country_code"}, {"Country Code": "XX"})
    assert "country_code" not in row.values
    assert messages(row.warnings) == [
        'Country Code: "XX" is not a country code (ISO 3166, like VN, US or DK); this field was not imported'
    ]


def test_a_country_that_contradicts_its_code_keeps_the_code() -> None:
    row = one({"Country": "country", "Country Code": "country_code"}, {"Country": "Vietnam", "Country Code": "US"})
    assert row.values["country_code"] == "US"
    assert messages(row.warnings) == ['Country: "Vietnam" does not match the country code "US"; the code was kept']


def test_marketing_consent_words_in_every_language() -> None:
    for text, expected in (("Yes", True), ("có", True), ("x", True), ("sì", True), ("ja", True), ("không", False)):
        assert (
            one({"Nhận email": "accepts_email_marketing"}, {"Nhận email": text}).values["accepts_email_marketing"]
            is expected
        ), text
    row = one({"Nhận email": "accepts_email_marketing"}, {"Nhận email": "maybe"})
    assert "is not yes or no" in messages(row.warnings)[0]


def test_tags_split_trim_and_deduplicate() -> None:
    row = one({"Tags": "tags"}, {"Tags": "VIP, vip ; Hà Nội,, newsletter "})
    assert row.values["tags"] == ["VIP", "Hà Nội", "newsletter"]


def test_a_full_name_splits_by_the_tenants_name_order() -> None:
    vietnamese = one({"Họ tên": "full_name"}, {"Họ tên": "Nguyễn Văn  An"})
    assert (vietnamese.values["last_name"], vietnamese.values["first_name"]) == ("Nguyễn", "Văn An")
    italian = one({"Nome": "full_name"}, {"Nome": "Anna Maria Rossi"}, TenantSettings(name_order=NameOrder.GIVEN_FIRST))
    assert (italian.values["first_name"], italian.values["last_name"]) == ("Anna Maria", "Rossi")


def test_totals_are_never_imported() -> None:
    row = one(
        {"Total Spent": "total_spent", "Total Orders": "total_orders"}, {"Total Spent": "'100000", "Total Orders": "3"}
    )
    assert row.values == {"email": "a@shop.vn"} and not row.warnings


def test_the_clear_token_empties_a_field() -> None:
    row = one({"Note": "note", "City": "city"}, {"Note": "#clear", "City": "Huế"})
    assert row.clears == {"note"} and row.values["city"] == "Huế"


def test_an_apostrophe_excel_put_before_a_number_is_dropped() -> None:
    row = one({"Phone": "phone", "Zip": "zip"}, {"Phone": "'+84912345678", "Zip": "'01234"})
    assert (row.values["phone"], row.values["zip"]) == ("+84912345678", "01234")


def test_a_sapo_tenant_requires_first_name_and_email() -> None:
    sapo = TenantSettings(requirement=Requirement.FIRST_NAME_AND_EMAIL)
    missing = one({"First Name": "first_name"}, {}, sapo)
    assert messages(missing.errors) == ["First Name: is required (this account requires a first name and an email)"]
    bad_email = one(
        {"First Name": "first_name", "Phone": "phone"},
        {"First Name": "An", "Email": "an@", "Phone": "0912345678"},
        sapo,
    )
    assert not bad_email.is_valid
    assert messages(bad_email.errors)[0].startswith('Email: "an@" is not a valid email address')


def test_custom_fields_are_checked_by_their_kind() -> None:
    settings = TenantSettings(
        custom_fields=(
            CustomField(key="tier", label="Tier", kind=CustomFieldKind.ENUM, allowed=("Silver", "Gold")),
            CustomField(key="points", label="Points", kind=CustomFieldKind.NUMBER),
            CustomField(key="joined", label="Joined", kind=CustomFieldKind.DATE),
        )
    )
    row = one(
        {"Tier": "cf_tier", "Points": "cf_points", "Joined": "cf_joined"},
        {"Tier": "Gold", "Points": "1.500", "Joined": "01/03/2020"},
        settings,
    )
    assert (
        row.values["cf_tier"] == "Gold" and row.values["cf_points"] == 1500 and row.values["cf_joined"] == "2020-03-01"
    )
    bad = one({"Tier": "cf_tier"}, {"Tier": "Platinum"}, settings)
    assert 'Tier: "Platinum" is not one of the allowed values ("Silver", "Gold")' in messages(bad.warnings)[0]


def test_matching_by_id_needs_no_key_for_an_existing_customer_but_does_for_a_new_one() -> None:
    existing = one({"CustomerID": "customer_id"}, {"Email": "", "CustomerID": "01HZZZ"}, match_key=MatchKey.CUSTOMER_ID)
    assert existing.is_valid and existing.id_to_match == "01HZZZ"
    new = one({"CustomerID": "customer_id"}, {"Email": "", "CustomerID": "0"}, match_key=MatchKey.CUSTOMER_ID)
    assert messages(new.errors) == [
        "Email or Phone: is required: a new customer (Customer ID 0 or empty) needs a usable email or phone"
    ]


def test_a_repeated_key_rejects_the_later_row_and_names_the_first() -> None:
    row = validate_row(9, ["An", "", "an@gmail.com"], context(), duplicate_of={"email": 2})
    assert messages(row.errors) == [
        'E-mail: "an@gmail.com" is also on row 2; the first occurrence was imported and this row was skipped'
    ]


def test_a_repeated_second_key_is_dropped_from_the_later_row() -> None:
    row = validate_row(9, ["Binh", "", "binh@gmail.com", "0912345678"], context(), shared_keys={"phone": 2})
    assert row.is_valid and "phone" not in row.values
    assert messages(row.warnings) == ['SĐT: "+84912345678" is also on row 2; not set on this row']


def test_key_values_and_primary_key_follow_the_match_rule() -> None:
    email, phone, ref = key_values(["", "", "x@y.vn", "0912345678"], context())
    assert (email, phone, ref) == ("x@y.vn", "+84912345678", None)
    assert primary_key(email, phone, MatchKey.AUTO) == ("email", "x@y.vn")
    assert primary_key(None, phone, MatchKey.AUTO) == ("phone", "+84912345678")
    assert primary_key(email, phone, MatchKey.PHONE) == ("phone", "+84912345678")
    assert primary_key(email, None, MatchKey.PHONE) is None
    assert primary_key(email, phone, MatchKey.CUSTOMER_ID, "C9") == ("customer_id", "C9")
    assert primary_key(email, phone, MatchKey.CUSTOMER_ID, "0") == ("email", "x@y.vn")
