"""The mapping review (HubSpot's, Flatfile's and Dromo's mapping step): what the file's columns were taken to be,
how sure that is, what they hold, and what the admin decides before any row is imported."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints


class MatchedBy(StrEnum):
    """How a column's field was chosen, from the surest to the least."""

    EXPLICIT = "explicit"  # the admin's mapping for this import
    REMEMBERED = "remembered"  # the admin's mapping for an earlier file with the same headers
    HEADER = "header"  # the header is the field's name or one of its known headers, in any of our languages
    SUGGESTED = "suggested"  # close to a known header (a typo, a plural): proposed, not mapped until confirmed
    NONE = "none"  # not a customer field


# How sure each kind of match is, as the review says it (0 to 1).
CONFIDENCE = {
    MatchedBy.EXPLICIT: 1.0,
    MatchedBy.REMEMBERED: 1.0,
    MatchedBy.HEADER: 0.95,
    MatchedBy.SUGGESTED: 0.6,
    MatchedBy.NONE: 0.0,
}


class ValueCount(BaseModel):
    value: str  # as written in the file (trimmed)
    rows: int  # how many rows hold it
    accepted: bool  # imported as it is (one of the allowed values, or read as one)
    maps_to: str | None = None  # what the value map (the admin's, or remembered) turns it into


class ColumnReview(BaseModel):
    position: int  # 0-based
    header: str
    field: str | None  # what it is imported as (None: not imported)
    matched_by: MatchedBy
    confidence: float = Field(ge=0, le=1)
    suggestion: str | None = None  # a field the header resembles, when it is not mapped
    samples: list[str]  # the first few values in the column
    # Choice fields (gender, yes / no, a tenant's list): the distinct values found beside the allowed ones.
    allowed: list[str] | None = None
    values: list[ValueCount] | None = None
    more_values: int = 0  # distinct values beyond the ones listed


class FieldOption(BaseModel):
    name: str
    label: str  # in the job's language
    allowed: list[str] | None = None


class MappingReview(BaseModel):
    job_id: str
    file_name: str
    sheet_name: str
    header_row: int
    rows_total: int
    columns: list[ColumnReview]
    fields: list[FieldOption]  # what a column can be mapped to
    notes: list[str]
    reviewable_until: datetime | None = None


FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,42}$")]


class MappingDecision(BaseModel):
    """The admin's answer to a review: the mapping (header -> field, or null: not imported), the value map, and
    whether to preview the changes first or apply them."""

    mapping: dict[Annotated[str, StringConstraints(max_length=255)], FieldName | None] = Field(max_length=500)
    values: dict[FieldName, dict[Annotated[str, StringConstraints(max_length=255)], str]] = Field(
        default_factory=dict, max_length=100
    )
    preview: bool = False
