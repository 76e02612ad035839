"""Each hostile file through the splitter's checks: its time to an answer and the peak memory of the process that
examined it and of its reader child, against the bounds (1 GB peak RSS, 30 s).

    .venv/bin/python bench/hostile.py [--heavy]

Every file is examined in a fresh process (so one file's peak is its own). --heavy adds full-size files that are
too slow to build for the tests (a 1.1 GB zip bomb, a huge string table, a cells bomb under the ratio limit).
The last line is one JSON object: files, max_rss_mb, max_s, tracebacks, internal_errors, wrong_answers.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from customer_bulk_local.hostile import HONEST, Hostile, _rezip, _xlsx_bytes, corpus


def heavy() -> list[Hostile]:
    def bomb(path: Path) -> None:  # 3.3 MB on disk, 1.1 GB of sheet
        sheet = b'<?xml version="1.0"?><worksheet><sheetData>' + b" " * (1100 * 1024 * 1024)
        path.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: sheet if n == "xl/worksheets/sheet1.xml" else d))

    def strings(path: Path) -> None:  # a small sheet, a string table of 400 MB that compresses ~50x
        entries = b"".join(b"<si><t>%08d Nguyen Van An Khach Hang</t></si>" % i for i in range(9_000_000))
        table = b'<?xml version="1.0"?><sst count="9000000" uniqueCount="9000000">' + entries + b"</sst>"
        path.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: table if n == "xl/sharedStrings.xml" else d))

    def cells(path: Path) -> None:  # 600,000 numeric cells whose dimension says A1, under the ratio limit
        header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c></row>'
        rows = header + b"".join(
            b'<row r="%d"><c r="A%d"><v>9%08d</v></c></row>' % (r, r, r) for r in range(2, 600_001)
        )
        sheet = b'<?xml version="1.0"?><worksheet><dimension ref="A1"/><sheetData>' + rows + b"</sheetData></worksheet>"
        path.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: sheet if n == "xl/worksheets/sheet1.xml" else d))

    return [
        Hostile("bomb-1.1gb.xlsx", bomb, "hostile_archive", "zip bomb"),
        Hostile("strings-400mb.xlsx", strings, "", ""),  # whatever the answer, within the bounds
        Hostile("cells-600k.xlsx", cells, "too_many_rows", ""),
    ]


def examine_one(path: Path, name: str) -> None:
    """In the fresh process: one answer, and this process's and its children's peak memory."""
    from customer_bulk.errors import FileRejected
    from customer_bulk.logic.split import examine_upload
    from customer_bulk.models.job import ImportOptions
    from customer_bulk.models.tenant import TenantSettings

    started = time.monotonic()
    answer: dict[str, object]
    try:
        answer = {"rows": examine_upload(path, name, TenantSettings(), ImportOptions())}
    except FileRejected as rejection:
        answer = {"code": rejection.code, "message": rejection.message}
    answer["seconds"] = round(time.monotonic() - started, 3)
    # VmHWM, not ru_maxrss: Linux starts a forked process's ru_maxrss at its parent's size.
    status = Path("/proc/self/status").read_text().splitlines()
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the reader child (exec'd from this small one)
    answer["rss_mb"] = round(max(own, reader) / 1024, 1)
    print(json.dumps(answer, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heavy", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("PATH", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        examine_one(Path(args.one[0]), args.one[1])
        return
    files = corpus() + (heavy() if args.heavy else [])
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, item in enumerate(files):
            folder = Path(scratch) / str(number)
            folder.mkdir()
            path = folder / "upload"  # stored without its name, as the splitter downloads it
            item.make(path)
            size = path.stat().st_size
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(path), item.name], capture_output=True, text=True, check=False
            )
            for leftover in folder.iterdir():  # the splitter renames it to the format its bytes have
                leftover.unlink()
            traceback = done.returncode != 0 or "Traceback" in done.stderr
            answer = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
            code = answer.get("code")
            wrong = item.code not in ("", code) if item.code is not None else "rows" not in answer
            results.append({"file": item.name, "bytes": size, **answer, "traceback": traceback, "wrong": wrong})
            shown = code or f"{answer.get('rows')} rows"
            print(
                f"{item.name:24} {size / 1024 / 1024:8.2f} MB  {answer.get('seconds', 0):6.2f} s  "
                f"{answer.get('rss_mb', 0):7.1f} MB RSS  {shown}{'  WRONG' if wrong else ''}"
            )
    summary = {
        "files": len(results),
        "max_rss_mb": max(r.get("rss_mb", 0) for r in results),
        "max_s": max(r.get("seconds", 0) for r in results),
        "tracebacks": sum(r["traceback"] for r in results),
        "internal_errors": sum(
            r.get("code") == "unreadable_file" and "Error:" in r.get("message", "") for r in results
        ),
        "wrong_answers": sum(r["wrong"] for r in results),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
