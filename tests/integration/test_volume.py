"""A full-size file: 30,000 customers (LadiFlow's limit) through the whole pipeline on the local stack, previewed
first (asynchronously, unlike Tix's synchronous screen), then confirmed."""

from typing import Any

import openpyxl
import pytest

from customer_bulk.settings import get_settings
from customer_bulk.storage_layout import TENANT_SHARDS
from customer_bulk_local.client import ApiClient
from customer_bulk_local.samples import people
from tests.conftest import settle

ROWS = 30_000


def count_customers(stack: Any, tenant: str) -> int:
    """Through the ByTenant index, shard by shard, the way an export reads a tenant's customers."""
    client = stack.client("dynamodb")
    table = stack.physical("CustomersTable")["Name"]
    total = 0
    for shard in range(TENANT_SHARDS):
        for page in client.get_paginator("query").paginate(
            TableName=table,
            IndexName="ByTenant",
            KeyConditionExpression="tenant_shard = :s",
            ExpressionAttributeValues={":s": {"S": f"{tenant}#{shard:02d}"}},
            Select="COUNT",
        ):
            total += page["Count"]
    return total


@pytest.fixture
def production_chunks(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The template's 500-row chunks instead of the test stack's 50 (600 chunks would only test patience)."""
    monkeypatch.setenv("CHUNK_ROWS", "500")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.usefixtures("production_chunks")
def test_a_30000_row_workbook_is_previewed_then_imported_completely(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Any
) -> None:
    rows = [[p.first_name, p.last_name, p.email, f"0{p.phone_digits}"] for p in people(ROWS, seed=11)]
    previewed = importer(xlsx(["First Name", "Last Name", "Email", "Phone"], rows), {"preview": True}, timeout_s=900)
    assert previewed.status["status"] == "previewed"
    assert (previewed.status["preview"]["new"], previewed.status["preview"]["invalid"]) == (ROWS, 0)
    assert count_customers(stack, tenant) == 0
    diff = openpyxl.load_workbook(
        ApiClient.download(previewed.status["preview"]["diff_report_url"], tmp_path / "diff.xlsx"), read_only=True
    )
    assert diff["Changes"].max_row == ROWS + 1

    api.confirm(previewed.job_id)
    run = settle(stack, api, previewed.job_id, tmp_path, timeout_s=900)
    assert run.status["status"] == "completed"
    assert (run.status["rows_total"], run.status["created"], run.status["invalid"]) == (ROWS, ROWS, 0)
    assert count_customers(stack, tenant) == ROWS
    assert run.report is None
    assert len(run.emails) == 2  # the preview's and the import's
