"""Refusing hostile or unusable files before any parser sees them.

An .xlsx is a zip: its central directory declares every member's sizes, which we read in well under a millisecond.
A 3.3 MB upload whose sheet inflates to 1.1 GB made python-calamine take 5 GB of memory; a 1.1 MB file holding one
1.15 GB cell took 2-3 GB in both calamine and openpyxl. Real workbooks compress 7-9x and bombs 300-1,000x, so a
per-member ratio limit catches both without refusing big honest files. The sheet's declared dimension is then
checked against the tenant's row limit.
"""

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from babel.numbers import format_decimal
from defusedxml import DefusedXmlException, ElementTree

from customer_bulk.errors import FileRejected
from customer_bulk.i18n import _, current_locale, n_
from customer_bulk.models.tenant import TenantSettings

MAX_ZIP_MEMBERS = 10_000
# Below this size a member cannot hurt, whatever its ratio (styles and themes compress very well).
RATIO_CHECK_FLOOR_BYTES = 1024 * 1024
# Header and title rows above the data, and a few trailing blank rows that Excel counts as used.
DIMENSION_SLACK_ROWS = 100
MAX_COLUMNS = 1_000

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# Only three-letter columns can pass the limit (1,000 is ALL): a file without any costs next to nothing.
_WIDE_CELL_REF = re.compile(rb' r="([A-Z]{3})(\d+)"')
_SCAN_BLOCK = 1024 * 1024
_PROLOG_BYTES = 64 * 1024
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True, slots=True)
class SheetPart:
    name: str
    member: str  # the worksheet XML inside the zip


def sniff_format(path: Path, file_name: str) -> str:
    """'xlsx', 'xls' or 'csv', by the bytes themselves: a renamed file is read as what it is, or refused."""
    with path.open("rb") as stream:
        head = stream.read(8)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise FileRejected(
            "unreadable_file",
            _(
                '"{file_name}" is not a valid Excel file (its content is not a workbook). '
                "Save it again from Excel as .xlsx and upload that.",
                file_name=file_name,
            ),
        )
    if suffix in (".csv", ".txt", ".tsv", ""):
        return "csv"
    raise FileRejected(
        "unsupported_type",
        _(
            '"{file_name}" is a {suffix} file; customer imports accept .xlsx, .xls and .csv.',
            file_name=file_name,
            suffix=suffix,
        ),
    )


def check_size(size: int, settings: TenantSettings) -> None:
    if size > settings.max_file_bytes:
        raise FileRejected(
            "file_too_large",
            _(
                "The file is {size} MB; the limit is {limit} MB.",
                # one decimal, the locale's way: a file just over a 5 MB limit is 5.1 MB, not 5 MB
                size=format_decimal(size / 1024 / 1024, "#,##0.0", locale=current_locale()),
                limit=settings.max_file_mb,
            ),
        )
    if size == 0:
        raise FileRejected("empty_file", _("The file is empty."))


def check_archive(path: Path, settings: TenantSettings) -> list[SheetPart]:
    """Check an .xlsx's central directory and its sheets' declared dimensions; returns the sheets in order."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRejected(
            "unreadable_file", _("The file is not a valid .xlsx workbook (the zip container is damaged).")
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise FileRejected(
                "hostile_archive",
                _(
                    "The workbook holds {parts} parts; a workbook has at most {limit}.",
                    parts=len(members),
                    limit=MAX_ZIP_MEMBERS,
                ),
            )
        declared = sum(member.file_size for member in members)
        limit = settings.max_uncompressed_mb * 1024 * 1024
        if declared > limit:
            raise FileRejected(
                "hostile_archive",
                _(
                    "The workbook expands to {size} MB; the limit is {limit} MB.",
                    size=round(declared / 1024 / 1024),
                    limit=round(settings.max_uncompressed_mb),
                ),
            )
        for member in members:
            if member.file_size < RATIO_CHECK_FLOOR_BYTES:
                continue
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > settings.max_compression_ratio:
                raise FileRejected(
                    "hostile_archive",
                    _(
                        'The workbook part "{part}" expands {ratio}x ({compressed} bytes to {size}); the limit is '
                        "{limit}x. The file was refused as a possible zip bomb.",
                        part=member.filename,
                        ratio=round(ratio),
                        compressed=member.compress_size,
                        size=member.file_size,
                        limit=settings.max_compression_ratio,
                    ),
                )
        for member in members:  # before anything parses them, workbook.xml included
            if member.filename.endswith((".xml", ".rels", ".vml")):
                _check_prolog(archive, member)
        sheets = _sheet_parts(archive)
        for sheet in sheets:
            _check_dimension(archive, sheet, settings)
        sheet_names = {sheet.member: sheet.name for sheet in sheets}
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")):
                _scan_part(archive, member, sheet_names.get(member.filename), settings)
        return sheets


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, sheet: str | None, settings: TenantSettings) -> None:
    """One streaming pass over a part, in bounded memory, before any parser sees it: its real size and checksum
    against what the zip declares, no DTD or entity (workbooks never have one; a parser might expand it), no text
    longer than the cell limit (the reader would cut it silently) and, in a sheet, no cell beyond the column limit
    (only the declared dimension was checked so far)."""
    if sheet is not None:
        # Translators: the subject that starts some sentences below ({where}).
        where = _('Sheet "{sheet}"', sheet=sheet)
    else:
        # Translators: the subject that starts some sentences below ({where}).
        where = _('The workbook part "{part}"', part=member.filename)
    limit = settings.max_cell_chars
    long_text = re.compile(rb">([^<]{%d,})<" % (limit + 1))
    seen, tail = 0, b""
    try:
        with archive.open(member) as stream:
            while block := stream.read(_SCAN_BLOCK):
                seen += len(block)
                if seen > member.file_size:
                    break
                window = tail + block
                for match in long_text.finditer(window):
                    length = len(match.group(1).decode("utf-8", errors="replace"))
                    if length > limit:
                        raise FileRejected(
                            "cell_too_long",
                            # Translators: {where} is 'Sheet "..."' or 'The workbook part "..."'.
                            _(
                                "{where} holds a text of {length} characters; the limit is {limit} per cell.",
                                where=where,
                                length=length,
                                limit=limit,
                            ),
                        )
                if sheet is not None:
                    _check_columns(window, sheet)
                tail = window[-(limit * 4 + 64) :]
    except zipfile.BadZipFile as error:
        raise FileRejected(
            "damaged_file",
            # Translators: {where} is 'Sheet "..."' or 'The workbook part "..."'; {error} is the library's own words.
            _("{where} is damaged ({error}); save the workbook again from Excel.", where=where, error=str(error)),
        ) from None
    except (EOFError, zlib.error) as error:
        raise FileRejected(
            "damaged_file",
            # Translators: {where} is 'Sheet "..."' or 'The workbook part "..."'; {error} is the library's own words.
            _("{where} is damaged ({error}); save the workbook again.", where=where, error=_cut_short(error)),
        ) from None
    if seen > member.file_size:
        raise FileRejected(
            "damaged_file",
            # Translators: {where} is 'Sheet "..."' or 'The workbook part "..."'.
            _(
                "{where} is larger than the zip declares ({size} bytes); the file was refused as damaged or forged.",
                where=where,
                size=member.file_size,
            ),
        )


def _check_prolog(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """A DTD or entity declaration (billion laughs, external entities) comes before the root element."""
    try:
        with archive.open(member) as stream:
            head = stream.read(_PROLOG_BYTES)
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise FileRejected(
            "damaged_file",
            _('The workbook part "{part}" is damaged ({error}).', part=member.filename, error=_cut_short(error)),
        ) from None
    if _DOCTYPE.search(head):
        raise FileRejected(
            "xml_entities",
            _(
                'The workbook part "{part}" declares a DTD or entities, which Excel never writes; the file '
                "was refused rather than have them expanded.",
                part=member.filename,
            ),
        )


def _cut_short(error: BaseException) -> str:
    """What a decompressor said went wrong, or that the data ended early when it said nothing."""
    # Translators: the {error} of "... is damaged ({error})" when the data simply ended early.
    return str(error) or _("cut short")


def _check_columns(window: bytes, sheet: str) -> None:
    for match in _WIDE_CELL_REF.finditer(window):
        if _column_number(match.group(1).decode("ascii")) > MAX_COLUMNS:
            raise FileRejected(
                "too_many_columns",
                _(
                    'Sheet "{sheet}", row {row}: a cell in column {column}; at most {limit} columns are read.',
                    sheet=sheet,
                    row=int(match.group(2)),
                    column=match.group(1).decode(),
                    limit=MAX_COLUMNS,
                ),
            )


def _sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """Sheet names in workbook order with their XML parts (workbook.xml + its relationships)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ParseError, DefusedXmlException):
        raise FileRejected(
            "unreadable_file",
            _("The file is a zip but not an Excel workbook (xl/workbook.xml is missing or damaged)."),
        ) from None
    targets = {rel.get("Id"): rel for rel in rels.iter(f"{_NS_PKG_REL}Relationship")}
    names = set(archive.namelist())
    parts = []
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        name = sheet.get("name", "")
        rel = targets.get(sheet.get(f"{_NS_REL}id"))
        target = rel.get("Target", "") if rel is not None else ""
        member = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
        is_worksheet = rel is not None and rel.get("Type", "").endswith("/worksheet")
        outside = rel is not None and (rel.get("TargetMode") == "External" or member.startswith(("..", "/")))
        if outside or (is_worksheet and member not in names):
            raise FileRejected(
                "damaged_file",
                _(
                    'Sheet "{sheet}" points to "{target}", which is not a part of this file; the workbook is damaged '
                    "or forged. Save it again from Excel.",
                    sheet=name,
                    target=target,
                ),
            )
        parts.append(SheetPart(name=name, member=member))
    return parts


def _check_dimension(archive: zipfile.ZipFile, sheet: SheetPart, settings: TenantSettings) -> None:
    try:
        with archive.open(sheet.member) as stream:
            head = stream.read(64 * 1024)
    except KeyError:
        return  # chartsheets and the like have no cells
    match = _DIMENSION.search(head)
    if not match:
        return
    last_col, last_row = match.group(3) or match.group(1), match.group(4) or match.group(2)
    rows = int(last_row) if last_row else 0
    columns = _column_number(last_col.decode("ascii")) if last_col else 0
    if rows > settings.max_rows + DIMENSION_SLACK_ROWS:
        raise FileRejected(
            "too_many_rows",
            n_(
                'Sheet "{sheet}" declares {rows} rows; the limit is {count} customer per import. '
                "Split the file, or delete the empty rows below your data if it is smaller than that.",
                'Sheet "{sheet}" declares {rows} rows; the limit is {count} customers per import. '
                "Split the file, or delete the empty rows below your data if it is smaller than that.",
                settings.max_rows,
                sheet=sheet.name,
                rows=rows,
            ),
        )
    if columns > MAX_COLUMNS:
        raise FileRejected(
            "too_many_columns",
            _(
                'Sheet "{sheet}" declares {columns} columns; at most {limit} are read.',
                sheet=sheet.name,
                columns=columns,
                limit=MAX_COLUMNS,
            ),
        )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel names the column of a cell we complain about."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---------- .xls: the OLE container ----------
_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
_MINI_STREAM_CUTOFF = 4096


def check_ole(path: Path) -> None:
    """Walk an .xls's container (FAT, directory, streams) in bounded memory before the parser does: a loop in a
    chain sent the parser past 9 GB. An encrypted workbook (.xlsx or .xls saved with a password) is an OLE
    container too, and says so in its directory."""
    data = path.read_bytes()
    if len(data) < 512:
        # Translators: this and the clauses below are the {why} of "The .xls file is damaged: {why}. ...".
        raise _damaged_ole(_("it is shorter than its header"))
    sector_shift, fat_count, directory_start = (
        int.from_bytes(data[0x1E:0x20], "little"),
        int.from_bytes(data[0x2C:0x30], "little"),
        int.from_bytes(data[0x30:0x34], "little"),
    )
    if sector_shift not in (9, 12):
        raise _damaged_ole(_("its sector size 2^{shift} is not one Excel uses", shift=str(sector_shift)))
    size = 1 << sector_shift
    sectors = (len(data) - 512 + size - 1) // size

    def sector(number: int) -> bytes:
        if number >= sectors:
            raise _damaged_ole(_("it points to sector {number} of {sectors}", number=number, sectors=sectors))
        return data[512 + number * size : 512 + (number + 1) * size]

    fat_sectors = [n for n in _ints(data[0x4C:0x200]) if n != _FREE]
    difat, seen = int.from_bytes(data[0x44:0x48], "little"), set()
    while difat not in (_FREE, _END_OF_CHAIN):
        if difat in seen:
            raise _damaged_ole(_("its sector allocation list loops"))
        seen.add(difat)
        entries = _ints(sector(difat))
        fat_sectors += [n for n in entries[:-1] if n != _FREE]
        difat = entries[-1]
    if len(fat_sectors) < fat_count:
        raise _damaged_ole(_("its allocation table is incomplete"))
    fat = [n for number in fat_sectors[:fat_count] for n in _ints(sector(number))]

    def chain(start: int, what: str) -> int:
        """The number of sectors of a chain, refusing one that loops or runs off the file."""
        length, current, visited = 0, start, set()
        while current != _END_OF_CHAIN:
            if current in visited or current >= len(fat):
                if current in visited:
                    # Translators: {what} is "its directory" or 'the stream "..."'.
                    raise _damaged_ole(_("the chain of {what} loops", what=what))
                # Translators: {what} is "its directory" or 'the stream "..."'.
                raise _damaged_ole(_("the chain of {what} is broken", what=what))
            visited.add(current)
            length += 1
            current = fat[current]
        return length

    # Translators: the {what} of "the chain of {what} loops / is broken".
    chain(directory_start, _("its directory"))
    names = set()
    current, visited = directory_start, set()
    while current != _END_OF_CHAIN:
        visited.add(current)
        block = sector(current)
        for offset in range(0, size, 128):
            entry = block[offset : offset + 128]
            name_length = int.from_bytes(entry[0x40:0x42], "little")
            kind, start = entry[0x42], int.from_bytes(entry[0x74:0x78], "little")
            stream_size = int.from_bytes(entry[0x78:0x7C], "little")
            if kind == 0 or not 2 <= name_length <= 64:
                continue
            name = entry[: name_length - 2].decode("utf-16-le", errors="replace")
            names.add(name)
            big_stream = kind == 2 and stream_size >= _MINI_STREAM_CUTOFF
            # Translators: the {what} of "the chain of {what} loops / is broken"; {name} is the stream's own name.
            if big_stream and chain(start, _('the stream "{name}"', name=name)) * size < stream_size:
                raise _damaged_ole(_('the stream "{name}" is shorter than it declares', name=name))
        current = fat[current]
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise FileRejected(
            "password_protected",
            _(
                "The workbook is password protected: remove the password in Excel (File, Info, Protect Workbook) and "
                "upload it again."
            ),
        )
    if not {"Workbook", "Book"} & names:
        raise FileRejected(
            "unreadable_file",
            _("The file is an Office document but not an Excel workbook. Save it from Excel as .xlsx and upload that."),
        )


def _ints(block: bytes) -> list[int]:
    return [int.from_bytes(block[i : i + 4], "little") for i in range(0, len(block) - 3, 4)]


def _damaged_ole(why: str) -> FileRejected:
    """``why``: already said in the current language, a clause that goes after "damaged:"."""
    return FileRejected(
        "damaged_file",
        # Translators: {why} is one of the clauses such as "its allocation table is incomplete".
        _("The .xls file is damaged: {why}. Save it again from Excel and upload that.", why=why),
    )
