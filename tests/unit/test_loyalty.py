"""The earn rule that turns an opening spend into points (Haraloyalty: 1 point per 100,000 VND, rounded down)."""

import pytest
from pydantic import ValidationError

from customer_bulk.models.tenant import EarnRule, Rounding, TenantSettings


@pytest.mark.parametrize(
    ("amount", "rounding", "points"),
    [
        (1_550_000, Rounding.DOWN, 15),
        (1_550_000, Rounding.NEAREST, 16),
        (1_540_000, Rounding.NEAREST, 15),
        (1_500_001, Rounding.UP, 16),
        (300_000, Rounding.DOWN, 3),  # exactly 3: decimal arithmetic, never 2.999...
        (99_999, Rounding.DOWN, 0),
        (0, Rounding.UP, 0),
    ],
)
def test_points_follow_the_rule_and_its_rounding(amount: int, rounding: Rounding, points: int) -> None:
    assert EarnRule(rounding=rounding).points_for(amount) == points


def test_a_rule_can_give_several_points_per_step_and_count_cents() -> None:
    # In binary floating point 0.7 * 3 / 0.1 is 20.999999999999996 and 0.3 / 0.1 is 2.9999999999999996.
    assert EarnRule(spend=0.1, points=3).points_for(0.7) == 21
    assert EarnRule(spend=0.1, points=1).points_for(0.3) == 3


def test_undo_retention_is_one_of_the_windows_a_lifecycle_rule_keeps() -> None:
    assert TenantSettings().undo_retention_days == 30
    with pytest.raises(ValidationError, match="must be one of 7, 14, 30, 60, 90, 180, 365 days"):
        TenantSettings(undo_retention_days=45)
