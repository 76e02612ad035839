"""Loyalty opening balances (Haraloyalty): rows match existing members by phone AND email; the opening spend
(DTDauKy) becomes points by the tenant's earn rule, the cumulative spend (DTTichLuy) is recorded as purchase
history; and, unlike Haraloyalty, the old points come back with a rollback."""

from pathlib import Path
from typing import Any

import pytest

from customer_bulk_local.client import ApiClient
from tests.conftest import settle, stored_customers

BALANCE = {"type": "opening_balance"}
HARALOYALTY_HEADERS = ["Họ tên", "Số điện thoại", "Email", "DTDauKy", "DTTichLuy"]


@pytest.fixture
def members(importer: Any, xlsx: Any) -> None:
    rows = [
        ["an@shop.vn", "0912000001", "An"],
        ["binh@shop.vn", "0912000002", "Bình"],
        ["chi@shop.vn", "0912000003", "Chi"],
        ["dung@shop.vn", "", "Dung"],  # no phone on file
        ["em@shop.vn", "0912000005", "Em"],
        ["fay@shop.vn", "0912000006", "Fay"],
    ]
    assert importer(xlsx(["Email", "Phone", "First Name"], rows)).status["created"] == 6


@pytest.mark.usefixtures("members")
def test_balances_become_points_for_members_matched_by_phone_and_email(
    stack: Any, tenant: str, importer: Any, csv_file: Any
) -> None:
    rows = [
        ["An", "0912 000 001", "AN@shop.vn", "1.550.000", "2.000.000"],  # 2: 15 points (15.5 rounded down)
        ["Bình", "0912000005", "binh@shop.vn", "500000", "500000"],  # 3: Em's phone, Bình's email
        ["Giang", "0912999999", "giang@shop.vn", "100000", ""],  # 4: no such member
        ["Dung", "0912000004", "dung@shop.vn", "300000", ""],  # 5: Dung has no such phone
        ["Chi", "0912000003", "chi@shop.vn", "99.999", "99999"],  # 6: 0 points
        ["Fay", "0912000006", "fay@shop.vn", "nhiều", "1000"],  # 7: not an amount
        ["Fay", "+84912000006", "FAY@shop.vn", "100000", "1000"],  # 8: Fay again
    ]
    run = importer(csv_file(HARALOYALTY_HEADERS, rows, name="dau-ky.csv"), BALANCE)

    status = run.status
    assert (status["status"], status["type"]) == ("completed", "opening_balance")
    assert {k: status[k] for k in ("created", "updated", "unchanged", "invalid")} == {
        "created": 0,
        "updated": 2,
        "unchanged": 0,
        "invalid": 5,
    }
    assert 'Columns not imported (not customer fields): "Họ tên".' in status["notes"]
    customers = stored_customers(stack, tenant)
    an = customers["an@shop.vn"]
    assert (an["loyalty_points"], an["opening_spend"], an["cumulative_spend"]) == (15, 1_550_000, 2_000_000)
    assert an["purchase_history"] == [{"kind": "opening_balance", "amount": 2_000_000}]
    assert customers["chi@shop.vn"]["loyalty_points"] == 0
    assert customers["chi@shop.vn"]["cumulative_spend"] == 99_999
    for name in ("binh", "dung", "em", "fay"):
        assert "loyalty_points" not in customers[f"{name}@shop.vn"]

    errors = [row[-1] for row in run.report_rows()[1:]]
    assert errors == [
        'Row 3: Số điện thoại and Email: "+84912000005" and "binh@shop.vn" belong to two different members; '
        "the phone and the email must be one member's",
        "Row 4: Số điện thoại and Email: no member has this phone or this email; add the customer first, "
        "then import the opening balance",
        'Row 5: Số điện thoại: "+84912000004" is not the phone of the member with this email (dung@shop.vn)',
        'Row 7: DTDauKy: "nhiều" is not an amount (a number of zero or more, e.g. 1500000 or 1.500.000)',
        'Row 8: Email: "fay@shop.vn" is also on row 7; the first occurrence was imported and this row was skipped',
    ]
    email = run.emails[0]
    assert email.subject == "Opening balances imported: dau-ky.csv - 2 members updated, 0 unchanged, 5 invalid"


@pytest.mark.usefixtures("members")
def test_the_same_balance_twice_changes_nothing_and_a_rollback_gives_the_old_points_back(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    headers = ["Phone", "Email", "Opening Spend", "Cumulative Spend"]
    first = importer(xlsx(headers, [["0912000001", "an@shop.vn", 1_000_000, 1_200_000]]), BALANCE)
    assert first.status["updated"] == 1
    assert (
        importer(xlsx(headers, [["0912000001", "an@shop.vn", 1_000_000, 1_200_000]]), BALANCE).status["unchanged"] == 1
    )

    # A corrected balance replaces the first, and the rollback of the correction brings the first back
    correction = importer(xlsx(headers, [["0912000001", "an@shop.vn", 2_550_000, 3_000_000]]), BALANCE)
    an = stored_customers(stack, tenant)["an@shop.vn"]
    assert (an["loyalty_points"], an["purchase_history"]) == (25, [{"kind": "opening_balance", "amount": 3_000_000}])

    api.rollback(correction.job_id)
    rolled_back = settle(stack, api, correction.job_id, tmp_path)

    assert rolled_back.status["rollback"]["restored"] == 1
    an = stored_customers(stack, tenant)["an@shop.vn"]
    assert (an["loyalty_points"], an["cumulative_spend"]) == (10, 1_200_000)
    assert an["purchase_history"] == [{"kind": "opening_balance", "amount": 1_200_000}]


@pytest.mark.usefixtures("members")
def test_the_tenants_earn_rule_and_rounding_decide_the_points(
    stack: Any, tenant: str, api: ApiClient, importer: Any, csv_file: Any
) -> None:
    api.update_settings({"earn_rule": {"spend": 50_000, "points": 2, "rounding": "nearest"}})

    run = importer(csv_file(["SĐT", "Email", "DTDauKy"], [["0912000001", "an@shop.vn", "1.260.000"]]), BALANCE)

    assert run.status["updated"] == 1
    assert stored_customers(stack, tenant)["an@shop.vn"]["loyalty_points"] == 50  # 50.4 to the nearest


@pytest.mark.usefixtures("members")
def test_an_opening_balance_can_be_previewed_first(
    stack: Any, tenant: str, api: ApiClient, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    path = csv_file(["Phone", "Email", "DTDauKy"], [["0912000001", "an@shop.vn", "700000"]])
    previewed = importer(path, {**BALANCE, "preview": True})
    assert previewed.status["preview"]["changed"] == 1
    assert "loyalty_points" not in stored_customers(stack, tenant)["an@shop.vn"]

    api.confirm(previewed.job_id)
    assert settle(stack, api, previewed.job_id, tmp_path).status["updated"] == 1
    assert stored_customers(stack, tenant)["an@shop.vn"]["loyalty_points"] == 7


def test_a_balance_file_without_the_columns_it_needs_is_refused(importer: Any, csv_file: Any) -> None:
    run = importer(csv_file(["Email", "DTDauKy"], [["an@shop.vn", "100000"]]), BALANCE)
    assert run.status["status"] == "rejected"
    assert run.status["error"] == (
        "An opening balance needs Phone, Email and Opening Spend (DTDauKy) columns; this file has no Phone column "
        '(header row 1: "Email", "DTDauKy").'
    )


def test_the_opening_balance_template(api: ApiClient) -> None:
    content = api.template("csv", import_type="opening_balance")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines == ["Phone,Email,Opening Spend,Cumulative Spend", "0912 345 678,an.nguyen@example.com,1500000,2500000"]


def test_options_that_make_no_sense_for_balances_are_refused(api: ApiClient) -> None:
    from customer_bulk_local.client import ApiError

    with pytest.raises(ApiError) as refused:
        api.create_import("b.csv", {**BALANCE, "match_key": "email"})
    assert refused.value.status == 422
    assert "an opening balance always matches members by phone and email" in refused.value.message
