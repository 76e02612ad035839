"""The admin's choices for an import, end to end: mapping (remembered), updates, clearing, tags, flows, templates."""

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests

from customer_bulk.dal import stores
from customer_bulk.models.tenant import CustomField, CustomFieldKind, TenantSettings
from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import ADMIN, bus_subscriber, stored_customers


def test_an_explicit_mapping_is_used_and_remembered_for_the_same_headers(
    stack: Any, tenant: str, importer: Any, csv_file: Any
) -> None:
    headers = ["Mail chính", "Di động 2", "Tên gọi"]
    mapping = {"Mail chính": "email", "Di động 2": "phone", "Tên gọi": "first_name"}
    first = importer(csv_file(headers, [["a@shop.vn", "0912345678", "An"]]), {"mapping": mapping})
    assert first.status["created"] == 1 and first.status["notes"] == []

    # Next month's file has the same headers (spelled a little differently); no mapping is sent
    second = importer(csv_file(["MAIL CHÍNH", "di dong 2", "Tên gọi"], [["b@shop.vn", "0987654321", "Bình"]]))
    assert second.status["created"] == 1
    assert second.status["notes"] == ["The column mapping chosen for your last file with these columns was used again."]
    assert stored_customers(stack, tenant)["b@shop.vn"]["phone"] == "+84987654321"


def test_a_mapping_naming_an_unknown_field_is_refused_at_once(api: ApiClient) -> None:
    with pytest.raises(ApiError) as error:
        api.create_import("c.csv", {"mapping": {"Mail": "e_mail"}})
    assert error.value.status == 400
    assert "The mapping names unknown fields (e_mail)" in error.value.message


def test_keeping_existing_customers_skips_them(stack: Any, tenant: str, importer: Any, csv_file: Any) -> None:
    importer(csv_file(["Email", "First Name"], [["a@shop.vn", "An"]]))
    run = importer(
        csv_file(["Email", "First Name"], [["a@shop.vn", "Changed"], ["b@shop.vn", "B"]]), {"update_existing": False}
    )
    assert (run.status["skipped"], run.status["created"], run.status["updated"]) == (1, 1, 0)
    assert stored_customers(stack, tenant)["a@shop.vn"]["first_name"] == "An"
    assert "Skipped (already existed):" in run.emails[0].text


def test_blank_keeps_the_clear_token_empties_and_tags_add_or_replace(
    stack: Any, tenant: str, importer: Any, csv_file: Any
) -> None:
    headers = ["Email", "City", "Note", "Tags"]
    importer(csv_file(headers, [["a@shop.vn", "Huế", "call after 6pm", "VIP, Hà Nội"]]))
    importer(csv_file(headers, [["a@shop.vn", "", "#CLEAR", "newsletter"]]))
    customer = stored_customers(stack, tenant)["a@shop.vn"]
    assert customer["city"] == "Huế" and "note" not in customer
    assert customer["tags"] == ["VIP", "Hà Nội", "newsletter"]
    importer(csv_file(headers, [["a@shop.vn", "", "", "wholesale"]]), {"tags": "replace"})
    assert stored_customers(stack, tenant)["a@shop.vn"]["tags"] == ["wholesale"]


def test_flows_get_one_event_per_customer_really_created_or_changed(
    stack: Any, tenant: str, importer: Any, csv_file: Any
) -> None:
    flow_events = bus_subscriber(stack, "FlowEventBus", tenant, "flows")

    importer(csv_file(["Email", "First Name"], [["a@shop.vn", "An"], ["b@shop.vn", "Bình"]]))  # flows off: silent
    run = importer(
        csv_file(
            ["Email", "First Name"],
            [["a@shop.vn", "An"], ["b@shop.vn", "Bình Minh"], ["c@shop.vn", "Chi"], ["bad", ""]],
        ),
        {"trigger_flows": True},
    )

    received = flow_events()
    # Exactly one event per customer really created or changed: c created, b renamed; a unchanged, "bad" invalid.
    assert sorted(event["detail-type"] for event in received) == ["customer.created", "customer.updated"]
    by_type = {event["detail-type"]: event["detail"] for event in received}
    assert len({event["detail"]["event_id"] for event in received}) == 2
    customers = stored_customers(stack, tenant)
    assert by_type["customer.updated"]["customer_id"] == customers["b@shop.vn"]["customer_id"]
    assert by_type["customer.updated"]["changed_fields"] == ["first_name"]
    assert by_type["customer.created"]["import_job_id"] == run.job_id
    assert "email" in by_type["customer.created"]["changed_fields"]
    assert run.status["flow_events"] == 2
    assert re.search(r"Automation events sent:\s+2\n", run.emails[0].text)


def test_the_template_describes_the_tenants_fields_and_imports_as_is(
    stack: Any, tenant: str, importer: Any, tmp_path: Path
) -> None:
    tier = CustomField(key="tier", label="Hạng thành viên", kind=CustomFieldKind.ENUM, allowed=("Bạc", "Vàng"))
    stores().jobs.put_tenant_settings(tenant, TenantSettings(genders=("Nam", "Nữ"), custom_fields=(tier,)))
    headers = {"X-Tenant-Id": tenant, "X-User-Email": ADMIN, "Accept-Language": "en"}

    response = requests.get(f"{stack.api_url}/imports/template", params={"format": "xlsx"}, headers=headers, timeout=30)
    assert response.status_code == 200
    assert 'filename="customers-template.xlsx"' in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    titles = [cell.value for cell in sheet[1]]
    assert titles[:4] == ["Customer ID", "First Name", "Last Name", "Email"]
    assert titles[-1] == "Hạng thành viên" and "Total Spent" not in titles
    gender = titles.index("Gender") + 1
    assert sheet.cell(1, gender).comment.text == "One of: Nam, Nữ."
    assert sheet.cell(2, gender).value == "Nam"
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("Bạc,Vàng" in formula for formula in validations.values())

    # The example row, as downloaded, is a valid customer
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    run = importer(path)
    assert (run.status["created"], run.status["invalid"], run.status["warnings"]) == (1, 0, 0)
    example = stored_customers(stack, tenant)["an.nguyen@example.com"]
    assert (example["gender"], example["cf_tier"], example["birthday"]) == ("Nam", "Bạc", "1990-02-28")

    csv_template = requests.get(
        f"{stack.api_url}/imports/template", params={"format": "csv"}, headers=headers, timeout=30
    )
    assert csv_template.content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel opens the Vietnamese right
    assert csv_template.content.decode("utf-8-sig").splitlines()[0].startswith("Customer ID,First Name,Last Name,Email")
