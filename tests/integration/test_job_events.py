"""When a job ends, its event reaches the job bus once, and the tenant's webhook gets it signed (docs/adr/0010): a
notifier retried by the state machine publishes nothing twice, a failing webhook is tried again without touching
the job or its email, and a webhook URL off this machine is refused when saved."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from customer_bulk.models.job_events import JOB_EVENT_TYPES
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.faults import Fault
from customer_bulk_local.template import load_template
from tests.conftest import ADMIN, bus_subscriber
from tests.integration.test_template import TEMPLATE

ROWS = [["a@shop.vn", "An"], ["b@shop.vn", "Bình"], ["not-an-email", ""]]


class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next status of ``answers`` (the last one
    after that), and keeps what it was sent."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.answers[min(len(receiver.requests), len(receiver.answers)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/customer-bulk?source=test"

    def wait_for(self, count: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"{len(self.requests)} webhook requests, expected {count}"
            time.sleep(0.05)


@pytest.fixture
def receiver_of(stack: LocalStack) -> Iterator[Any]:
    started: list[Receiver] = []

    def _start(answers: list[int]) -> Receiver:
        started.append(Receiver(answers))
        return started[-1]

    yield _start
    for receiver in started:
        receiver.server.shutdown()


@pytest.fixture
def job_events(stack: LocalStack, tenant: str) -> Any:
    """The tenant's job events as a subscriber gets them: a rule on the job bus, into a queue of the test's."""
    return bus_subscriber(stack, "JobEventBus", tenant, "jobs")


def _execution_ended(stack: LocalStack, job_id: str) -> None:
    """Until the import's state machine execution (named after the job) has run its last task."""
    machine = stack.physical("ImportStateMachine")["Arn"]
    execution = machine.replace(":stateMachine:", ":execution:") + f":{job_id}"
    sfn, deadline = stack.client("stepfunctions"), time.monotonic() + 60
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_import_publishes_one_import_completed_event_even_when_its_notifier_is_retried(
    stack: LocalStack, tenant: str, importer: Any, csv_file: Any, job_events: Any
) -> None:
    # More throttles than the SDK retries (the call and 8 retries): the notifier task fails once and the state
    # machine runs it again; the event it published the first time is not published a second time.
    assert stack.runtime is not None
    notified_before = stack.runtime.invocations["NotifierFunction"]
    throttled = stack.faults.add(Fault("sesv2", "SendEmail", "throttle", times=9))
    try:
        run = importer(csv_file(["Email", "First Name"], ROWS))
        _execution_ended(stack, run.job_id)
    finally:
        stack.faults.clear()
    assert throttled.fired == 9 and len(run.emails) == 1
    assert stack.runtime.invocations["NotifierFunction"] - notified_before == 2

    received = job_events()
    assert [event["detail-type"] for event in received] == ["import.completed"]
    event = received[0]["detail"]
    assert (event["tenant_id"], event["job_id"], event["kind"], event["status"]) == (
        tenant, run.job_id, "import", "completed",
    )  # fmt: skip
    assert event["event_id"] == f"{run.job_id}:import_0" and event["type"] == "import.completed"
    assert (event["file_name"], event["rows_total"], event["language"]) == (run.status["file_name"], 3, "en")
    assert {name: event["counts"][name] for name in ("created", "updated", "invalid")} == {
        "created": 2, "updated": 0, "invalid": 1,
    }  # fmt: skip
    assert event["finished_at"] is not None
    # The same link as the notice's: the errors workbook, through the download route.
    [link] = event["links"]
    assert link["url"] == run.status["error_report_url"] and link["url"] in run.emails[0].text
    assert link["name"].endswith(".xlsx") and link["expires_at"] > event["finished_at"]


def test_an_export_written_at_once_publishes_export_completed_with_its_files(
    api: ApiClient, importer: Any, csv_file: Any, job_events: Any
) -> None:
    importer(csv_file(["Email", "First Name"], ROWS))
    job_events()  # the import's own event
    export = api.create_export({"format": "csv"})
    [received] = job_events()
    event = received["detail"]
    assert received["detail-type"] == "export.completed"
    assert (event["job_id"], event["kind"]) == (export["export_id"], "export")
    assert event["counts"] == {"rows": 2, "files": 1} and event["file_name"] is None
    assert [link["url"] for link in event["links"]] == [part["url"] for part in export["files"]]
    assert event["links"][0]["rows"] == 2


def test_a_webhook_receives_the_event_once_signed_with_the_tenants_secret(
    stack: LocalStack, api: ApiClient, importer: Any, csv_file: Any, receiver_of: Any
) -> None:
    receiver = receiver_of([200])
    api.update_settings({"webhook_url": receiver.url})
    secret = _call(stack, api, "GET", "/settings/webhook-secret").json()["secret"]

    run = importer(csv_file(["Email", "First Name"], ROWS))
    receiver.wait_for(1)
    stack.wait_until_idle()
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    timestamp, mac = (part.split("=", 1)[1] for part in headers["x-customer-bulk-signature"].split(","))
    assert abs(int(timestamp) - time.time()) < 120  # a receiver refuses an old one (a replay)
    assert hmac.compare_digest(mac, hmac.new(secret.encode(), f"{timestamp}.".encode() + body, "sha256").hexdigest())
    event = json.loads(body)
    assert (event["type"], event["job_id"], event["counts"]["created"]) == ("import.completed", run.job_id, 2)
    assert (headers["x-customer-bulk-event"], headers["x-customer-bulk-event-id"]) == (
        "import.completed", event["event_id"],
    )  # fmt: skip
    assert headers["content-type"].startswith("application/json")

    # A rotated secret signs what comes next; the old one no longer verifies.
    rotated = _call(stack, api, "POST", "/settings/webhook-secret").json()["secret"]
    assert rotated != secret and _call(stack, api, "GET", "/settings/webhook-secret").json()["secret"] == rotated
    importer(csv_file(["Email"], [["c@shop.vn"]]))
    receiver.wait_for(2)
    headers, body = receiver.requests[1]
    timestamp, mac = (part.split("=", 1)[1] for part in headers["x-customer-bulk-signature"].split(","))
    expected = hmac.new(rotated.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert mac == expected


def test_a_failing_webhook_is_retried_and_the_job_and_its_email_are_untouched(
    stack: LocalStack, api: ApiClient, importer: Any, csv_file: Any, receiver_of: Any, job_events: Any
) -> None:
    receiver = receiver_of([500, 503, 200])
    api.update_settings({"webhook_url": receiver.url})
    run = importer(csv_file(["Email", "First Name"], ROWS))
    assert (run.status["status"], run.status["created"]) == ("completed", 2)
    assert len(run.emails) == 1 and run.status["notice_error"] is None

    receiver.wait_for(3)
    stack.wait_until_idle()
    assert len(receiver.requests) == 3  # delivered on the third attempt, then never again
    assert [headers["x-customer-bulk-attempt"] for headers, _body in receiver.requests] == ["1", "2", "3"]
    assert len({body for _headers, body in receiver.requests}) == 1  # the same event each time
    assert len(job_events()) == 1 and len(stack.sent_emails(run.job_id)) == 1


def test_a_webhook_url_that_is_not_allowed_is_refused_with_the_reason(
    stack: LocalStack, api: ApiClient, receiver_of: Any
) -> None:
    refusals = {
        # The local stack sends to this machine only (on AWS: https, public addresses only; tests/unit).
        "http://10.0.0.1/hook": "On the local stack, webhooks are only sent to this machine",
        "https://169.254.169.254/latest/meta-data/": "169.254.169.254",
        "ftp://127.0.0.1/hook": "The webhook URL must start with https://.",
        "https://user:pw@127.0.0.1/hook": "must not contain a user name or password",
        "https://nowhere.invalid/hook": "The webhook host nowhere.invalid could not be resolved.",
    }
    for url, why in refusals.items():
        answer = _call(stack, api, "PATCH", "/settings", json={"webhook_url": url})
        assert answer.status_code == 400, url
        assert why in answer.json()["message"], url
    assert api.settings()["webhook_url"] is None
    receiver = receiver_of([200])
    assert api.update_settings({"webhook_url": receiver.url})["webhook_url"] == receiver.url
    # Italian, as the tenant's admin reads it (the reason's address and host stay as they are).
    italian = _call(stack, api, "PATCH", "/settings", json={"webhook_url": "http://10.0.0.1/x"}, language="it")
    assert italian.status_code == 400 and "10.0.0.1" in italian.json()["message"]
    assert italian.json()["message"].startswith("Nello stack locale, i webhook vengono inviati solo a questa macchina")


def test_the_webhook_rule_forwards_every_job_event_type(stack: LocalStack) -> None:
    rule = load_template(TEMPLATE)["Resources"]["JobEventsToWebhooksRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "JobEventBus"}
    assert tuple(rule["EventPattern"]["detail-type"]) == JOB_EVENT_TYPES


def _call(
    stack: LocalStack, api: ApiClient, method: str, path: str, language: str = "en", **kwargs: Any
) -> requests.Response:
    headers = {"X-Tenant-Id": api.tenant, "X-User-Email": ADMIN, "Accept-Language": language}
    return requests.request(method, f"{stack.api_url}{path}", headers=headers, timeout=30, **kwargs)
