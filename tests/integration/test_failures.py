"""No job hangs: whatever breaks, the job ends with a reason and the admin is told."""

from datetime import timedelta
from typing import Any

import pytest

import functions.import_report.app as report_task
import functions.import_splitter.app as splitter
import functions.job_sweeper.app as sweeper
import functions.row_validator.app as validator
from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk_local.client import ApiClient
from tests.conftest import CHUNK_ROWS


def upload(api: ApiClient, path: Any) -> str:
    created = api.create_import(path.name)
    api.upload(created["upload"], path)
    return str(created["job_id"])


def test_a_failing_report_task_ends_the_job_as_failed_and_still_notifies(
    stack: Any, tenant: str, importer: Any, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report_task.build_report
    attempts = []

    def broken(stores: Any, tenant_id: str, job_id: str, now: Any, phase: Any) -> Any:
        if tenant_id == tenant:
            attempts.append(job_id)
            raise RuntimeError("the report could not be written")
        return real(stores, tenant_id, job_id, now, phase)

    monkeypatch.setattr(report_task, "build_report", broken)
    run = importer(csv_file(["Email"], [["a@shop.vn"], ["b@shop.vn"]]))

    assert len(attempts) == 3  # the first try and the state machine's two retries
    assert run.status["status"] == "failed"
    assert run.status["error_code"] == "internal_error"
    assert run.status["created"] == 2  # what was applied stays applied, and the email says so
    assert len(run.emails) == 1
    assert run.emails[0].subject == f"Import failed: {run.status['file_name']}"
    assert "2 created and 0 updated before it stopped" in run.emails[0].text


def test_an_upload_the_splitter_keeps_failing_on_ends_as_failed_with_a_notice(
    stack: Any, tenant: str, api: ApiClient, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = splitter.split_upload
    tries = []

    def crashing(stores: Any, key: str, size: int, now: Any) -> None:
        if f"/{tenant}/" in key:
            tries.append(key)
            raise MemoryError("the splitter ran out of memory")
        real(stores, key, size, now)

    monkeypatch.setattr(splitter, "split_upload", crashing)
    job_id = upload(api, csv_file(["Email"], [["a@shop.vn"]]))
    status = api.wait(job_id, timeout_s=60, poll_s=0.05)

    assert len(tries) == 3  # the upload queue's maxReceiveCount, then its dead-letter queue
    assert status["status"] == "failed"
    assert status["error"].startswith("The file could not be split into parts because of an internal error")
    assert [email.subject for email in stack.sent_emails(job_id)] == [f"Import failed: {status['file_name']}"]


def test_a_job_that_stops_making_progress_is_finalised_with_what_is_known(
    stack: Any, tenant: str, api: ApiClient, xlsx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = validator.apply_chunk

    def losing_the_first_chunk(stores: Any, message: Any, now: Any) -> None:
        if message.tenant_id == tenant and message.chunk == 0:
            return  # acknowledged, never applied: as if the message had been lost
        real(stores, message, now)

    monkeypatch.setattr(validator, "apply_chunk", losing_the_first_chunk)
    rows = [[f"s{i}@shop.vn", f"S {i}"] for i in range(CHUNK_ROWS + 20)]
    job_id = upload(api, xlsx(["Email", "First Name"], rows))
    stack.wait_until_idle()
    assert api.status(job_id)["status"] == "processing"

    # An hour later the sweeper runs
    monkeypatch.setattr(sweeper, "utc_now", lambda: utc_now() + timedelta(hours=1))
    assert stack.run_scheduled("JobSweeperFunction")["finalised"] >= 1
    status = api.wait(job_id, timeout_s=60, poll_s=0.05)

    assert status["status"] == "completed"
    assert (status["created"], status["not_processed"]) == (20, CHUNK_ROWS)
    assert f"{CHUNK_ROWS:,} rows were not processed: the import stopped making progress." in status["notes"]
    email = stack.sent_emails(job_id)[0]
    assert "Not processed:" in email.text
    assert "the import stopped making progress" in email.text


def test_a_retried_notice_task_never_mails_the_admin_twice(
    stack: Any, tenant: str, importer: Any, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import customer_bulk.logic.notice as notice_logic

    real_send = notice_logic.send_notice
    failures = []

    def flaky(stores: Any, notice: Any) -> str:
        if notice.tenant_id == tenant and not failures:
            failures.append(notice.job_id)
            raise ConnectionError("SES did not answer")  # before anything was sent: the retry must send
        return real_send(stores, notice)

    monkeypatch.setattr(notice_logic, "send_notice", flaky)
    run = importer(csv_file(["Email"], [["a@shop.vn"]]))
    assert failures == [run.job_id]
    assert len(run.emails) == 1
    job = stores().jobs.get(tenant, run.job_id)
    assert job is not None and job.notice_message_id

    # The task runs again after the mail went out (its answer was lost): the same message id, no second mail.
    notice = {"kind": "import", "tenant_id": tenant, "job_id": run.job_id, "to": ["a@b.c"], "file_name": "f"}
    again = stack.runtime.invoke("NotifierFunction", {**notice, "status": "completed"})
    assert again == {"message_id": job.notice_message_id}
    assert len(stack.sent_emails(run.job_id)) == 1


def test_a_file_name_with_a_line_break_is_cleaned_and_the_admin_is_told(
    stack: Any, tenant: str, api: ApiClient, csv_file: Any
) -> None:
    created = api.create_import("Khách hàng\r\ntháng 11\t.csv")
    api.upload(created["upload"], csv_file(["Email"], [["a@shop.vn"]]))
    status = api.wait(created["job_id"], timeout_s=60, poll_s=0.05)
    assert (status["status"], status["created"]) == ("completed", 1)
    (email,) = stack.sent_emails(created["job_id"])
    assert email.subject.startswith("Import finished: Khách hàng tháng 11 .csv - 1 created")
    assert created["upload"]["fields"]["key"].endswith("/Khách hàng tháng 11 .csv")
