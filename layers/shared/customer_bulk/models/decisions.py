"""What a chunk decided: each row's outcome and the exact writes, recorded before anything is written so that a
redelivered chunk replays it (docs/adr/0003). Shared by the validator, the reports, previews and rollbacks."""

from dataclasses import dataclass, field
from typing import Any

from customer_bulk.models.job import Counts
from customer_bulk.storage_layout import Item, after_images


class Status:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    STALE = "stale"
    INVALID = "invalid"
    NOT_PROCESSED = "not_processed"


@dataclass(slots=True)
class RowOutcome:
    row: int
    status: str
    customer_id: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [old, new]
    seen_version: int | None = None  # the existing customer's version when the row was decided

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "status": self.status}
        for name in ("customer_id", "errors", "warnings", "changes", "seen_version"):
            if value := getattr(self, name):
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RowOutcome":
        return cls(**data)


@dataclass(slots=True)
class ChunkDecision:
    """Everything a chunk does, decided once and recorded before any write, so a redelivery replays it exactly."""

    outcomes: list[RowOutcome]
    puts: list[Item]
    deletes: list[str]
    before: dict[str, Item | None]  # what an undo restores: each address as it was before the import
    # What each write expects to find, where it differs from ``before`` (rows decided again after a conflict, over
    # items this decision had itself written): None when it does not.
    expected: dict[str, Item | None] | None = None

    @property
    def counts(self) -> Counts:
        counts = Counts()
        for outcome in self.outcomes:
            setattr(counts, outcome.status, getattr(counts, outcome.status) + 1)
            if outcome.warnings and outcome.status not in (Status.INVALID, Status.NOT_PROCESSED, Status.STALE):
                counts.warnings += 1
        return counts

    @property
    def conditions(self) -> dict[str, Item | None]:
        """What each write expects to find at its address."""
        return self.before if self.expected is None else self.expected

    @property
    def after(self) -> dict[str, Item | None]:
        """Each written address's new item (None: deleted)."""
        return after_images(self.puts, self.deletes)

    def merged(
        self,
        again: "ChunkDecision",
        rows: set[int],
        lost: set[str],
        still_ours: frozenset[str] | set[str] = frozenset(),
    ) -> "ChunkDecision":
        """This decision with ``rows`` decided ``again`` (their writes at ``lost`` were put back, except at
        ``still_ours``). An address this decision had written and kept keeps its before-image (the one an undo
        must restore), while a write of ``again`` there expects what ``again`` read: this decision's own write."""
        after = {address: item for address, item in self.after.items() if address not in lost}
        after.update(again.after)
        kept = {a: item for a, item in self.before.items() if a not in lost or a in still_ours}
        expected = {a: item for a, item in self.conditions.items() if a not in lost}
        outcomes = [o for o in self.outcomes if o.row not in rows] + again.outcomes
        return ChunkDecision(
            outcomes=sorted(outcomes, key=lambda outcome: outcome.row),
            puts=[item for item in after.values() if item is not None],
            deletes=[address for address, item in after.items() if item is None],
            before={**again.before, **kept},
            expected={**expected, **again.conditions},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "puts": self.puts,
            "deletes": self.deletes,
            "before": self.before,
            **({"expected": self.expected} if self.expected is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ChunkDecision":
        return cls(
            outcomes=[RowOutcome.from_json(item) for item in data["outcomes"]],
            puts=data["puts"],
            deletes=data["deletes"],
            before=data["before"],
            expected=data.get("expected"),
        )
