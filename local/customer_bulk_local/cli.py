"""customer-bulk: run the stack locally and use it the way the web client does.

    customer-bulk serve [--port N] [--artifact .aws-sam/build] [--console-port N] [--console-dir DIR]
                        [--tenant T] [--email E]
    customer-bulk import FILE --tenant T [--api URL] [--json] [--match auto|email|phone|id] [--keep-existing]
                         [--trigger-flows] [--mapping FILE] [--tags add|replace] [--sheet NAME]
                         [--force] [--preview] [--type customers|opening_balance]
    customer-bulk confirm JOB_ID --tenant T --api URL [--json]
    customer-bulk cancel JOB_ID --tenant T --api URL [--json]
    customer-bulk rollback JOB_ID --tenant T --api URL [--json]
    customer-bulk export --tenant T [--api URL] [--scope all|page|selected|filter] [--ids ID,...]
                         [--filter "tags=vip&city=Hà Nội&search=0912"] [--format xlsx|csv] [--out DIR] [--json]
    customer-bulk template --tenant T --format xlsx|csv [--type customers|opening_balance] --out FILE
    customer-bulk token --tenant T [--email E] --api URL [--lifetime SECONDS]

Without --api, each command starts an embedded local stack for that one command (so confirm, cancel and rollback,
which act on a job an earlier command made, need the --api of a running `customer-bulk serve`). Commands sign in
with a token from the local stack's issuer; against a deployed API, set CUSTOMER_BULK_TOKEN to one your identity
provider issued.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from customer_bulk.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, _, moment, n_, speaking
from customer_bulk_local.client import ApiClient, ApiError, local_token

DEFAULT_ADMIN = "admin@example.com"
EXIT_REJECTED = 2
EXIT_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="customer-bulk", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local stack and its HTTP API until interrupted")
    serve.add_argument("--port", type=int, default=0, help="port of the HTTP API (default: any free port)")
    serve.add_argument(
        "--artifact",
        type=Path,
        help="run every function from this `sam build` output (.aws-sam/build), each in a process of its own",
    )
    serve.add_argument(
        "--console-port", type=int, default=0, help="port of the browser console's own origin (default: any free port)"
    )
    serve.add_argument(
        "--console-dir", type=Path, help="the console's static files (default: the repository's console/ folder)"
    )
    serve.add_argument("--tenant", default="demo", help="the tenant the console URL signs in as (default: demo)")
    serve.add_argument("--email", default=DEFAULT_ADMIN, help="the admin the console URL signs in as")

    run = commands.add_parser("import", help="import a customer file and wait for the outcome")
    run.add_argument("file", type=Path)
    run.add_argument("--tenant", required=True)
    run.add_argument("--email", default=DEFAULT_ADMIN, help="the admin who imports (gets the notice)")
    run.add_argument("--api", help="base URL of a running API (default: start a local stack for this command)")
    run.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
    run.add_argument("--out", type=Path, default=Path("customer-bulk-output"), help="where reports are saved")
    run.add_argument(
        "--match", choices=["auto", "email", "phone", "id"], default="auto", help="how rows find customers"
    )
    run.add_argument("--keep-existing", action="store_true", help="do not update customers that already exist")
    run.add_argument("--trigger-flows", action="store_true", help="send customer.created/updated events to flows")
    run.add_argument("--mapping", type=Path, help="JSON file {header: field or null} overriding the column guess")
    run.add_argument("--tags", choices=["add", "replace"], default="add", help="add the file's tags, or replace")
    run.add_argument("--sheet", help="the sheet to read (default: the first one with data)")
    run.add_argument("--force", action="store_true", help="apply rows of an export even if edited since then")
    run.add_argument("--preview", action="store_true", help="show the changes (counts, diff workbook), write nothing")
    run.add_argument(
        "--type",
        choices=["customers", "opening_balance"],
        default="customers",
        help="opening_balance: members' past spend (DTDauKy / DTTichLuy) becomes loyalty points",
    )
    run.add_argument("--timeout", type=float, default=900, help="seconds to wait for the import to finish")
    run.add_argument("--lang", choices=LANGUAGES, help="the language of emails and files (default: the tenant's)")

    for name, what in (
        ("confirm", "apply a previewed import exactly as previewed, and wait for the outcome"),
        ("cancel", "discard a previewed import"),
        ("rollback", "undo an applied import (customers changed since are left alone), and wait for the outcome"),
    ):
        action = commands.add_parser(name, help=what)
        action.add_argument("job_id")
        action.add_argument("--tenant", required=True)
        action.add_argument("--email", default=DEFAULT_ADMIN, help="the admin who acts (gets the notice)")
        action.add_argument("--api", help="base URL of the running API that holds the job")
        action.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
        action.add_argument("--out", type=Path, default=Path("customer-bulk-output"), help="where reports are saved")
        action.add_argument("--timeout", type=float, default=900, help="seconds to wait for the outcome")
        action.add_argument(
            "--lang", choices=LANGUAGES, help="the language of emails and files (default: the tenant's)"
        )

    export = commands.add_parser("export", help="export customers and download the file(s)")
    export.add_argument("--tenant", required=True)
    export.add_argument("--email", default=DEFAULT_ADMIN, help="the admin who exports (gets the email of a big one)")
    export.add_argument("--api", help="base URL of a running API (default: start a local stack for this command)")
    export.add_argument("--scope", choices=["all", "page", "selected", "filter"], default="all")
    export.add_argument("--ids", help="comma-separated customer ids (--scope selected)")
    export.add_argument("--cursor", help="the customer id the page starts after (--scope page)")
    export.add_argument("--size", type=int, default=50, help="customers on the page (--scope page)")
    export.add_argument(
        "--filter",
        help="conditions joined by & (--scope filter): tags=a,b accepts_email_marketing=yes accepts_sms_marketing=no "
        "city=... country_code=VN created_from=YYYY-MM-DD created_to=... updated_from=... updated_to=... search=...",
    )
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--columns", help="comma-separated field names to write (default: all)")
    export.add_argument("--without-personal-data", action="store_true", help="leave out email, phone, address...")
    export.add_argument("--out", type=Path, default=Path("customer-bulk-output"), help="where the files are saved")
    export.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
    export.add_argument("--timeout", type=float, default=1800, help="seconds to wait for an emailed export")
    export.add_argument("--lang", choices=LANGUAGES, help="the language of emails and files (default: the tenant's)")

    token = commands.add_parser("token", help="print a bearer token from a running local stack's issuer")
    token.add_argument("--tenant", required=True)
    token.add_argument("--email", default=DEFAULT_ADMIN)
    token.add_argument("--api", required=True, help="base URL of the running `customer-bulk serve`")
    token.add_argument("--lifetime", type=int, default=3600, help="seconds the token is valid")

    template = commands.add_parser("template", help="download the tenant's import template")
    template.add_argument("--tenant", required=True)
    template.add_argument("--email", default=DEFAULT_ADMIN)
    template.add_argument("--api", help="base URL of a running API (default: start a local stack for this command)")
    template.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    template.add_argument("--type", choices=["customers", "opening_balance"], default="customers")
    template.add_argument("--out", type=Path, help="where to save it (default: the template's own file name)")
    template.add_argument("--lang", choices=LANGUAGES, help="the language of emails and files (default: the tenant's)")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.port, args.artifact, args)
    if args.command == "template":
        return _template(args)
    if args.command == "token":
        issued = local_token(args.api, args.tenant, args.email, args.lifetime)
        if issued is None:
            print(f"customer-bulk: {args.api} has no local issuer (a deployed API takes your provider's tokens)",
                  file=sys.stderr)  # fmt: skip
            return EXIT_FAILED
        print(issued)
        return 0
    if args.command == "export":
        return _export(args)
    if args.command in ("confirm", "cancel", "rollback"):
        return _act(args)
    return _import(args)


def _export_request(args: argparse.Namespace) -> dict[str, Any]:
    scope: dict[str, Any] = {"kind": args.scope}
    if args.scope == "selected":
        scope["ids"] = [part.strip() for part in (args.ids or "").split(",") if part.strip()]
    if args.scope == "page":
        scope.update(size=args.size, **({"cursor": args.cursor} if args.cursor else {}))
    if args.scope == "filter":
        conditions: dict[str, Any] = {}
        for name, value in parse_qsl(args.filter or "", keep_blank_values=False):
            if name == "tags":
                conditions["tags"] = [tag.strip() for tag in value.split(",") if tag.strip()]
            elif name.startswith("accepts_"):
                conditions[name] = value.strip().lower() in ("yes", "true", "1", "y")
            else:
                conditions[name] = value
        scope["filter"] = conditions
    request: dict[str, Any] = {"scope": scope, "format": args.format}
    if args.columns:
        request["columns"] = [name.strip() for name in args.columns.split(",") if name.strip()]
    if args.without_personal_data:
        request["without_personal_data"] = True
    return request


def _export(args: argparse.Namespace) -> int:
    with _api(args.api) as base_url:
        client = ApiClient(base_url, args.tenant, args.email, os.environ.get("CUSTOMER_BULK_TOKEN"), args.lang)
        try:
            started = client.create_export(_export_request(args))
            if not args.json:
                with speaking(args.lang or started.get("language") or SOURCE_LANGUAGE):
                    line = _(
                        "Exporting customers of tenant {tenant} (export {export_id})",
                        tenant=args.tenant,
                        export_id=started["export_id"],
                    )
                print(line, file=sys.stderr)
            status = started
            if status["status"] not in ("completed", "failed"):
                status = client.wait_export(started["export_id"], timeout_s=args.timeout)
            files = [
                {
                    "path": str(client.download(link["url"], args.out / link["file_name"]).resolve()),
                    "rows": link["rows"],
                }
                for link in status["files"]
            ]
        except (ApiError, TimeoutError) as error:
            return _fail(args, str(error))
        emails = client.emails(status["export_id"]) if status["delivery"] == "email" else []
    email = emails[-1] if emails else None
    result = {
        "export_id": status["export_id"],
        "status": status["status"],
        "rows": status["rows"],
        "delivery": status["delivery"],
        "files": files,
        "email": {"to": email["to"], "subject": email["subject"], "text": email["text"]} if email else None,
    }
    if status.get("error"):
        result["error"] = status["error"]
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        with speaking(args.lang or status.get("language") or SOURCE_LANGUAGE):
            customers = n_("{count} customer", "{count} customers", status["rows"])
            delivery = _(DELIVERY_WORDS.get(status["delivery"], status["delivery"]))
            print(
                _(
                    "{status}: {customers} ({delivery})",
                    status=_status_word(status["status"]),
                    customers=customers,
                    delivery=delivery,
                )
            )
            for file in files:
                print(f"  {file['path']}  (" + n_("{count} row", "{count} rows", file["rows"]) + ")")
            if email:
                print(_email_lines(email))
    return 0 if status["status"] == "completed" else EXIT_FAILED


def _template(args: argparse.Namespace) -> int:
    with _api(args.api) as base_url:
        try:
            client = ApiClient(base_url, args.tenant, args.email, os.environ.get("CUSTOMER_BULK_TOKEN"), args.lang)
            content, file_name = client.template_file(args.format, args.type)
        except ApiError as error:
            print(f"customer-bulk: {error}", file=sys.stderr)
            return EXIT_FAILED
    out = args.out or Path(file_name)
    out.write_bytes(content)
    print(out)
    return 0


def _serve(port: int, artifact: Path | None = None, args: argparse.Namespace | None = None) -> int:
    """The API's URL on the first line, the console's on the second (``Console: URL``), then one line per job
    event; logs and metrics go to a file it names."""
    from customer_bulk_local.console_host import ConsoleHost, console_config
    from customer_bulk_local.emulator import REPO_ROOT
    from customer_bulk_local.product import JobFeed, start_stack

    log_path = (Path("customer-bulk-output") / "serve.log").resolve()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("a", encoding="utf-8", buffering=1)
    logging.basicConfig(stream=log_file, level=logging.INFO, force=True)
    stack = start_stack(
        api_port=port,
        run_schedules=True,
        function_output=log_file,
        log_level="INFO",
        artifact=artifact.resolve() if artifact else None,
    )
    print(stack.api_url, flush=True)
    try:
        console = ConsoleHost(
            (args.console_dir if args and args.console_dir else REPO_ROOT / "console"),
            console_config(stack.api_url, f"{stack.api_url}/_local/issuer/token", list(LANGUAGES)),
            port=args.console_port if args else 0,
        ).start()
    except OSError:  # the console's port is taken
        stack.stop()
        raise
    # The fragment names who the console signs in as (it asks the issuer in config.json for their token).
    tenant, email = (args.tenant, args.email) if args else ("demo", DEFAULT_ADMIN)
    who = f"tenant={quote(tenant, safe='')}&email={quote(email, safe='@')}"
    print(f"Console: {console.url}/#{who}", flush=True)
    print(
        f"Local stack running. Function logs and metrics: {log_path}. Sign in with a token: customer-bulk token "
        f"--api {stack.api_url} --tenant T (or send X-Tenant-Id and X-User-Email). Ctrl-C stops it.",
        file=sys.stderr,
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    feed = JobFeed(stack)
    try:
        while not stopped.wait(0.5):
            for line in feed.poll():
                print(f"{datetime.now():%H:%M:%S} {line}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        console.stop()
        stack.stop()
        log_file.close()
    return 0


@contextmanager
def _api(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from customer_bulk_local.product import start_stack

    stack = start_stack()
    try:
        yield stack.api_url
    finally:
        stack.stop()


def _import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        return _fail(args, f"No such file: {args.file}")
    options: dict[str, Any] = {
        "match_key": "customer_id" if args.match == "id" else args.match,
        "update_existing": not args.keep_existing,
        "trigger_flows": args.trigger_flows,
        "tags": args.tags,
        "force": args.force,
        "preview": args.preview,
        "type": args.type,
    }
    if args.sheet:
        options["sheet"] = args.sheet
    if args.mapping:
        try:
            options["mapping"] = json.loads(args.mapping.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return _fail(args, f"Cannot read the mapping {args.mapping}: {error}")
    with _api(args.api) as base_url:
        client = ApiClient(base_url, args.tenant, args.email, os.environ.get("CUSTOMER_BULK_TOKEN"), args.lang)
        try:
            created = client.create_import(args.file.name, options)
        except ApiError as error:
            if error.status in (400, 422):  # the file (its name, type or options) is refused before any upload
                return _reject(args, error.message)
            return _fail(args, str(error))
        try:
            job_id = created["job_id"]
            if not args.json:
                with speaking(args.lang or SOURCE_LANGUAGE):
                    line = _(
                        "Importing {file} for tenant {tenant} (job {job_id})",
                        file=args.file.name,
                        tenant=args.tenant,
                        job_id=job_id,
                    )
                print(line, file=sys.stderr)
            client.upload(created["upload"], args.file)
            status = client.wait(job_id, timeout_s=args.timeout, on_progress=_ProgressBar(not args.json, args.lang))
        except (ApiError, TimeoutError) as error:
            return _fail(args, str(error))
        return _report_outcome(args, client, status)


def _act(args: argparse.Namespace) -> int:
    """confirm / cancel / rollback JOB_ID: ask, then wait for the phase it starts to end."""
    with _api(args.api) as base_url:
        client = ApiClient(base_url, args.tenant, args.email, os.environ.get("CUSTOMER_BULK_TOKEN"), args.lang)
        try:
            getattr(client, args.command)(args.job_id)
            status = client.wait(
                args.job_id, timeout_s=args.timeout, on_progress=_ProgressBar(not args.json, args.lang)
            )
        except ApiError as error:
            if error.status == 404 and not args.api:
                return _fail(args, f"{error} (without --api this command ran its own empty local stack; start "
                             "`customer-bulk serve` and pass its URL with --api)")  # fmt: skip
            return _fail(args, str(error))
        except TimeoutError as error:
            return _fail(args, str(error))
        return _report_outcome(args, client, status)


def _report_outcome(args: argparse.Namespace, client: ApiClient, status: dict[str, Any]) -> int:
    """Download the job's latest workbook, print the outcome (or one JSON object), and the exit status."""
    job_id = status["job_id"]
    emails = client.emails(job_id)
    email = emails[-1] if emails and status["status"] not in ("cancelled", "expired") else None
    if status["status"] in ("rolled_back", "rolling_back"):
        result = _rollback_result(
            status,
            _download(client, (status["rollback"] or {}).get("report_url"), args.out / f"{job_id}-rollback.xlsx"),
            email,
        )
    elif status["status"] == "previewed" or (status["preview"] and not status["preview"].get("confirmed_at")):
        result = _preview_result(
            status, _download(client, status["preview"]["diff_report_url"], args.out / f"{job_id}-preview.xlsx"), email
        )
    else:
        result = _result(
            status, _download(client, status.get("error_report_url"), args.out / f"{job_id}-errors.xlsx"), email
        )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_summary(result, args.lang)
    if status["status"] == "rejected":
        if not args.json:
            print(f"Rejected: {status.get('error')}", file=sys.stderr)
        return EXIT_REJECTED
    return 0 if status["status"] in ("completed", "previewed", "cancelled", "rolled_back") else EXIT_FAILED


def _download(client: ApiClient, url: str | None, destination: Path) -> Path | None:
    return client.download(url, destination).resolve() if url else None


def _email(email: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"to": email["to"], "subject": email["subject"], "text": email["text"]} if email else None


def _preview_result(status: dict[str, Any], report: Path | None, email: dict[str, Any] | None) -> dict[str, Any]:
    preview = status["preview"]
    counts = ("new", "changed", "unchanged", "skipped", "stale", "invalid", "not_processed", "warnings")
    result: dict[str, Any] = {
        "job_id": status["job_id"],
        "status": status["status"],
        "rows_total": status["rows_total"],
    }
    result.update({key: preview[key] for key in counts})
    result.update(diff_report=str(report) if report else None, expires_at=preview["expires_at"])
    result.update(email=_email(email), notes=status.get("notes", []))
    if status.get("error"):
        result["error"] = status["error"]
    return result


def _rollback_result(status: dict[str, Any], report: Path | None, email: dict[str, Any] | None) -> dict[str, Any]:
    rollback = status["rollback"] or {}
    result: dict[str, Any] = {"job_id": status["job_id"], "status": status["status"]}
    result.update({key: rollback.get(key, 0) for key in ("restored", "removed", "left_alone", "not_processed")})
    result.update(rollback_report=str(report) if report else None, email=_email(email))
    return result


def _result(status: dict[str, Any], report: Path | None, email: dict[str, Any] | None) -> dict[str, Any]:
    keys = (
        "job_id", "status", "language", "rows_total", "created", "updated", "unchanged", "skipped", "stale", "invalid",
        "warnings", "flow_events",
    )  # fmt: skip
    result: dict[str, Any] = {key: status.get(key) for key in keys}
    result["not_processed"] = status.get("not_processed", 0)
    result["error_report"] = str(report) if report else None
    result["email"] = _email(email)
    result["notes"] = status.get("notes", [])
    if status.get("error"):
        result["error"] = status["error"]
    return result


DELIVERY_WORDS = {"immediate": N_("immediate"), "email": N_("by email")}
# What a job's status is called where the CLI says it.
STATUS_WORDS = {
    "completed": N_("Completed"),
    "previewed": N_("Previewed"),
    "rolled_back": N_("Rolled back"),
    "rejected": N_("Rejected"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
    "awaiting_upload": N_("Waiting for the upload"),
    "splitting": N_("Reading the file"),
    "processing": N_("Processing"),
    "rolling_back": N_("Rolling back"),
}


def _status_word(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.replace("_", " ").capitalize()


def _print_summary(result: dict[str, Any], language: str | None) -> None:
    with speaking(language or result.get("language") or SOURCE_LANGUAGE):
        for line in _summary_lines(result):
            print(line)


def _summary_lines(result: dict[str, Any]) -> Iterator[str]:
    status = _status_word(result["status"])
    if "restored" in result:
        yield _(
            "{status}: {restored} restored, {removed} removed, {left_alone} left alone (changed since the import)",
            status=status,
            restored=result["restored"],
            removed=result["removed"],
            left_alone=result["left_alone"],
        )
        if result["rollback_report"]:
            yield _("Customers left alone: {path}", path=result["rollback_report"])
    elif "new" in result:
        yield _(
            "{status}: {rows} rows - {new} new, {changed} changed, {unchanged} unchanged, {invalid} invalid",
            status=status,
            rows=result["rows_total"],
            new=result["new"],
            changed=result["changed"],
            unchanged=result["unchanged"],
            invalid=result["invalid"],
        )
        if result["status"] == "previewed":
            yield _(
                "Nothing was written. Confirm before {deadline}: customer-bulk confirm {job_id} --tenant ... "
                "--api URL (or cancel it)",
                deadline=moment(datetime.fromisoformat(result["expires_at"])),
                job_id=result["job_id"],
            )
        if result["diff_report"]:
            yield _("Every row and its changes: {path}", path=result["diff_report"])
    elif result["status"] != "rejected":
        stale = (
            _("{stale} changed since their export (not applied), ", stale=result["stale"])
            if result.get("stale")
            else ""
        )
        yield _(
            "{status}: {rows} rows - {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped, "
            "{stale}{invalid} invalid ({warnings} with a field skipped)",
            status=status,
            rows=result["rows_total"],
            created=result["created"],
            updated=result["updated"],
            unchanged=result["unchanged"],
            skipped=result["skipped"],
            stale=stale,
            invalid=result["invalid"],
            warnings=result["warnings"],
        )
    if result.get("error_report"):
        yield _("Rows to fix: {path}", path=result["error_report"])
    if result["email"]:
        yield _email_lines(result["email"])


def _email_lines(email: dict[str, Any]) -> str:
    to = _("--- email to {to} ---", to=", ".join(email["to"]))
    return f"\n{to}\n" + _("Subject: {subject}", subject=email["subject"]) + f"\n\n{email['text']}"


def _reject(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"status": "rejected", "error": message}, ensure_ascii=False))
    print(f"Rejected: {message}", file=sys.stderr)
    return EXIT_REJECTED


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"status": "error", "error": message}))
    print(f"customer-bulk: {message}", file=sys.stderr)
    return EXIT_FAILED


class _ProgressBar:
    """A progress bar on stderr, redrawn in place on a terminal and in quarter steps otherwise."""

    WIDTH = 30

    def __init__(self, enabled: bool, language: str | None = None) -> None:
        self.enabled = enabled
        self.language = language
        self.tty = sys.stderr.isatty()
        self.last_step = -1
        self.finished = False

    def __call__(self, status: dict[str, Any]) -> None:
        if not self.enabled or self.finished:
            return
        self.finished = status["status"] in ("completed", "rejected", "failed")
        percent = int(status.get("percent", 0))
        done = status.get("rows_processed", 0)
        total = status.get("rows_total", 0)
        filled = self.WIDTH * percent // 100
        with speaking(self.language or status.get("language") or SOURCE_LANGUAGE):
            rows = _("{done}/{total} rows", done=done, total=total)
            line = (
                f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%  {rows}  {_status_word(status['status'])}"
            )
        if self.tty:
            print(f"\r{line}", end="\n" if self.finished else "", file=sys.stderr)
        elif percent // 25 != self.last_step:
            self.last_step = percent // 25
            print(line, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
