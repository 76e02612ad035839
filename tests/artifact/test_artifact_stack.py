"""The built artifact running the pipeline: `customer-bulk serve --artifact` runs every function from
.aws-sam/build in a process of its own (Lambda's import path, the function's own environment); an import and an
export go end to end through it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from customer_bulk.i18n import _, speaking

CLI = Path(sys.executable).with_name("customer-bulk")
BUILD = Path(__file__).resolve().parents[2] / ".aws-sam" / "build"


def _run(*args: str, cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(CLI), *args, "--json"], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_an_import_and_an_export_run_end_to_end_from_the_built_artifact(tmp_path: Path) -> None:
    if not (BUILD / "template.yaml").is_file():
        pytest.fail("No built artifact: run `make build` first; `make test` does.")
    server = subprocess.Popen(
        [str(CLI), "serve", "--artifact", str(BUILD)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        api = server.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", api), server.stderr.read() if server.stderr else ""
        customers = tmp_path / "customers.csv"
        customers.write_text("Email,Phone,First Name\nlan@shop.vn,0911000001,Lan\nnot-an-email,,Minh\n", "utf-8")

        imported = _run("import", str(customers), "--tenant", "acme", "--api", api, cwd=tmp_path)
        assert (imported["status"], imported["created"], imported["invalid"]) == ("completed", 1, 1)
        # A fresh tenant speaks Vietnamese: the workers read the catalogs shipped in the layer.
        with speaking("vi"):
            sheet_name, error_header = _("Invalid rows"), _("Error")
        assert imported["language"] == "vi" and sheet_name != "Invalid rows"
        report = openpyxl.load_workbook(str(imported["error_report"]))[sheet_name]
        assert next(cell.value for cell in report[2]) == "not-an-email"  # fetched through the download route
        assert [cell.value for cell in report[1]][-1] == error_header

        exported = _run("export", "--tenant", "acme", "--api", api, "--format", "csv", cwd=tmp_path)
        assert (exported["status"], exported["rows"], exported["delivery"]) == ("completed", 1, "immediate")
        (file,) = exported["files"]  # type: ignore[misc]
        assert "lan@shop.vn" in Path(file["path"]).read_text(encoding="utf-8-sig")
    finally:
        server.terminate()
        server.wait(timeout=60)
    logs = (tmp_path / "customer-bulk-output" / "serve.log").read_text(encoding="utf-8")
    for function in ("ApiFunction", "ImportSplitterFunction", "RowValidatorFunction", "DownloadFunction"):
        assert f"[{function}] INIT app.lambda_handler from {BUILD / function}" in logs, (
            f"{function}: not from the build"
        )
    assert f"[ExporterFunction] INIT app.lambda_handler from {BUILD / 'ExporterFunction'}" in logs
