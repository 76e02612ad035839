"""A tenant's own settings: limits, requirement profile, date and name order, genders, custom fields."""

from customer_bulk.dal import job_store
from customer_bulk.models.tenant import TenantSettings


def tenant_settings(tenant_id: str) -> TenantSettings:
    return job_store().tenant_settings(tenant_id)


def replace_tenant_settings(tenant_id: str, settings: TenantSettings) -> TenantSettings:
    """Takes effect for the next import; a running job keeps the snapshot it started with."""
    job_store().put_tenant_settings(tenant_id, settings)
    return settings
