"""The one place that reads the wall clock, so logic receives ``now`` and tests can pin it."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
