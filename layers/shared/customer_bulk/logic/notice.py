"""The email an admin gets when a job ends: counts, what to do next, and the link to the rows to fix."""

import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import MailRefused
from customer_bulk.masking import mask_text
from customer_bulk.models.job import Counts, JobStatus, RollbackCounts
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

JOB_HEADER = "X-Customer-Bulk-Job"


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    subject: str
    text: str
    html: str


def render(notice: Notice) -> RenderedNotice:
    if notice.kind == "export":
        return _export_failed(notice) if notice.status == "failed" else _export_ready(notice)
    if notice.status == JobStatus.REJECTED:
        return _rejected(notice)
    if notice.status == JobStatus.FAILED:
        return _failed(notice)
    if notice.kind == "preview":
        return _previewed(notice)
    if notice.kind == "rollback":
        return _rolled_back(notice)
    return _finished(notice)


def deliver_notice(stores: Stores, notice: Notice, now: datetime) -> str:
    """Send the notice exactly once per phase run: the state machine retries this task, and a retry after the
    mail went out (a timeout, a failed write of the message id) must not mail the admin twice."""
    jobs = stores.jobs
    earlier = jobs.claim_notice(notice.tenant_id, notice.job_id, notice.kind, notice.once_key, now)
    if earlier is not None:
        logger.info("Notice already sent", extra={"job_id": notice.job_id, "notice": notice.once_key})
        return earlier
    try:
        message_id = send_notice(stores, notice)
    except MailRefused as refused:
        logger.error(
            "Notice refused by the mail service", extra={"job_id": notice.job_id, "reason": mask_text(str(refused))}
        )
        jobs.record_notice_refused(notice.tenant_id, notice.job_id, notice.kind, notice.once_key, str(refused), now)
        return ""
    except Exception:
        jobs.release_notice(notice.tenant_id, notice.job_id, notice.kind, notice.once_key)
        raise
    jobs.record_notice(notice.tenant_id, notice.job_id, message_id, now, kind=notice.kind, notice=notice.once_key)
    return message_id


def send_notice(stores: Stores, notice: Notice) -> str:
    rendered = render(notice)
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = get_settings().sender_email
    message["To"] = ", ".join(notice.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="customer-bulk")
    message[JOB_HEADER] = notice.job_id
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message_id = stores.mailer.send_raw(get_settings().sender_email, notice.to, message.as_bytes())
    metrics.add_metric(name="NoticesSent", unit=MetricUnit.Count, value=1)
    return message_id


def _finished(notice: Notice) -> RenderedNotice:
    counts = notice.counts
    balances = notice.import_type == "opening_balance"
    what = "opening balance import" if balances else "customer import"
    subject = (
        f"Opening balances imported: {notice.file_name} - {counts.updated:,} members updated, "
        f"{counts.unchanged:,} unchanged, {counts.invalid:,} invalid"
        if balances
        else f"Import finished: {notice.file_name} - {counts.created:,} created, {counts.updated:,} updated, "
        f"{counts.unchanged:,} unchanged, {counts.invalid:,} invalid"
    )
    since = "the preview" if notice.previewed else "the export"
    lines = [
        ("Rows in the file", notice.rows_total),
        *([] if balances else [("Created", counts.created)]),
        ("Updated", counts.updated),
        ("Unchanged", counts.unchanged),
        *([] if balances else [("Skipped (already existed)", counts.skipped)]),
        *([(f"Changed since {since} (not applied)", counts.stale)] if counts.stale else []),
        ("Invalid", counts.invalid),
    ]
    if counts.not_processed:
        lines.append(("Not processed", counts.not_processed))
    if counts.warnings:
        lines.append(("Imported with a field skipped", counts.warnings))
    if counts.flow_events:
        lines.append(("Automation events sent", counts.flow_events))
    advice = _report_advice(notice)
    undo = ["The import can be rolled back: customers it changed get their previous values again."]
    return _counts_notice(notice, subject, f'Your {what} "{notice.file_name}" has finished.', lines, advice + undo)


def _previewed(notice: Notice) -> RenderedNotice:
    counts = notice.counts
    subject = (
        f"Preview ready: {notice.file_name} - {counts.created:,} new, {counts.updated:,} changed, "
        f"{counts.unchanged:,} unchanged, {counts.invalid:,} invalid"
    )
    lines = preview_lines(counts, notice.rows_total)
    deadline = f"{notice.expires_at:%Y-%m-%d %H:%M} UTC" if notice.expires_at else "the preview expires"
    advice = [
        f"Nothing has been changed yet. Confirm the import before {deadline} to apply exactly these changes, "
        "or cancel it. Customers changed by someone else in the meantime are reported, not overwritten.",
    ]
    if notice.report_url:
        advice += [
            f"Every row and its changes are in {notice.report_name}: new rows green, changed cells yellow (the "
            "current value in the cell's note), rows that would not be imported red with the reason.",
            f"Download (link valid for {notice.report_expires_days} days):",
            notice.report_url,
        ]
    return _counts_notice(notice, subject, f'The preview of your import "{notice.file_name}" is ready.', lines, advice)


def preview_lines(counts: Counts, rows_total: int) -> list[tuple[str, int]]:
    """What a preview found, as the email and the diff workbook's summary both say it."""
    lines = [
        ("Rows in the file", rows_total),
        ("New customers", counts.created),
        ("Changed customers", counts.updated),
        ("Unchanged", counts.unchanged),
        ("Skipped (already existed)", counts.skipped),
        *([("Changed since the export", counts.stale)] if counts.stale else []),
        ("Invalid", counts.invalid),
    ]
    return lines + ([("Not processed", counts.not_processed)] if counts.not_processed else [])


def _rolled_back(notice: Notice) -> RenderedNotice:
    counts = notice.rollback_counts or RollbackCounts()
    subject = (
        f"Import rolled back: {notice.file_name} - {counts.restored:,} restored, {counts.removed:,} removed, "
        f"{counts.left_alone:,} left alone"
    )
    lines = [
        ("Restored to their previous values", counts.restored),
        ("Removed (created by the import)", counts.removed),
        ("Left alone (changed since the import)", counts.left_alone),
    ]
    if counts.not_processed:
        lines.append(("Not processed", counts.not_processed))
    advice = ["Every customer the import created or changed is as it was before the import."]
    if notice.report_url:
        advice = [
            f"Customers changed by someone else after the import were left as they are now; they are listed in "
            f"{notice.report_name} with what changed.",
            f"Download (link valid for {notice.report_expires_days} days):",
            notice.report_url,
        ]
    return _counts_notice(notice, subject, f'Your import "{notice.file_name}" has been rolled back.', lines, advice)


def _counts_notice(
    notice: Notice, subject: str, opening: str, lines: list[tuple[str, int]], advice: list[str]
) -> RenderedNotice:
    """An email of counts, what to do next (with the report's link) and the job's notes, as text and HTML."""
    width = max(len(label) for label, _ in lines)
    text = [opening, ""]
    text += [f"  {label + ':':<{width + 1}} {value:>8,}" for label, value in lines]
    text += ["", *advice]
    if notice.notes:
        text += ["", "Notes:", *(f"- {note}" for note in notice.notes)]
    text += ["", f"Import job {notice.job_id}"]

    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'>{value:,}</td></tr>" for label, value in lines
    )
    body = [f"<p>{html.escape(opening)}</p>", f"<table cellpadding='4' style='border-collapse:collapse'>{rows}</table>"]
    if notice.report_url:
        link = html.escape(notice.report_url, quote=True)
        name = html.escape(notice.report_name or "")
        body.append(f"<p><a href='{link}'>Download {name}</a> (link valid for {notice.report_expires_days} days).</p>")
    body += [f"<p>{html.escape(line)}</p>" for line in advice if line and not line.startswith("http")]
    if notice.notes:
        body.append("<ul>" + "".join(f"<li>{html.escape(note)}</li>" for note in notice.notes) + "</ul>")
    body.append(f"<p style='color:#888'>Import job {notice.job_id}</p>")
    return RenderedNotice(subject, "\n".join(text) + "\n", _page(body))


def _report_advice(notice: Notice) -> list[str]:
    if not notice.report_url:
        return ["Every row was imported."]
    return [
        f"The rows to look at are in {notice.report_name}: invalid rows on the first sheet, with an Error column that "
        "says what to fix (fix them and import that file again as it is), and rows imported with a field skipped "
        "on the Warnings sheet.",
        f"Download (link valid for {notice.report_expires_days} days):",
        notice.report_url,
    ]


def _rejected(notice: Notice) -> RenderedNotice:
    reason = notice.error or "The file could not be imported."
    subject = f"Import rejected: {notice.file_name}"
    text = (
        f'Your customer import "{notice.file_name}" was rejected; no customer was changed.\n\n'
        f"Reason: {reason}\n\nFix the file and upload it again.\n\nImport job {notice.job_id}\n"
    )
    body = [
        f"<p>Your customer import <b>{html.escape(notice.file_name)}</b> was rejected; no customer was changed.</p>",
        f"<p><b>Reason:</b> {html.escape(reason)}</p><p>Fix the file and upload it again.</p>",
        f"<p style='color:#888'>Import job {notice.job_id}</p>",
    ]
    return RenderedNotice(subject, text, _page(body))


def _failed(notice: Notice) -> RenderedNotice:
    reason = notice.error or "The import could not be completed."
    counts = notice.counts
    done = f"{counts.created:,} created and {counts.updated:,} updated before it stopped."
    if notice.kind == "preview":
        done = "Nothing was changed."
    elif notice.kind == "rollback" and notice.rollback_counts is not None:
        rolled = notice.rollback_counts
        done = f"{rolled.restored:,} restored and {rolled.removed:,} removed before it stopped."
    what = {"preview": "The preview of your import", "rollback": "The rollback of your import"}.get(
        notice.kind, "Your customer import"
    )
    subject = {"preview": "Preview failed", "rollback": "Rollback failed"}.get(notice.kind, "Import failed")
    subject = f"{subject}: {notice.file_name}"
    text = f'{what} "{notice.file_name}" failed.\n\n{reason}\n{done}\n\nImport job {notice.job_id}\n'
    body = [
        f"<p>{html.escape(what)} <b>{html.escape(notice.file_name)}</b> failed.</p>",
        f"<p>{html.escape(reason)}</p><p>{html.escape(done)}</p>",
        f"<p style='color:#888'>Import job {notice.job_id}</p>",
    ]
    return RenderedNotice(subject, text, _page(body))


def _export_ready(notice: Notice) -> RenderedNotice:
    files = notice.files
    count = _customers(notice.rows_total)
    subject = f"Customer export ready: {count} in {len(files)} file{'s' if len(files) != 1 else ''}"
    text = [f"Your customer export is ready: {count}.", ""]
    for link in files:
        text += [
            f"- {link.file_name}: rows {link.first_row:,} to {link.last_row:,} ({_customers(link.rows)}, "
            f"{_size(link.size_bytes)})",
            f"  {link.url}",
        ]
    text += [
        "",
        f"The links are valid for {notice.report_expires_days} days. Edit the files and import them again to update "
        "these customers; rows of customers changed in the meantime are reported, not overwritten.",
        "",
        f"Export {notice.job_id}",
    ]
    rows = "".join(
        f"<tr><td><a href='{html.escape(link.url, quote=True)}'>{html.escape(link.file_name)}</a></td>"
        f"<td>rows {link.first_row:,} to {link.last_row:,}</td><td>{_size(link.size_bytes)}</td></tr>"
        for link in files
    )
    body = [
        f"<p>Your customer export is ready: <b>{count}</b>.</p>",
        f"<table cellpadding='4' style='border-collapse:collapse'>{rows}</table>",
        f"<p>The links are valid for {notice.report_expires_days} days.</p>",
        f"<p style='color:#888'>Export {notice.job_id}</p>",
    ]
    return RenderedNotice(subject, "\n".join(text) + "\n", _page(body))


def _export_failed(notice: Notice) -> RenderedNotice:
    reason = notice.error or "The export could not be completed."
    text = f"Your customer export failed.\n\n{reason}\n\nExport {notice.job_id}\n"
    body = [
        f"<p>Your customer export failed.</p><p>{html.escape(reason)}</p>",
        f"<p style='color:#888'>Export {notice.job_id}</p>",
    ]
    return RenderedNotice("Customer export failed", text, _page(body))


def _customers(count: int) -> str:
    return f"{count:,} customer{'s' if count != 1 else ''}"


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _page(body: list[str]) -> str:
    return "<!doctype html><html><body style='font-family:sans-serif'>" + "".join(body) + "</body></html>"
