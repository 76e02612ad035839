"""The reader runs in a child process that cannot take the splitter down: past its memory or time it is killed,
and the file is refused saying what was too much; a file refused early leaves no reader behind."""

import os
from pathlib import Path

import pytest

from customer_bulk.errors import FileRejected
from customer_bulk.models.job import ImportType
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.spreadsheet.isolated import Limits, open_table_isolated
from customer_bulk_local.hostile import HONEST, _rezip, _xlsx_bytes


def _string_table(path: Path, entries: int) -> Path:
    """A small sheet whose string table is large (about 40 bytes an entry) and compresses ordinarily."""
    strings = b"".join(b"<si><t>%08d Nguyen Van An Khach</t></si>" % i for i in range(entries))
    table = b'<?xml version="1.0"?><sst>' + strings + b"</sst>"
    path.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: table if n == "xl/sharedStrings.xml" else d))
    return path


def _read(path: Path, limits: Limits) -> int:
    return sum(1 for _ in open_table_isolated(path, "xlsx", TenantSettings(), ImportType.CUSTOMERS, None, limits).rows)


def test_a_read_past_its_memory_limit_is_a_rejection_naming_the_limit(tmp_path: Path) -> None:
    path = _string_table(tmp_path / "strings.xlsx", 3_000_000)
    with pytest.raises(FileRejected) as refused:
        _read(path, Limits(memory_mb=200))
    assert refused.value.code == "too_much_memory"
    assert "more than 200 MB of memory" in refused.value.message


def test_a_read_past_its_time_limit_is_a_rejection_naming_the_limit(tmp_path: Path) -> None:
    path = _string_table(tmp_path / "strings.xlsx", 3_000_000)
    with pytest.raises(FileRejected) as refused:
        _read(path, Limits(wall_s=0.3))
    assert refused.value.code == "too_slow"
    assert "took longer than 0.3 seconds" in refused.value.message


def test_the_table_streams_and_closing_it_early_stops_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("Email\n" + "".join(f"u{i}@shop.vn\n" for i in range(50_000)), encoding="utf-8")
    table = open_table_isolated(path, "csv", TenantSettings(max_rows=100_000), ImportType.CUSTOMERS, None)
    assert _children() == 1
    assert (table.headers, next(table.rows)) == (["Email"], (2, ["u0@shop.vn"]))
    table.close()
    assert _children() == 0


def _children() -> int:
    """This process's child processes still alive (or not yet reaped)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += int(fields[1]) == os.getpid()
    return count
