"""The decision engine: which customer a row is, what changes, and which items that writes. Run against an
in-memory table so every rule can be seen on its own; the integration tests run the same code against DynamoDB."""

import itertools
from typing import Any

from customer_bulk.logic.matching import CustomerView, DecisionContext, Previewed, decide_chunk, row_addresses
from customer_bulk.models.decisions import Status
from customer_bulk.models.job import ImportOptions, MatchKey
from customer_bulk.storage_layout import POINTER, key_address
from customer_bulk.validation import Issue, ValidatedRow

TENANT = "shop"


class Table:
    """The customers table as a dict, applying decisions the way the validator does."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.ids = (f"C{n:03d}" for n in itertools.count(1))

    def decide(self, rows: list[ValidatedRow], **options: Any) -> Any:
        addresses = row_addresses(TENANT, rows)
        found = {a: self.items[a] for a in addresses if a in self.items}
        for item in list(found.values()):
            if item["kind"] == POINTER and item["home"] in self.items:
                found[item["home"]] = self.items[item["home"]]
        ids = {ref for r in rows if (ref := r.id_to_match)}  # the validator looks these up in the ByTenant index
        found.update({pk: item for pk, item in self.items.items() if item.get("customer_id") in ids})
        context = DecisionContext(
            tenant_id=TENANT,
            job_id="JOB",
            options=ImportOptions(**options),
            now="2026-11-23T00:00:00+00:00",
            column_names={"email": "Email", "phone": "Phone"},
            make_id=lambda: next(self.ids),
        )
        decision = decide_chunk(rows, CustomerView(found, addresses), context)
        for item in decision.puts:
            self.items[item["pk"]] = item
        for address in decision.deletes:
            del self.items[address]
        return decision

    def customers(self) -> list[dict[str, Any]]:
        return [item for item in self.items.values() if item["kind"] == "customer"]

    def at(self, key_field: str, value: str) -> dict[str, Any]:
        return self.items[key_address(TENANT, key_field, value)]


def row(number: int, **values: str) -> ValidatedRow:
    return ValidatedRow(row=number, values=values)


def statuses(decision: Any) -> list[str]:
    return [outcome.status for outcome in decision.outcomes]


def test_a_new_customer_lives_at_its_email_with_a_pointer_at_its_phone() -> None:
    table = Table()
    decision = table.decide([row(2, first_name="An", email="an@x.vn", phone="+84912345678")])
    assert statuses(decision) == [Status.CREATED]
    home = table.at("email", "an@x.vn")
    assert home["kind"] == "customer" and home["customer_id"] == "C001" and home["version"] == 1
    assert table.at("phone", "+84912345678") == {
        "pk": f"{TENANT}#P#+84912345678",
        "kind": POINTER,
        "home": f"{TENANT}#E#an@x.vn",
        "ref_customer_id": "C001",
    }
    assert decision.before == {home["pk"]: None, f"{TENANT}#P#+84912345678": None}


def test_the_same_row_again_changes_nothing_and_writes_nothing() -> None:
    table = Table()
    table.decide([row(2, first_name="An", email="an@x.vn", phone="+84912345678")])
    again = table.decide([row(2, first_name="An", email="an@x.vn", phone="+84912345678")])
    assert statuses(again) == [Status.UNCHANGED]
    assert again.puts == [] and again.deletes == []


def test_a_changed_value_updates_the_customer_and_records_the_change_and_the_before_image() -> None:
    table = Table()
    table.decide([row(2, first_name="An", email="an@x.vn")])
    before = dict(table.at("email", "an@x.vn"))
    decision = table.decide([row(2, first_name="Ân", last_name="Nguyễn", email="an@x.vn")])
    outcome = decision.outcomes[0]
    assert outcome.status == Status.UPDATED and outcome.customer_id == "C001"
    assert outcome.changes == {"first_name": ["An", "Ân"], "last_name": [None, "Nguyễn"]}
    after = table.at("email", "an@x.vn")
    assert after["version"] == 2 and after["first_name"] == "Ân" and after["created_at"] == before["created_at"]
    assert decision.before == {before["pk"]: before}


def test_existing_customers_are_left_alone_when_the_admin_says_so() -> None:
    table = Table()
    table.decide([row(2, first_name="An", email="an@x.vn")])
    decision = table.decide([row(2, first_name="Other", email="an@x.vn")], update_existing=False)
    assert statuses(decision) == [Status.SKIPPED]
    assert decision.puts == [] and table.at("email", "an@x.vn")["first_name"] == "An"


def test_a_phone_only_row_finds_the_customer_created_with_an_email() -> None:
    table = Table()
    table.decide([row(2, first_name="An", email="an@x.vn", phone="+84912345678")])
    decision = table.decide([row(2, first_name="An B", phone="+84912345678")])
    assert statuses(decision) == [Status.UPDATED]
    assert len(table.customers()) == 1
    assert table.at("email", "an@x.vn")["first_name"] == "An B"


def test_a_phone_only_customer_gains_an_email_instead_of_a_twin() -> None:
    table = Table()
    table.decide([row(2, first_name="An", phone="+84912345678")])
    decision = table.decide([row(2, email="an@x.vn", phone="+84912345678")])
    assert statuses(decision) == [Status.UPDATED]
    assert len(table.customers()) == 1
    assert table.at("phone", "+84912345678")["email"] == "an@x.vn"  # the home stays at the phone
    assert table.at("email", "an@x.vn")["kind"] == POINTER


def test_a_phone_that_belongs_to_someone_else_is_not_taken() -> None:
    table = Table()
    table.decide([row(2, email="an@x.vn", phone="+84912345678")])
    decision = table.decide([row(3, email="binh@x.vn", phone="+84912345678")])
    outcome = decision.outcomes[0]
    assert outcome.status == Status.CREATED
    assert outcome.warnings == ['Phone: "+84912345678" already belongs to another customer; not set on this row']
    binh = table.at("email", "binh@x.vn")
    assert "phone" not in binh
    assert table.at("phone", "+84912345678")["home"] == f"{TENANT}#E#an@x.vn"


def test_an_email_match_keeps_its_phone_when_the_new_phone_is_taken() -> None:
    table = Table()
    table.decide([row(2, email="an@x.vn", phone="+84912345678"), row(3, email="binh@x.vn", phone="+84987654321")])
    decision = table.decide([row(2, email="an@x.vn", phone="+84987654321")])
    assert statuses(decision) == [Status.UNCHANGED]
    assert decision.outcomes[0].warnings == [
        'Phone: "+84987654321" already belongs to another customer; not set on this row'
    ]
    assert table.at("email", "an@x.vn")["phone"] == "+84912345678"


def test_matching_by_phone_moves_the_home_when_the_email_changes() -> None:
    table = Table()
    table.decide([row(2, email="old@x.vn", phone="+84912345678")])
    decision = table.decide([row(2, email="new@x.vn", phone="+84912345678")], match_key=MatchKey.PHONE)
    assert statuses(decision) == [Status.UPDATED]
    assert decision.outcomes[0].changes == {"email": ["old@x.vn", "new@x.vn"]}
    assert f"{TENANT}#E#old@x.vn" not in table.items
    home = table.at("email", "new@x.vn")
    assert home["kind"] == "customer" and home["customer_id"] == "C001"
    assert table.at("phone", "+84912345678")["home"] == home["pk"]
    assert decision.deletes == [f"{TENANT}#E#old@x.vn"]


def test_a_chunk_sees_its_own_earlier_decisions() -> None:
    table = Table()
    table.decide([row(2, email="an@x.vn", phone="+84911111111")])
    # Row 2 moves An to a new phone; row 3 may then take An's old one.
    decision = table.decide(
        [row(2, email="an@x.vn", phone="+84922222222"), row(3, email="binh@x.vn", phone="+84911111111")]
    )
    assert statuses(decision) == [Status.UPDATED, Status.CREATED]
    assert decision.outcomes[1].warnings == []
    assert table.at("phone", "+84911111111")["home"] == f"{TENANT}#E#binh@x.vn"
    assert table.at("phone", "+84922222222")["home"] == f"{TENANT}#E#an@x.vn"


def test_an_invalid_row_is_reported_and_touches_nothing() -> None:
    table = Table()
    invalid = ValidatedRow(row=5, errors=[Issue("Email", "is required")], warnings=[Issue("Tên", "too long")])
    decision = table.decide([invalid])
    assert statuses(decision) == [Status.INVALID]
    assert decision.outcomes[0].errors == ["Email: is required"]
    assert decision.puts == [] and decision.counts.invalid == 1 and decision.counts.warnings == 0


def test_counts_add_up_per_status_and_warnings_count_rows_applied_with_a_skipped_field() -> None:
    table = Table()
    table.decide([row(2, email="a@x.vn")])
    with_warning = ValidatedRow(row=4, values={"email": "c@x.vn"}, warnings=[Issue("SĐT", "bad")])
    decision = table.decide([row(2, email="a@x.vn"), row(3, email="b@x.vn"), with_warning])
    counts = decision.counts
    assert (counts.created, counts.unchanged, counts.warnings) == (2, 1, 1)


def test_a_new_customer_has_not_accepted_marketing_unless_the_file_says_so() -> None:
    table = Table()
    decision = table.decide([row(2, email="a@x.vn"), row(3, email="b@x.vn", accepts_email_marketing=True)])
    assert table.at("email", "a@x.vn")["accepts_email_marketing"] is False
    assert table.at("email", "b@x.vn")["accepts_email_marketing"] is True
    assert decision.outcomes[0].changes["email"] == [None, "a@x.vn"]  # what a created row set


def test_the_clear_token_empties_a_field_and_a_blank_keeps_it() -> None:
    table = Table()
    table.decide([row(2, email="a@x.vn", note="call after 6pm", city="Huế")])
    cleared = ValidatedRow(row=2, values={"email": "a@x.vn"}, clears={"note"})
    decision = table.decide([cleared])
    assert decision.outcomes[0].changes == {"note": ["call after 6pm", None]}
    stored = table.at("email", "a@x.vn")
    assert "note" not in stored and stored["city"] == "Huế"


def test_clearing_the_only_key_is_refused() -> None:
    table = Table()
    table.decide([row(2, first_name="An", phone="+84912345678")])
    only_key = ValidatedRow(row=2, values={"first_name": "An"}, clears={"phone"}, customer_ref="C001")
    decision = table.decide([only_key], match_key=MatchKey.CUSTOMER_ID)
    assert statuses(decision) == [Status.UNCHANGED]
    assert decision.outcomes[0].warnings == ["Phone: the only key of a customer cannot be cleared"]


def test_clearing_the_email_moves_the_customer_home_to_its_phone() -> None:
    table = Table()
    table.decide([row(2, email="a@x.vn", phone="+84912345678")])
    decision = table.decide(
        [ValidatedRow(row=2, values={"phone": "+84912345678"}, clears={"email"})], match_key=MatchKey.PHONE
    )
    assert statuses(decision) == [Status.UPDATED]
    assert f"{TENANT}#E#a@x.vn" not in table.items
    assert table.at("phone", "+84912345678")["kind"] == "customer"


def test_tags_are_added_to_by_default_and_replaced_on_request() -> None:
    table = Table()
    table.decide([row(2, email="a@x.vn", tags=["VIP", "Hà Nội"])])
    table.decide([row(2, email="a@x.vn", tags=["vip", "newsletter"])])
    assert table.at("email", "a@x.vn")["tags"] == ["VIP", "Hà Nội", "newsletter"]
    table.decide([row(2, email="a@x.vn", tags=["newsletter"])], tags="replace")
    assert table.at("email", "a@x.vn")["tags"] == ["newsletter"]


def test_matching_by_id_finds_the_customer_and_may_change_its_email() -> None:
    table = Table()
    table.decide([row(2, email="old@x.vn", first_name="An")])
    renamed = ValidatedRow(row=2, values={"email": "new@x.vn", "first_name": "An"}, customer_ref="C001")
    decision = table.decide([renamed], match_key=MatchKey.CUSTOMER_ID)
    assert statuses(decision) == [Status.UPDATED]
    assert table.at("email", "new@x.vn")["customer_id"] == "C001"
    assert f"{TENANT}#E#old@x.vn" not in table.items


def test_matching_by_id_rejects_an_unknown_id_and_creates_for_zero() -> None:
    table = Table()
    unknown = ValidatedRow(row=2, values={"email": "a@x.vn"}, customer_ref="NOPE")
    new = ValidatedRow(row=3, values={"email": "b@x.vn"}, customer_ref="0")
    decision = table.decide([unknown, new], match_key=MatchKey.CUSTOMER_ID)
    assert statuses(decision) == [Status.INVALID, Status.CREATED]
    assert decision.outcomes[0].errors == [
        'Customer Id: "NOPE" is not a customer of this account (write 0 or leave it empty to create a new customer)'
    ]


def test_another_systems_customer_id_is_kept_as_the_external_id() -> None:
    table = Table()
    table.decide([ValidatedRow(row=2, values={"email": "a@x.vn"}, customer_ref="7001234567")])
    assert table.at("email", "a@x.vn")["external_id"] == "7001234567"
    # Re-importing our own export (its Customer ID is ours) does not turn our id into an external one.
    again = table.decide(
        [ValidatedRow(row=2, values={"email": "a@x.vn", "external_id": "7001234567"}, customer_ref="C001")]
    )
    assert statuses(again) == [Status.UNCHANGED]


def test_a_row_without_the_other_key_leaves_that_keys_pointer_alone_and_records_it_as_it_was() -> None:
    table = Table()
    table.decide([row(2, first_name="An", email="an@x.vn", phone="+84912345678")])
    decision = table.decide([row(2, first_name="An Nhiên", email="an@x.vn")])  # no phone on this row
    home = f"{TENANT}#E#an@x.vn"
    assert [item["pk"] for item in decision.puts] == [home]  # the phone's pointer is not rewritten
    assert list(decision.before) == [home]  # so an undo will not delete it either
    assert table.at("phone", "+84912345678")["home"] == home


def confirm_context(previewed: dict[int, Previewed], table: Table) -> DecisionContext:
    return DecisionContext(
        tenant_id=TENANT,
        job_id="CONFIRMING",
        options=ImportOptions(),
        now="2026-11-24T00:00:00+00:00",
        column_names={},
        make_id=lambda: next(table.ids),
        previewed=previewed,
    )


def test_confirming_a_preview_applies_rows_whose_customer_is_as_previewed_and_reports_the_others() -> None:
    table = Table()
    table.decide([row(2, email="an@x.vn", first_name="An"), row(3, email="binh@x.vn", first_name="Bình")])
    table.decide([row(2, email="binh@x.vn", first_name="Bình Minh")])  # Bình edited after the preview: version 2
    table.decide([row(2, email="chi@x.vn", first_name="Chi")])  # Chi added after the preview
    table.decide([row(2, email="em@x.vn", phone="+84912000001")])  # Em, with the phone the preview gave row 6
    previewed = {
        2: Previewed(True, "C001", 1),
        3: Previewed(True, "C002", 1),
        4: Previewed(True, new_keys=("email",)),
        5: Previewed(True, new_keys=("email",)),
        6: Previewed(True, new_keys=("email", "phone")),
        7: Previewed(False),  # invalid in the preview (say, a balance row whose member did not exist yet)
    }
    rows = [
        row(2, email="an@x.vn", first_name="Ân"),
        row(3, email="binh@x.vn", first_name="Bình"),
        row(4, email="chi@x.vn", first_name="Chi"),
        row(5, email="dung@x.vn", first_name="Dung"),
        row(6, email="giang@x.vn", phone="+84912000001"),
        row(7, email="an@x.vn", first_name="An"),
        row(8, email="hoa@x.vn"),  # not previewed at all
    ]
    addresses = row_addresses(TENANT, rows)
    found = {a: table.items[a] for a in addresses if a in table.items}
    found.update({item["home"]: table.items[item["home"]] for item in list(found.values()) if item["kind"] == POINTER})

    decision = decide_chunk(rows, CustomerView(found, addresses), confirm_context(previewed, table))

    assert statuses(decision) == [Status.UPDATED] + [Status.STALE] * 2 + [Status.CREATED] + [Status.STALE] * 3
    assert decision.outcomes[1].errors == [
        "this customer changed after the preview (version 1 then, 2 now); not applied. "
        "Preview the file again to see the current changes"
    ]
    assert decision.outcomes[2].errors[0].startswith("a customer with this email or phone was added after the preview")
    assert decision.outcomes[4].errors[0].startswith("a customer with this email or phone was added after the preview")
    assert decision.outcomes[5].errors[0].startswith("the preview did not show this row as one to import")
    assert decision.outcomes[6].errors[0].startswith("the preview did not get to this row")
    assert sorted(item["pk"] for item in decision.puts) == [f"{TENANT}#E#an@x.vn", f"{TENANT}#E#dung@x.vn"]
