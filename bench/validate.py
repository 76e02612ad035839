"""Row validation speed on one core: ours beside the naive baseline, on the same rows, in the same run.

    python bench/validate.py [--rows 100000]

Rows are generated like the demo file but with every column a LadiFlow tenant uses (names, email, phone, gender,
birthday, city, country code, tags, marketing consent), with broken emails, phones, genders and dates mixed in.
- ours: ``validate_row`` (the validator's full row validation, fast paths included);
- naive: a pydantic model whose validators call email-validator and phonenumbers for every row.
``same_decisions``: both accepted and rejected exactly the same rows; ``same_keys``: and normalised the same
email and phone for every accepted row. The last line is one JSON object.
"""

import argparse
import json
import random
import sys
import time
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from customer_bulk import normalize
from customer_bulk.models.job import MatchKey
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.validation import RowContext, validate_row
from customer_bulk_local.samples import people, phone_as_typed

HEADERS = [
    "Họ",
    "Tên",
    "Email",
    "Số điện thoại",
    "Giới tính",
    "Ngày sinh",
    "Thành phố",
    "Mã quốc gia",
    "Thẻ",
    "Nhận email",
]
FIELDS = ["last_name", "first_name", "email", "phone", "gender", "birthday", "city", "country_code", "tags",
          "accepts_email_marketing"]  # fmt: skip
SETTINGS = TenantSettings(genders=("Nam", "Nữ"))


def generate(count: int) -> list[list[str]]:
    rng = random.Random(2026)
    rows = []
    for index, person in enumerate(people(count, seed=5)):
        phone = str(phone_as_typed(person.phone_digits, rng))
        email = person.email
        roll = rng.random()
        if roll < 0.03:
            email = email.replace("@", " at ")
        elif roll < 0.05:
            email, phone = "", ""
        elif roll < 0.07:
            phone = phone[:-3]  # a number typed short: each one different
        elif roll < 0.08:
            email, phone = email.replace(".", ".."), "12345"
        day = rng.randint(1, 31)
        rows.append(
            [
                person.last_name,
                person.first_name,
                email,
                phone,
                rng.choice(["Nam", "Nữ", "NAM", ""]),
                f"{day:02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)}",
                rng.choice(["Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Huế"]),
                rng.choice(["VN", "VN", "US", "XX", ""]),
                rng.choice(["VIP", "VIP, Hà Nội", "", "newsletter; sỉ"]),
                rng.choice(["yes", "no", "có", "", "maybe"]),
            ]
        )
        if index % 1000 == 0:
            rows[-1][2] = rows[-1][2].upper()
    return rows


class NaiveRow(BaseModel):
    """The obvious model: every email through email-validator, every phone through phonenumbers."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        try:
            number = phonenumbers.parse(value.strip(), "VN")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @model_validator(mode="after")
    def _has_a_key(self) -> "NaiveRow":
        if self.email is None and self.phone is None:
            raise ValueError("the row has no usable email or phone")
        return self


def run_ours(rows: list[list[str]]) -> tuple[float, list[tuple[str, str] | None]]:
    normalize._email_by_library.cache_clear()
    normalize._phone_by_library.cache_clear()
    context = RowContext(HEADERS, FIELDS, SETTINGS, MatchKey.AUTO)
    started = time.perf_counter()
    results = [validate_row(number, cells, context) for number, cells in enumerate(rows, start=2)]
    elapsed = time.perf_counter() - started
    return elapsed, [(r.values.get("email"), r.values.get("phone")) if r.is_valid else None for r in results]  # type: ignore[misc]


def run_naive(rows: list[list[str]]) -> tuple[float, list[tuple[str, str] | None]]:
    decisions: list[Any] = []
    started = time.perf_counter()
    for cells in rows:
        try:
            model = NaiveRow(last_name=cells[0], first_name=cells[1], email=cells[2], phone=cells[3])
            decisions.append((model.email, model.phone))
        except ValidationError:
            decisions.append(None)
    return time.perf_counter() - started, decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rows = generate(args.rows)
    ours_s, ours = run_ours(rows)
    naive_s, naive = run_naive(rows)
    same_decisions = [d is None for d in ours] == [d is None for d in naive]
    differences = [i for i, (a, b) in enumerate(zip(ours, naive, strict=True)) if a != b]
    for index in differences[:5]:
        print(
            f"differs at row {index + 2}: ours {ours[index]} naive {naive[index]} {rows[index][2:4]}", file=sys.stderr
        )
    result = {
        "rows": args.rows,
        "rows_per_s": round(args.rows / ours_s),
        "naive_rows_per_s": round(args.rows / naive_s),
        "speedup": round(naive_s / ours_s, 1),
        "same_decisions": same_decisions,
        "same_keys": not differences,
        "rejected": sum(d is None for d in ours),
    }
    print(f"ours {result['rows_per_s']:,} rows/s, naive {result['naive_rows_per_s']:,} rows/s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
