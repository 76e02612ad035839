"""A client of the HTTP API, doing what the web client does: create the job, POST the file to the presigned
form, poll the job until it ends. Works against the local stack or a deployed stack alike."""

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from customer_bulk_local.http_api import EMAIL_HEADER, TENANT_HEADER

FINAL = {"completed", "rejected", "failed", "cancelled", "expired", "rolled_back"}
# Where an import waits for its admin (or has ended); cancelled and expired previews send no email, and a mapping
# waiting for review is shown, not mailed.
SETTLED = FINAL | {"previewed", "mapped"}
WITHOUT_NOTICE = {"cancelled", "expired", "mapped"}


class ApiError(RuntimeError):
    """The API (or S3) answered an error; status 0: nothing answered at all."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


@contextmanager
def _answering(url: str) -> Iterator[None]:
    """A dead or unreachable stack is a sentence, not a traceback."""
    try:
        yield
    except requests.RequestException as error:
        where = url.split("?")[0]
        raise ApiError(0, f"{where} does not answer ({type(error).__name__}); is the stack still running?") from None


class ApiClient:
    """Authenticates as a web client does, with a bearer token: the one given, or one from the local stack's
    issuer (a deployed stack has none: pass the token your identity provider issued)."""

    def __init__(
        self, base_url: str, tenant: str, email: str, token: str | None = None, language: str | None = None
    ) -> None:
        """``language``: asked for as Accept-Language (the jobs this client starts speak it); None: the tenant's."""
        self.base_url = base_url.rstrip("/")
        self.tenant, self.email = tenant, email
        self.session = requests.Session()
        if language:
            self.session.headers["Accept-Language"] = language
        token = token or local_token(self.base_url, tenant, email)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        else:  # an older local stack without an issuer: its documented header shortcut
            self.session.headers[TENANT_HEADER] = tenant
            self.session.headers[EMAIL_HEADER] = email

    def create_import(self, file_name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", "/imports", json={"file_name": file_name, "options": options or {}})

    def upload(self, form: dict[str, Any], path: Path) -> None:
        with path.open("rb") as stream, _answering(form["url"]):
            response = requests.post(form["url"], data=form["fields"], files={"file": (path.name, stream)}, timeout=300)
        if response.status_code not in (200, 201, 204):
            raise ApiError(response.status_code, f"upload refused: {response.text[:300]}")

    def status(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/imports/{job_id}")

    def mapping_review(self, job_id: str) -> dict[str, Any]:
        """How the file's columns were taken, for an import started with review_mapping."""
        return self._call("GET", f"/imports/{job_id}/mapping")

    def rows(
        self, job_id: str, phase: str | None = None, cursor: int | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        """A page of the phase's rows and what it decided for each: ``{phase, headers, fields, rows, next_cursor}``
        (send ``next_cursor`` back as ``cursor``; None: the last page)."""
        params = {"phase": phase, "cursor": cursor, "limit": limit}
        return self._call(
            "GET",
            f"/imports/{job_id}/rows",
            params={name: value for name, value in params.items() if value is not None},
        )

    def go_on(
        self,
        job_id: str,
        mapping: dict[str, str | None],
        values: dict[str, dict[str, str]] | None = None,
        preview: bool = False,
    ) -> dict[str, Any]:
        """The reviewed mapping and value map: the import goes on (a preview, or an apply)."""
        body = {"mapping": mapping, "values": values or {}, "preview": preview}
        return self._call("PUT", f"/imports/{job_id}/mapping", json=body)

    def confirm(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/imports/{job_id}/confirm")

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/imports/{job_id}/cancel")

    def rollback(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/imports/{job_id}/rollback")

    def wait(
        self,
        job_id: str,
        timeout_s: float = 600,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        poll_s: float = 0.2,
    ) -> dict[str, Any]:
        """Until the job settles (ended, or previewed and waiting for confirmation) and its notice went out (or the
        timeout). Polls quickly at first, then once a second."""
        deadline = time.monotonic() + timeout_s
        interval = poll_s
        while True:
            status = self.status(job_id)
            if on_progress:
                on_progress(status)
            ended = status["status"] in SETTLED
            told = status.get("notified_at") or status.get("notice_error") or status["status"] in WITHOUT_NOTICE
            if ended and told:
                return status
            if time.monotonic() > deadline:
                if ended:
                    return status
                raise TimeoutError(f"Import {job_id} did not finish within {timeout_s:.0f} s")
            time.sleep(interval)
            interval = min(max(interval, poll_s) * 1.5, max(poll_s, 1.0))

    def history_imports(
        self,
        limit: int | None = None,
        cursor: str | None = None,
        status: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> dict[str, Any]:
        """One page of the tenant's imports, newest first: ``{items, next_cursor}``."""
        params = {"limit": limit, "cursor": cursor, "status": list(status) or None, "type": list(types) or None}
        return self._call("GET", "/imports", params={name: value for name, value in params.items() if value})

    def history_exports(
        self, limit: int | None = None, cursor: str | None = None, status: Sequence[str] = ()
    ) -> dict[str, Any]:
        """One page of the tenant's exports, newest first: ``{items, next_cursor}``."""
        params = {"limit": limit, "cursor": cursor, "status": list(status) or None}
        return self._call("GET", "/exports", params={name: value for name, value in params.items() if value})

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "/settings")

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """PATCH: only the fields sent change."""
        return self._call("PATCH", "/settings", json=changes)

    def create_export(self, request: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", "/exports", json=request or {})

    def export_status(self, export_id: str) -> dict[str, Any]:
        return self._call("GET", f"/exports/{export_id}")

    def wait_export(self, export_id: str, timeout_s: float = 900, poll_s: float = 0.5) -> dict[str, Any]:
        """Until the export ends and its email went out."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.export_status(export_id)
            told = status.get("notified_at") or status.get("notice_error")
            if status["status"] in FINAL and (told or time.monotonic() > deadline):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"Export {export_id} did not finish within {timeout_s:.0f} s")
            time.sleep(poll_s)

    def template(self, file_format: str, import_type: str = "customers") -> bytes:
        return self.template_file(file_format, import_type)[0]

    def template_file(self, file_format: str, import_type: str = "customers") -> tuple[bytes, str]:
        """The template's bytes and the file name the API gives it."""
        params = {"format": file_format, "type": import_type}
        with _answering(self.base_url):
            response = self.session.get(f"{self.base_url}/imports/template", params=params, timeout=60)
        if response.status_code != 200:
            raise ApiError(response.status_code, response.text[:300])
        named = re.search(r'filename="([^"]+)"', response.headers.get("Content-Disposition", ""))
        return response.content, named[1] if named else f"template.{file_format}"

    def emails(self, job_id: str) -> list[dict[str, Any]]:
        """Emails the local stack sent for the job (a deployed stack sends real ones instead)."""
        with _answering(self.base_url):
            response = self.session.get(f"{self.base_url}/_local/emails", params={"job_id": job_id}, timeout=30)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        emails: list[dict[str, Any]] = response.json()
        return emails

    @staticmethod
    def download(url: str, destination: Path) -> Path:
        with _answering(url):
            response = requests.get(url, timeout=300)
        if response.status_code != 200:
            raise ApiError(response.status_code, f"download failed: {response.text[:300]}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(response.content)
        return destination

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with _answering(self.base_url):
            response = self.session.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {"message": response.text}
        if response.status_code >= 400:
            raise ApiError(response.status_code, str(body.get("message") or body.get("detail") or body))
        return body


def local_token(base_url: str, tenant: str, email: str, lifetime_s: int = 3600) -> str | None:
    """A token from the local stack's issuer, or None where there is none (a deployed API answers 401 or 404)."""
    try:
        response = requests.post(
            f"{base_url.rstrip('/')}/_local/issuer/token",
            json={"tenant": tenant, "email": email, "lifetime_s": lifetime_s},
            timeout=30,
        )
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    token: str = response.json()["token"]
    return token
