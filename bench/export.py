"""Export file writing: ours beside raw xlsxwriter on the same rows in the same run, and the exporter's peak memory.

    python bench/export.py [--rows 100000]

- ours: ``write_customers`` (what the exporter runs for each part): customer items as DynamoDB gives them, typed
  cells, formula neutralisation, the styled header, constant memory;
- raw: xlsxwriter in constant-memory mode writing the same cells from ready-made lists, nothing checked, with the
  same column formats (text columns "@", dates, a bold header): the same file, so ``ratio`` is what our code costs
  on top of the library's own work. ``plain_ratio`` is against raw cells without any format (xlsxwriter then skips
  the style of every cell, about a fifth of its time here).
``rss_30k_mb`` / ``rss_300k_mb``: peak resident memory of a fresh process that streams that many customers through
``write_customers`` (customers made one at a time, as the exporter reads them page by page). The last line is one
JSON object.
"""

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter

from customer_bulk.logic.exports import resolve_columns, write_customers
from customer_bulk.models.export import CreateExportRequest
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.schema import FieldSpec, Kind, schema_for
from customer_bulk_local.samples import people

CITIES = ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ")


def customers(count: int) -> Iterator[dict[str, Any]]:
    for index, person in enumerate(people(count, seed=9)):
        yield {
            "customer_id": f"01M8{index:022d}",
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": f"+84{person.phone_digits}",
            "gender": "Nữ" if index % 2 else "Nam",
            "birthday": f"19{60 + index % 40}-{1 + index % 12:02d}-{1 + index % 28:02d}",
            "city": CITIES[index % len(CITIES)],
            "zip": f"{index % 100_000:05d}",
            "country": "Vietnam",
            "country_code": "VN",
            "accepts_email_marketing": index % 3 == 0,
            "accepts_sms_marketing": False,
            "tags": ["VIP", "khách sỉ"] if index % 7 == 0 else ["member"],
            "note": "=1+2" if index % 1000 == 0 else "",  # now and then a formula-like note
            "version": 1 + index % 5,
        }


def columns() -> list[FieldSpec]:
    schema = schema_for(TenantSettings())
    return [schema[name] for name in resolve_columns(CreateExportRequest(), schema)]


def raw_cells(customer: dict[str, Any], specs: list[FieldSpec]) -> list[Any]:
    cells: list[Any] = []
    for spec in specs:
        value = customer.get(spec.name)
        if value in (None, "", []):
            cells.append(None)
        elif spec.kind is Kind.DATE:
            cells.append(dt.date.fromisoformat(value))
        elif isinstance(value, list):
            cells.append(", ".join(value))
        elif isinstance(value, bool):
            cells.append("yes" if value else "no")
        else:
            cells.append(value)
    return cells


def write_raw(path: Path, specs: list[FieldSpec], rows: list[list[Any]], formats: bool = True) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Customers")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    if formats:
        text, header = book.add_format({"num_format": "@"}), book.add_format({"bold": True})
        for column, spec in enumerate(specs):
            number = spec.kind in (Kind.VERSION, Kind.NUMBER)
            sheet.set_column(column, column, 14, date if spec.kind is Kind.DATE else None if number else text)
        sheet.write_row(0, 0, [spec.header for spec in specs], header)
    else:
        sheet.write_row(0, 0, [spec.header for spec in specs])
    for number, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(number, column, value, date)
            elif isinstance(value, str):
                sheet.write_string(number, column, value)
            else:
                sheet.write_number(number, column, value)
    book.close()


def peak_rss_mb(rows: int) -> float:
    """Peak RSS of a fresh process streaming ``rows`` customers into an export file."""
    output = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(rows)], check=True, capture_output=True, text=True
    ).stdout
    return float(output.strip().splitlines()[-1])


def rss_child(rows: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        written = write_customers(Path(scratch) / "part.xlsx", "xlsx", columns(), customers(rows))
    assert written == rows
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
    status = Path("/proc/self/status").read_text()
    print(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return

    rss_30k, rss_300k = peak_rss_mb(30_000), peak_rss_mb(300_000)  # before this process holds any rows
    specs = columns()
    items = list(customers(args.rows))
    rows = [raw_cells(item, specs) for item in items]
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        write_customers(Path(scratch) / "ours.xlsx", "xlsx", specs, items)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        write_raw(Path(scratch) / "raw.xlsx", specs, rows)
        raw_s = time.perf_counter() - started
        started = time.perf_counter()
        write_raw(Path(scratch) / "plain.xlsx", specs, rows, formats=False)
        plain_s = time.perf_counter() - started
    print(f"ours: {args.rows:,} customers in {ours_s:.2f} s ({args.rows / ours_s:,.0f} rows/s)")
    print(f"raw xlsxwriter, same formats: {args.rows:,} rows in {raw_s:.2f} s ({args.rows / raw_s:,.0f} rows/s)")
    print(f"raw xlsxwriter, no formats: {args.rows:,} rows in {plain_s:.2f} s ({args.rows / plain_s:,.0f} rows/s)")
    print(f"peak RSS: {rss_30k:.1f} MB at 30,000 rows, {rss_300k:.1f} MB at 300,000 rows")
    result = {
        "rows": args.rows,
        "columns": len(specs),
        "rows_per_s": round(args.rows / ours_s),
        "raw_rows_per_s": round(args.rows / raw_s),
        "ratio": round(raw_s / ours_s, 3),
        "plain_raw_rows_per_s": round(args.rows / plain_s),
        "plain_ratio": round(plain_s / ours_s, 3),
        "rss_30k_mb": round(rss_30k, 1),
        "rss_300k_mb": round(rss_300k, 1),
        "rss_growth": round(rss_300k / rss_30k, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
