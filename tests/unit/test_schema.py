"""Headers admins really use map onto the customer fields; what cannot be mapped is reported, never fatal."""

from customer_bulk.schema import header_token, looks_like_header, map_headers


def test_vietnamese_and_english_headers_map_onto_fields() -> None:
    mapping = map_headers(["Họ", "Tên", "E-mail", "Số điện thoại"])
    assert mapping.fields == ["last_name", "first_name", "email", "phone"]
    assert mapping.ignored == []


def test_headers_match_without_accents_case_or_punctuation() -> None:
    assert header_token("Số Điện Thoại") == header_token("so dien thoai") == "sodienthoai"
    assert map_headers(["SĐT", "EMAIL ADDRESS", "telefono"]).fields == ["phone", "email", None]


def test_unknown_columns_are_ignored_and_reported() -> None:
    mapping = map_headers(["Email", "Ghi chú", "Loyalty tier"])
    assert mapping.fields == ["email", None, None]
    assert mapping.ignored == ["Ghi chú", "Loyalty tier"]
    assert 'Columns not imported (not customer fields): "Ghi chú", "Loyalty tier".' in mapping.notes


def test_a_second_column_for_the_same_field_is_reported() -> None:
    mapping = map_headers(["Phone", "Mobile"])
    assert mapping.fields == ["phone", None]
    assert any('"Mobile" was ignored' in note for note in mapping.notes)


def test_our_own_report_columns_are_ignored_silently() -> None:
    mapping = map_headers(["Email", "Error"])
    assert mapping.fields == ["email", None]
    assert mapping.notes == []


def test_a_title_row_is_not_a_header() -> None:
    assert not looks_like_header(["Danh sách khách hàng tháng 11", "", ""])
    assert looks_like_header(["STT", "Họ tên", "Email"])
