"""GET /imports/{id}/rows: a phase's rows beside what it decided for each, a page at a time (the console's preview
table)."""

from typing import Any

import pytest

from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import ADMIN, CHUNK_ROWS

HEADERS = ["Email", "First Name", "City"]


def test_a_previewed_import_lists_each_row_with_its_status_changes_and_errors(
    api: ApiClient, stack: Any, importer: Any, xlsx: Any
) -> None:
    assert importer(xlsx(HEADERS, [["binh@shop.vn", "Bình", "Huế"]])).status["created"] == 1
    run = importer(
        xlsx(
            HEADERS,
            [
                ["an@shop.vn", "An", ""],  # 2: new
                ["binh@shop.vn", "Bình Minh", "Huế"],  # 3: changed: first name
                ["not an email", "Chi", ""],  # 4: invalid
            ],
        ),
        {"preview": True},
    )
    assert run.status["status"] == "previewed"

    page = api.rows(run.job_id)  # the latest phase that decided rows: the preview

    assert page["phase"] == "preview"
    assert page["headers"] == HEADERS
    assert page["fields"] == ["email", "first_name", "city"]
    assert page["next_cursor"] is None
    new, changed, invalid = page["rows"]
    assert (new["row"], new["status"], new["cells"]) == (2, "created", ["an@shop.vn", "An", ""])
    assert changed["status"] == "updated"
    assert changed["changes"] == {"first_name": ["Bình", "Bình Minh"]}
    assert invalid["status"] == "invalid" and not invalid["changes"]
    assert [error.split(":")[0] for error in invalid["errors"]] == ["Email"]  # the column that is wrong

    # Pages of 2 return each row once, in file order
    seen, cursor = [], None
    while True:
        part = api.rows(run.job_id, phase="preview", cursor=cursor, limit=2)
        assert len(part["rows"]) <= 2
        seen += [row["row"] for row in part["rows"]]
        cursor = part["next_cursor"]
        if cursor is None:
            break
    assert seen == [2, 3, 4]

    # Nothing applied yet: 409; another tenant's job (or none): 404
    with pytest.raises(ApiError) as refused:
        api.rows(run.job_id, phase="apply")
    assert refused.value.status == 409
    for other, job_id in ((ApiClient(stack.api_url, "someone-else", ADMIN), run.job_id), (api, "0" * 26)):
        with pytest.raises(ApiError) as missing:
            other.rows(job_id)
        assert missing.value.status == 404

    # Once confirmed, the apply is the latest phase (its decisions sit with the before-images an undo needs)
    api.confirm(run.job_id)
    assert api.wait(run.job_id)["status"] == "completed"
    applied = api.rows(run.job_id)
    assert applied["phase"] == "apply"
    assert [row["status"] for row in applied["rows"]] == ["created", "updated", "invalid"]
    assert api.rows(run.job_id, phase="preview")["rows"][1]["changes"] == {"first_name": ["Bình", "Bình Minh"]}


def test_a_cursor_deep_in_the_file_starts_at_its_chunk(api: ApiClient, importer: Any, xlsx: Any) -> None:
    rows = [[f"c{number}@shop.vn", f"C{number}", ""] for number in range(CHUNK_ROWS * 2 + 10)]
    run = importer(xlsx(HEADERS, rows), {"preview": True})
    cursor = 2 + CHUNK_ROWS * 2 + 3  # the 4th row of the third chunk

    page = api.rows(run.job_id, cursor=cursor, limit=5)

    assert [row["row"] for row in page["rows"]] == list(range(cursor, cursor + 5))
    assert page["rows"][0]["cells"][0] == f"c{CHUNK_ROWS * 2 + 3}@shop.vn"
    assert page["next_cursor"] == cursor + 5
    assert api.rows(run.job_id, cursor=2 + len(rows) - 1)["next_cursor"] is None
