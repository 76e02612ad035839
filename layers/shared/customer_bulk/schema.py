"""The customer schema: canonical fields, the headers admins really use for them, and header mapping.

One definition serves the splitter (which column is which), the validator (how a value is checked), the error
report and the templates, so they cannot disagree.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    header: str  # the header our template and exports use
    kind: Kind
    aliases: tuple[str, ...] = ()
    max_length: int = 255
    is_key: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "first_name",
        "First Name",
        Kind.NAME,
        ("first name", "firstname", "given name", "ten", "tên", "nome", "fornavn"),
    ),
    FieldSpec(
        "last_name",
        "Last Name",
        Kind.NAME,
        ("last name", "lastname", "surname", "family name", "ho", "họ", "cognome", "efternavn"),
    ),
    FieldSpec(
        "email",
        "Email",
        Kind.EMAIL,
        ("email", "e-mail", "email address", "mail", "địa chỉ email", "thư điện tử", "posta elettronica"),
        max_length=254,
        is_key=True,
    ),
    FieldSpec(
        "phone",
        "Phone",
        Kind.PHONE,
        (
            "phone",
            "phone number",
            "mobile",
            "mobile phone",
            "telephone",
            "tel",
            "số điện thoại",
            "sđt",
            "sdt",
            "điện thoại",
            "di động",
            "telefono",
            "cellulare",
            "telefon",
            "mobil",
            "mobilnummer",
        ),
        max_length=64,
        is_key=True,
    ),
)

FIELDS_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
KEY_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FIELDS if spec.is_key)

# Columns that our own error reports add: ignored silently so a fixed errors.xlsx re-imports as is.
REPORT_COLUMNS = ("Error", "Warning")


def header_token(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive form of a header ('Số điện thoại' -> 'sodienthoai')."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", stripped.casefold())


_ALIASES: dict[str, str] = {}
for _spec in FIELDS:
    for _alias in (_spec.name, _spec.header, *_spec.aliases):
        _ALIASES.setdefault(header_token(_alias), _spec.name)
_REPORT_TOKENS = {header_token(name) for name in REPORT_COLUMNS}


@dataclass(slots=True)
class HeaderMapping:
    """Which customer field each column holds (None: not imported), plus what the admin should be told."""

    fields: list[str | None]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def column_of(self, field_name: str) -> int | None:
        try:
            return self.fields.index(field_name)
        except ValueError:
            return None

    @property
    def key_fields(self) -> list[str]:
        return [name for name in KEY_FIELDS if name in self.fields]


def map_headers(headers: list[str]) -> HeaderMapping:
    """Guess each column's field from its header. The first column for a field wins; later ones are reported."""
    fields: list[str | None] = []
    ignored: list[str] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        token = header_token(header)
        name = _ALIASES.get(token)
        if not header.strip() or token in _REPORT_TOKENS:
            fields.append(None)
        elif name is None:
            fields.append(None)
            ignored.append(header)
        elif name in seen:
            fields.append(None)
            notes.append(
                f'Column "{header}" was ignored: column "{seen[name]}" already holds {name.replace("_", " ")}.'
            )
        else:
            seen[name] = header
            fields.append(name)
    if ignored:
        listed = ", ".join(f'"{h}"' for h in ignored)
        notes.append(f"Columns not imported (not customer fields): {listed}.")
    return HeaderMapping(fields=fields, ignored=ignored, notes=notes)


def looks_like_header(cells: list[str]) -> bool:
    """A header row names at least one known field (used to skip title rows above the header)."""
    return any(header_token(cell) in _ALIASES for cell in cells if cell)
