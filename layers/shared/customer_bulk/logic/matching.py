"""Deciding what each row does to the customers: create, update, leave unchanged, skip or reject.

The customers' layout (``storage_layout``, docs/adr/0002) makes every key an exact primary key: one BatchGetItem
finds a chunk's customers by email and by phone, and a key can never belong to two customers. This module is pure:
it reads a view of those items and returns the outcomes plus the exact writes (and the before-image of everything
it touches), which the caller records before applying them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from customer_bulk.i18n import _
from customer_bulk.ids import new_id
from customer_bulk.models.customer import Customer
from customer_bulk.models.decisions import ChunkDecision, RowOutcome, Status
from customer_bulk.models.job import ImportOptions, MatchKey, TagsMode
from customer_bulk.storage_layout import (
    CUSTOMER,
    KEY_FIELDS,
    POINTER,
    Item,
    customer_item,
    customer_of,
    key_address,
    owner_of,
    pointer_item,
)
from customer_bulk.validation import NEW_CUSTOMER_IDS, Issue, ValidatedRow

DEFAULT_NO = ("accepts_email_marketing", "accepts_sms_marketing")  # empty means "no" for a new customer


def row_addresses(tenant_id: str, rows: Iterable[ValidatedRow]) -> set[str]:
    """Every key item a chunk must read: both keys of every valid row."""
    addresses = set()
    for row in rows:
        if row.is_valid:
            for key_field in ("email", "phone"):
                if value := row.values.get(key_field):
                    addresses.add(key_address(tenant_id, key_field, value))
    return addresses


def customer_keys(tenant_id: str, items: Iterable[Item]) -> set[str]:
    """Every key item of the customers among ``items``."""
    return {
        key_address(tenant_id, name, value)
        for item in items
        if item["kind"] == CUSTOMER
        for name in KEY_FIELDS
        if (value := item.get(name))
    }


class CustomerView:
    """Key items as this chunk sees them: what was read, updated by the chunk's own decisions as it goes.

    Deciding row by row against this view (not the stale read) keeps a chunk consistent with itself: a phone that
    row 3 takes from a customer is free for row 9.
    """

    def __init__(self, found: dict[str, Item], looked_up: Iterable[str]) -> None:
        self._original: dict[str, Item | None] = {address: found.get(address) for address in looked_up}
        self._original.update(found)
        self._current: dict[str, Item | None] = dict(self._original)
        self._touched: set[str] = set()
        self._homes = {item["customer_id"]: pk for pk, item in found.items() if item["kind"] == CUSTOMER}

    def customer_at(self, address: str) -> Customer | None:
        item = self._current.get(address)
        if item is not None and item["kind"] == POINTER:
            item = self._current.get(item["home"])
        return customer_of(item) if item is not None else None

    def customer_with_id(self, customer_id: str) -> Customer | None:
        home = self._homes.get(customer_id)
        item = self._current.get(home) if home else None
        return customer_of(item) if item is not None else None

    def home_of(self, customer: Customer) -> str:
        return self._homes[customer.customer_id]

    def owned_by_other(self, address: str, customer_id: str) -> bool:
        """Whether the key item at ``address`` (as the chunk sees it) belongs to a customer other than this one."""
        item = self._current.get(address)
        return item is not None and owner_of(item) != customer_id

    def put(self, item: Item) -> None:
        self._current[item["pk"]] = item
        self._touched.add(item["pk"])
        if item["kind"] == CUSTOMER:
            self._homes[item["customer_id"]] = item["pk"]

    def assume(self, address: str, item: Item) -> None:
        """What an unread key item must hold (a customer's other key is its pointer): so a decision records the
        right before-image for it, and does not rewrite it unchanged."""
        if address not in self._original:
            self._original[address] = item
            self._current.setdefault(address, item)

    def delete(self, address: str) -> None:
        if self._current.get(address) is not None or address in self._original:
            self._current[address] = None
            self._touched.add(address)

    def writes(self) -> tuple[list[Item], list[str], dict[str, Item | None]]:
        puts, deletes, before = [], [], {}
        for address in sorted(self._touched):
            now, then = self._current.get(address), self._original.get(address)
            if now == then:
                continue
            before[address] = then
            if now is None:
                deletes.append(address)
            else:
                puts.append(now)
        return puts, deletes, before


@dataclass(frozen=True, slots=True)
class Previewed:
    """What the preview decided for a row: whether it was to be applied, the customer it matched (None: a new one)
    at which version, and the keys a new customer was to get."""

    applicable: bool
    customer_id: str | None = None
    version: int | None = None
    new_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, outcome: RowOutcome) -> "Previewed":
        if outcome.status == Status.CREATED:
            return cls(True, new_keys=tuple(name for name in KEY_FIELDS if name in outcome.changes))
        if outcome.status in (Status.UPDATED, Status.UNCHANGED, Status.SKIPPED) and outcome.customer_id:
            return cls(True, outcome.customer_id, outcome.seen_version)
        return cls(False)  # invalid, stale or not processed in the preview: not to be applied now either


@dataclass(frozen=True, slots=True)
class DecisionContext:
    tenant_id: str
    job_id: str
    options: ImportOptions
    now: str  # ISO timestamp stamped on every write of the chunk
    column_names: dict[str, str]  # field -> header as uploaded, for messages
    make_id: Callable[[], str] = new_id
    # Confirming a preview: row -> what the preview showed; a row whose customer changed since is not applied.
    previewed: dict[int, Previewed] | None = None

    def column(self, name: str) -> str:
        return self.column_names.get(name, name.replace("_", " ").title())

    def changed_since_preview(self, row: int, target: Customer | None, taken: Iterable[str] = ()) -> str | None:
        """Why the row must not be applied as previewed, or None (``taken``: the row's keys that belong to a
        customer now). A customer this job itself wrote since (an earlier row of the same confirm) is not a change
        by someone else."""
        if self.previewed is None:
            return None
        seen = self.previewed.get(row)
        if seen is None:
            return _("the preview did not get to this row (its part of the file was not processed)")
        if not seen.applicable:
            return _("the preview did not show this row as one to import")
        if target is not None and target.updated_by_job == self.job_id:
            return None
        if target is None:
            if seen.customer_id is not None:
                return _("the customer this row matched in the preview no longer has this email or phone")
            if set(seen.new_keys) & set(taken):
                return _("a customer with this email or phone was added after the preview")
            return None
        if seen.customer_id is None:
            return _("a customer with this email or phone was added after the preview")
        if target.customer_id != seen.customer_id:
            return _("this email or phone belongs to another customer since the preview")
        if target.version != seen.version:
            return _(
                "this customer changed after the preview (version {then} then, {now} now)",
                then=str(seen.version),
                now=str(target.version),
            )
        return None


def decide_chunk(rows: Iterable[ValidatedRow], view: CustomerView, context: DecisionContext) -> ChunkDecision:
    outcomes = [_decide_row(row, view, context) for row in rows]
    puts, deletes, before = view.writes()
    return ChunkDecision(outcomes=outcomes, puts=puts, deletes=deletes, before=before)


def _decide_row(row: ValidatedRow, view: CustomerView, context: DecisionContext) -> RowOutcome:
    warnings = [str(issue) for issue in row.warnings]
    if not row.is_valid:
        return RowOutcome(row.row, Status.INVALID, errors=[str(issue) for issue in row.errors], warnings=warnings)

    tenant = context.tenant_id
    match_key = context.options.match_key
    values = dict(row.values)
    clears = set(row.clears)
    by_email = view.customer_at(key_address(tenant, "email", values["email"])) if "email" in values else None
    by_phone = view.customer_at(key_address(tenant, "phone", values["phone"])) if "phone" in values else None
    if match_key is MatchKey.CUSTOMER_ID:
        target = view.customer_with_id(row.id_to_match) if row.id_to_match else None
        if row.id_to_match and target is None:
            message = _(
                '"{id}" is not a customer of this account (write 0 or leave it empty to create a new customer)',
                id=row.id_to_match,
            )
            return RowOutcome(row.row, Status.INVALID, errors=[str(Issue(context.column("customer_id"), message))])
    else:
        target = _match(by_email, by_phone, match_key, has_email="email" in values)
        ref = row.customer_ref
        if ref and ref not in NEW_CUSTOMER_IDS and (target is None or ref != target.customer_id):
            values["external_id"] = ref  # an id from another system (a Shopify export, say)

    taken = [name for name, owner in (("email", by_email), ("phone", by_phone)) if owner is not None]
    # A key that already belongs to another customer is not moved: the field is skipped with a warning.
    for key_field, owner in (("email", by_email), ("phone", by_phone)):
        if owner is not None and (target is None or owner.customer_id != target.customer_id):
            value = values.pop(key_field)
            message = _('"{value}" already belongs to another customer; not set on this row', value=value)
            warnings.append(str(Issue(context.column(key_field), message)))

    if target is None:
        if reason := context.changed_since_preview(row.row, None, taken):
            return not_as_previewed(row.row, None, None, reason, warnings)
        if not ("email" in values or "phone" in values):
            message = _("cannot create a customer: its email and phone already belong to other customers")
            return RowOutcome(row.row, Status.INVALID, errors=[message], warnings=warnings)
        customer = _create(values, view, context)
        created = {name: [None, value] for name, value in customer.fields.items()}
        return RowOutcome(row.row, Status.CREATED, customer.customer_id, warnings=warnings, changes=created)
    stored_version = target.version
    if not context.options.update_existing:
        return RowOutcome(row.row, Status.SKIPPED, target.customer_id, warnings=warnings, seen_version=stored_version)
    if reason := context.changed_since_preview(row.row, target):
        return not_as_previewed(row.row, target.customer_id, stored_version, reason, warnings)
    if row.version is not None and row.version != stored_version and not context.options.force:
        message = _(
            "this customer changed after the export (version {now} now, {then} in the file); "
            "export it again, or import with force to overwrite",
            now=str(stored_version),
            then=str(row.version),
        )
        return RowOutcome(
            row.row,
            Status.STALE,
            target.customer_id,
            errors=[message],
            warnings=warnings,
            seen_version=stored_version,
        )

    _keep_a_key(target, values, clears, warnings, context)
    new_values = _merged(target, values, context.options.tags)
    return apply_values(row.row, target, new_values, clears, view, context, warnings)


def apply_values(
    row: int,
    target: Customer,
    new_values: dict[str, Any],
    clears: set[str],
    view: "CustomerView",
    context: DecisionContext,
    warnings: list[str],
) -> RowOutcome:
    """Update ``target`` with ``new_values`` (and empty ``clears``): UPDATED with the changes, or UNCHANGED."""
    version = target.version
    changes = {name: [target.get(name), value] for name, value in new_values.items() if target.get(name) != value}
    changes.update({name: [target.get(name), None] for name in clears if target.get(name) not in (None, "", [])})
    if not changes:
        return RowOutcome(row, Status.UNCHANGED, target.customer_id, warnings=warnings, seen_version=version)
    _update(target, new_values, set(clears) & set(changes), view, context)
    return RowOutcome(row, Status.UPDATED, target.customer_id, warnings=warnings, changes=changes, seen_version=version)


def not_as_previewed(
    row: int, customer_id: str | None, version: int | None, reason: str, warnings: list[str]
) -> RowOutcome:
    message = _("{reason}; not applied. Preview the file again to see the current changes", reason=reason)
    return RowOutcome(row, Status.STALE, customer_id, errors=[message], warnings=warnings, seen_version=version)


def _match(
    by_email: Customer | None, by_phone: Customer | None, match_key: MatchKey, *, has_email: bool
) -> Customer | None:
    if match_key is MatchKey.EMAIL:
        return by_email
    if match_key is MatchKey.PHONE:
        return by_phone
    if not has_email:
        return by_phone
    if by_email is not None:
        return by_email
    # Email first; a customer found by phone who has no email yet is the same person gaining one.
    if by_phone is not None and not by_phone.get("email"):
        return by_phone
    return None


def _keep_a_key(
    target: Customer, values: dict[str, Any], clears: set[str], warnings: list[str], context: DecisionContext
) -> None:
    """A customer keeps at least one key: clearing the only one is refused with a warning."""
    remaining = [name for name in ("email", "phone") if values.get(name) or (target.get(name) and name not in clears)]
    if not remaining:
        for name in ("email", "phone"):
            if name in clears:
                clears.discard(name)
                warnings.append(str(Issue(context.column(name), _("the only key of a customer cannot be cleared"))))


def _merged(target: Customer, values: dict[str, Any], tags_mode: TagsMode) -> dict[str, Any]:
    if "tags" not in values or tags_mode is TagsMode.REPLACE:
        return values
    existing = list(target.get("tags") or [])
    known = {tag.casefold() for tag in existing}
    added = [tag for tag in values["tags"] if tag.casefold() not in known]
    return {**values, "tags": existing + added}


def _create(values: dict[str, Any], view: CustomerView, context: DecisionContext) -> Customer:
    customer = Customer(
        customer_id=context.make_id(),
        tenant_id=context.tenant_id,
        version=1,
        created_at=context.now,
        updated_at=context.now,
        created_by_job=context.job_id,
        updated_by_job=context.job_id,
        fields={**dict.fromkeys(DEFAULT_NO, False), **values},
    )
    _place(customer, previous=None, view=view)
    return customer


def _update(
    target: Customer, values: dict[str, Any], clears: set[str], view: CustomerView, context: DecisionContext
) -> None:
    fields = {name: value for name, value in target.fields.items() if name not in clears}
    fields.update(values)
    customer = replace(
        target, version=target.version + 1, updated_at=context.now, updated_by_job=context.job_id, fields=fields
    )
    _place(customer, previous=target, view=view)


def _place(customer: Customer, previous: Customer | None, view: CustomerView) -> None:
    """Write the customer at its home and pointers at its other keys; free the keys it no longer has.

    A key item that belongs to another customer is never written or freed for this one, even when this customer
    still lists the key (a state another writer left): the key is dropped from this customer instead."""
    tenant_id = customer.tenant_id
    foreign = {
        name
        for name, value in customer.keys().items()
        if view.owned_by_other(key_address(tenant_id, name, value), customer.customer_id)
    }
    if foreign and len(foreign) < len(customer.keys()):
        customer = replace(customer, fields={k: v for k, v in customer.fields.items() if k not in foreign})
    addresses = [key_address(tenant_id, name, value) for name, value in customer.keys().items()]
    old_addresses: list[str] = []
    home = addresses[0]
    if previous is not None:
        old_home = view.home_of(previous)
        old_addresses = [
            address
            for name, value in previous.keys().items()
            if not view.owned_by_other(address := key_address(tenant_id, name, value), previous.customer_id)
        ]
        for address in old_addresses:
            if address != old_home:
                view.assume(address, pointer_item(address, old_home, previous.customer_id))
        if old_home in addresses:
            home = old_home
    if view.owned_by_other(home, customer.customer_id):
        return  # every key of it is another customer's: nothing of it can be written safely
    view.put(customer_item(customer, home))
    for address in addresses:
        if address != home:
            view.put(pointer_item(address, home, customer.customer_id))
    for address in old_addresses:
        if address not in addresses:
            view.delete(address)
