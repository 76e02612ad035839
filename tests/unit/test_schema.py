"""Headers admins really use map onto the customer fields; what cannot be mapped is reported, never fatal."""

from customer_bulk.models.tenant import CustomField, CustomFieldKind, TenantSettings
from customer_bulk.schema import DEFAULT_SCHEMA, TOTALS_NOTE, header_token, headers_signature, schema_for

SHOPIFY_CURRENT = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
    "Default Address Address1", "Default Address Address2", "Default Address City", "Default Address Province Code",
    "Default Address Country Code", "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
    "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
]  # fmt: skip
SHOPIFY_OLDER = [
    "First Name", "Last Name", "Email", "Company", "Address1", "Address2", "City", "Province", "Province Code",
    "Country", "Country Code", "Zip", "Phone", "Accepts Marketing", "Total Spent", "Total Orders", "Tags", "Note",
    "Tax Exempt",
]  # fmt: skip


def test_vietnamese_and_english_headers_map_onto_fields() -> None:
    mapping = DEFAULT_SCHEMA.map_headers(["Họ", "Tên", "E-mail", "Số điện thoại", "Giới tính", "Ngày sinh", "Ghi chú"])
    assert mapping.fields == ["last_name", "first_name", "email", "phone", "gender", "birthday", "note"]
    assert mapping.ignored == []


def test_italian_and_danish_headers_map_onto_fields() -> None:
    italian = DEFAULT_SCHEMA.map_headers(["Nome del cliente", "Telefono", "Indirizzo", "Città", "CAP", "Paese", "Nota"])
    assert italian.fields == ["full_name", "phone", "address1", "city", "zip", "country", "note"]
    danish = DEFAULT_SCHEMA.map_headers(["KundeID", "Fornavn", "Efternavn", "Telefon", "Postnr", "By", "Nyhedsbrev"])
    assert danish.fields == [
        "customer_id", "first_name", "last_name", "phone", "zip", "city", "accepts_email_marketing",
    ]  # fmt: skip


def test_both_shopify_header_sets_map_and_totals_are_announced_once() -> None:
    current = DEFAULT_SCHEMA.map_headers(SHOPIFY_CURRENT)
    assert current.fields[:4] == ["customer_id", "first_name", "last_name", "email"]
    assert current.fields[12:14] == [None, "phone"]  # the address's phone is not the customer's phone
    assert current.notes == [
        'Columns not imported (not customer fields): "Default Address Phone", "Tax Exempt".',
        TOTALS_NOTE,
    ]
    older = DEFAULT_SCHEMA.map_headers(SHOPIFY_OLDER)
    assert older.fields[:13] == [
        "first_name", "last_name", "email", "company", "address1", "address2", "city", "province", "province_code",
        "country", "country_code", "zip", "phone",
    ]  # fmt: skip
    assert older.fields[13] == "accepts_email_marketing"


def test_headers_match_without_accents_case_or_punctuation() -> None:
    assert header_token("Số Điện Thoại") == header_token("so dien thoai") == "sodienthoai"
    assert DEFAULT_SCHEMA.map_headers(["SĐT", "EMAIL ADDRESS", "telefono"]).fields == ["phone", "email", None]


def test_unknown_columns_are_ignored_and_reported() -> None:
    mapping = DEFAULT_SCHEMA.map_headers(["Email", "STT", "Loyalty tier"])
    assert mapping.fields == ["email", None, None]
    assert 'Columns not imported (not customer fields): "STT", "Loyalty tier".' in mapping.notes


def test_a_second_column_for_the_same_field_is_reported() -> None:
    mapping = DEFAULT_SCHEMA.map_headers(["Phone", "Mobile"])
    assert mapping.fields == ["phone", None]
    assert any('"Mobile" was ignored' in note for note in mapping.notes)


def test_our_own_report_columns_are_ignored_silently() -> None:
    mapping = DEFAULT_SCHEMA.map_headers(["Email", "Error"])
    assert mapping.fields == ["email", None]
    assert mapping.notes == []


def test_an_explicit_mapping_overrides_the_guess_and_can_drop_a_column() -> None:
    mapping = DEFAULT_SCHEMA.map_headers(["Mail chính", "Tên", "Note"], {"Mail chính": "email", "note": None})
    assert mapping.fields == ["email", "first_name", None]
    assert mapping.notes == []


def test_custom_fields_join_the_tenants_schema() -> None:
    tier = CustomField(key="tier", label="Hạng thành viên", kind=CustomFieldKind.ENUM, allowed=("Bạc", "Vàng"))
    schema = schema_for(TenantSettings(custom_fields=(tier,), genders=("Nam", "Nữ")))
    assert schema.map_headers(["Email", "hang thanh vien"]).fields == ["email", "cf_tier"]
    assert schema["cf_tier"].choices == ("Bạc", "Vàng")
    assert schema["gender"].choices == ("Nam", "Nữ")
    assert "cf_tier" not in DEFAULT_SCHEMA


def test_a_title_row_is_not_a_header() -> None:
    assert not DEFAULT_SCHEMA.looks_like_header(["Danh sách khách hàng tháng 11", "", ""])
    assert DEFAULT_SCHEMA.looks_like_header(["STT", "Họ tên", "Email"])


def test_the_same_headers_written_differently_share_a_signature() -> None:
    assert headers_signature(["Số điện thoại", "E-mail"]) == headers_signature(["so dien thoai", "EMAIL"])
    assert headers_signature(["Email", "Phone"]) != headers_signature(["Phone", "Email"])
