"""The customer-bulk command, run the way a person runs it: a fresh process. One test lets the command start its
own embedded stack (as `make demo` does); the others point it at the tests' running stack with --api, as a person
does with `customer-bulk serve`, so that each command does not pay for a stack of its own."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import requests

CLI = Path(sys.executable).with_name("customer-bulk")


SPEAKING = ("import", "export", "confirm", "cancel", "rollback", "template")


def run(*args: str, cwd: Path, lang: str | None = "en") -> subprocess.CompletedProcess[str]:
    """The command as a person types it; these tests read its English (``lang=None``: the tenant's language)."""
    if lang and args and args[0] in SPEAKING:
        args = (*args, "--lang", lang)
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False)


def test_import_json_prints_one_object_with_the_outcome_the_email_and_the_report(xlsx: Any, tmp_path: Path) -> None:
    path = xlsx(["Email", "Phone", "First Name"], [["a@shop.vn", "0912345678", "A"], ["nope", "", "B"]])
    done = run("import", str(path), "--tenant", "acme", "--json", "--out", str(tmp_path / "out"), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout holds exactly one JSON object, nothing else
    assert {k: result[k] for k in ("status", "rows_total", "created", "updated", "unchanged", "invalid")} == {
        "status": "completed",
        "rows_total": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert result["warnings"] == 0 and len(result["job_id"]) == 26
    assert result["email"]["to"] == ["admin@example.com"]
    assert result["email"]["subject"].endswith("1 created, 0 updated, 0 unchanged, 1 invalid")
    report = Path(result["error_report"])
    rows = list(openpyxl.load_workbook(report)["Invalid rows"].iter_rows(values_only=True))
    assert rows[1][0] == "nope"


def test_a_rejected_file_exits_non_zero_with_the_reason(stack: Any, tenant: str, csv_file: Any, tmp_path: Path) -> None:
    path = csv_file(["Name", "City"], [["An", "Huế"]])
    done = run("import", str(path), "--tenant", tenant, "--api", stack.api_url, "--json", cwd=tmp_path)
    assert done.returncode == 2
    result = json.loads(done.stdout)
    assert result["status"] == "rejected"
    assert result["error"].startswith("The file has no Email or Phone column")

    human = run("import", str(path), "--tenant", tenant, "--api", stack.api_url, cwd=tmp_path)
    assert human.returncode == 2
    assert "Rejected: The file has no Email or Phone column" in human.stderr


def test_serve_prints_the_api_url_first_then_one_line_per_job_event(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [str(CLI), "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert server.stdout is not None
        first_line = server.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first_line)
        assert server.stdout.readline().startswith("Console: http://127.0.0.1:")  # see test_console_hosting.py
        token = run("token", "--tenant", "acme", "--email", "a@shop.vn", "--api", first_line, cwd=tmp_path)
        assert token.returncode == 0, token.stderr
        response = requests.post(
            f"{first_line}/imports",
            json={"file_name": "c.csv"},
            headers={"Authorization": f"Bearer {token.stdout.strip()}"},
            timeout=30,
        )
        assert response.status_code == 201
        event = server.stdout.readline().strip()
        assert re.fullmatch(rf"\d\d:\d\d:\d\d import {response.json()['job_id']} acme c\.csv: awaiting_upload", event)
        assert (tmp_path / "customer-bulk-output" / "serve.log").is_file()  # where logs and metrics went
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_template_and_an_explicit_mapping_from_the_command_line(
    stack: Any, tenant: str, csv_file: Any, tmp_path: Path
) -> None:
    out = str(tmp_path / "t.xlsx")
    done = run("template", "--tenant", "demo", "--api", stack.api_url, "--format", "xlsx", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    titles = [cell.value for cell in openpyxl.load_workbook(tmp_path / "t.xlsx").active[1]]
    assert "Hạng thành viên" in titles  # the demo tenant's own field

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Thư": "email", "Máy": "phone", "Bỏ qua": None}), encoding="utf-8")
    path = csv_file(["Thư", "Máy", "Bỏ qua"], [["a@shop.vn", "0912345678", "x"]])
    done = run(
        "import", str(path), "--tenant", tenant, "--api", stack.api_url, "--mapping", str(mapping), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["created"], result["notes"]) == (1, [])


def test_export_downloads_the_files_and_prints_one_json_object(
    stack: Any, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    rows = [["lan@shop.vn", "0911000001", "Lan", "vip"], ["minh@shop.vn", "0911000002", "Minh", ""]]
    importer(csv_file(["Email", "Phone", "First Name", "Tags"], rows))
    out = tmp_path / "exports"
    done = run(
        "export", "--tenant", tenant, "--api", stack.api_url, "--scope", "filter", "--filter", "tags=VIP",
        "--format", "csv", "--out", str(out), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["rows"], result["delivery"], result["email"]) == (
        "completed",
        1,
        "immediate",
        None,
    )
    (file,) = result["files"]
    assert file["rows"] == 1 and Path(file["path"]).parent == out.resolve()
    lines = Path(file["path"]).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "lan@shop.vn" in lines[1]

    human = run("export", "--tenant", tenant, "--api", stack.api_url, "--out", str(out), cwd=tmp_path)
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith("Completed: 2 customers (immediate)")
    refused = run("export", "--tenant", tenant, "--api", stack.api_url, "--scope", "selected", "--json", cwd=tmp_path)
    assert refused.returncode == 1 and "needs the ids of the customers" in json.loads(refused.stdout)["error"]


def test_preview_confirm_rollback_and_cancel_from_the_command_line(
    stack: Any, tenant: str, csv_file: Any, tmp_path: Path
) -> None:
    path = csv_file(["Email", "First Name"], [["a@shop.vn", "A"], ["b@shop.vn", "B"], ["broken", "C"]])
    common = ("--tenant", tenant, "--api", stack.api_url, "--json", "--out", str(tmp_path / "out"))

    previewed = run("import", str(path), "--preview", *common, cwd=tmp_path)
    assert previewed.returncode == 0, previewed.stderr
    result = json.loads(previewed.stdout)
    assert {k: result[k] for k in ("status", "new", "changed", "unchanged", "invalid")} == {
        "status": "previewed",
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert result["email"]["subject"].startswith("Preview ready:")
    rows = list(openpyxl.load_workbook(result["diff_report"])["Changes"].iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["New", "New", "Invalid"]

    confirmed = run("confirm", result["job_id"], *common, cwd=tmp_path)
    assert confirmed.returncode == 0, confirmed.stderr
    applied = json.loads(confirmed.stdout)
    assert (applied["status"], applied["created"], applied["invalid"]) == ("completed", 2, 1)
    assert applied["email"]["subject"].startswith("Import finished:")

    rolled = run("rollback", result["job_id"], *common, cwd=tmp_path)
    assert rolled.returncode == 0, rolled.stderr
    undone = json.loads(rolled.stdout)
    assert {k: undone[k] for k in ("status", "restored", "removed", "left_alone")} == {
        "status": "rolled_back",
        "restored": 0,
        "removed": 2,
        "left_alone": 0,
    }
    assert undone["email"]["subject"] == f"Import rolled back: {path.name} - 0 restored, 2 removed, 0 left alone"

    second = json.loads(run("import", str(path), "--preview", *common, cwd=tmp_path).stdout)
    cancelled = run("cancel", second["job_id"], *common, cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] == "cancelled"

    lost = run("confirm", second["job_id"], "--tenant", tenant, cwd=tmp_path)
    assert lost.returncode == 1
    assert "without --api this command ran its own empty local stack" in lost.stderr


def test_a_file_refused_at_job_creation_exits_2_and_a_dead_stack_is_a_sentence(
    stack: Any, tenant: str, tmp_path: Path
) -> None:
    macro = tmp_path / "customers.xlsm"
    macro.write_bytes(b"PK\x03\x04 not really")
    done = run("import", str(macro), "--tenant", tenant, "--api", stack.api_url, "--json", cwd=tmp_path)
    assert done.returncode == 2
    result = json.loads(done.stdout)
    assert result["status"] == "rejected" and "must end with .xlsx, .xls or .csv" in result["error"]

    gone = run("import", str(macro), "--tenant", tenant, "--api", "http://127.0.0.1:9", cwd=tmp_path)
    assert gone.returncode == 1
    assert "http://127.0.0.1:9 does not answer" in gone.stderr and "Traceback" not in gone.stderr
