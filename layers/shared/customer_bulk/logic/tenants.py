"""A tenant's own settings: limits, requirement profile, date and name order, genders, custom fields.

The protective limits (file size, rows, compression ratio, uncompressed size, cell length) are governed: the
deployment sets a ceiling for each (template parameters), a tenant's admin can lower them but never raise them
past it. Changes are partial (a merge patch) and guarded by the settings' revision (ETag / If-Match), so changing
one field never resets another and two admins never overwrite each other unseen.
"""

from typing import Any

from customer_bulk.errors import BadRequestError, ConflictError, PreconditionFailed
from customer_bulk.i18n import N_, Language, _
from customer_bulk.logic.webhooks import check_target
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.ports import Stores
from customer_bulk.settings import Settings, get_settings

# Tenant setting -> (the deployment's ceiling in Settings, the template parameter that sets it, what a value above it
# is told, in its unit).
# Translators: {name} is a setting and {parameter} a template parameter, both kept as they are.
_ABOVE_MB = N_("{name} {value} is above this deployment's ceiling of {ceiling} MB ({parameter})")
CEILINGS = {
    "max_file_mb": ("max_file_mb_ceiling", "MaxFileMbCeiling", _ABOVE_MB),
    "max_rows": (
        "max_rows_ceiling",
        "MaxRowsCeiling",
        N_("{name} {value} is above this deployment's ceiling of {ceiling} rows ({parameter})"),
    ),
    "max_compression_ratio": (
        "max_compression_ratio_ceiling",
        "MaxCompressionRatioCeiling",
        N_("{name} {value} is above this deployment's ceiling of {ceiling}x ({parameter})"),
    ),
    "max_uncompressed_mb": ("max_uncompressed_mb_ceiling", "MaxUncompressedMbCeiling", _ABOVE_MB),
    "max_cell_chars": (
        "max_cell_chars_ceiling",
        "MaxCellCharsCeiling",
        N_("{name} {value} is above this deployment's ceiling of {ceiling} characters ({parameter})"),
    ),
}
_RACE_ATTEMPTS = 5


def etag(revision: int) -> str:
    return f'"{revision}"'


def within_ceilings(settings: TenantSettings, deployment: Settings) -> TenantSettings:
    """The settings a job runs with: a value stored before its ceiling was lowered counts as the ceiling."""
    lowered = {
        name: getattr(deployment, ceiling)
        for name, (ceiling, _parameter, _above) in CEILINGS.items()
        if getattr(settings, name) > getattr(deployment, ceiling)
    }
    return settings.model_copy(update=lowered) if lowered else settings


def tenant_settings(stores: Stores, tenant_id: str) -> TenantSettings:
    return within_ceilings(stores.jobs.tenant_settings(tenant_id), get_settings())


def tenant_language(stores: Stores, tenant_id: str) -> Language:
    """The language the tenant speaks (its ``language`` setting, else its region's): one read of its settings."""
    return stores.jobs.tenant_settings(tenant_id).speaks


def settings_with_etag(stores: Stores, tenant_id: str) -> tuple[TenantSettings, str]:
    stored, revision = stores.jobs.tenant_settings_revision(tenant_id)
    return within_ceilings(stored, get_settings()), etag(revision)


def replace_tenant_settings(
    stores: Stores, tenant_id: str, settings: TenantSettings, if_match: str | None = None
) -> tuple[TenantSettings, str]:
    """PUT: every field as sent (unsent ones take their defaults). Takes effect for the next import; a running job
    keeps the snapshot it started with."""
    return _store(stores, tenant_id, lambda _current: settings, if_match)


def update_tenant_settings(
    stores: Stores, tenant_id: str, changes: dict[str, Any], if_match: str | None = None
) -> tuple[TenantSettings, str]:
    """PATCH: a JSON merge patch (RFC 7396) over the current settings; ``null`` resets a field to its default."""
    return _store(stores, tenant_id, lambda current: _merged(current, changes), if_match)


def _merged(current: TenantSettings, changes: dict[str, Any]) -> TenantSettings:
    unknown = sorted(set(changes) - set(TenantSettings.model_fields))
    if unknown:
        raise BadRequestError(_("Unknown settings ({names}).", names=", ".join(unknown)))
    return TenantSettings.model_validate(_merge_patch(current.model_dump(mode="json"), changes))


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = _merge_patch(merged.get(name), value)
    return merged


def _store(stores: Stores, tenant_id: str, change: Any, if_match: str | None) -> tuple[TenantSettings, str]:
    jobs = stores.jobs
    for _attempt in range(_RACE_ATTEMPTS):
        stored, revision = jobs.tenant_settings_revision(tenant_id)
        if if_match is not None and if_match.strip() not in (etag(revision), "*"):
            raise PreconditionFailed(
                _(
                    "The settings were changed since you read them (their ETag is now {etag}). Read them again and "
                    "reapply your change.",
                    etag=etag(revision),
                )
            )
        updated: TenantSettings = change(within_ceilings(stored, get_settings()))
        _check_ceilings(updated, get_settings())
        if updated.webhook_url and updated.webhook_url != stored.webhook_url:
            check_target(stores, updated.webhook_url)  # a URL kept as it was is checked at each delivery instead
        try:
            return updated, etag(jobs.put_tenant_settings(tenant_id, updated, revision))
        except ConflictError:
            if if_match is not None:
                raise PreconditionFailed(
                    _("The settings were changed by someone else just now. Read them again.")
                ) from None
    raise ConflictError(_("The settings are being changed by someone else. Please try again."))


def _check_ceilings(settings: TenantSettings, deployment: Settings) -> None:
    over = [
        _(
            above,
            name=name,
            value=_written(getattr(settings, name)),
            ceiling=_written(getattr(deployment, ceiling)),
            parameter=parameter,
        )
        for name, (ceiling, parameter, above) in CEILINGS.items()
        if getattr(settings, name) > getattr(deployment, ceiling)
    ]
    if over:
        raise BadRequestError(
            _("{problems}. A tenant can lower these limits, not raise them.", problems="; ".join(over))
        )


def _written(value: float) -> str:
    """A limit as a settings body and a template parameter write it (1024, 1e+09), in every language."""
    return f"{value:g}"
