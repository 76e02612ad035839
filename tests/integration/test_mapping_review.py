"""The mapping review: an import stops after reading its file, the admin sees each column's field, how sure the
match is, its values and, for choice fields, the values found beside the allowed ones; then maps a column and a
field's values ("M" -> "Nam") and goes on. Nothing is written before; both choices are remembered."""

from pathlib import Path
from typing import Any

import pytest

from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import run_import, settle, stored_customers

HEADERS = ["Họ tên", "Emial", "Số điện thoại", "Giới tính", "Nhận email", "Mã cũ KiotViet"]
ROWS = [
    ["Nguyễn Văn An", "an@shop.vn", "0912345601", "M", "x", "KV-1"],
    ["Trần Thị Bình", "binh@shop.vn", "0912345602", "F", "", "KV-2"],
    ["Lê Văn Cường", "cuong@shop.vn", "0912345603", "M", "có", "KV-3"],
    ["Phạm Thị Dung", "dung@shop.vn", "0912345604", "Nam", "không", "KV-4"],
]


def _column(review: dict[str, Any], header: str) -> dict[str, Any]:
    return next(column for column in review["columns"] if column["header"] == header)


def test_an_import_stops_for_its_mapping_then_goes_on_with_the_admins_choices(
    stack: Any, tenant: str, api: ApiClient, xlsx: Any, tmp_path: Path
) -> None:
    path = xlsx(HEADERS, ROWS, name="khach-hang.xlsx")
    run = run_import(stack, api, path, {"review_mapping": True}, tmp_path=tmp_path)
    assert run.status["status"] == "mapped" and run.emails == []
    assert stored_customers(stack, tenant) == {}  # nothing decided, nothing written

    review = api.mapping_review(run.job_id)
    assert (review["header_row"], review["rows_total"], review["file_name"]) == (1, 4, "khach-hang.xlsx")
    name = _column(review, "Họ tên")
    assert (name["field"], name["matched_by"], name["confidence"]) == ("full_name", "header", 0.95)
    assert name["samples"] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
    typo = _column(review, "Emial")
    assert (typo["field"], typo["matched_by"], typo["suggestion"]) == (None, "suggested", "email")
    assert _column(review, "Mã cũ KiotViet")["matched_by"] == "none"
    gender = _column(review, "Giới tính")
    assert gender["allowed"] == ["Nam", "Nữ", "Khác"]
    assert [(value["value"], value["rows"], value["accepted"]) for value in gender["values"]] == [
        ("M", 2, False),
        ("F", 1, False),
        ("Nam", 1, True),
    ]
    consent = _column(review, "Nhận email")
    assert consent["allowed"] == ["yes", "no"]  # said in the job's language (English here)
    assert {value["value"] for value in consent["values"]} == {"x", "có", "không"}
    assert all(value["accepted"] for value in consent["values"])
    assert {option["name"] for option in review["fields"]} >= {"email", "phone", "gender", "full_name"}

    mapping = {column["header"]: column["field"] for column in review["columns"]} | {"Emial": "email"}
    answer = api.go_on(run.job_id, mapping, {"gender": {"M": "Nam", "F": "Nữ"}})
    assert answer["status"] == "splitting"
    done = settle(stack, api, run.job_id, tmp_path)
    assert (done.status["status"], done.status["created"], done.status["invalid"]) == ("completed", 4, 0)
    assert done.status["warnings"] == 0  # every gender mapped, so none skipped
    customers = {customer["email"]: customer for customer in stored_customers(stack, tenant).values()}
    assert [customers[f"{who}@shop.vn"]["gender"] for who in ("an", "binh", "cuong", "dung")] == [
        "Nam",
        "Nữ",
        "Nam",
        "Nam",
    ]
    assert customers["an@shop.vn"]["accepts_email_marketing"] is True
    assert api.mapping_review(run.job_id)["columns"][1]["header"] == "Emial"  # still readable afterwards

    # The next file with these headers: the mapping and the values are remembered, no review asked.
    again = xlsx(HEADERS, [["Võ Thị Em", "em@shop.vn", "0912345605", "F", "", "KV-5"]])
    second = run_import(stack, api, again, tmp_path=tmp_path)
    assert (second.status["created"], second.status["warnings"]) == (1, 0)
    assert any("used again" in note for note in second.status["notes"])
    (em,) = [customer for customer in stored_customers(stack, tenant).values() if customer["email"] == "em@shop.vn"]
    assert em["gender"] == "Nữ"


def test_a_review_refuses_what_cannot_be_applied_and_can_preview_or_be_cancelled(
    stack: Any, tenant: str, api: ApiClient, xlsx: Any, tmp_path: Path
) -> None:
    path = xlsx(HEADERS, ROWS)
    first = run_import(stack, api, path, {"review_mapping": True}, tmp_path=tmp_path)
    mapping = dict.fromkeys(HEADERS) | {"Emial": "email", "Giới tính": "gender"}
    for bad, says in (
        ({"mapping": mapping | {"Nope": "email"}}, "columns the file does not have: Nope"),
        ({"mapping": mapping | {"Emial": "e_mail"}}, "unknown fields (e_mail)"),
        ({"mapping": mapping, "values": {"gender": {"M": "Male"}}}, 'cannot take "Male"'),
        ({"mapping": mapping, "values": {"email": {"a": "b"}}}, "choice fields only"),
    ):
        with pytest.raises(ApiError) as refused:
            api.go_on(first.job_id, bad["mapping"], bad.get("values"))  # type: ignore[arg-type]
        assert refused.value.status == 400 and says in refused.value.message
    assert api.status(first.job_id)["status"] == "mapped"  # a refused answer changes nothing

    api.go_on(first.job_id, mapping, {"gender": {"M": "Nam", "F": "Nữ"}}, preview=True)
    previewed = settle(stack, api, first.job_id, tmp_path)
    assert previewed.status["status"] == "previewed" and previewed.status["preview"]["new"] == 4
    assert stored_customers(stack, tenant) == {}
    with pytest.raises(ApiError) as late:
        api.go_on(first.job_id, mapping)
    assert late.value.status == 409

    second = run_import(stack, api, path, {"review_mapping": True}, tmp_path=tmp_path)
    assert api.cancel(second.job_id)["status"] == "cancelled"
    with pytest.raises(ApiError) as gone:
        api.go_on(second.job_id, mapping)
    assert gone.value.status == 409


def test_an_import_without_review_has_none(api: ApiClient, stack: Any, xlsx: Any, tmp_path: Path) -> None:
    run = run_import(stack, api, xlsx(["Email"], [["an@shop.vn"]]), tmp_path=tmp_path)
    with pytest.raises(ApiError) as missing:
        api.mapping_review(run.job_id)
    assert missing.value.status == 404
