"""A corpus of hostile, damaged and borderline files, made by code, each with the answer the splitter must give.

Used by tests/integration/test_hostile_files.py (every file, its rejection code and figures) and
bench/hostile.py (each file's time and peak memory). ``code`` None means the file must be accepted; ``expect``
is a fragment of the message the admin reads.
"""

import codecs
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
import xlwt


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name as uploaded
    make: Callable[[Path], object]
    code: str | None  # the rejection code, or None: accepted
    expect: str  # in the message (or, accepted, the number of rows as text)


# ---------- building blocks ----------
def _xlsx_bytes(rows: list[list[object]], sheet: str = "Khách hàng") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            worksheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


HONEST: list[list[object]] = [
    ["Email", "Phone", "Tên"],
    ["an@shop.vn", "0912345678", "An"],
    ["binh@shop.vn", "0912345679", "Bình"],
]


def _rezip(source: bytes, change: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook with each part passed through ``change`` (None drops it), plus ``extra`` parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = change(item.filename, old.read(item.filename))
            if data is not None:
                new.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return out.getvalue()


def _edited(part: str, edit: Callable[[bytes], bytes], rows: list[list[object]] = HONEST) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        path.write_bytes(_rezip(_xlsx_bytes(rows), lambda name, data: edit(data) if name == part else data))

    return make


def _sheet_xml(rows: str, dimension: str = "A1:C3") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def _with_sheet(xml: bytes) -> Callable[[Path], object]:
    return _edited("xl/worksheets/sheet1.xml", lambda _: xml)


def _inline_rows(count: int, extra_cell: str = "") -> str:
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>u{r}@shop.vn</t></is></c>{extra_cell.format(r=r)}</row>'
        for r in range(2, count + 2)
    )
    return header + body


def _bomb_member(size: int) -> Callable[[Path], object]:
    """The sheet swapped for a part that inflates ``size`` bytes of one repeated byte (ratio near 1,000)."""

    def make(path: Path) -> None:
        payload = _sheet_xml("") + b" " * size
        path.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: payload if n == "xl/worksheets/sheet1.xml" else d))

    return make


def _raw_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    return make


def _patched_zip(patch: Callable[[bytearray], None]) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        data = bytearray(_xlsx_bytes(HONEST))
        patch(data)
        path.write_bytes(bytes(data))

    return make


def _lie_about_sheet(field: str) -> Callable[[bytearray], None]:
    """Change what the central directory declares of the sheet: its CRC, or its uncompressed size."""

    def patch(data: bytearray) -> None:
        name = b"xl/worksheets/sheet1.xml"
        central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
        local = data.find(b"PK\x03\x04" + b"", 0)
        while local != -1 and data[local + 30 : local + 30 + len(name)] != name:
            local = data.find(b"PK\x03\x04", local + 4)
        if field == "crc":
            for offset in (central + 16, local + 14):
                data[offset : offset + 4] = struct.pack("<I", 0xDEADBEEF)
        else:  # it declares 100 bytes and holds more
            for offset in (central + 24, local + 22):
                data[offset : offset + 4] = struct.pack("<I", 100)

    return patch


# ---------- .xls (OLE) ----------
def _xls_bytes(rows: list[list[object]] = HONEST) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("KH")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ole(patch: Callable[[bytearray], None]) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        data = bytearray(_xls_bytes())
        patch(data)
        path.write_bytes(bytes(data))

    return make


def _fat_offset(data: bytearray, sector: int) -> int:
    """Where the FAT entry of ``sector`` is in the file."""
    first_fat_sector = int(struct.unpack_from("<I", data, 0x4C)[0])
    return 512 + first_fat_sector * 512 + sector * 4


def _directory_loop(data: bytearray) -> None:
    directory = struct.unpack_from("<I", data, 0x30)[0]
    struct.pack_into("<I", data, _fat_offset(data, directory), directory)


def _stream_loop(data: bytearray) -> None:
    directory = struct.unpack_from("<I", data, 0x30)[0]
    entry = 512 + directory * 512 + 128  # the first stream after the root entry: the Workbook
    start = struct.unpack_from("<I", data, entry + 0x74)[0]
    struct.pack_into("<I", data, _fat_offset(data, start + 1), start)


def _rename_stream(data: bytearray, old: str, new: str) -> None:
    encoded_old = old.encode("utf-16-le")
    at = data.find(encoded_old)
    name = (new.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")
    data[at : at + 64] = name
    struct.pack_into("<H", data, at + 0x40, len(new.encode("utf-16-le")) + 2)


# ---------- CSV ----------
def _text(content: str, encoding: str = "utf-8", bom: bytes = b"") -> Callable[[Path], object]:
    return lambda path: path.write_bytes(bom + content.encode(encoding))


def _bytes(content: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(content)


def _honest_csv(rows: int = 2) -> str:
    return "Email,Phone,Tên\n" + "".join(f"u{i}@shop.vn,09123{i:05d},Khách {i}\n" for i in range(rows))


def _bad_byte_at_line(line: int) -> Callable[[Path], object]:
    def make(path: Path) -> None:
        filler = "".join(f"u{i}@shop.vn,0912{i:06d},{'Nguyễn Văn ' * 12}{i}\n" for i in range(line - 2))
        head = ("Email,Phone,Tên\n" + filler).encode()
        path.write_bytes(head + b"bad@shop.vn,0912000000,B\xffnh\n" + b"ok@shop.vn,0912000001,An\n")

    return make


# ---------- the corpus ----------
def corpus() -> list[Hostile]:
    long_text = "x" * 40_000
    many_members = {f"xl/media/image{i}.bin": b"" for i in range(10_001)}
    return [
        # zip containers that lie or explode
        Hostile(
            "bomb.xlsx",
            _bomb_member(200 * 1024 * 1024),
            "hostile_archive",
            "The file was refused as a possible zip bomb",
        ),
        Hostile("ratio.xlsx", _bomb_member(20 * 1024 * 1024), "hostile_archive", "expands"),
        Hostile("parts.xlsx", _raw_zip(many_members), "hostile_archive", "10,001 parts"),
        Hostile(
            "crc.xlsx", _patched_zip(_lie_about_sheet("crc")), "damaged_file", 'sheet1.xml" is damaged (Bad CRC-32'
        ),
        Hostile("size.xlsx", _patched_zip(_lie_about_sheet("size")), "damaged_file", "damaged"),
        Hostile(
            "truncated.xlsx",
            lambda p: p.write_bytes(_xlsx_bytes(HONEST)[:2000]),
            "unreadable_file",
            "zip container is damaged",
        ),
        Hostile("empty-zip.xlsx", _raw_zip({"readme.txt": b"hello"}), "unreadable_file", "xl/workbook.xml is missing"),
        Hostile(
            "no-workbook.xlsx",
            lambda p: p.write_bytes(_rezip(_xlsx_bytes(HONEST), lambda n, d: None if n == "xl/workbook.xml" else d)),
            "unreadable_file",
            "not an Excel workbook",
        ),
        # XML that a parser could be tricked by
        Hostile(
            "dtd-sheet.xlsx",
            _edited("xl/worksheets/sheet1.xml", lambda d: d.replace(b"?>", b'?><!DOCTYPE w [<!ENTITY x "y">]>', 1)),
            "xml_entities",
            'part "xl/worksheets/sheet1.xml" declares a DTD',
        ),
        Hostile(
            "laughs.xlsx",
            _edited(
                "xl/workbook.xml",
                lambda d: d.replace(b"?>", b'?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1),
            ),
            "xml_entities",
            "xl/workbook.xml",
        ),
        Hostile(
            "xxe-strings.xlsx",
            _edited(
                "xl/sharedStrings.xml",
                lambda d: d.replace(b"?>", b'?><!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1),
            ),
            "xml_entities",
            "sharedStrings.xml",
        ),
        Hostile(
            "dtd-types.xlsx",
            _edited("[Content_Types].xml", lambda d: d.replace(b"?>", b"?><!DOCTYPE t>", 1)),
            "xml_entities",
            "Content_Types",
        ),
        Hostile(
            "malformed-sheet.xlsx",
            _with_sheet(b"<worksheet><sheetData><row><c><v>1</v></row>"),
            "damaged_file",
            'Sheet "Khách hàng" is damaged',
        ),
        Hostile("not-xml-sheet.xlsx", _with_sheet(b"\x00\x01\x02 this is not xml"), "damaged_file", "is damaged"),
        Hostile(
            "shared-index.xlsx",
            _with_sheet(_sheet_xml('<row r="1"><c r="A1" t="s"><v>999999</v></c></row>', "A1")),
            "damaged_file",
            "is damaged",
        ),
        Hostile(
            "outside-rel.xlsx",
            _edited(
                "xl/_rels/workbook.xml.rels",
                lambda d: d.replace(b'Target="worksheets/sheet1.xml"', b'Target="../../../../etc/passwd"'),
            ),
            "damaged_file",
            "not a part of this file",
        ),
        Hostile(
            "external-rel.xlsx",
            _edited(
                "xl/_rels/workbook.xml.rels",
                lambda d: d.replace(
                    b'Target="worksheets/sheet1.xml"', b'Target="http://evil.example/s.xml" TargetMode="External"'
                ),
            ),
            "damaged_file",
            "not a part of this file",
        ),
        Hostile(
            "missing-sheet.xlsx",
            lambda p: p.write_bytes(
                _rezip(_xlsx_bytes(HONEST), lambda n, d: None if n == "xl/worksheets/sheet1.xml" else d)
            ),
            "damaged_file",
            "not a part of this file",
        ),
        # sheets bigger than they say
        Hostile(
            "xfd.xlsx",
            _with_sheet(_sheet_xml(_inline_rows(2000, '<c r="XFD{r}"><v>1</v></c>'), "A1:B2001")),
            "too_many_columns",
            "column XFD",
        ),
        Hostile(
            "wide-dimension.xlsx",
            _with_sheet(_sheet_xml(_inline_rows(2), "A1:ZZZ3")),
            "too_many_columns",
            "18,278 columns",
        ),
        Hostile(
            "tall-dimension.xlsx",
            _with_sheet(_sheet_xml(_inline_rows(2), "A1:C1048576")),
            "too_many_rows",
            "1,048,576 rows",
        ),
        Hostile(
            "hidden-rows.xlsx",
            _with_sheet(_sheet_xml(_inline_rows(30_001), "A1")),
            "too_many_rows",
            "30,001 customer rows",
        ),
        Hostile(
            "long-cell.xlsx",
            _edited("xl/sharedStrings.xml", lambda d: d.replace("Bình".encode(), long_text.encode())),
            "cell_too_long",
            "40,000 characters",
        ),
        Hostile(
            "long-inline.xlsx",
            _with_sheet(_sheet_xml(_inline_rows(1, f'<c r="B{{r}}" t="inlineStr"><is><t>{long_text}</t></is></c>'))),
            "cell_too_long",
            "40,000 characters",
        ),
        Hostile(
            "no-sheets.xlsx",
            _edited("xl/workbook.xml", lambda d: d.split(b"<sheets>")[0] + b"<sheets></sheets></workbook>"),
            "no_data",
            "no sheet with data",
        ),
        Hostile("blank-sheet.xlsx", _with_sheet(_sheet_xml("", "A1")), "no_data", "no sheet with data"),
        Hostile(
            "no-key.xlsx",
            lambda p: p.write_bytes(_xlsx_bytes([["Tên", "Thành phố"], ["An", "Huế"]])),
            "no_key_column",
            "no Email or Phone column",
        ),
        # .xls containers
        Hostile("directory-loop.xls", _ole(_directory_loop), "damaged_file", "chain of its directory loops"),
        Hostile("stream-loop.xls", _ole(_stream_loop), "damaged_file", 'the stream "Workbook" loops'),
        Hostile(
            "short-header.xls", lambda p: p.write_bytes(_xls_bytes()[:300]), "damaged_file", "shorter than its header"
        ),
        Hostile("sector-shift.xls", _ole(lambda d: struct.pack_into("<H", d, 0x1E, 20)), "damaged_file", "sector size"),
        Hostile(
            "far-sector.xls",
            _ole(lambda d: struct.pack_into("<I", d, 0x30, 999_999)),
            "damaged_file",
            "chain of its directory is broken",
        ),
        Hostile("truncated.xls", lambda p: p.write_bytes(_xls_bytes()[:2048]), "damaged_file", "damaged"),
        Hostile(
            "not-excel.xls",
            _ole(lambda d: _rename_stream(d, "Workbook", "WordDocument")),
            "unreadable_file",
            "not an Excel workbook",
        ),
        Hostile(
            "encrypted.xlsx",
            _ole(lambda d: _rename_stream(d, "Workbook", "EncryptedPackage")),
            "password_protected",
            "password protected",
        ),
        Hostile("honest.xls", lambda p: p.write_bytes(_xls_bytes()), None, "2"),
        # text that is not what it claims
        Hostile(
            "pdf.xlsx", _bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "unreadable_file", "not a valid Excel file"
        ),
        Hostile(
            "html.xls",
            _text("<html><body><table><tr><td>Email</td></tr></table></body></html>"),
            "unreadable_file",
            "not a valid Excel file",
        ),
        Hostile("png.csv", _bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40), "bad_encoding", "encoding"),
        Hostile("empty.csv", _bytes(b""), "empty_file", "The file is empty."),
        Hostile("header-only.csv", _text("Email,Phone\n"), "no_data", "header row (row 1) but no customers"),
        Hostile("blank-lines.csv", _text("\n\n\n,,,\n"), "no_data", "no rows"),
        Hostile(
            "wide-header.csv",
            _text(",".join(f"c{i}" for i in range(100_000)) + "\na@shop.vn\n"),
            "too_many_columns",
            "100,000 columns",
        ),
        Hostile("long-cell.csv", _text("Email,Note\na@shop.vn," + "x" * 40_000 + "\n"), "cell_too_long", "Row 2"),
        Hostile(
            "unclosed-quote.csv",
            _text('Email,Note\na@shop.vn,"never closed\n' + "b@shop.vn,x\n" * 5000),
            "cell_too_long",
            "Row 2",
        ),
        Hostile(
            "one-line.csv", _text("Email;" + ";".join("x" for _ in range(5000))), "too_many_columns", "5,001 columns"
        ),
        Hostile("bad-byte.csv", _bad_byte_at_line(150), "bad_encoding", "Line 150 of the file"),
        Hostile("rows-over.csv", _text(_honest_csv(30_001)), "too_many_rows", "30,001 customer rows"),
        Hostile("unknown.pdf", _bytes(b"Email\na@shop.vn\n"), "unsupported_type", ".pdf file"),
        Hostile("no-key.csv", _text("Tên,Thành phố\nAn,Huế\n"), "no_key_column", "no Email or Phone column"),
        # honest files at the edges: accepted, every row read
        Hostile("utf32-le.csv", _text(_honest_csv(), "utf-32-le", codecs.BOM_UTF32_LE), None, "2"),
        Hostile("utf32-be.csv", _text(_honest_csv(), "utf-32-be", codecs.BOM_UTF32_BE), None, "2"),
        Hostile("utf16.csv", _text(_honest_csv(), "utf-16"), None, "2"),
        Hostile("bom.csv", _text(_honest_csv(), "utf-8", codecs.BOM_UTF8), None, "2"),
        Hostile("cp1258.csv", _bytes(_honest_csv().replace("Khách", "Khach").encode("cp1258")), None, "2"),
        Hostile("sep-line.csv", _text("sep=;\nEmail;Phone\na@shop.vn;0912345678\n"), None, "1"),
        Hostile("nul-bytes.csv", _text("Email,Tên\na@shop.vn,Bi\x00nh\n"), None, "1"),
        Hostile(
            "formulas.csv",
            _text('Email,Note\na@shop.vn,"=HYPERLINK(""http://evil"",""x"")"\nb@shop.vn,+1+1\n'),
            None,
            "2",
        ),
        Hostile("longest-cell.csv", _text("Email,Note\na@shop.vn," + "x" * 32_767 + "\n"), None, "1"),
        Hostile(
            "longest-cell.xlsx",
            lambda p: p.write_bytes(_xlsx_bytes([["Email", "Note"], ["a@shop.vn", "x" * 32_767]])),
            None,
            "1",
        ),
        Hostile("rows-at-limit.csv", _text(_honest_csv(30_000)), None, "30000"),
        Hostile(
            "entities-ok.xlsx",
            lambda p: p.write_bytes(_xlsx_bytes([["Email", "Note"], ["a@shop.vn", "A & B <c>"]])),
            None,
            "1",
        ),
        Hostile("renamed.csv", lambda p: p.write_bytes(_xlsx_bytes(HONEST)), None, "2"),
        Hostile(
            "title-rows.xlsx", lambda p: p.write_bytes(_xlsx_bytes([["Danh sách khách hàng"], [], *HONEST])), None, "2"
        ),
    ]
