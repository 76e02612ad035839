"""Opening balances (Haraloyalty): an existing member's past spend becomes loyalty points.

A row must name one existing customer by phone AND email (both normalised). Its opening spend (DTDauKy) is
converted into points by the tenant's earn rule and becomes the member's balance; its cumulative spend (DTTichLuy)
is recorded as the opening entry of the purchase history. Importing the same balance twice changes nothing the
second time, and the applied decision keeps the before-image, so a rollback gives the old points back.
"""

from collections.abc import Iterable
from typing import Any

from customer_bulk.i18n import _
from customer_bulk.logic.matching import CustomerView, DecisionContext, apply_values, not_as_previewed
from customer_bulk.models.customer import Customer
from customer_bulk.models.decisions import ChunkDecision, RowOutcome, Status
from customer_bulk.models.tenant import EarnRule
from customer_bulk.storage_layout import key_address
from customer_bulk.validation import Issue, ValidatedRow

OPENING_ENTRY = "opening_balance"


def decide_balances(
    rows: Iterable[ValidatedRow], view: CustomerView, context: DecisionContext, earn_rule: EarnRule
) -> ChunkDecision:
    outcomes = [_decide_balance(row, view, context, earn_rule) for row in rows]
    puts, deletes, before = view.writes()
    return ChunkDecision(outcomes=outcomes, puts=puts, deletes=deletes, before=before)


def _decide_balance(row: ValidatedRow, view: CustomerView, context: DecisionContext, rule: EarnRule) -> RowOutcome:
    warnings = [str(issue) for issue in row.warnings]
    if not row.is_valid:
        return RowOutcome(row.row, Status.INVALID, errors=[str(issue) for issue in row.errors], warnings=warnings)
    email, phone = row.values["email"], row.values["phone"]
    by_email = view.customer_at(key_address(context.tenant_id, "email", email))
    by_phone = view.customer_at(key_address(context.tenant_id, "phone", phone))
    if problem := _mismatch(email, phone, by_email, by_phone, context):
        return RowOutcome(row.row, Status.INVALID, errors=[str(problem)], warnings=warnings)
    assert by_email is not None
    if reason := context.changed_since_preview(row.row, by_email):
        return not_as_previewed(row.row, by_email.customer_id, by_email.version, reason, warnings)
    values = _balance_values(by_email, row.values, rule)
    return apply_values(row.row, by_email, values, set(), view, context, warnings)


def _mismatch(
    email: str, phone: str, by_email: Customer | None, by_phone: Customer | None, context: DecisionContext
) -> Issue | None:
    email_column, phone_column = context.column("email"), context.column("phone")
    both = _("{phone} and {email}", phone=phone_column, email=email_column)
    if by_email is None and by_phone is None:
        return Issue(
            both,
            _("no member has this phone or this email; add the customer first, then import the opening balance"),
        )
    if by_email is None:
        return Issue(
            email_column,
            _('"{email}" is not the email of the member with this phone ({phone})', email=email, phone=phone),
        )
    if by_phone is None:
        return Issue(
            phone_column,
            _('"{phone}" is not the phone of the member with this email ({email})', phone=phone, email=email),
        )
    if by_email.customer_id != by_phone.customer_id:
        return Issue(
            both,
            _(
                '"{phone}" and "{email}" belong to two different members; the phone and the email must be one '
                "member's",
                phone=phone,
                email=email,
            ),
        )
    return None


def _balance_values(member: Customer, values: dict[str, Any], rule: EarnRule) -> dict[str, Any]:
    opening = values["opening_spend"]
    cumulative = values.get("cumulative_spend", member.get("cumulative_spend", opening))
    history = [entry for entry in member.get("purchase_history") or [] if entry.get("kind") != OPENING_ENTRY]
    return {
        "loyalty_points": rule.points_for(opening),
        "opening_spend": opening,
        "cumulative_spend": cumulative,
        "purchase_history": [{"kind": OPENING_ENTRY, "amount": cumulative}, *history],
    }
