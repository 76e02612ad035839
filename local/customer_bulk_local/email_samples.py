"""One notice of every kind the notifier sends, for looking at the emails: the rendering test renders each in a real
browser, and ``python -m customer_bulk_local.screenshots`` takes their pictures for the docs.

The values are long on purpose (a long Vietnamese file name, a presigned link of about 600 characters without a
space, five-digit counts, notes) so that a layout that overflows a phone's screen shows it. Everything is fixed, the
clock included, so the same notice renders the same way every time.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from customer_bulk.i18n import LANGUAGES, Language, _, speaking
from customer_bulk.models.export import ExportLink
from customer_bulk.models.job import Counts, RollbackCounts
from customer_bulk.models.notice import Notice
from customer_bulk.report_names import diff_report_name, error_report_name, rollback_report_name

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
TENANT = "shop-hoa-mai-quan-1"
ADMIN = "nguyen.thi.thu.trang@hoamai-cosmetics.example"
# A file name as admins write them: long, accented, with spaces and brackets.
LONG_FILE = "Danh sách khách hàng tháng 11 năm 2026 - chi nhánh Hồ Chí Minh (bản cuối cùng).xlsx"
SHORT_FILE = "khach-hang-thang-11.xlsx"
BALANCES_FILE = "Số dư điểm tích lũy thành viên Haraloyalty - đầu kỳ 01-12-2026.xlsx"
# Where each language's tenants usually are: the time in the notice is shown in that zone.
ZONES: dict[Language, str] = {
    "vi": "Asia/Ho_Chi_Minh",
    "en": "Asia/Ho_Chi_Minh",
    "it": "Europe/Rome",
    "da": "Europe/Copenhagen",
}
# The notes and errors the product really writes (said in each sample's language), by the name samples use.
SAID: dict[str, tuple[str, dict[str, str]]] = {
    "mapping": ("The column mapping chosen for your last file with these columns was used again.", {}),
    "ignored": (
        "Columns not imported (not customer fields): {columns}.",
        {
            "columns": '"Ghi chú nội bộ của nhân viên bán hàng", "Mã_khách_hàng_trên_hệ_thống_cũ_KiotViet_2019", '
            '"Người giới thiệu"'
        },
    ),
    "no_key": (
        "The file has no Email or Phone column, so no row could be matched to a customer "
        "(header row {row}: {headers}).",
        {"row": "1", "headers": '"Họ tên", "Địa chỉ giao hàng", "Ghi chú"'},
    ),
    "import_failed": (
        "The import could not be completed because of an internal error. Customers already applied "
        "stay applied; import the file again to finish it.",
        {},
    ),
    "rollback_failed": (
        "The rollback could not be completed because of an internal error. Customers already restored stay "
        "restored; roll the import back again to finish it.",
        {},
    ),
    "export_failed": ("The export could not be completed because of an internal error. Please start it again.", {}),
}
MAPPING_NOTE, IGNORED_NOTE = "mapping", "ignored"


@dataclass(frozen=True, slots=True)
class Sample:
    """A notice to look at, and the name its pictures and test cases go by (``<name>-<language>``)."""

    name: str
    notice: Notice

    @property
    def buttons(self) -> int:
        """How many download buttons the email has."""
        return len(self.notice.files) if self.notice.kind == "export" else int(self.notice.report_url is not None)

    @property
    def shows_counts(self) -> bool:
        """Whether the email has a table of counts (a phase that ended, not a job that stopped)."""
        return self.notice.kind != "export" and self.notice.status not in ("rejected", "failed")


def presigned_url(key: str) -> str:
    """A download link of the length a presigned S3 GET has (about 600 characters, no spaces), made up but stable."""
    host = "customer-bulk-files-123456789012-ap-southeast-1.s3.ap-southeast-1.amazonaws.com"
    digest = hashlib.sha256(key.encode()).hexdigest()
    token = hashlib.sha512(key.encode()).hexdigest()
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=ASIAZ3EXAMPLE7QK4M2N%2F20261123%2Fap-southeast-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20261123T083000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host"
        f"&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE{token[:96]}"
        f"&X-Amz-Signature={digest}"
    )
    return f"https://{host}/{quote(key)}?{query}"


def _report(job_id: str, name: str) -> tuple[str, str]:
    return presigned_url(f"jobs/{TENANT}/{job_id}/reports/{name}"), name


def _import(job_id: str, file_name: str = LONG_FILE, **fields: object) -> Notice:
    values: dict[str, object] = {
        "kind": "import",
        "tenant_id": TENANT,
        "job_id": job_id,
        "to": [ADMIN],
        "file_name": file_name,
        "ended_at": NOW,
        **fields,
    }
    return Notice.model_validate(values)


def _export_files(export_id: str, rows: int, parts: int) -> list[ExportLink]:
    per_part = -(-rows // parts)
    links = []
    for part in range(parts):
        first = part * per_part + 1
        count = min(per_part, rows - part * per_part)
        suffix = f"-part-{part + 1}-of-{parts}" if parts > 1 else ""
        name = f"customers-2026-11-23-{export_id[-6:].lower()}{suffix}.xlsx"
        links.append(
            ExportLink(
                file_name=name,
                rows=count,
                first_row=first,
                last_row=first + count - 1,
                size_bytes=count * 187 + 9_216,
                url=presigned_url(f"exports/{TENANT}/{export_id}/files/{name}"),
            )
        )
    return links


def _export(export_id: str, rows: int, parts: int, **fields: object) -> Notice:
    files = _export_files(export_id, rows, parts) if parts else []
    values: dict[str, object] = {
        "kind": "export",
        "tenant_id": TENANT,
        "job_id": export_id,
        "to": [ADMIN],
        "file_name": files[0].file_name if files else "customers",
        "status": "completed",
        "rows_total": rows,
        "files": files,
        "ended_at": NOW,
        **fields,
    }
    return Notice.model_validate(values)


def _all() -> list[Sample]:
    errors_url, errors_name = _report("01KAQ3M7ZC5X9T2V8B4N6R1HJD", error_report_name(LONG_FILE))
    diff_url, diff_name = _report("01KAQ4B2WD7Y3S9QF5T8M0XKPE", diff_report_name(LONG_FILE))
    balances_url, balances_name = _report("01KAQ5C8HN2R6V4Z1J9G3TDWQA", error_report_name(BALANCES_FILE))
    rollback_url, rollback_name = _report("01KAQ6D4FP8T0X5B7K2M9RNZSC", rollback_report_name(LONG_FILE))
    return [
        Sample(
            "import-finished",
            _import(
                "01KAQ2K9XB4W7R3T6N8P0M5HCF",
                SHORT_FILE,
                status="completed",
                rows_total=2_500,
                counts=Counts(created=1_834, updated=612, unchanged=54, flow_events=2_446),
            ),
        ),
        Sample(
            "import-rows-to-fix",
            _import(
                "01KAQ3M7ZC5X9T2V8B4N6R1HJD",
                status="completed",
                rows_total=48_730,
                previewed=True,
                counts=Counts(
                    created=31_204,
                    updated=15_877,
                    unchanged=1_203,
                    skipped=118,
                    stale=7,
                    invalid=316,
                    not_processed=5,
                    warnings=1_042,
                    flow_events=47_081,
                ),
                notes=[MAPPING_NOTE, IGNORED_NOTE],
                report_url=errors_url,
                report_name=errors_name,
            ),
        ),
        Sample(
            "opening-balance-finished",
            _import(
                "01KAQ5C8HN2R6V4Z1J9G3TDWQA",
                BALANCES_FILE,
                import_type="opening_balance",
                status="completed",
                rows_total=12_480,
                counts=Counts(updated=12_391, unchanged=76, invalid=13),
                report_url=balances_url,
                report_name=balances_name,
            ),
        ),
        Sample(
            "preview-ready",
            _import(
                "01KAQ4B2WD7Y3S9QF5T8M0XKPE",
                kind="preview",
                status="previewed",
                rows_total=48_730,
                counts=Counts(created=31_204, updated=15_877, unchanged=1_203, skipped=118, stale=12, invalid=316),
                expires_at=NOW + timedelta(days=3),
                notes=[MAPPING_NOTE],
                report_url=diff_url,
                report_name=diff_name,
            ),
        ),
        Sample(
            "rollback-done",
            _import(
                "01KAQ2K9XB4W7R3T6N8P0M5HCF",
                SHORT_FILE,
                kind="rollback",
                status="rolled_back",
                rows_total=2_500,
                rollback_counts=RollbackCounts(restored=612, removed=1_834),
            ),
        ),
        Sample(
            "rollback-left-alone",
            _import(
                "01KAQ6D4FP8T0X5B7K2M9RNZSC",
                kind="rollback",
                status="rolled_back",
                rows_total=48_730,
                rollback_counts=RollbackCounts(restored=15_690, removed=31_150, left_alone=241, not_processed=3),
                report_url=rollback_url,
                report_name=rollback_name,
            ),
        ),
        Sample(
            "import-rejected",
            _import(
                "01KAQ7E1GQ3V9Y6C0M4N8SPTRB",
                status="rejected",
                error="no_key",
            ),
        ),
        Sample(
            "import-failed",
            _import(
                "01KAQ8F5HR7W1Z3D9N6P2TQVXC",
                status="failed",
                rows_total=48_730,
                counts=Counts(created=20_117, updated=9_433, unchanged=802),
                error="import_failed",
                notes=[MAPPING_NOTE],
            ),
        ),
        Sample(
            "preview-failed",
            _import(
                "01KAQ9G6JS8X2A4E0P7Q3VRWYD",
                kind="preview",
                status="failed",
                rows_total=48_730,
                error="import_failed",
            ),
        ),
        Sample(
            "rollback-failed",
            _import(
                "01KAQAH7KT9Y3B5F1Q8R4WSXZE",
                kind="rollback",
                status="failed",
                rows_total=48_730,
                rollback_counts=RollbackCounts(restored=8_004, removed=12_950),
                error="rollback_failed",
            ),
        ),
        Sample("export-ready", _export("01KAQBJ8MV0Z4C6G2R9S5XTY0F", rows=8_412, parts=1)),
        Sample("export-ready-3-files", _export("01KAQCK9NW1A5D7H3S0T6YVZ1G", rows=75_318, parts=3)),
        Sample(
            "export-failed",
            _export(
                "01KAQDM0PX2B6E8J4T1V7ZW02H",
                rows=75_318,
                parts=0,
                status="failed",
                error="export_failed",
            ),
        ),
    ]


SAMPLES: tuple[Sample, ...] = tuple(_all())
NAMES: tuple[str, ...] = tuple(sample.name for sample in SAMPLES)


def in_language(sample: Sample, language: Language) -> Notice:
    """The sample's notice as a job started in ``language`` (and a tenant in that language's zone) gets it: its
    notes and error said in that language, as the job would have written them."""
    notice = sample.notice
    with speaking(language):
        notes = [_(SAID[name][0], **SAID[name][1]) for name in notice.notes]
        error = _(SAID[notice.error][0], **SAID[notice.error][1]) if notice.error else None
    return notice.model_copy(
        update={"language": language, "zone": ZONES.get(language, "UTC"), "notes": notes, "error": error}
    )


def every_notice() -> list[tuple[Sample, Language, Notice]]:
    """Every sample in every language."""
    return [(sample, language, in_language(sample, language)) for sample in SAMPLES for language in LANGUAGES]
