"""The jobs table: import jobs and tenant settings, both under the tenant's partition (``TENANT#{id}``)."""

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.dynamo import from_attributes, to_attributes
from customer_bulk.errors import ConflictError, NotFoundError
from customer_bulk.i18n import _
from customer_bulk.models.api import HISTORY_CURSOR_PATTERN, HISTORY_MAX_LIMIT
from customer_bulk.models.export import EXPORT_LIFECYCLE, ExportJob, ExportPart, ExportStatus
from customer_bulk.models.job import (
    IMPORT_LIFECYCLE,
    ChunkProgress,
    Counts,
    ImportJob,
    JobStatus,
    Phase,
    RollbackCounts,
)
from customer_bulk.models.tenant import TenantSettings

ACTIVE_INDEX = "ByActivity"
# Each phase keeps its counters in top-level attributes, so one UpdateItem can ADD to them atomically.
_PHASE_PREFIX = {Phase.APPLY: "", Phase.PREVIEW: "preview_", Phase.ROLLBACK: "rollback_"}
_PHASE_COUNTS = {Phase.APPLY: "counts", Phase.PREVIEW: "preview_counts", Phase.ROLLBACK: "rollback_counts"}
_COUNT_MODELS: dict[Phase, type[Counts] | type[RollbackCounts]] = {
    Phase.APPLY: Counts,
    Phase.PREVIEW: Counts,
    Phase.ROLLBACK: RollbackCounts,
}


def _count_attribute(phase: Phase, name: str) -> str:
    return f"{_PHASE_PREFIX[phase]}n_{name}"


def _set_attributes(phase: Phase) -> tuple[str, str]:
    prefix = _PHASE_PREFIX[phase]
    return f"{prefix}done_chunks", f"{prefix}failed_chunks"


def _key(tenant_id: str, sort_key: str) -> dict[str, Any]:
    return to_attributes({"pk": f"TENANT#{tenant_id}", "sk": sort_key})


def _job_sort_key(job_id: str) -> str:
    return f"JOB#{job_id}"


def job_to_item(job: ImportJob) -> dict[str, Any]:
    item = job.model_dump(mode="json", exclude={"progress", "applied_stamps", "undo_first", *_PHASE_COUNTS.values()})
    # String sets (the count ADDs to them), not the lists JSON makes of them.
    item.update(applied_stamps=set(job.applied_stamps), undo_first=set(job.undo_first))
    for phase, counts_field in _PHASE_COUNTS.items():
        counts = getattr(job, counts_field).model_dump()
        item.update({_count_attribute(phase, name): value for name, value in counts.items()})
        done, failed = _set_attributes(phase)
        progress = job.chunks(phase)
        item.update({done: set(progress.done), failed: set(progress.failed)})
    item["pk"], item["sk"] = f"TENANT#{job.tenant_id}", _job_sort_key(job.job_id)
    if not job.status.is_final:
        item["active_status"] = job.status.value  # sparse index of jobs that still have work to do
    return item


def _export_to_item(job: ExportJob) -> dict[str, Any]:
    # A selection's ids can outgrow an item (400 KB): they are kept in S3 beside the export's files.
    item = job.model_dump(mode="json", exclude={"parts_done": True, "request": {"scope": {"ids"}}})
    item.update(pk=f"TENANT#{job.tenant_id}", sk=f"EXPORT#{job.export_id}", parts_done=set(job.parts_done))
    return item


def item_to_job(item: dict[str, Any]) -> ImportJob:
    data = dict(item)
    progress = {}
    for phase, counts_field in _PHASE_COUNTS.items():
        model = _COUNT_MODELS[phase]
        data[counts_field] = model(**{name: item.get(_count_attribute(phase, name), 0) for name in model.model_fields})
        done, failed = _set_attributes(phase)
        progress[phase] = ChunkProgress(done=item.get(done, set()), failed=item.get(failed, set()))
    return ImportJob.model_validate({**data, "progress": progress})


class JobStore:
    def __init__(self, table: str) -> None:
        self.table = table

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("dynamodb")

    def create(self, job: ImportJob) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_attributes(job_to_item(job)),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, tenant_id: str, job_id: str) -> ImportJob | None:
        response = self.client.get_item(
            TableName=self.table, Key=_key(tenant_id, _job_sort_key(job_id)), ConsistentRead=True
        )
        return item_to_job(from_attributes(response["Item"])) if "Item" in response else None

    def require(self, tenant_id: str, job_id: str) -> ImportJob:
        """The tenant's job, or ``NotFoundError`` (another tenant's job does not exist for this one)."""
        job = self.get(tenant_id, job_id)
        if job is None:
            raise NotFoundError(_("No import {job_id}.", job_id=job_id))
        return job

    def transition(
        self,
        tenant_id: str,
        job_id: str,
        to: JobStatus,
        allowed_from: tuple[JobStatus, ...],
        now: datetime,
        remove: tuple[str, ...] = (),
        expect: Mapping[str, Any] | None = None,
        count: tuple[Phase, str, int] | None = None,
        **fields: Any,
    ) -> ImportJob:
        """Move a job to ``to`` only from one of ``allowed_from`` and while each ``expect`` attribute still holds
        its value; set ``fields`` (and ``count``: one count of a phase, (phase, name, value)), remove ``remove``.
        Raises ConflictError otherwise. ``allowed_from`` must be within the lifecycle (IMPORT_LIFECYCLE)."""
        illegal = set(allowed_from) - IMPORT_LIFECYCLE.get(to, frozenset())
        if illegal:
            raise ValueError(f"The import lifecycle has no step from {sorted(s.value for s in illegal)} to {to.value}")
        if count is not None:
            phase, name, value = count
            fields = {**fields, _count_attribute(phase, name): value}
        expected = dict(expect or {})
        values: dict[str, Any] = {":to": to.value, ":now": now.isoformat(), **{f":v_{k}": v for k, v in fields.items()}}
        values.update({f":e_{k}": v for k, v in expected.items()})
        names = {"#status": "status", **{f"#f_{k}": k for k in fields}, **{f"#r_{k}": k for k in remove}}
        names.update({f"#e_{k}": k for k in expected})
        sets = ["#status = :to", "updated_at = :now", *(f"#f_{k} = :v_{k}" for k in fields)]
        removes = [f"#r_{k}" for k in remove]
        if to.is_final:
            if to is not JobStatus.ROLLED_BACK:  # a rollback keeps the import's own finishing time
                sets.append("finished_at = :now")
            removes.append("active_status")
        else:
            sets.append("active_status = :to")
        remove_clause = " REMOVE " + ", ".join(removes) if removes else ""
        allowed = {f":from{i}": status.value for i, status in enumerate(allowed_from)}
        condition = " AND ".join([f"#status IN ({', '.join(allowed)})", *(f"#e_{k} = :e_{k}" for k in expected)])
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=_key(tenant_id, _job_sort_key(job_id)),
                UpdateExpression="SET " + ", ".join(sets) + remove_clause,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_attributes({**values, **allowed}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(
                    _("The import is not in a state that allows this ({status}).", status=to.value)
                ) from None
            raise
        return item_to_job(from_attributes(response["Attributes"]))

    def start_rollback(
        self,
        tenant_id: str,
        job_id: str,
        from_status: JobStatus,
        run: int,
        requested_by: str,
        now: datetime,
        remove: tuple[str, ...] = (),
    ) -> ImportJob:
        """Enter run ``run`` of the rollback phase with empty counters, only if the job is still in ``from_status``
        at the run before (so two requests cannot both start one)."""
        counters = tuple(_count_attribute(Phase.ROLLBACK, name) for name in RollbackCounts.model_fields)
        return self.transition(
            tenant_id,
            job_id,
            JobStatus.ROLLING_BACK,
            (from_status,),
            now,
            remove=(*remove, *_set_attributes(Phase.ROLLBACK), *counters, "rolled_back_at", "rollback_report_key"),
            expect={"rollback_runs": run - 1},
            phase=Phase.ROLLBACK.value,
            rollback_runs=run,
            rollback_requested_at=now.isoformat(),
            rollback_requested_by=requested_by,
        )

    def count_chunk(
        self,
        tenant_id: str,
        job_id: str,
        chunk: int,
        counts: Counts | RollbackCounts,
        now: datetime,
        phase: Phase = Phase.APPLY,
        failed: bool = False,
        order: tuple[set[str], set[str]] = (set(), set()),
    ) -> ImportJob | None:
        """Add one chunk's counts to its phase exactly once, and what an undo's order needs (``order``: its
        applied stamps and undo-first edges, ImportJob). None when the chunk was already counted or the job moved
        on (another phase, or finished)."""
        done_set, failed_set = _set_attributes(phase)
        adds = [f"{failed_set if failed else done_set} :chunk_set"]
        ordering = dict(zip(("applied_stamps", "undo_first"), order, strict=True))
        adds += [f"{name} :{name}" for name, strings in ordering.items() if strings]
        values: dict[str, Any] = {
            ":chunk_set": {chunk},
            ":chunk": chunk,
            ":running": phase.running_status.value,
            ":phase": phase.value,
            ":now": now.isoformat(),
            **{f":{name}": strings for name, strings in ordering.items() if strings},
        }
        for name, value in counts.model_dump().items():
            if value:
                adds.append(f"{_count_attribute(phase, name)} :{name}")
                values[f":{name}"] = value
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=_key(tenant_id, _job_sort_key(job_id)),
                UpdateExpression="ADD " + ", ".join(adds) + " SET updated_at = :now",
                ConditionExpression=(
                    f"#status = :running AND #phase = :phase AND NOT contains({done_set}, :chunk) "
                    f"AND NOT contains({failed_set}, :chunk)"
                ),
                ExpressionAttributeNames={"#status": "status", "#phase": "phase"},
                ExpressionAttributeValues=to_attributes(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return item_to_job(from_attributes(response["Attributes"]))

    def active_jobs_updated_before(self, status: JobStatus, before: datetime) -> list[tuple[str, str]]:
        """(tenant, job) of jobs in ``status`` untouched since ``before``: candidates for finalising."""
        found: list[tuple[str, str]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": ACTIVE_INDEX,
            "KeyConditionExpression": "active_status = :status AND updated_at < :before",
            "ExpressionAttributeValues": to_attributes({":status": status.value, ":before": before.isoformat()}),
        }
        while True:
            response = self.client.query(**kwargs)
            for raw in response.get("Items", []):
                item = from_attributes(raw)
                found.append((item["tenant_id"], item["job_id"]))
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def remembered_mapping(self, tenant_id: str, signature: str) -> dict[str, str | None] | None:
        response = self.client.get_item(TableName=self.table, Key=_key(tenant_id, f"MAPPING#{signature}"))
        if "Item" not in response:
            return None
        mapping: dict[str, str | None] = from_attributes(response["Item"])["mapping"]
        return {header: field or None for header, field in mapping.items()}

    def remember_mapping(self, tenant_id: str, signature: str, mapping: dict[str, str | None], now: datetime) -> None:
        item = {
            "pk": f"TENANT#{tenant_id}",
            "sk": f"MAPPING#{signature}",
            "mapping": {header: field or "" for header, field in mapping.items()},
            "updated_at": now.isoformat(),
        }
        self.client.put_item(TableName=self.table, Item=to_attributes(item))

    def remembered_values(self, tenant_id: str) -> dict[str, dict[str, str]]:
        """The tenant's value maps (field -> {value in a file: value stored}), as its admins last set them."""
        response = self.client.get_item(TableName=self.table, Key=_key(tenant_id, "VALUES"), ConsistentRead=True)
        return from_attributes(response["Item"])["values"] if "Item" in response else {}

    def remember_values(self, tenant_id: str, values: dict[str, dict[str, str]], now: datetime) -> None:
        """Merged into what is remembered, field by field (a later admin's choice for a value wins)."""
        merged = self.remembered_values(tenant_id)
        for field, pairs in values.items():
            merged[field] = {**merged.get(field, {}), **pairs}
        item = {"pk": f"TENANT#{tenant_id}", "sk": "VALUES", "values": merged, "updated_at": now.isoformat()}
        self.client.put_item(TableName=self.table, Item=to_attributes(item))

    def tenant_settings(self, tenant_id: str) -> TenantSettings:
        return self.tenant_settings_revision(tenant_id)[0]

    def tenant_settings_revision(self, tenant_id: str) -> tuple[TenantSettings, int]:
        """The stored settings (the defaults if none) and their revision (0: never stored)."""
        response = self.client.get_item(TableName=self.table, Key=_key(tenant_id, "SETTINGS"), ConsistentRead=True)
        if "Item" not in response:
            return TenantSettings(), 0
        item = from_attributes(response["Item"])
        return TenantSettings.model_validate(item.get("settings", {})), int(item.get("revision", 1))

    def put_tenant_settings(self, tenant_id: str, settings: TenantSettings, revision: int | None = None) -> int:
        """Store and return the new revision; with ``revision``, only if the stored one is still that one
        (``ConflictError`` otherwise), so two admins editing at once never overwrite each other unseen."""
        values = to_attributes({":settings": settings.model_dump(mode="json"), ":one": 1})
        condition: dict[str, str] = {}
        if revision == 0:
            condition["ConditionExpression"] = "attribute_not_exists(pk)"
        elif revision is not None:
            condition["ConditionExpression"] = "revision = :expected"
            values[":expected"] = {"N": str(revision)}
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key=_key(tenant_id, "SETTINGS"),
                UpdateExpression="SET settings = :settings ADD revision :one",
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
                **condition,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(_("The settings were changed by someone else since they were read.")) from None
            raise
        return int(from_attributes(response["Attributes"])["revision"])

    # ---------- exports ----------
    def create_export(self, job: ExportJob) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_attributes(_export_to_item(job)),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_export(self, tenant_id: str, export_id: str) -> ExportJob | None:
        response = self.client.get_item(
            TableName=self.table, Key=_key(tenant_id, f"EXPORT#{export_id}"), ConsistentRead=True
        )
        return ExportJob.model_validate(from_attributes(response["Item"])) if "Item" in response else None

    def require_export(self, tenant_id: str, export_id: str) -> ExportJob:
        export = self.get_export(tenant_id, export_id)
        if export is None:
            raise NotFoundError(_("No export {export_id}.", export_id=export_id))
        return export

    def save_export(self, job: ExportJob, was: ExportStatus) -> None:
        """Record the export's next step: only while it is still ``was`` (a concurrent step raises ConflictError),
        and only along EXPORT_LIFECYCLE."""
        if was not in EXPORT_LIFECYCLE.get(job.status, frozenset()):
            raise ValueError(f"The export lifecycle has no step from {was.value} to {job.status.value}")
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_attributes(_export_to_item(job)),
                ConditionExpression="#status = :was",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":was": {"S": was.value}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(_("The export is no longer {status}.", status=was.value)) from None
            raise

    def export_part_done(self, tenant_id: str, export_id: str, part: ExportPart, now: datetime) -> None:
        """Record a written part; parts are written in parallel, so each sets only its own entry."""
        self.client.update_item(
            TableName=self.table,
            Key=_key(tenant_id, f"EXPORT#{export_id}"),
            UpdateExpression="SET parts[" + str(part.part) + "] = :part, updated_at = :now ADD parts_done :done",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_attributes(
                {":part": part.model_dump(mode="json"), ":now": now.isoformat(), ":done": {part.part}}
            ),
        )

    def claim_notice(self, tenant_id: str, job_id: str, kind: str, notice: str, now: datetime) -> str | None:
        """Mark a notice as being sent. None: this call claimed it; otherwise what an earlier attempt recorded
        (its message id, or "sending" when it never confirmed: a crash mid-send counts as sent)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(tenant_id, self._notice_sort_key(job_id, kind)),
                UpdateExpression="SET #notice = :sending",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#notice)",
                ExpressionAttributeNames={"#notice": f"notice_{notice}"},
                ExpressionAttributeValues=to_attributes({":sending": f"sending since {now.isoformat()}"}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = self.client.get_item(
                TableName=self.table, Key=_key(tenant_id, self._notice_sort_key(job_id, kind)), ConsistentRead=True
            ).get("Item")
            return str(from_attributes(item or {}).get(f"notice_{notice}") or "missing job")
        return None

    def release_notice(self, tenant_id: str, job_id: str, kind: str, notice: str) -> None:
        """The send failed: a retry may send it."""
        self.client.update_item(
            TableName=self.table,
            Key=_key(tenant_id, self._notice_sort_key(job_id, kind)),
            UpdateExpression="REMOVE #notice",
            ExpressionAttributeNames={"#notice": f"notice_{notice}"},
        )

    def record_notice(
        self, tenant_id: str, job_id: str, message_id: str, now: datetime, kind: str = "import", notice: str = ""
    ) -> None:
        names = {"#notice": f"notice_{notice}"} if notice else {}
        self.client.update_item(
            TableName=self.table,
            Key=_key(tenant_id, self._notice_sort_key(job_id, kind)),
            UpdateExpression="SET notice_message_id = :id, notified_at = :now" + (", #notice = :id" if notice else ""),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_attributes({":id": message_id, ":now": now.isoformat()}),
            **({"ExpressionAttributeNames": names} if names else {}),
        )

    def record_notice_refused(
        self, tenant_id: str, job_id: str, kind: str, notice: str, reason: str, now: datetime
    ) -> None:
        """The mail service refused the notice for good: the job says so (the API shows it); never retried."""
        self.client.update_item(
            TableName=self.table,
            Key=_key(tenant_id, self._notice_sort_key(job_id, kind)),
            UpdateExpression="SET notice_error = :reason, #notice = :refused, updated_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#notice": f"notice_{notice}"},
            ExpressionAttributeValues=to_attributes(
                {":reason": reason, ":refused": f"refused: {reason}", ":now": now.isoformat()}
            ),
        )

    def settle_notice(self, tenant_id: str, job_id: str, kind: str, notice: str, outcome: str) -> None:
        """What became of a claimed notice or event (its claim said "sending since ...")."""
        self.client.update_item(
            TableName=self.table,
            Key=_key(tenant_id, self._notice_sort_key(job_id, kind)),
            UpdateExpression="SET #notice = :outcome",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#notice": f"notice_{notice}"},
            ExpressionAttributeValues=to_attributes({":outcome": outcome}),
        )

    # ---------- the tenant's webhook signing secret (docs/adr/0010) ----------
    def webhook_secret_nonce(self, tenant_id: str) -> tuple[str, datetime | None]:
        """(the nonce the tenant's secret is derived with, "" before any rotation; when it was last rotated)."""
        response = self.client.get_item(TableName=self.table, Key=_key(tenant_id, "WEBHOOK"), ConsistentRead=True)
        item = from_attributes(response.get("Item") or {})
        rotated = item.get("rotated_at")
        return str(item.get("nonce") or ""), datetime.fromisoformat(rotated) if rotated else None

    def rotate_webhook_secret(self, tenant_id: str, nonce: str, now: datetime) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_attributes(
                {"pk": f"TENANT#{tenant_id}", "sk": "WEBHOOK", "nonce": nonce, "rotated_at": now.isoformat()}
            ),
        )

    @staticmethod
    def _notice_sort_key(job_id: str, kind: str) -> str:
        return f"EXPORT#{job_id}" if kind == "export" else _job_sort_key(job_id)

    # ---------- history ----------
    def import_history(
        self,
        tenant_id: str,
        limit: int,
        after: str | None = None,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
    ) -> tuple[list[ImportJob], str | None]:
        """The tenant's imports, newest first: at most ``limit`` of them after the job ``after`` (a cursor), and
        the cursor of the next page (None: there is none)."""
        conditions = _History.filters({"status": statuses, "options.type": types})
        items, cursor = self._history(tenant_id, "JOB#", limit, after, conditions)
        return [item_to_job(item) for item in items], cursor

    def export_history(
        self, tenant_id: str, limit: int, after: str | None = None, statuses: Collection[str] = ()
    ) -> tuple[list[ExportJob], str | None]:
        """The tenant's exports, newest first; as ``import_history``."""
        items, cursor = self._history(tenant_id, "EXPORT#", limit, after, _History.filters({"status": statuses}))
        return [ExportJob.model_validate(item) for item in items], cursor

    def _history(
        self, tenant_id: str, prefix: str, limit: int, after: str | None, conditions: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Jobs come in sort-key order, which is creation order (ULIDs), read backwards. A filter is applied after
        DynamoDB reads (its ``Limit`` counts what it read, not what matched), so a filtered page reads on until it
        is full plus one (which tells whether there is a next page), the partition ends, or ``_History.READS``
        queries were made: then the page may come back short, its cursor after the last job read."""
        if not 1 <= limit <= HISTORY_MAX_LIMIT:
            raise ValueError(f"limit must be within 1..{HISTORY_MAX_LIMIT}")
        if after is not None and not _History.CURSOR.fullmatch(after):
            raise ValueError("a cursor is the id of a job")  # the API refuses any other before it comes here
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ScanIndexForward": False,
            "ConsistentRead": True,  # a job just started is listed
            **conditions,
        }
        query["ExpressionAttributeValues"] = to_attributes(
            {**conditions.get("ExpressionAttributeValues", {}), ":pk": f"TENANT#{tenant_id}", ":prefix": prefix}
        )
        found: list[dict[str, Any]] = []
        position = after
        for _read in range(_History.READS):
            if position is not None:
                query["ExclusiveStartKey"] = _key(tenant_id, prefix + position)
            wanted = limit + 1 - len(found)
            query["Limit"] = max(wanted, _History.BATCH) if conditions else wanted
            response = self.client.query(**query)
            for raw in response.get("Items", []):
                item = from_attributes(raw)
                if len(found) == limit:  # one more matches: there is a next page, after the last one listed
                    return found, str(found[-1]["sk"]).removeprefix(prefix)
                found.append(item)
            if "LastEvaluatedKey" not in response:
                return found, None
            position = str(from_attributes(response["LastEvaluatedKey"])["sk"]).removeprefix(prefix)
        return found, position


class _History:
    READS = 5  # queries one page may make when a filter skips jobs
    BATCH = 100  # jobs each of those reads (before the filter)
    CURSOR = re.compile(HISTORY_CURSOR_PATTERN)

    @staticmethod
    def filters(wanted: Mapping[str, Collection[str]]) -> dict[str, Any]:
        """A FilterExpression keeping the items whose attribute (a dotted path) holds one of the values wanted."""
        clauses: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        for position, (path, allowed) in enumerate(item for item in wanted.items() if item[1]):
            parts = path.split(".")
            names.update({f"#h{position}_{depth}": part for depth, part in enumerate(parts)})
            attribute = ".".join(f"#h{position}_{depth}" for depth in range(len(parts)))
            options = {f":h{position}_{index}": value for index, value in enumerate(sorted(set(allowed)))}
            values.update(options)
            clauses.append(f"{attribute} IN ({', '.join(options)})")
        if not clauses:
            return {}
        return {
            "FilterExpression": " AND ".join(clauses),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
