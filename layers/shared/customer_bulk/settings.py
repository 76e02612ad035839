"""Deployment settings: environment variables parsed once into a model, never read inside logic."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What the template passes to every function (Globals.Function.Environment)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    customers_table: str
    jobs_table: str
    files_bucket: str
    chunk_queue_url: str
    upload_queue_url: str
    import_state_machine_arn: str
    sender_email: str
    flow_event_bus: str
    export_state_machine_arn: str
    exporter_function: str
    # The Secrets Manager secret whose value signs download links.
    link_secret_arn: str
    # The API's address as clients call it, when not its own execute-api domain (a custom domain): links use it.
    public_api_url: str = ""
    tenant_claim: str = "custom:tenant_id"
    email_claim: str = "email"
    chunk_rows: int = Field(default=500, ge=1, le=5000)
    # A tenant's chunks spread over this many FIFO message groups, so this many run at once (docs/adr/0011).
    message_groups: int = Field(default=8, ge=1, le=100)
    upload_url_ttl_s: int = Field(default=900, ge=60, le=900)
    report_url_ttl_s: int = Field(default=7 * 24 * 3600, ge=60, le=7 * 24 * 3600)
    stalled_after_s: int = Field(default=1800, ge=60)
    # The deployment's ceilings of the tenants' protective limits (template parameters *Ceiling).
    max_file_mb_ceiling: float = Field(default=80, gt=0)
    max_rows_ceiling: int = Field(default=30_000, ge=1)
    max_compression_ratio_ceiling: float = Field(default=100, ge=10)
    max_uncompressed_mb_ceiling: float = Field(default=1024, gt=0)
    max_cell_chars_ceiling: int = Field(default=32_767, ge=255)
    # Job events (import.completed, ...) and the tenants' webhooks (docs/adr/0010).
    job_event_bus: str = ""
    webhook_queue_url: str = ""
    # The stack's secret each tenant's webhook signing secret is derived from.
    webhook_secret_arn: str = ""
    # Only the local stack sets this: webhooks may then target loopback (and only loopback) addresses, over http
    # too. Never honoured inside AWS Lambda (AWS_EXECUTION_ENV), whatever the variable says.
    webhook_loopback_only: bool = False
    aws_execution_env: str = ""

    @property
    def webhooks_on_loopback(self) -> bool:
        """True on the local stack only: webhook targets must then be loopback addresses."""
        return self.webhook_loopback_only and not self.aws_execution_env.startswith("AWS_Lambda")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
