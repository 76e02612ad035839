"""Per-tenant settings. A job keeps a snapshot, so changing settings never changes a running import."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TenantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class TenantSettings(BaseModel):
    """Limits and defaults; the defaults are LadiFlow's (30,000 rows, 80 MB, Vietnamese phone numbers)."""

    model_config = ConfigDict(frozen=True)

    default_region: RegionCode = "VN"
    max_rows: int = Field(default=30_000, ge=1, le=1_000_000)
    max_file_mb: float = Field(default=80, gt=0, le=1024)
    # Real workbooks compress 7-9x, zip bombs 300-1000x: a ratio separates them better than a size cap.
    max_compression_ratio: float = Field(default=100, ge=10)
    max_uncompressed_mb: float = Field(default=1024, gt=0)
    # Excel itself stops at 32,767 characters in a cell; anything longer was not typed by a person.
    max_cell_chars: int = Field(default=32_767, ge=255, le=1_000_000)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
