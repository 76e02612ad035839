"""Starting an import (a job and a presigned upload), reporting its progress, and the admin's later actions on it
(confirm or cancel a preview, roll back an applied import)."""

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import BadRequestError
from customer_bulk.i18n import Language, _
from customer_bulk.ids import new_id
from customer_bulk.logic.job_actions import cancel_import, confirm_import, request_rollback, require_import
from customer_bulk.logic.report import report_link
from customer_bulk.logic.review import go_on
from customer_bulk.logic.tenants import tenant_settings
from customer_bulk.models.api import CreateImportRequest, CreateImportResponse, ImportStatus, UploadForm
from customer_bulk.models.job import ImportJob, Phase
from customer_bulk.models.mapping import MappingDecision
from customer_bulk.observability import metrics
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores
from customer_bulk.schema import Schema, schema_for
from customer_bulk.settings import get_settings


def create_import(
    stores: Stores,
    tenant_id: str,
    requested_by: str,
    request: CreateImportRequest,
    api_url: str,
    now: datetime,
    language: Language | None = None,
) -> CreateImportResponse:
    """``api_url``: the API the admin called, where the job's download links will point; ``language``: the one the
    request asked for (Accept-Language), else the tenant's."""
    settings = tenant_settings(stores, tenant_id)
    _check_mapping(request, schema_for(settings, request.options.type))
    job_id = new_id()
    paths = JobPaths(tenant_id, job_id)
    job = ImportJob(
        tenant_id=tenant_id,
        job_id=job_id,
        requested_by=requested_by,
        api_url=api_url,
        file_name=request.file_name,
        upload_key=paths.upload(request.file_name),
        phase=Phase.PREVIEW if request.options.preview else Phase.APPLY,
        options=request.options,
        settings=settings,
        language=language or settings.speaks,
        created_at=now,
        updated_at=now,
    )
    stores.jobs.create(job)
    metrics.add_metric(name="ImportsStarted", unit=MetricUnit.Count, value=1)
    expires_in = get_settings().upload_url_ttl_s
    form = stores.files.presigned_upload(
        job.upload_key, prefix=paths.upload_prefix, max_bytes=settings.max_file_bytes, expires_in=expires_in
    )
    return CreateImportResponse(
        job_id=job_id,
        status=job.status,
        upload=UploadForm(**form, expires_in=expires_in, max_bytes=settings.max_file_bytes),
    )


def _check_mapping(request: CreateImportRequest, schema: Schema) -> None:
    mapping = request.options.mapping or {}
    unknown = sorted({name for name in mapping.values() if name and name not in schema})
    if unknown:
        known = ", ".join(spec.name for spec in schema.fields)
        raise BadRequestError(
            _(
                "The mapping names unknown fields ({unknown}); the fields are: {fields}.",
                unknown=", ".join(unknown),
                fields=known,
            )
        )


def import_status(stores: Stores, tenant_id: str, job_id: str) -> ImportStatus:
    return status_of(stores, require_import(stores, tenant_id, job_id))


# The status's workbook links, and the phase that writes each.
REPORTS = {"error": Phase.APPLY, "diff": Phase.PREVIEW, "rollback": Phase.ROLLBACK}


def status_of(stores: Stores, job: ImportJob) -> ImportStatus:
    links = {name: report_link(stores, job, phase)[0] for name, phase in REPORTS.items()}
    return ImportStatus.of(job, {name: url for name, url in links.items() if url})


def confirm(stores: Stores, tenant_id: str, job_id: str, now: datetime) -> ImportStatus:
    return status_of(stores, confirm_import(stores, tenant_id, job_id, now))


def cancel(stores: Stores, tenant_id: str, job_id: str, now: datetime) -> ImportStatus:
    return status_of(stores, cancel_import(stores, tenant_id, job_id, now))


def decide_mapping(
    stores: Stores, tenant_id: str, job_id: str, decision: MappingDecision, now: datetime
) -> ImportStatus:
    """The admin's mapping and value map: the import goes on (logic.review)."""
    return status_of(stores, go_on(stores, tenant_id, job_id, decision, now))


def rollback(
    stores: Stores, tenant_id: str, job_id: str, requested_by: str, now: datetime
) -> tuple[ImportStatus, bool]:
    job, started = request_rollback(stores, tenant_id, job_id, requested_by, now)
    return status_of(stores, job), started
