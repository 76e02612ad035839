"""Typed errors. The API maps them to HTTP answers in one place (functions/api); messages are user-facing, said
(``customer_bulk.i18n._``) in the language in force where they are raised: the API request's, or the job's."""

from datetime import datetime

from customer_bulk.i18n import SOURCE_LANGUAGE, current_language, moment


class CustomerBulkError(Exception):
    """Base class: the message is safe to show to the tenant that caused it."""


class BadRequestError(CustomerBulkError):
    """The request itself is wrong (a missing or malformed option)."""


class NotFoundError(CustomerBulkError):
    """No such job for this tenant (also what another tenant's job looks like)."""


class ConflictError(CustomerBulkError):
    """The job is not in a state that allows this action."""


class PreconditionFailed(CustomerBulkError):
    """The client's copy (its If-Match ETag) is no longer the stored one."""


class MailRefused(CustomerBulkError):
    """The mail service refused this message for good (an unverified sender, a rejected message): retrying
    sends nothing, so the job records it instead."""


class TemporaryFailure(CustomerBulkError):
    """Our side failed (the job records why); trying again later may work."""


class FileRejected(CustomerBulkError):
    """The whole file is refused before anything is written; ``code`` is stable, the message says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def utc_time(at: datetime) -> str:
    """A deadline as a message says it: in English as it always was (``2026-12-09 08:00 UTC``, which clients and
    tests read), in the other languages the locale's way (in UTC, the zone said)."""
    if current_language() == SOURCE_LANGUAGE:
        return f"{at:%Y-%m-%d %H:%M} UTC"
    return moment(at)
