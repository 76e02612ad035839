"""Reading an upload in a child process that cannot take the function down.

A damaged .xls sent python-calamine past 9 GB in four seconds; a small sheet with a huge string table took 2.7 GB.
The splitter therefore parses in a child process with an address-space and a CPU-time limit, and a wall-clock
deadline: a parser that runs away is killed, and the file is refused saying what was too large. The child streams
the table back one row per line (bounded memory on both sides) and reports a rejection as a code and a message,
decided once: the same file fails the same way every time, so it is never retried.

Lambda has no /dev/shm, so no multiprocessing primitives: a plain subprocess of the same interpreter, its import
path handed over, talking JSON lines over a pipe. The child speaks the job's language (handed over with the
request): its rejections are the job's error as they are.
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from customer_bulk.errors import FileRejected
from customer_bulk.i18n import SOURCE_LANGUAGE, _, catalog, current_language, n_, number, speaking
from customer_bulk.models.job import ImportType
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.spreadsheet.reader import Table

# What one read may take (a 30,000-row workbook needs a fraction of it).
MEMORY_LIMIT_MB = 1024
CPU_LIMIT_S = 60
WALL_LIMIT_S = 120

_BOOT = (
    "import json, sys\n"
    "sys.path[:] = json.loads(sys.argv[1])\n"
    "from customer_bulk.spreadsheet.isolated import child_main\n"
    "child_main()\n"
)


@dataclass(frozen=True, slots=True)
class Limits:
    memory_mb: int = MEMORY_LIMIT_MB
    cpu_s: int = CPU_LIMIT_S
    wall_s: float = WALL_LIMIT_S


def open_table_isolated(
    path: Path,
    file_format: str,
    settings: TenantSettings,
    import_type: ImportType,
    sheet: str | None,
    limits: Limits = Limits(),
) -> Table:
    """The file's table, read in a child process within ``limits``; ``FileRejected`` for anything it refuses,
    including a read that needed more memory or time than allowed."""
    request = {
        "path": str(path),
        "format": file_format,
        "settings": settings.model_dump(mode="json"),
        "type": import_type.value,
        "sheet": sheet,
        "memory_mb": limits.memory_mb,
        "cpu_s": limits.cpu_s,
        "language": current_language(),
    }
    child = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", _BOOT, json.dumps([p for p in sys.path if p])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(request) + "\n")
    child.stdin.close()
    deadline = _Deadline(child, limits.wall_s)
    try:
        first = _next(child, child.stdout, deadline, limits)
        table = first["table"]
    except BaseException:
        deadline.cancel()
        _stop(child)
        raise

    def close() -> None:
        deadline.cancel()
        _stop(child)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            while True:
                line = _next(child, child.stdout, deadline, limits)  # type: ignore[arg-type]
                if "end" in line:
                    return
                yield line["r"], line["v"]
        finally:
            close()

    return Table(table["sheet_name"], table["header_row"], table["headers"], rows(), close)


class _Deadline:
    """Kills the child when the read outlives the wall-clock limit (a parser stuck waiting uses no CPU time)."""

    def __init__(self, child: subprocess.Popen[str], seconds: float) -> None:
        self.started = time.monotonic()
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire, args=(child,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, child: subprocess.Popen[str]) -> None:
        self.expired = True
        child.kill()

    def cancel(self) -> None:
        self._timer.cancel()


def _next(child: subprocess.Popen[str], stream: IO[str], deadline: _Deadline, limits: Limits) -> dict[str, Any]:
    line = stream.readline()
    if not line:
        raise _ended(child, deadline, limits)
    message: dict[str, Any] = json.loads(line)
    if "rejected" in message:
        code, text = message["rejected"]
        raise FileRejected(code, text)
    return message


def _ended(child: subprocess.Popen[str], deadline: _Deadline, limits: Limits) -> FileRejected:
    """Why the child stopped without finishing: killed at the deadline, by its CPU limit, or out of memory."""
    status = child.wait()
    if deadline.expired or (status == -9 and time.monotonic() - deadline.started >= limits.wall_s):
        return FileRejected(
            "too_slow",
            _(
                "Reading the file took longer than {seconds} seconds, far longer than a customer list of "
                "this size needs; it may be damaged. Save it again from Excel and upload that.",
                seconds=limits.wall_s,
            ),
        )
    if status == -24:  # SIGXCPU: the CPU-time limit
        return FileRejected(
            "too_slow",
            n_(
                "Reading the file needed more than {count} second of processing; it may be damaged. "
                "Save it again from Excel and upload that.",
                "Reading the file needed more than {count} seconds of processing; it may be damaged. "
                "Save it again from Excel and upload that.",
                limits.cpu_s,
            ),
        )
    return FileRejected(
        "too_much_memory",
        _(
            "Reading the file needed more than {memory} MB of memory, far more than a customer list "
            "needs: it is damaged or built to exhaust the reader. Save it again from Excel and upload that.",
            memory=limits.memory_mb,
        ),
    )


def _stop(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    if child.stdout is not None:
        child.stdout.close()


# ---------- the child ----------
def child_main() -> None:
    """Read the file named on standard input and write its table as JSON lines, in the job's language; never
    raise."""
    request = json.loads(sys.stdin.readline())
    with speaking(request.get("language", SOURCE_LANGUAGE)):
        _child_read(request)


def _child_read(request: dict[str, Any]) -> None:
    from customer_bulk.schema import schema_for
    from customer_bulk.spreadsheet.reader import open_table

    out = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints may corrupt the answer
    # The words and the locale's number format are loaded before the limits: a rejection is said even when the
    # parser has used up the memory.
    catalog(current_language())
    number(0)
    memory = request["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (request["cpu_s"], request["cpu_s"] + 5))

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")

    try:
        settings = TenantSettings.model_validate(request["settings"])
        schema = schema_for(settings, ImportType(request["type"]))
        table = open_table(Path(request["path"]), request["format"], settings, schema, request["sheet"])
        emit({"table": {"sheet_name": table.sheet_name, "header_row": table.header_row, "headers": table.headers}})
        for row, cells in table.rows:
            emit({"r": row, "v": cells})
        emit({"end": True})
    except FileRejected as rejection:
        emit({"rejected": [rejection.code, rejection.message]})
    except MemoryError:
        out.flush()
        os._exit(75)  # the parent names the limit
    except Exception as error:  # noqa: BLE001 - a parser failing on this file fails the same way every time
        # Translators: {error} is the reader's own words (the kind of error and its message).
        emit({"rejected": ["unreadable_file", _("The file could not be read ({error}).", error=_reason(error))]})
    out.flush()


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__
