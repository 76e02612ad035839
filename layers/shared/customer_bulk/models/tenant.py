"""Per-tenant settings. A job keeps a snapshot, so changing settings never changes a running import."""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from customer_bulk.i18n import Language, language_of_region

TenantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Requirement(StrEnum):
    """What a row needs to be imported at all."""

    EMAIL_OR_PHONE = "email_or_phone"  # LadiFlow
    FIRST_NAME_AND_EMAIL = "first_name_and_email"  # Sapo


class NameOrder(StrEnum):
    """How a full name splits: "Nguyễn Văn An" is family name first, "Anna Rossi" given name first."""

    FAMILY_FIRST = "family_first"
    GIVEN_FIRST = "given_first"


class CustomFieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    ENUM = "enum"


class CustomField(BaseModel):
    """A tenant's own customer field, imported and exported like the built-in ones (stored as ``cf_<key>``)."""

    model_config = ConfigDict(frozen=True)

    key: FieldKey
    label: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    kind: CustomFieldKind = CustomFieldKind.TEXT
    allowed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _enum_has_values(self) -> "CustomField":
        if self.kind is CustomFieldKind.ENUM and not self.allowed:
            raise ValueError(f"custom field {self.key} is an enum without allowed values")
        return self


class Rounding(StrEnum):
    DOWN = "down"
    NEAREST = "nearest"  # half up
    UP = "up"


_ROUNDING = {Rounding.DOWN: ROUND_FLOOR, Rounding.NEAREST: ROUND_HALF_UP, Rounding.UP: ROUND_CEILING}


class EarnRule(BaseModel):
    """How spend becomes loyalty points: ``points`` for every ``spend`` (Haraloyalty: 1 point per 100,000 VND)."""

    model_config = ConfigDict(frozen=True)

    spend: float = Field(default=100_000, gt=0, le=1e12)
    points: float = Field(default=1, gt=0, le=1e6)
    rounding: Rounding = Rounding.DOWN

    def points_for(self, amount: int | float) -> int:
        """Decimal arithmetic, so 300,000 at 1 per 100,000 is exactly 3, never 2.9999."""
        exact = Decimal(str(amount)) * Decimal(str(self.points)) / Decimal(str(self.spend))
        return int(exact.to_integral_value(rounding=_ROUNDING[self.rounding]))


# Before-images of applied imports are kept this many days: one S3 lifecycle rule per value (template.yaml).
UNDO_RETENTION_DAYS = (7, 14, 30, 60, 90, 180, 365)


class TenantSettings(BaseModel):
    """Limits, defaults and schema choices; the defaults are LadiFlow's (30,000 rows, 80 MB, Vietnam)."""

    model_config = ConfigDict(frozen=True)

    default_region: RegionCode = "VN"
    # What its emails, files and messages speak; None: its region's language (VN vi, IT it, DK da, otherwise en).
    language: Language | None = None
    max_rows: int = Field(default=30_000, ge=1, le=1_000_000)
    max_file_mb: float = Field(default=80, gt=0, le=1024)
    # Real workbooks compress 7-9x, zip bombs 300-1000x: a ratio separates them better than a size cap.
    max_compression_ratio: float = Field(default=100, ge=10)
    max_uncompressed_mb: float = Field(default=1024, gt=0)
    # Excel itself stops at 32,767 characters in a cell; anything longer was not typed by a person.
    max_cell_chars: int = Field(default=32_767, ge=255, le=1_000_000)

    requirement: Requirement = Requirement.EMAIL_OR_PHONE
    date_order: Annotated[str, StringConstraints(pattern=r"^(DMY|MDY|YMD)$")] = "DMY"
    name_order: NameOrder = NameOrder.FAMILY_FIRST
    genders: tuple[str, ...] = ("Nam", "Nữ", "Khác")
    clear_token: Annotated[str, StringConstraints(min_length=1, max_length=20)] = "#CLEAR"
    custom_fields: tuple[CustomField, ...] = ()

    # A previewed import can be confirmed for this long; then it expires.
    preview_hours: int = Field(default=24, ge=1, le=168)
    # An applied import can be rolled back for this long (its before-images expire with it).
    undo_retention_days: int = 30
    earn_rule: EarnRule = EarnRule()
    # Where the tenant's job events (import.completed, ...) are also POSTed, signed (docs/adr/0010). Checked when
    # saved and again at each delivery: https, and only public internet addresses.
    webhook_url: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None

    @field_validator("undo_retention_days")
    @classmethod
    def _kept_by_a_lifecycle_rule(cls, days: int) -> int:
        if days not in UNDO_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, UNDO_RETENTION_DAYS))} days")
        return days

    @property
    def speaks(self) -> Language:
        return self.language or language_of_region(self.default_region)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
