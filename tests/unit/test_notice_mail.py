"""The notice as it leaves for the mail service: every language's subject arrives exactly as written, however long,
and the message carries both parts and says its language."""

from email import message_from_bytes, policy

import pytest

from customer_bulk.i18n import LANGUAGES
from customer_bulk.logic.notice import JOB_HEADER, mime_message, render
from customer_bulk.models.job import Counts, RollbackCounts
from customer_bulk.models.notice import Notice

LONG_FILE = "Danh sách khách hàng tháng 11 năm 2026 - chi nhánh Hồ Chí Minh (bản cuối cùng).xlsx"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("file_name", ["lan-1.xlsx", LONG_FILE])
def test_a_subject_arrives_exactly_as_written(language: str, file_name: str) -> None:
    """Python's newer email API drops the space at each fold of a long non-ASCII subject ("- 0" became "-0")."""
    for notice in (
        Notice(tenant_id="t", job_id="J", to=["an@shop.vn"], file_name=file_name, status="completed",
               counts=Counts(created=31_204, updated=15_877, unchanged=0, invalid=316), language=language),
        Notice(kind="rollback", tenant_id="t", job_id="J", to=["an@shop.vn"], file_name=file_name,
               status="rolled_back", rollback_counts=RollbackCounts(removed=2), language=language),
    ):  # fmt: skip
        raw = mime_message(notice, "notices@shop.example")
        parsed = message_from_bytes(raw, policy=policy.default)
        rendered = render(notice)
        assert str(parsed["Subject"]) == rendered.subject
        assert max(len(line) for line in raw.splitlines()) <= 998
        assert parsed["Content-Language"] == language and parsed[JOB_HEADER] == "J"
        text, html = (parsed.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
        assert text is not None and text.get_content() == rendered.text
        assert html is not None and html.get_content() == rendered.html
