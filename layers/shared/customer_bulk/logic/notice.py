"""The email an admin gets when a job ends: a status header, the counts at a glance, one button for the download,
what to do next, in the job's language.

Each kind of notice is first said as a ``Letter`` (words and figures, already translated), then written twice from
it: a plain-text part and an HTML part with inline CSS and table layout (what common mail clients render).
"""

import html
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import MailRefused
from customer_bulk.i18n import N_, _, moment, n_, number, speaking
from customer_bulk.masking import mask_text
from customer_bulk.models.job import Counts, JobStatus, RollbackCounts
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

JOB_HEADER = "X-Customer-Bulk-Job"

# The status header's colour: (band, text on it).
TONES = {
    "success": ("#1e7e34", "#ffffff"),
    "attention": ("#b45309", "#ffffff"),
    "error": ("#b91c1c", "#ffffff"),
    "info": ("#1d4ed8", "#ffffff"),
    "neutral": ("#475569", "#ffffff"),
}


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    subject: str
    text: str
    html: str


@dataclass(slots=True)
class Letter:
    """One notice, said: everything both parts show, translated and with the figures written the locale's way."""

    subject: str
    tone: str
    headline: str  # the status header: finished / finished with rows to fix / rejected / failed / preview ready
    opening: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value): the file, the time
    lines: list[tuple[str, int]] = field(default_factory=list)  # the counts
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (label, url, what it is: name, size)
    advice: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    footer: str = ""


def render(notice: Notice) -> RenderedNotice:
    with speaking(notice.language):
        letter = _letter(notice)
        return RenderedNotice(letter.subject, _text(letter), _html(letter, notice.language))


def _letter(notice: Notice) -> Letter:
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
    sender = get_settings().sender_email
    message_id = stores.mailer.send_raw(sender, notice.to, mime_message(notice, sender))
    metrics.add_metric(name="NoticesSent", unit=MetricUnit.Count, value=1)
    return message_id


def mime_message(notice: Notice, sender: str) -> bytes:
    """The notice as a MIME message: a text and an HTML part, UTF-8.

    Headers are encoded by ``email.header.Header``: the newer email API folds a long non-ASCII subject into encoded
    words and drops the space at each fold (Python 3.11), so "lan-1.xlsx - 0 khôi phục" would arrive as
    "lan-1.xlsx -0 khôi phục"."""
    rendered = render(notice)
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(rendered.subject, "utf-8")  # type: ignore[assignment]  # Message takes a Header
    message["From"] = sender
    message["To"] = ", ".join(notice.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="customer-bulk")
    message["Content-Language"] = notice.language
    message[JOB_HEADER] = notice.job_id
    message.attach(MIMEText(rendered.text, "plain", "utf-8"))
    message.attach(MIMEText(rendered.html, "html", "utf-8"))
    return message.as_bytes()


# ---------- what each kind says ----------


def _finished(notice: Notice) -> Letter:
    counts = notice.counts
    balances = notice.import_type == "opening_balance"
    subject = (
        _(
            "Opening balances imported: {file} - {updated} members updated, {unchanged} unchanged, {invalid} invalid",
            file=notice.file_name,
            updated=counts.updated,
            unchanged=counts.unchanged,
            invalid=counts.invalid,
        )
        if balances
        else _(
            "Import finished: {file} - {created} created, {updated} updated, {unchanged} unchanged, {invalid} invalid",
            file=notice.file_name,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            invalid=counts.invalid,
        )
    )
    stale = (
        _("Changed since the preview (not applied)")
        if notice.previewed
        else _("Changed since the export (not applied)")
    )
    lines = [
        (_("Rows in the file"), notice.rows_total),
        *([] if balances else [(_("Created"), counts.created)]),
        (_("Updated"), counts.updated),
        (_("Unchanged"), counts.unchanged),
        *([] if balances else [(_("Skipped (already existed)"), counts.skipped)]),
        *([(stale, counts.stale)] if counts.stale else []),
        (_("Invalid"), counts.invalid),
    ]
    if counts.not_processed:
        lines.append((_("Not processed"), counts.not_processed))
    if counts.warnings:
        lines.append((_("Imported with a field skipped"), counts.warnings))
    if counts.flow_events:
        lines.append((_("Automation events sent"), counts.flow_events))
    to_fix = bool(counts.invalid or counts.not_processed or counts.stale)
    opening = (
        _('Your opening balance import "{file}" has finished.', file=notice.file_name)
        if balances
        else _('Your customer import "{file}" has finished.', file=notice.file_name)
    )
    letter = Letter(
        subject=subject,
        tone="attention" if to_fix else "success",
        headline=_("Import finished with rows to fix") if to_fix else _("Import finished"),
        opening=opening,
        facts=_facts(notice),
        lines=lines,
        footer=_("Import job {job_id}", job_id=notice.job_id),
        notes=notice.notes,
    )
    if notice.report_url:
        _add_report(
            letter,
            notice,
            _(
                "The rows to look at are in {report}: invalid rows on the first sheet, with an Error column that "
                "says what to fix (fix them and import that file again as it is), and rows imported with a field "
                "skipped on the Warnings sheet.",
                report=notice.report_name,
            ),
        )
    else:
        letter.advice.append(_("Every row was imported."))
    letter.advice.append(_("The import can be rolled back: customers it changed get their previous values again."))
    return letter


def _previewed(notice: Notice) -> Letter:
    counts = notice.counts
    subject = _(
        "Preview ready: {file} - {created} new, {updated} changed, {unchanged} unchanged, {invalid} invalid",
        file=notice.file_name,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        invalid=counts.invalid,
    )
    deadline = moment(notice.expires_at, notice.zone) if notice.expires_at else _("the preview expires")
    letter = Letter(
        subject=subject,
        tone="info",
        headline=_("Preview ready"),
        opening=_('The preview of your import "{file}" is ready.', file=notice.file_name),
        facts=_facts(notice),
        lines=preview_lines(counts, notice.rows_total),
        advice=[
            _(
                "Nothing has been changed yet. Confirm the import before {deadline} to apply exactly these changes, "
                "or cancel it. Customers changed by someone else in the meantime are reported, not overwritten.",
                deadline=deadline,
            )
        ],
        notes=notice.notes,
        footer=_("Import job {job_id}", job_id=notice.job_id),
    )
    if notice.report_url:
        _add_report(
            letter,
            notice,
            _(
                "Every row and its changes are in {report}: new rows green, changed cells yellow (the current value "
                "in the cell's note), rows that would not be imported red with the reason.",
                report=notice.report_name,
            ),
        )
    return letter


# The preview's counts, as the email and the diff workbook's summary both say them (translated where said).
PREVIEW_LABELS = {
    "rows_total": N_("Rows in the file"),
    "created": N_("New customers"),
    "updated": N_("Changed customers"),
    "unchanged": N_("Unchanged"),
    "skipped": N_("Skipped (already existed)"),
    "stale": N_("Changed since the export"),
    "invalid": N_("Invalid"),
    "not_processed": N_("Not processed"),
}


def preview_lines(counts: Counts, rows_total: int) -> list[tuple[str, int]]:
    """What a preview found, as the email and the diff workbook's summary both say it."""
    figures = {"rows_total": rows_total, **counts.model_dump()}
    shown_if_any = ("stale", "not_processed")
    return [
        (_(label), figures[name]) for name, label in PREVIEW_LABELS.items() if name not in shown_if_any or figures[name]
    ]


def _rolled_back(notice: Notice) -> Letter:
    counts = notice.rollback_counts or RollbackCounts()
    subject = _(
        "Import rolled back: {file} - {restored} restored, {removed} removed, {left_alone} left alone",
        file=notice.file_name,
        restored=counts.restored,
        removed=counts.removed,
        left_alone=counts.left_alone,
    )
    lines = [
        (_("Restored to their previous values"), counts.restored),
        (_("Removed (created by the import)"), counts.removed),
        (_("Left alone (changed since the import)"), counts.left_alone),
    ]
    if counts.not_processed:
        lines.append((_("Not processed"), counts.not_processed))
    letter = Letter(
        subject=subject,
        tone="attention" if counts.left_alone or counts.not_processed else "neutral",
        headline=_("Import rolled back"),
        opening=_('Your import "{file}" has been rolled back.', file=notice.file_name),
        facts=_facts(notice),
        lines=lines,
        footer=_("Import job {job_id}", job_id=notice.job_id),
        notes=notice.notes,
    )
    if notice.report_url:
        _add_report(
            letter,
            notice,
            _(
                "Customers changed by someone else after the import were left as they are now; they are listed in "
                "{report} with what changed.",
                report=notice.report_name,
            ),
        )
    else:
        letter.advice.append(_("Every customer the import created or changed is as it was before the import."))
    return letter


def _rejected(notice: Notice) -> Letter:
    reason = notice.error or _("The file could not be imported.")
    return Letter(
        subject=_("Import rejected: {file}", file=notice.file_name),
        tone="error",
        headline=_("Import rejected"),
        opening=_('Your customer import "{file}" was rejected; no customer was changed.', file=notice.file_name),
        facts=_facts(notice),
        advice=[_("Reason: {reason}", reason=reason), _("Fix the file and upload it again.")],
        footer=_("Import job {job_id}", job_id=notice.job_id),
    )


def _failed(notice: Notice) -> Letter:
    reason = notice.error or _("The import could not be completed.")
    counts = notice.counts
    done = _(
        "{created} created and {updated} updated before it stopped.", created=counts.created, updated=counts.updated
    )
    if notice.kind == "preview":
        subject, headline = _("Preview failed: {file}", file=notice.file_name), _("Preview failed")
        opening = _('The preview of your import "{file}" failed.', file=notice.file_name)
        done = _("Nothing was changed.")
    elif notice.kind == "rollback":
        subject, headline = _("Rollback failed: {file}", file=notice.file_name), _("Rollback failed")
        opening = _('The rollback of your import "{file}" failed.', file=notice.file_name)
        if (rolled := notice.rollback_counts) is not None:
            done = _(
                "{restored} restored and {removed} removed before it stopped.",
                restored=rolled.restored,
                removed=rolled.removed,
            )
    else:
        subject, headline = _("Import failed: {file}", file=notice.file_name), _("Import failed")
        opening = _('Your customer import "{file}" failed.', file=notice.file_name)
    return Letter(
        subject=subject,
        tone="error",
        headline=headline,
        opening=opening,
        facts=_facts(notice),
        advice=[reason, done],
        notes=notice.notes,
        footer=_("Import job {job_id}", job_id=notice.job_id),
    )


def _export_ready(notice: Notice) -> Letter:
    files = notice.files
    customers = n_("{count} customer", "{count} customers", notice.rows_total)
    letter = Letter(
        subject=n_(
            "Customer export ready: {customers} in {count} file",
            "Customer export ready: {customers} in {count} files",
            len(files),
            customers=customers,
        ),
        tone="success",
        headline=_("Export ready"),
        opening=_("Your customer export is ready: {customers}.", customers=customers),
        facts=_facts(notice),
        advice=[
            _(
                "The links are valid for {days} days. Edit the files and import them again to update these "
                "customers; rows of customers changed in the meantime are reported, not overwritten.",
                days=notice.report_expires_days,
            )
        ],
        footer=_("Export {job_id}", job_id=notice.job_id),
    )
    for link in files:
        what = _(
            "rows {first} to {last} ({customers}, {size})",
            first=link.first_row,
            last=link.last_row,
            customers=n_("{count} customer", "{count} customers", link.rows),
            size=_size(link.size_bytes),
        )
        letter.buttons.append((link.file_name, link.url, what))
    return letter


def _export_failed(notice: Notice) -> Letter:
    return Letter(
        subject=_("Customer export failed"),
        tone="error",
        headline=_("Export failed"),
        opening=_("Your customer export failed."),
        facts=_facts(notice),
        advice=[notice.error or _("The export could not be completed.")],
        footer=_("Export {job_id}", job_id=notice.job_id),
    )


def _facts(notice: Notice) -> list[tuple[str, str]]:
    facts = [] if notice.kind == "export" else [(_("File"), notice.file_name)]
    if notice.ended_at is not None:
        facts.append((_("Time"), moment(notice.ended_at, notice.zone)))
    return facts


def _add_report(letter: Letter, notice: Notice, about: str) -> None:
    """What the phase's workbook holds, and the button that downloads it."""
    assert notice.report_url is not None
    letter.advice.append(about)
    valid = n_("link valid for {count} day", "link valid for {count} days", notice.report_expires_days)
    letter.buttons.append((_("Download {report}", report=notice.report_name or ""), notice.report_url, valid))


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{size} MB", size=round(size / 1024 / 1024, 1))
    return _("{size} KB", size=max(1, size // 1024))


# ---------- the two parts ----------


def _text(letter: Letter) -> str:
    lines = [letter.headline, "", letter.opening, ""]
    if letter.facts:
        lines += [f"{label}: {value}" for label, value in letter.facts] + [""]
    if letter.lines:
        width = max(len(label) for label, _value in letter.lines)
        lines += [f"  {label + ':':<{width + 1}} {number(value):>8}" for label, value in letter.lines] + [""]
    for label, url, what in letter.buttons:
        lines += [f"- {label}: {what}", f"  {url}"]
    if letter.buttons:
        lines.append("")
    lines += letter.advice
    if letter.notes:
        lines += ["", _("Notes:"), *(f"- {note}" for note in letter.notes)]
    lines += ["", letter.footer]
    return "\n".join(lines) + "\n"


_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


def _html(letter: Letter, language: str) -> str:
    band, ink = TONES[letter.tone]
    e = html.escape
    rows = [
        f"<tr><td style='padding:20px 24px;background:{band};color:{ink};font-size:20px;font-weight:600;"
        f"{_FONT}'>{e(letter.headline)}</td></tr>",
        f"<tr><td style='padding:20px 24px 8px;font-size:15px;line-height:1.5;color:#111827;{_FONT};"
        f"overflow-wrap:anywhere;word-break:break-word'>{e(letter.opening)}</td></tr>",
    ]
    if letter.facts:
        facts = "".join(
            f"<tr><td style='padding:2px 12px 2px 0;color:#6b7280;white-space:nowrap;vertical-align:top'>{e(label)}"
            f"</td><td style='padding:2px 0;color:#111827;overflow-wrap:anywhere;word-break:break-word'>{e(value)}"
            "</td></tr>"
            for label, value in letter.facts
        )
        rows.append(f"<tr><td style='padding:4px 24px 8px'>{_table(facts, 'font-size:14px')}</td></tr>")
    if letter.lines:
        counts = "".join(
            f"<tr><td style='padding:8px 12px;border-bottom:1px solid #e5e7eb;color:#374151'>{e(label)}</td>"
            f"<td style='padding:8px 12px;border-bottom:1px solid #e5e7eb;text-align:right;font-weight:600;"
            f"color:#111827;white-space:nowrap'>{e(number(value))}</td></tr>"
            for label, value in letter.lines
        )
        table = _table(counts, "width:100%;font-size:14px;border:1px solid #e5e7eb;border-radius:6px")
        rows.append(f"<tr><td style='padding:8px 24px 8px'>{table}</td></tr>")
    for label, url, what in letter.buttons:
        rows.append(
            "<tr><td style='padding:12px 24px 4px'>"
            f"<a href='{e(url, quote=True)}' style='display:inline-block;background:{band};color:{ink};"
            "text-decoration:none;padding:12px 20px;border-radius:6px;font-size:15px;font-weight:600;"
            f"max-width:100%;box-sizing:border-box;overflow-wrap:anywhere;word-break:break-word'>{e(label)}</a>"
            f"<div style='padding-top:4px;font-size:13px;color:#6b7280'>{e(what)}</div></td></tr>"
        )
    for paragraph in letter.advice:
        rows.append(
            f"<tr><td style='padding:8px 24px;font-size:14px;line-height:1.5;color:#374151;"
            f"overflow-wrap:anywhere;word-break:break-word'>{e(paragraph)}</td></tr>"
        )
    if letter.notes:
        items = "".join(f"<li style='margin:4px 0'>{e(note)}</li>" for note in letter.notes)
        rows.append(
            "<tr><td style='padding:8px 24px;font-size:14px;color:#374151;overflow-wrap:anywhere;"
            f"word-break:break-word'><b>{e(_('Notes:'))}</b>"
            f"<ul style='margin:4px 0;padding-left:20px'>{items}</ul></td></tr>"
        )
    rows.append(f"<tr><td style='padding:16px 24px 20px;font-size:12px;color:#9ca3af'>{e(letter.footer)}</td></tr>")
    card = (
        "<table role='presentation' width='100%' cellpadding='0' cellspacing='0' style='max-width:600px;"
        f"background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;border-collapse:separate;{_FONT}'>"
        + "".join(rows)
        + "</table>"
    )
    return (
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{e(letter.subject)}</title></head>"
        f"<body style='margin:0;padding:0;background:#f3f4f6;{_FONT}'>"
        "<table role='presentation' width='100%' cellpadding='0' cellspacing='0' style='background:#f3f4f6'>"
        f"<tr><td align='center' style='padding:24px 12px'>{card}</td></tr></table></body></html>"
    )


def _table(rows: str, style: str) -> str:
    return (
        f"<table role='presentation' cellpadding='0' cellspacing='0' style='border-collapse:collapse;{style}'>"
        f"{rows}</table>"
    )
