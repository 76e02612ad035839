"""Realistic customer files for the demo, the benchmarks and the tests (deterministic for a given seed).

Vietnamese names, unique emails and valid Vietnamese mobile numbers written the ways people write them
(0912 345 678, +84912345678, 84912345678, or a number Excel stripped of its leading zero).
"""

import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from customer_bulk.normalize import strip_accents

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Ngọc", "Đức", "Thanh", "Hữu", "Quốc", "Bảo", "Gia", "Khánh"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Trung",
    "Tú",
    "Vy",
    "Yến",
]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "fpt.vn", "viettel.vn", "shop.vn"]
# Mobile prefixes that Vietnam's numbering plan (and so phonenumbers) accepts.
MOBILE_PREFIXES = [
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "38",
    "39",
    "56",
    "58",
    "70",
    "76",
    "77",
    "78",
    "79",
    "81",
    "82",
    "83",
    "84",
    "85",
    "86",
    "88",
    "90",
    "91",
    "93",
    "94",
    "96",
    "97",
    "98",
]
DEMO_HEADERS = ["Họ", "Tên", "Email", "Số điện thoại", "Giới tính", "Ngày sinh", "Hạng thành viên", "Thẻ", "Ghi chú"]
TIERS = ["Bạc", "Bạc", "Bạc", "Vàng", "Kim cương"]


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str
    phone_digits: str  # national significant number, e.g. 912345678


def people(count: int, seed: int = 2026, start: int = 0) -> Iterator[Person]:
    """``count`` distinct people; ``start`` offsets the sequence so two batches never share a key."""
    rng = random.Random(seed)
    for index in range(start, start + count):
        family, middle, given = rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)
        handle = strip_accents(f"{given}.{family}").lower()
        prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
        digits = f"{prefix}{(index * 7919) % 10_000_000:07d}"
        yield Person(
            first_name=f"{middle} {given}",
            last_name=family,
            email=f"{handle}{index}@{DOMAINS[index % len(DOMAINS)]}",
            phone_digits=digits,
        )


def phone_as_typed(digits: str, rng: random.Random) -> Any:
    """The same number as different people (and Excel) write it."""
    style = rng.random()
    if style < 0.45:
        return f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style < 0.65:
        return f"+84{digits}"
    if style < 0.75:
        return f"84{digits}"
    if style < 0.9:
        return int(digits)  # a number cell: Excel dropped the leading zero
    return f"0{digits}"


def demo_rows(count: int = 2500, seed: int = 2026) -> list[list[Any]]:
    """A LadiFlow-style list for the "demo" tenant: mostly good customers, and the broken rows a real list has."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for index, person in enumerate(people(count, seed)):
        gender = "Nữ" if person.first_name.split()[0] in ("Thị", "Ngọc", "Thu") else "Nam"
        birthday = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2004)}"
        phone = phone_as_typed(person.phone_digits, rng)
        tags = rng.choice(["", "", "VIP", "khách sỉ", "newsletter, VIP"])
        row: list[Any] = [person.last_name, person.first_name, person.email, phone, gender, birthday,
                          rng.choice(TIERS), tags, ""]  # fmt: skip
        kind = index % 100
        if kind == 7:
            row[2] = person.email.replace("@", " at ")  # bad email, phone still fine -> applied with a warning
        elif kind == 19:
            row[2], row[3] = person.email.replace("@", ""), ""  # bad email and no phone -> invalid
        elif kind == 31:
            row[2], row[3] = "", "12345"  # no email, impossible phone -> invalid
        elif kind == 43:
            row[2], row[3] = "", ""  # neither -> invalid
        elif kind == 55 and rows:
            row[2] = rows[rng.randrange(len(rows))][2] or person.email  # the same email as an earlier row
        elif kind == 61:
            row[4] = "NAM"  # LadiFlow's own example: not "Nam" -> gender skipped, customer imported
        elif kind == 67:
            row[5] = "31/02/1990"  # no such day -> birthday skipped
        elif kind == 73:
            row[8] = "khách quen, hay mua online"
        rows.append(row)
    return rows


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], sheet: str = "Customers") -> Path:
    """A workbook as a person would save it: text where text was typed, numbers where numbers were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
        worksheet = book.add_worksheet(sheet)
        bold = book.add_format({"bold": True})
        worksheet.write_row(0, 0, list(headers), bold)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, (int, float)):
                    worksheet.write_number(number, column, value)
                elif value not in (None, ""):
                    worksheet.write_string(number, column, str(value))
    return path


def write_csv(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows([["" if value is None else value for value in row] for row in rows])
    return path


_CP1258_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: precomposed vowels (â, ơ, ư) followed by combining tone marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _CP1258_TONES))
        out += base.encode("cp1258") + "".join(c for c in parts if c in _CP1258_TONES).encode("cp1258")
    return bytes(out)


def write_xls(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], sheet: str = "Customers") -> Path:
    """An old-style .xls (BIFF8), as older Excel and many POS systems still export."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    worksheet = book.add_sheet(sheet)
    for column, header in enumerate(headers):
        worksheet.write(0, column, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value not in (None, ""):
                worksheet.write(number, column, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path
