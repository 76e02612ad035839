"""Reading uploads (and refusing hostile ones before any parser runs) and writing safe workbooks, on real files."""

import codecs
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from customer_bulk.errors import FileRejected
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.normalize import is_formula_like
from customer_bulk.spreadsheet import reader
from customer_bulk.spreadsheet.reader import open_table
from customer_bulk.spreadsheet.safety import check_archive, column_letter, sniff_format
from customer_bulk.spreadsheet.writer import SafeWorkbook
from customer_bulk_local.samples import write_csv, write_xlsx

SETTINGS = TenantSettings()


def rows_of(
    path: Path, file_format: str, settings: TenantSettings = SETTINGS
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    table = open_table(path, file_format, settings)
    return table.headers, list(table.rows)


def bomb(path: Path, member_bytes: int) -> Path:
    """A real workbook whose sheet was swapped for a part that inflates enormously."""
    base = write_xlsx(path.with_suffix(".base.xlsx"), ["Email"], [["a@x.vn"]])
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b" " * member_bytes + b"</sheetData>")
            target.writestr(info.filename, data)
    return path


def test_a_zip_bomb_is_refused_from_its_central_directory(tmp_path: Path) -> None:
    path = bomb(tmp_path / "bomb.xlsx", 40 * 1024 * 1024)
    assert path.stat().st_size < 200_000
    with pytest.raises(FileRejected) as rejected:
        check_archive(path, SETTINGS)
    assert rejected.value.code == "hostile_archive"
    assert 'part "xl/worksheets/sheet1.xml" expands' in rejected.value.message
    assert "the limit is 100x" in rejected.value.message


def test_a_workbook_that_declares_too_much_in_total_is_refused(tmp_path: Path) -> None:
    path = bomb(tmp_path / "big.xlsx", 3 * 1024 * 1024)
    tight = TenantSettings(max_uncompressed_mb=2, max_compression_ratio=100_000)
    with pytest.raises(FileRejected, match="expands to 3 MB; the limit is 2 MB"):
        check_archive(path, tight)


def test_a_sheet_declaring_more_rows_than_the_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "declared.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Khách hàng")
        sheet.write_row(0, 0, ["Email"])
        sheet.write(1_000_000, 0, "a@x.vn")
    parsed: list[str] = []
    real_parser = reader.python_calamine.CalamineWorkbook.from_path

    def parser(file: str) -> Any:
        parsed.append(file)
        return real_parser(file)

    monkeypatch.setattr(reader.python_calamine.CalamineWorkbook, "from_path", parser)
    with pytest.raises(FileRejected) as rejected:
        open_table(path, "xlsx", SETTINGS)  # the reader the splitter's child runs
    assert rejected.value.code == "too_many_rows"
    assert 'Sheet "Khách hàng" declares 1,000,001 rows; the limit is 30,000' in rejected.value.message
    assert parsed == []  # refused before the parser saw the file
    with pytest.raises(FileRejected):
        open_table(bomb(tmp_path / "bomb.xlsx", 40 * 1024 * 1024), "xlsx", SETTINGS)
    assert parsed == []
    open_table(write_xlsx(tmp_path / "ok.xlsx", ["Email"], [["a@x.vn"]]), "xlsx", SETTINGS)
    assert len(parsed) == 1  # an honest file does reach it: the spy works


def test_an_honest_workbook_passes(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", ["Email"], [[f"u{i}@x.vn"] for i in range(5000)])
    sheets = check_archive(path, SETTINGS)
    assert [sheet.name for sheet in sheets] == ["Customers"]


def test_a_cell_no_person_typed_is_refused_and_excels_longest_cell_is_not(tmp_path: Path) -> None:
    book = openpyxl.Workbook()  # Excel and the libraries stop at 32,767 characters: the crafted file is edited
    book.active.append(["Email", "Note"])
    book.active.append(["a@x.vn", "ok"])
    book.active.append(["b@x.vn", "x" * 32_767])
    book.save(longest := tmp_path / "longest.xlsx")
    assert [len(cells[1]) for _, cells in rows_of(longest, "xlsx")[1]] == [2, 32_767]

    crafted = tmp_path / "crafted.xlsx"
    with zipfile.ZipFile(longest) as source, zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data.replace(b"x" * 32_767, b"x" * 40_000))
    with pytest.raises(FileRejected) as rejected:
        rows_of(crafted, "xlsx")
    assert rejected.value.code == "cell_too_long"
    assert rejected.value.message == ('Sheet "Sheet" holds a text of 40,000 characters; the limit is 32,767 per cell.')


def test_the_format_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    fake = tmp_path / "customers.xlsx"
    fake.write_text("Email\na@x.vn\n")
    with pytest.raises(FileRejected, match="not a valid Excel file"):
        sniff_format(fake, "customers.xlsx")
    real = write_xlsx(tmp_path / "renamed.csv", ["Email"], [["a@x.vn"]])
    assert sniff_format(real, "renamed.csv") == "xlsx"
    with pytest.raises(FileRejected, match=r"accept \.xlsx, \.xls and \.csv"):
        sniff_format(fake, "customers.pdf")


def test_title_rows_above_the_header_are_skipped_and_row_numbers_are_excels(tmp_path: Path) -> None:
    path = tmp_path / "titled.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        sheet.write(0, 0, "Danh sách khách hàng tháng 11")
        sheet.write_row(2, 0, ["Họ tên", "Email", "SĐT"])
        sheet.write_row(3, 0, ["An", "an@x.vn", "0912345678"])
        sheet.write_row(5, 0, ["Bình", "binh@x.vn"])  # row 5 is blank
    table = open_table(path, "xlsx", SETTINGS)
    assert (table.header_row, table.headers) == (3, ["Họ tên", "Email", "SĐT"])
    assert list(table.rows) == [(4, ["An", "an@x.vn", "0912345678"]), (6, ["Bình", "binh@x.vn", ""])]


def test_formulas_are_read_as_their_cached_values(tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["First Name", "Last Name", "Email"])
        sheet.write_row(1, 0, ["An", "Nguyễn"])
        sheet.write_formula(1, 2, '=LOWER(A2)&"@x.vn"', None, "an@x.vn")
    _, rows = rows_of(path, "xlsx")
    assert rows == [(2, ["An", "Nguyễn", "an@x.vn"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "d.csv", ["Email", "Tên"], [["a@x.vn", "An, Bình"], ["b@x.vn", "Chi"]], delimiter)
    headers, rows = rows_of(path, "csv")
    assert headers == ["Email", "Tên"]
    assert rows == [(2, ["a@x.vn", "An, Bình"]), (3, ["b@x.vn", "Chi"])]


def test_excels_sep_line_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nEmail;Tên\na@x.vn;An,B\n", encoding="utf-8")
    headers, rows = rows_of(path, "csv")
    assert headers == ["Email", "Tên"] and rows == [(2, ["a@x.vn", "An,B"])]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("cp1252", b"")],
)
def test_csv_encodings_are_recognised_without_replacement_characters(tmp_path: Path, encoding: str, bom: bytes) -> None:
    name = "Müller Jürgen" if encoding == "cp1252" else "Nguyễn Thị Hà"
    path = tmp_path / "enc.csv"
    path.write_bytes(bom + f"Name,Email\n{name},a@x.vn\n".encode(encoding))
    headers, rows = rows_of(path, "csv")
    assert headers == ["Name", "Email"] and rows == [(2, [name, "a@x.vn"])]


def test_an_overlong_csv_field_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "long.csv", ["Email", "Note"], [["a@x.vn", "y" * 300]])
    with pytest.raises(FileRejected, match="Row 2: a cell is longer than 255 characters"):
        rows_of(path, "csv", TenantSettings(max_cell_chars=255))


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


@pytest.mark.parametrize(
    ("text", "risky"),
    [
        ('=HYPERLINK("http://x","click")', True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("\tcell", True),
        ("+84 912 345 678", False),
        ("-12.5", False),
        ("Nguyễn", False),
    ],
)
def test_formula_like_text_is_told_apart_from_numbers_and_phones(text: str, risky: bool) -> None:
    assert is_formula_like(text) is risky


def test_written_workbooks_keep_formulas_as_quoted_text_and_phones_intact(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with SafeWorkbook(path) as book:
        sheet = book.add_sheet("Rows", ["Email", "Phone", "Note"])
        sheet.write_row(["a@x.vn", "+84912345678", '=HYPERLINK("http://evil","x")'])
        sheet.write_row(["b@x.vn", "0912345678", "plain"])
        sheet.finish()
    cells = list(openpyxl.load_workbook(path)["Rows"].iter_rows(min_row=2))
    note, phone, zero_phone = cells[0][2], cells[0][1], cells[1][1]
    assert note.value == '=HYPERLINK("http://evil","x")' and note.data_type == "s" and note.quotePrefix
    assert phone.value == "+84912345678" and phone.data_type == "s" and not phone.quotePrefix
    assert zero_phone.value == "0912345678" and zero_phone.data_type == "s"


def test_filled_rows_colour_every_cell_keep_formulas_as_text_and_carry_notes(tmp_path: Path) -> None:
    path = tmp_path / "diff.xlsx"
    with SafeWorkbook(path) as book:
        sheet = book.add_sheet("Changes", ["Row", "Name", "Phone", "City"])
        sheet.write_filled_row([2, '=HYPERLINK("http://x")', "+84912345678", ""], ["new"] * 4)
        sheet.write_filled_row([3, "An", "0912", "Huế"], [None, None, "changed", None], {2: "Phone was: 0913"})
        sheet.finish()
    cells = openpyxl.load_workbook(path)["Changes"]
    new_row = cells[2]
    assert [cell.fill.fgColor.rgb for cell in new_row] == ["FFC6EFCE"] * 4  # the blank City cell too
    assert new_row[1].value == '=HYPERLINK("http://x")' and new_row[1].data_type == "s" and new_row[1].quotePrefix
    assert new_row[2].value == "+84912345678" and not new_row[2].quotePrefix
    assert cells["C3"].fill.fgColor.rgb == "FFFFEB9C" and cells["C3"].comment.text == "Phone was: 0913"
    assert cells["B3"].fill.fill_type is None
