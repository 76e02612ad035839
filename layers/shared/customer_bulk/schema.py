"""The customer schema: canonical fields, the headers admins really use for them, and header mapping.

One definition serves the splitter (which column is which), the validator (how a value is checked), the error
report, the templates and the exports, so they cannot disagree. A tenant's schema adds its custom fields and its
allowed genders (``schema_for``).
"""

import difflib
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from customer_bulk.i18n import LANGUAGES, N_, _, speaking
from customer_bulk.models.job import ImportType
from customer_bulk.models.tenant import CustomField, CustomFieldKind, TenantSettings
from customer_bulk.normalize import fold
from customer_bulk.storage_layout import KEY_FIELDS


class Kind(StrEnum):
    ID = "id"  # customer_id: a match key when asked, else the id in another system
    NAME = "name"
    FULL_NAME = "full_name"  # split into first and last name when those are absent
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    CHOICE = "choice"
    DATE = "date"
    YES_NO = "yes_no"
    COUNTRY = "country"
    COUNTRY_CODE = "country_code"
    TAGS = "tags"
    NUMBER = "number"
    TOTAL = "total"  # total spent / orders: recognised, never imported (they start at 0, as in Sapo and Shopify)
    VERSION = "version"  # an export's version of the customer: a re-import refuses rows edited since
    AMOUNT = "amount"  # money, zero or more (opening balances)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    header: str  # the header our template and exports use
    kind: Kind
    aliases: tuple[str, ...] = ()
    max_length: int = 255
    is_key: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""  # shown as a note on the template's header cell
    translated: bool = True  # header and help are ours (translated); a tenant's custom field says its own

    @property
    def label(self) -> str:
        """The header as the current language says it."""
        return _(self.header) if self.translated else self.header

    @property
    def note(self) -> str:
        """What the template's note on the header says, in the current language."""
        said = _(self.help) if self.translated and self.help else self.help
        if self.choices:
            said = " ".join(filter(None, (said, _("One of: {choices}.", choices=", ".join(self.choices)))))
        return said

    @property
    def stored(self) -> bool:
        return self.kind not in (Kind.ID, Kind.FULL_NAME, Kind.TOTAL, Kind.VERSION)


def _spec(name: str, header: str, kind: Kind, *aliases: str, **extra: object) -> FieldSpec:
    return FieldSpec(name, header, kind, aliases, **extra)  # type: ignore[arg-type]


FIELDS: tuple[FieldSpec, ...] = (
    _spec("customer_id", N_("Customer ID"), Kind.ID, "customerid", "customer id", "kundeid", "kunde id", "kundenummer",
          "mã khách hàng", "mã kh", "codice cliente", "id cliente", "id",
          help=N_("Our customer id (from an export). Matched only when the import matches by id; 0 or empty = new.")),
    _spec("first_name", N_("First Name"), Kind.NAME, "firstname", "given name", "tên", "nome", "fornavn"),
    _spec("last_name", N_("Last Name"), Kind.NAME, "lastname", "surname", "family name", "họ", "cognome", "efternavn"),
    _spec("full_name", N_("Full Name"), Kind.FULL_NAME, "name", "customer name", "họ tên", "họ và tên",
          "tên khách hàng",
          "nome completo", "nome del cliente", "nome cliente", "navn", "fulde navn", "kundenavn",
          help=N_("Split into first and last name when those columns are absent.")),
    _spec("email", N_("Email"), Kind.EMAIL, "e-mail", "email address", "mail", "địa chỉ email", "thư điện tử",
          "posta elettronica", "indirizzo email", "e-mailadresse", max_length=254, is_key=True,
          help=N_("Identifies the customer (with Phone). One customer per email.")),
    _spec("phone", N_("Phone"), Kind.PHONE, "phone number", "mobile", "mobile phone", "telephone", "tel", "cell",
          "số điện thoại", "sđt", "sdt", "điện thoại", "di động", "số di động", "telefono", "cellulare",
          "numero di telefono", "telefon", "telefonnummer", "mobil", "mobilnummer", max_length=64, is_key=True,
          help=N_("Identifies the customer (with Email). Local numbers are read in your country; +84... also works.")),
    _spec("gender", N_("Gender"), Kind.CHOICE, "sex", "giới tính", "genere", "sesso", "køn"),
    _spec("birthday", N_("Birthday"), Kind.DATE, "birth date", "date of birth", "dob", "ngày sinh", "sinh nhật",
          "data di nascita", "compleanno", "fødselsdag", "fødselsdato"),
    _spec("company", N_("Company"), Kind.TEXT, "company name", "default address company", "công ty", "tên công ty",
          "azienda", "società", "firma", "virksomhed"),
    _spec("address1", N_("Address 1"), Kind.TEXT, "address", "address1", "street", "default address address1",
          "địa chỉ", "địa chỉ 1", "indirizzo", "adresse"),
    _spec("address2", N_("Address 2"), Kind.TEXT, "address2", "default address address2", "địa chỉ 2", "indirizzo 2",
          "adresse 2"),
    _spec("city", N_("City"), Kind.TEXT, "town", "default address city", "thành phố", "quận/huyện", "quận huyện",
          "città", "comune", "by"),
    _spec("province", N_("Province"), Kind.TEXT, "state", "region", "default address province", "tỉnh",
          "tỉnh/thành phố", "tỉnh thành", "provincia", "regione"),
    _spec("province_code", N_("Province Code"), Kind.TEXT, "state code", "default address province code", "mã tỉnh",
          "codice provincia", max_length=10),
    _spec("zip", N_("Zip"), Kind.TEXT, "zip code", "postal code", "postcode", "default address zip", "mã bưu điện",
          "mã bưu chính", "cap", "codice postale", "postnummer", "postnr", max_length=20),
    _spec("country", N_("Country"), Kind.COUNTRY, "default address country", "quốc gia", "nước", "paese", "nazione",
          "land", help=N_("A country name (English, Vietnamese, Italian or Danish); the code is derived.")),
    _spec("country_code", N_("Country Code"), Kind.COUNTRY_CODE, "default address country code", "mã quốc gia",
          "codice paese", "landekode", max_length=3, help=N_("ISO 3166 code (VN, US, DK...); the name is derived.")),
    _spec("accepts_email_marketing", N_("Accepts Email Marketing"), Kind.YES_NO, "accepts marketing",
          "email marketing", "newsletter", "nhận email", "nhận email quảng cáo", "nhận quảng cáo",
          "consenso marketing", "consenso email", "nyhedsbrev", "accepterer markedsføring",
          help=N_("yes / no (also true/false, 1/0, có/không). Empty means no for a new customer.")),
    _spec("accepts_sms_marketing", N_("Accepts SMS Marketing"), Kind.YES_NO, "sms marketing", "nhận sms",
          "nhận sms quảng cáo", "consenso sms", "sms samtykke",
          help=N_("yes / no. Empty means no for a new customer.")),
    _spec("tags", N_("Tags"), Kind.TAGS, "tag", "thẻ", "nhãn", "nhóm khách hàng", "etichette", "mærker",
          help=N_("Separated by commas or semicolons.")),
    _spec("note", N_("Note"), Kind.TEXT, "notes", "ghi chú", "nota", "noter", "kommentar", "bemærkning",
          max_length=5000),
    _spec("total_spent", N_("Total Spent"), Kind.TOTAL, "tổng chi tiêu", "spesa totale", "totale speso",
          "samlet forbrug"),
    _spec("total_orders", N_("Total Orders"), Kind.TOTAL, "tổng đơn hàng", "số đơn hàng", "ordini totali",
          "antal ordrer"),
    _spec("version", N_("Version"), Kind.VERSION, "phiên bản", "versione",
          help=N_("Written by exports: a re-import refuses rows whose customer changed since (unless forced).")),
)  # fmt: skip

# Columns that our own error reports add, and columns from other systems we know are not customer data:
# ignored silently so a fixed errors.xlsx re-imports as is.
REPORT_COLUMNS = (N_("Error"), N_("Warning"))
TOTALS_NOTE = N_(
    "Total spent and total orders are not imported: they start at 0 and grow with the customer's orders "
    "(as in Sapo and Shopify)."
)
_CUSTOM_KINDS = {
    CustomFieldKind.TEXT: Kind.TEXT,
    CustomFieldKind.NUMBER: Kind.NUMBER,
    CustomFieldKind.DATE: Kind.DATE,
    CustomFieldKind.ENUM: Kind.CHOICE,
}


def header_token(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive form of a header ('Số điện thoại' -> 'sodienthoai')."""
    return fold(text)


def in_every_language(message: str) -> set[str]:
    """What ``message`` is in each of our languages: a file written in any of them reads back in any other."""
    said = set()
    for language in LANGUAGES:
        with speaking(language):
            said.add(_(message))
    return said


_REPORT_TOKENS = {header_token(said) for name in REPORT_COLUMNS for said in in_every_language(name)}


@dataclass(slots=True)
class HeaderMapping:
    """Which customer field each column holds (None: not imported), plus what the admin should be told."""

    fields: list[str | None]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def key_fields(self) -> list[str]:
        return [name for name in KEY_FIELDS if name in self.fields]


class Schema:
    """The fields of one tenant: canonical ones plus its custom fields, with every name a header may use."""

    def __init__(self, fields: tuple[FieldSpec, ...]) -> None:
        self.fields = fields
        self._by_name = {spec.name: spec for spec in fields}
        self._aliases: dict[str, str] = {}
        for spec in fields:
            for alias in (spec.name, spec.header, *spec.aliases):
                self._aliases.setdefault(header_token(alias), spec.name)
        # Then our own headers as each language says them (templates and exports are written in the tenant's).
        for spec in fields:
            for said in in_every_language(spec.header) if spec.translated else ():
                self._aliases.setdefault(header_token(said), spec.name)

    def __getitem__(self, name: str) -> FieldSpec:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def guess(self, header: str) -> str | None:
        return self._aliases.get(header_token(header))

    def suggest(self, header: str) -> str | None:
        """A field whose known headers this one resembles (a typo, a letter missing), for a review to propose."""
        token = header_token(header)
        close = difflib.get_close_matches(token, list(self._aliases), n=1, cutoff=0.8) if len(token) > 2 else []
        return self._aliases[close[0]] if close else None

    @property
    def template_fields(self) -> tuple[FieldSpec, ...]:
        """What a template shows, in order: every field but full name (split on import), totals and version."""
        return tuple(spec for spec in self.fields if spec.kind not in (Kind.FULL_NAME, Kind.TOTAL, Kind.VERSION))

    @property
    def export_fields(self) -> tuple[FieldSpec, ...]:
        """An export's columns: the template's, then the version that makes a re-import safe."""
        return (*self.template_fields, self["version"])

    def looks_like_header(self, cells: list[str]) -> bool:
        """A header row names at least one known field (used to skip title rows above the header)."""
        return any(self.guess(cell) is not None for cell in cells if cell)

    def map_headers(self, headers: list[str], explicit: dict[str, str | None] | None = None) -> HeaderMapping:
        """Each column's field: the explicit mapping where it names the header, else the guess from aliases.
        The first column for a field wins; later ones are reported."""
        explicit_tokens = {header_token(h): f for h, f in (explicit or {}).items()}
        fields: list[str | None] = []
        ignored: list[str] = []
        notes: list[str] = []
        seen: dict[str, str] = {}
        for header in headers:
            token = header_token(header)
            name = explicit_tokens[token] if token in explicit_tokens else self.guess(header)
            if not header.strip() or (token in _REPORT_TOKENS and token not in explicit_tokens):
                fields.append(None)
            elif name is None:
                fields.append(None)
                if token not in explicit_tokens:
                    ignored.append(header)
            elif name in seen:
                fields.append(None)
                notes.append(
                    _(
                        'Column "{header}" was ignored: column "{other}" already holds {field}.',
                        header=header,
                        other=seen[name],
                        field=self[name].label,
                    )
                )
            else:
                seen[name] = header
                fields.append(name)
        if ignored:
            listed = ", ".join(f'"{h}"' for h in ignored)
            notes.append(_("Columns not imported (not customer fields): {columns}.", columns=listed))
        if any(name and self[name].kind is Kind.TOTAL for name in fields):
            notes.append(_(TOTALS_NOTE))
        return HeaderMapping(fields=fields, ignored=ignored, notes=notes)


def headers_signature(headers: list[str]) -> str:
    """Identifies a header row across files (case, accents and spacing aside): the key of a remembered mapping."""
    return hashlib.sha256("\x1f".join(header_token(h) for h in headers).encode()).hexdigest()[:32]


def schema_for(settings: TenantSettings, import_type: ImportType = ImportType.CUSTOMERS) -> Schema:
    if import_type is ImportType.OPENING_BALANCE:
        return BALANCE_SCHEMA
    return _schema(settings.genders, settings.custom_fields)


@lru_cache(maxsize=256)
def _schema(genders: tuple[str, ...], custom_fields: tuple[CustomField, ...]) -> Schema:
    fields = []
    for spec in FIELDS:
        if spec.name == "gender":
            spec = FieldSpec(spec.name, spec.header, spec.kind, spec.aliases, choices=genders)
        fields.append(spec)
    for custom in custom_fields:
        allowed = tuple(custom.allowed)
        fields.append(
            FieldSpec(
                name=f"cf_{custom.key}",
                header=custom.label,
                kind=_CUSTOM_KINDS[custom.kind],
                aliases=tuple(custom.aliases),
                choices=allowed,
                help="" if allowed else f"{custom.kind.value.capitalize()}.",
                translated=False,
            )
        )
    return Schema(tuple(fields))


DEFAULT_SCHEMA = schema_for(TenantSettings())


# Opening balances (Haraloyalty): a member found by phone AND email, and the spend that becomes points.
BALANCE_SCHEMA = Schema(
    (
        DEFAULT_SCHEMA["phone"],
        DEFAULT_SCHEMA["email"],
        _spec("opening_spend", N_("Opening Spend"), Kind.AMOUNT, "dtdauky", "dt dau ky", "doanh thu đầu kỳ",
              "doanh số đầu kỳ", "chi tiêu đầu kỳ", "số dư đầu kỳ", "opening balance", "opening amount",
              "spesa iniziale", "saldo iniziale", "startsaldo", "åbningssaldo",
              help=N_("DTDauKy: what the member spent before, converted into points by your earn rule.")),
        _spec("cumulative_spend", N_("Cumulative Spend"), Kind.AMOUNT, "dttichluy", "dt tich luy", "doanh thu tích lũy",
              "doanh thu tích luỹ", "tổng chi tiêu", "total spent", "total spend", "lifetime spend",
              "spesa totale", "spesa cumulativa", "samlet forbrug",
              help=N_("DTTichLuy: what the member has spent up to now, recorded in their purchase history.")),
    )
)  # fmt: skip
