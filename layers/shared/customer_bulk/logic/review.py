"""The mapping review: an import started with ``review_mapping`` stops after reading its file (status ``mapped``)
so the admin sees how each column was taken and what it holds, changes the mapping and the values ("M" -> "Nam"),
and goes on with a preview or an apply. Both choices are remembered for the tenant's next files."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from customer_bulk.errors import BadRequestError, ConflictError, NotFoundError
from customer_bulk.i18n import _, speaking
from customer_bulk.logic.job_actions import require_import
from customer_bulk.models.job import ImportJob, JobStatus, Phase
from customer_bulk.models.mapping import (
    CONFIDENCE,
    ColumnReview,
    FieldOption,
    MappingDecision,
    MappingReview,
    MatchedBy,
    ValueCount,
)
from customer_bulk.normalize import NO_WORD, YES_WORD, normalize_bool, normalize_choice
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores
from customer_bulk.schema import REPORT_COLUMNS, FieldSpec, HeaderMapping, Kind, Schema, header_token, schema_for
from customer_bulk.spreadsheet.reader import Table
from customer_bulk.validation import fold_value, folded_value_map

SAMPLES = 5  # values shown per column
LISTED_VALUES = 50  # distinct values of a choice column listed (the most frequent first)
COUNTED_VALUES = 2_000  # distinct values counted per column before the rest are only counted as "more"
SAMPLE_CHARS = 100


def choices_of(spec: FieldSpec) -> list[str] | None:
    """The values a choice column may hold, in the current language (None: not a choice column)."""
    if spec.kind is Kind.CHOICE:
        return list(spec.choices)
    if spec.kind is Kind.YES_NO:
        return [_(YES_WORD), _(NO_WORD)]
    return None


def _accepted(spec: FieldSpec, value: str) -> bool:
    if spec.kind is Kind.CHOICE:
        return bool(normalize_choice.outcome(value, spec.choices)[0])
    return bool(normalize_bool.outcome(value)[0])


def review_of_table(
    job: ImportJob,
    table: Table,
    mapping: HeaderMapping,
    chosen_by: MatchedBy | None,
    value_map: dict[str, dict[str, str]],
) -> MappingReview:
    """Read the whole table once: each column's first values, and the distinct values of its choice columns."""
    schema = schema_for(job.settings, job.options.type)
    headers = table.headers
    choice_columns = {
        position: schema[name]
        for position, name in enumerate(mapping.fields)
        if name and choices_of(schema[name]) is not None
    }
    samples: list[list[str]] = [[] for _header in headers]
    counted: dict[int, Counter[str]] = {position: Counter() for position in choice_columns}
    more: Counter[int] = Counter()
    rows = 0
    for _number, cells in table.rows:
        rows += 1
        for position, cell in enumerate(cells[: len(headers)]):
            value = cell.strip()
            if not value:
                continue
            if len(samples[position]) < SAMPLES:
                samples[position].append(value[:SAMPLE_CHARS])
            if position in counted:
                values = counted[position]
                if value in values or len(values) < COUNTED_VALUES:
                    values[value] += 1
                else:
                    more[position] += 1
    columns = [
        _column(schema, position, header, mapping.fields[position], chosen_by, samples[position])
        for position, header in enumerate(headers)
    ]
    for position, spec in choice_columns.items():
        pairs = folded_value_map(value_map.get(spec.name, {}))
        listed = counted[position].most_common(LISTED_VALUES)
        columns[position].allowed = choices_of(spec)
        columns[position].values = [
            ValueCount(value=value, rows=count, accepted=_accepted(spec, value), maps_to=pairs.get(fold_value(value)))
            for value, count in listed
        ]
        columns[position].more_values = len(counted[position]) - len(listed) + more[position]
    return MappingReview(
        job_id=job.job_id,
        file_name=job.file_name,
        sheet_name=table.sheet_name,
        header_row=table.header_row,
        rows_total=rows,
        columns=columns,
        fields=[FieldOption(name=spec.name, label=spec.label, allowed=choices_of(spec)) for spec in schema.fields],
        notes=mapping.notes,
    )


def _column(
    schema: Schema, position: int, header: str, name: str | None, chosen_by: MatchedBy | None, samples: list[str]
) -> ColumnReview:
    suggestion = None
    if name is not None:
        matched_by = chosen_by or MatchedBy.HEADER
    elif header.strip() and header_token(header) not in _REPORT_TOKENS and (suggestion := schema.suggest(header)):
        matched_by = MatchedBy.SUGGESTED
    else:
        matched_by = MatchedBy.NONE
    return ColumnReview(
        position=position,
        header=header,
        field=name,
        matched_by=matched_by,
        confidence=CONFIDENCE[matched_by],
        suggestion=suggestion,
        samples=samples,
    )


_REPORT_TOKENS = {header_token(name) for name in REPORT_COLUMNS}


def save_review(stores: Stores, job: ImportJob, review: MappingReview) -> None:
    stores.files.put_json(JobPaths(job.tenant_id, job.job_id).mapping_review, review.model_dump(mode="json"))


def mapping_review(stores: Stores, tenant_id: str, job_id: str) -> MappingReview:
    """The review of an import started with ``review_mapping`` (also after the admin went on: what was shown)."""
    job = require_import(stores, tenant_id, job_id)
    data = stores.files.get_json(JobPaths(tenant_id, job_id).mapping_review) if job.options.review_mapping else None
    if data is None:
        if job.options.review_mapping and job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING):
            raise ConflictError(_("The file is still being read; its mapping can be reviewed once it is mapped."))
        raise NotFoundError(_("Import {job_id} has no mapping review (start it with review_mapping).", job_id=job_id))
    review = MappingReview.model_validate(data)
    review.reviewable_until = job.preview_expires_at if job.status is JobStatus.MAPPED else None
    return review


def go_on(stores: Stores, tenant_id: str, job_id: str, decision: MappingDecision, now: datetime) -> ImportJob:
    """The admin's mapping and values, checked, remembered for the tenant, and the import on its way: the file is
    split again with them and previewed or applied (``decision.preview``)."""
    job = require_import(stores, tenant_id, job_id)
    if job.status is not JobStatus.MAPPED:
        raise ConflictError(
            _(
                "Import {job_id} is not waiting for a mapping review (it is {status}).",
                job_id=job_id,
                status=job.status.value,
            )
        )
    with speaking(job.language):
        schema = schema_for(job.settings, job.options.type)
        _check_decision(decision, job.headers, schema)
    values = {field: dict(pairs) for field, pairs in decision.values.items() if pairs}
    options = job.options.model_copy(
        update={"mapping": dict(decision.mapping), "values": values or None, "preview": decision.preview}
    )
    if values:
        stores.jobs.remember_values(tenant_id, values, now)
    job = stores.jobs.transition(
        tenant_id, job_id, JobStatus.SPLITTING, (JobStatus.MAPPED,), now,
        options=options.model_dump(mode="json"), phase=(Phase.PREVIEW if decision.preview else Phase.APPLY).value,
        mapping_reviewed_at=now.isoformat(),
    )  # fmt: skip
    stores.upload_queue.resend(job.upload_key, job.upload_size)
    return job


def _check_decision(decision: MappingDecision, headers: Iterable[str], schema: Schema) -> None:
    known_headers = set(headers)
    unknown_headers = sorted(header for header in decision.mapping if header not in known_headers)
    if unknown_headers:
        raise BadRequestError(
            _("The mapping names columns the file does not have: {headers}.", headers=", ".join(unknown_headers))
        )
    unknown = sorted({name for name in decision.mapping.values() if name and name not in schema})
    if unknown:
        raise BadRequestError(
            _(
                "The mapping names unknown fields ({unknown}); the fields are: {fields}.",
                unknown=", ".join(unknown),
                fields=", ".join(spec.name for spec in schema.fields),
            )
        )
    for name, pairs in decision.values.items():
        allowed = choices_of(schema[name]) if name in schema else None
        if allowed is None:
            raise BadRequestError(_("Values can be mapped for choice fields only; {field} is not one.", field=name))
        refused = sorted(value for value in pairs.values() if not _accepted(schema[name], value))
        if refused:
            raise BadRequestError(
                _(
                    "{field} cannot take {values}; its values are: {allowed}.",
                    field=schema[name].label,
                    values=", ".join(f'"{value}"' for value in refused),
                    allowed=", ".join(allowed),
                )
            )
