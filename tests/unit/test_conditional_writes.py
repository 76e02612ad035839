"""Customers are written only where they are as they were read (docs/adr/0011): the statements the data-access
layer makes, the emulator's execution of them with DynamoDB's answers, and what the logic does with a conflict."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.customers import CustomerStore
from customer_bulk.logic.chunks import undo_edges
from customer_bulk.logic.job_actions import undo_order
from customer_bulk.logic.matching import CustomerView, DecisionContext, decide_chunk
from customer_bulk.logic.split import ChunkLinks
from customer_bulk.logic.writes import Outcome, write_unless_changed
from customer_bulk.models.decisions import ChunkDecision, RowOutcome, Status
from customer_bulk.models.job import ImportJob, ImportOptions, JobStatus
from customer_bulk.ports import Stores
from customer_bulk.storage_layout import KeyWrite, key_writes, pointer_item, write_units
from customer_bulk.validation import ValidatedRow
from customer_bulk_local.iam import AccessRequest, Arns
from customer_bulk_local.partiql import patch_partiql_writes
from tests.conftest import fake_stores

TABLE = "customers"
HOME = "t1#E#an@shop.vn"
PHONE = "t1#P#+84912345678"


def customer(version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "pk": HOME,
        "kind": "customer",
        "customer_id": "C1",
        "tenant_id": "t1",
        "tenant_shard": "t1#03",
        "version": version,
        "created_at": "2026-12-01T00:00:00+00:00",
        "updated_at": "2026-12-01T00:00:00+00:00",
        "email": "an@shop.vn",
        **fields,
    }


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "x"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    restore: list[Any] = []
    with mock_aws():
        patch_partiql_writes(restore)
        aws_client.cache_clear()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "tenant_shard", "customer_id")
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByTenant",
                    "KeySchema": [
                        {"AttributeName": "tenant_shard", "KeyType": "HASH"},
                        {"AttributeName": "customer_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        try:
            yield client
        finally:
            for undo in reversed(restore):
                undo()
            aws_client.cache_clear()


@pytest.fixture
def store(dynamodb: Any) -> CustomerStore:
    return CustomerStore(TABLE)


def test_a_free_key_is_claimed_once(store: CustomerStore) -> None:
    assert store.write_if_unchanged([KeyWrite(HOME, customer(first_name="An"), None)]) == set()
    # A second writer that also read the key as free is refused; the first one's customer stays.
    assert store.write_if_unchanged([KeyWrite(HOME, customer(first_name="Other"), None)]) == {HOME}
    assert store.get_many([HOME])[HOME]["first_name"] == "An"


def test_an_update_holds_only_while_the_version_is_the_one_read(store: CustomerStore, dynamodb: Any) -> None:
    read = customer(first_name="An", city="Huế")
    store.write_if_unchanged([KeyWrite(HOME, read, None)])
    # Someone edits the customer (moving its version) after our read...
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": HOME}},
        UpdateExpression="SET note = :n, version = version + :one",
        ExpressionAttributeValues={":n": {"S": "VIP"}, ":one": {"N": "1"}},
    )
    ours = customer(version=2, first_name="An Nhiên")  # city dropped
    assert store.write_if_unchanged([KeyWrite(HOME, ours, read)]) == {HOME}
    assert store.get_many([HOME])[HOME] == {**read, "version": 2, "note": "VIP"}
    # ...and against the version we now read, it holds: changed fields set, dropped ones removed, theirs kept only
    # if ours says so (an UPDATE sets what changed and removes what we dropped).
    now = store.get_many([HOME])[HOME]
    assert store.write_if_unchanged([KeyWrite(HOME, {**ours, "version": 3, "note": "VIP"}, now)]) == set()
    assert store.get_many([HOME])[HOME] == {**ours, "version": 3, "note": "VIP"}


def test_pointers_are_known_by_their_home_and_deletes_are_conditional(store: CustomerStore) -> None:
    pointer = pointer_item(PHONE, HOME, "C1")
    store.write_if_unchanged([KeyWrite(PHONE, pointer, None)])
    moved = pointer_item(PHONE, "t1#E#other@shop.vn", "C2")
    assert store.write_if_unchanged([KeyWrite(PHONE, None, moved)]) == {PHONE}  # not the pointer we read
    assert store.write_if_unchanged([KeyWrite(PHONE, None, pointer)]) == set()
    assert store.get_many([PHONE]) == {}
    assert store.write_if_unchanged([KeyWrite(PHONE, None, pointer)]) == {PHONE}  # nothing there any more


def test_many_writes_go_25_a_request_and_all_land(store: CustomerStore, dynamodb: Any) -> None:
    sizes: list[int] = []
    event = "provide-client-params.dynamodb.BatchExecuteStatement"
    aws_client("dynamodb").meta.events.register(event, lambda params, **_: sizes.append(len(params["Statements"])))
    writes = [KeyWrite(f"t1#E#c{i}@shop.vn", {**customer(), "pk": f"t1#E#c{i}@shop.vn"}, None) for i in range(130)]
    assert store.write_if_unchanged(writes) == set()
    assert sorted(sizes) == [5, 25, 25, 25, 25, 25]  # requests go out from a thread pool, in any order
    assert dynamodb.scan(TableName=TABLE, Select="COUNT")["Count"] == 130


def test_the_emulator_refuses_what_dynamodb_refuses(store: CustomerStore, dynamodb: Any) -> None:
    insert = f"INSERT INTO \"{TABLE}\" VALUE {{'pk': ?, 'kind': ?}}"
    too_many = [{"Statement": insert, "Parameters": [{"S": f"k{i}"}, {"S": "pointer"}]} for i in range(26)]
    with pytest.raises(ClientError, match="less than or equal to 25"):
        dynamodb.batch_execute_statement(Statements=too_many)
    with pytest.raises(ClientError, match="same item"):
        dynamodb.batch_execute_statement(Statements=too_many[:1] * 2)
    long_statement = {
        "Statement": insert.replace("'kind'", "'" + "k" * 8200 + "'"),
        "Parameters": too_many[0]["Parameters"],
    }
    with pytest.raises(ClientError, match="8192"):
        dynamodb.batch_execute_statement(Statements=[long_statement])
    store.write_if_unchanged([KeyWrite(HOME, customer(), None)])
    key_update = {
        "Statement": f'UPDATE "{TABLE}" SET "pk" = ? WHERE "pk" = ? AND "version" = ?',
        "Parameters": [{"S": "elsewhere"}, {"S": HOME}, {"N": "1"}],
    }
    (answer,) = dynamodb.batch_execute_statement(Statements=[key_update])["Responses"]
    assert answer["Error"]["Code"] == "ValidationError"
    huge = {**customer(version=2), "note": "x" * 410_000}
    with pytest.raises(RuntimeError, match="ValidationError"):
        store.write_if_unchanged([KeyWrite(HOME, huge, customer())])
    assert store.get_many([HOME])[HOME] == customer()


def test_other_statements_still_reach_moto(store: CustomerStore, dynamodb: Any) -> None:
    store.write_if_unchanged([KeyWrite(HOME, customer(), None)])
    select = {"Statement": f"SELECT * FROM {TABLE} WHERE pk = ?", "Parameters": [{"S": HOME}]}
    (answer,) = dynamodb.batch_execute_statement(Statements=[select])["Responses"]
    assert answer["Item"]["customer_id"] == {"S": "C1"}


def test_iam_asks_a_partiql_action_per_statement_kind() -> None:
    statements = [
        {"Statement": "INSERT INTO \"customers\" VALUE {'pk': ?}"},
        {"Statement": 'UPDATE "customers" SET "a" = ? WHERE "pk" = ? AND "version" = ?'},
        {"Statement": 'DELETE FROM "customers" WHERE "pk" = ? AND "home" = ?'},
        {"Statement": "INSERT INTO \"customers\" VALUE {'pk': ?}"},
    ]
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/customers"
    asked = Arns("us-east-1", "123456789012").requests("dynamodb", "BatchExecuteStatement", {"Statements": statements})
    assert asked == [
        AccessRequest("dynamodb:PartiQLDelete", arn),
        AccessRequest("dynamodb:PartiQLInsert", arn),
        AccessRequest("dynamodb:PartiQLUpdate", arn),
    ]


# ---------- what the logic does with a conflict ----------


class _Customers:
    """Writes fail at ``changed`` addresses (another writer got there first); everything else is recorded."""

    def __init__(self, stored: dict[str, Any], changed: set[str]) -> None:
        self.stored, self.changed, self.calls = stored, changed, []

    def write_if_unchanged(self, writes: list[KeyWrite]) -> set[str]:
        self.calls.append(list(writes))
        failed = set()
        for write in writes:
            if write.address in self.changed or self.stored.get(write.address) != write.expected:
                failed.add(write.address)
            elif write.item is None:
                self.stored.pop(write.address, None)
            else:
                self.stored[write.address] = write.item
        return failed

    def get_many(self, addresses: Any) -> dict[str, Any]:
        return {a: self.stored[a] for a in addresses if a in self.stored}


def _stores(customers: _Customers) -> Stores:
    """Only the customers are touched here (the rest would fail loudly if they were)."""
    return fake_stores(customers=customers)


def _new(customer_id: str, email: str, phone: str) -> list[KeyWrite]:
    home, other = f"t1#E#{email}", f"t1#P#{phone}"
    item = {**customer(), "pk": home, "customer_id": customer_id, "email": email, "phone": phone}
    return [KeyWrite(home, item, None), KeyWrite(other, pointer_item(other, home, customer_id), None)]


def test_a_conflict_puts_back_the_rest_of_its_unit_and_nothing_else() -> None:
    lan, minh = _new("C1", "lan@shop.vn", "0911"), _new("C2", "minh@shop.vn", "0922")
    taken = {"t1#P#0911": pointer_item("t1#P#0911", "t1#E#someone@shop.vn", "C9")}
    customers = _Customers(dict(taken), changed={"t1#P#0911"})
    written = write_unless_changed(_stores(customers), [*lan, *minh])

    assert written == Outcome(lost={"t1#E#lan@shop.vn", "t1#P#0911"})
    # Lan's home was written, then put back; Minh's unit stands; the other writer's pointer is untouched.
    assert customers.stored == {**taken, **{w.address: w.item for w in minh}}
    assert [w.address for w in customers.calls[-1]] == ["t1#E#lan@shop.vn"]


def test_a_write_that_already_landed_is_not_a_conflict() -> None:
    lan = _new("C1", "lan@shop.vn", "0911")
    customers = _Customers({w.address: w.item for w in lan}, changed=set())  # a crash after the writes, replayed
    assert write_unless_changed(_stores(customers), lan) == Outcome()
    assert len(customers.calls) == 1


def test_a_replayed_write_that_landed_and_was_edited_since_is_not_undone() -> None:
    # An earlier attempt created Lan (home and pointer), then died before counting; the customer screens edited her.
    lan = _new("C1", "lan@shop.vn", "0911")
    written = {w.address: w.item for w in lan}
    edited = {**written["t1#E#lan@shop.vn"], "version": 2, "city": "Huế"}
    customers = _Customers({**written, "t1#E#lan@shop.vn": edited}, changed=set())
    assert write_unless_changed(_stores(customers), lan) == Outcome()
    assert customers.stored["t1#E#lan@shop.vn"] == edited and customers.stored["t1#P#0911"] == written["t1#P#0911"]


def test_keys_are_freed_last_and_only_once_the_units_claims_held() -> None:
    # Lan moves from phone 0911 to 0922, whose key someone took meanwhile: 0911 must not be freed.
    home, old, new = "t1#E#lan@shop.vn", "t1#P#0911", "t1#P#0922"
    before = {**customer(), "pk": home, "customer_id": "C1", "phone": "0911"}
    after = {**before, "version": 2, "phone": "0922"}
    stored = {home: before, old: pointer_item(old, home, "C1"), new: pointer_item(new, "t1#E#x@shop.vn", "C9")}
    customers = _Customers(dict(stored), changed={new})
    writes = [
        KeyWrite(home, after, before),
        KeyWrite(old, None, stored[old]),
        KeyWrite(new, pointer_item(new, home, "C1"), None),
    ]
    assert write_unless_changed(_stores(customers), writes) == Outcome(lost={home, old, new})
    assert customers.stored == stored  # Lan put back with her old phone, which was never freed
    assert [w.address for w in customers.calls[0]] == [home, new]  # the claims: no release in the first call


def test_a_key_to_free_that_is_someone_elses_by_now_is_free_of_ours() -> None:
    home, old = "t1#E#lan@shop.vn", "t1#P#0911"
    before = {**customer(), "pk": home, "customer_id": "C1", "phone": "0911"}
    after = {k: v for k, v in {**before, "version": 2}.items() if k != "phone"}
    theirs = pointer_item(old, "t1#E#minh@shop.vn", "C2")
    customers = _Customers({home: before, old: theirs}, changed=set())
    writes = [KeyWrite(home, after, before), KeyWrite(old, None, pointer_item(old, home, "C1"))]
    assert write_unless_changed(_stores(customers), writes) == Outcome()
    assert customers.stored == {home: after, old: theirs}


def test_a_condition_names_the_customer_it_expects(store: CustomerStore) -> None:
    # A rollback read An (version 1) at her email; since then she was deleted and Bình created there, also version 1.
    store.write_if_unchanged([KeyWrite(HOME, customer(), None)])
    store.write_if_unchanged([KeyWrite(HOME, None, customer())])
    someone_else = {**customer(), "customer_id": "C2", "first_name": "Bình"}
    store.write_if_unchanged([KeyWrite(HOME, someone_else, None)])
    assert store.write_if_unchanged([KeyWrite(HOME, None, customer())]) == {HOME}
    assert store.write_if_unchanged([KeyWrite(HOME, customer(version=2, first_name="An"), customer())]) == {HOME}
    assert store.get_many([HOME])[HOME] == someone_else
    pointer = pointer_item(PHONE, HOME, "C2")
    store.write_if_unchanged([KeyWrite(PHONE, pointer, None)])
    assert store.write_if_unchanged([KeyWrite(PHONE, None, pointer_item(PHONE, HOME, "C1"))]) == {PHONE}


def test_a_replayed_unit_whose_key_was_taken_meanwhile_is_put_back_whole() -> None:
    # An earlier attempt created Lan's home, then died before her phone's pointer; someone took the phone since.
    lan = _new("C1", "lan@shop.vn", "0911")
    theirs = pointer_item("t1#P#0911", "t1#E#someone@shop.vn", "C9")
    customers = _Customers({"t1#E#lan@shop.vn": lan[0].item, "t1#P#0911": theirs}, changed={"t1#P#0911"})
    assert write_unless_changed(_stores(customers), lan) == Outcome(lost={"t1#E#lan@shop.vn", "t1#P#0911"})
    assert customers.stored == {"t1#P#0911": theirs}  # her home, written by the earlier attempt, put back too


def test_a_replayed_write_edited_since_stays_and_keeps_its_undo_image() -> None:
    lan = _new("C1", "lan@shop.vn", "0911")
    edited = {**lan[0].item, "version": 2, "city": "Huế"}
    theirs = pointer_item("t1#P#0911", "t1#E#someone@shop.vn", "C9")
    customers = _Customers({"t1#E#lan@shop.vn": edited, "t1#P#0911": theirs}, changed={"t1#P#0911"})
    written = write_unless_changed(_stores(customers), lan)
    assert written == Outcome(lost={"t1#E#lan@shop.vn", "t1#P#0911"}, still_ours={"t1#E#lan@shop.vn"})
    assert customers.stored["t1#E#lan@shop.vn"] == edited  # the edit is not lost
    first = ChunkDecision(
        [RowOutcome(2, Status.CREATED, "C1")], [w.item for w in lan], [], {w.address: None for w in lan}
    )
    again = ChunkDecision(
        [RowOutcome(2, Status.UPDATED, "C1")], [{**edited, "version": 3}], [], {lan[0].address: edited}
    )
    merged = first.merged(again, {2}, written.lost, written.still_ours)
    assert merged.before == {lan[0].address: None}  # an undo still removes the customer this import created


def test_a_customer_never_takes_or_frees_a_key_item_of_another() -> None:
    # Lan still lists phone 0911, but its key item is Minh's home (a state another writer left behind).
    rows = [ValidatedRow(row=2, values={"email": "lan@shop.vn", "first_name": "Lan Anh"})]
    lan = {**customer(), "pk": "t1#E#lan@shop.vn", "customer_id": "C1", "email": "lan@shop.vn", "phone": "0911"}
    minh = {**customer(), "pk": "t1#P#0911", "customer_id": "C2", "email": None, "phone": "0911"}
    view = CustomerView({lan["pk"]: lan, minh["pk"]: minh}, {lan["pk"], minh["pk"]})
    context = DecisionContext("t1", "JOB", ImportOptions(), "2026-12-02T00:00:00+00:00", {})
    decision = decide_chunk(rows, view, context)
    assert decision.deletes == [] and [item["pk"] for item in decision.puts] == [lan["pk"]]
    assert "phone" not in decision.puts[0]  # dropped from Lan, not taken from Minh


def test_units_join_customers_that_share_a_key_item() -> None:
    gives, takes = "t1#P#0911", "t1#P#0922"
    writes = [
        KeyWrite("t1#E#a@x.vn", customer(), customer()),
        KeyWrite(gives, None, pointer_item(gives, "t1#E#a@x.vn", "C1")),
        KeyWrite(takes, pointer_item(takes, "t1#E#b@x.vn", "C2"), pointer_item(takes, "t1#E#a@x.vn", "C1")),
        KeyWrite("t1#E#c@x.vn", {**customer(), "customer_id": "C3"}, None),
    ]
    units = sorted(sorted(unit) for unit in write_units(writes))
    assert units == [["t1#E#a@x.vn", gives, takes], ["t1#E#c@x.vn"]]


def test_a_merged_decision_keeps_the_before_image_an_undo_needs() -> None:
    first = ChunkDecision(
        outcomes=[RowOutcome(2, Status.CREATED, "C1"), RowOutcome(3, Status.CREATED, "C2")],
        puts=[{**customer(), "customer_id": "C1"}, {**customer(), "pk": "t1#E#b@x.vn", "customer_id": "C2"}],
        deletes=[],
        before={HOME: None, "t1#E#b@x.vn": None},
    )
    # Row 3 lost its write and, decided again, updates C1 (which row 2 had created and kept).
    again = ChunkDecision(
        outcomes=[RowOutcome(3, Status.UPDATED, "C1")],
        puts=[{**customer(version=2), "customer_id": "C1"}],
        deletes=[],
        before={HOME: {**customer(), "customer_id": "C1"}},
    )
    merged = first.merged(again, {3}, {"t1#E#b@x.vn"})
    assert [(o.row, o.status) for o in merged.outcomes] == [(2, Status.CREATED), (3, Status.UPDATED)]
    assert merged.puts == [{**customer(version=2), "customer_id": "C1"}]
    assert merged.before == {HOME: None}  # undo removes C1: it did not exist before the import
    # while a replay of the record expects C1 as row 2 wrote it, not a free key
    replayed = ChunkDecision.from_json(merged.to_json())
    assert key_writes(replayed.puts, replayed.deletes, replayed.conditions) == [
        KeyWrite(HOME, merged.puts[0], {**customer(), "customer_id": "C1"})
    ]


def test_chunks_sharing_a_key_share_a_message_group() -> None:
    links = ChunkLinks()
    first_rows = [2, 502, 1002, 1502, 2002]
    for chunk, first_row in enumerate(first_rows):
        links.start(first_row)
        if chunk == 3:
            links.link(700)  # a row of chunk 3 repeats a key first seen on row 700 (chunk 1)
        if chunk == 4:
            links.link(2010)  # within its own chunk
    assert links.groups(8) == [0, 1, 2, 1, 4]
    assert links.groups(2) == [0, 1, 0, 1, 0]


# ---------- the order an undo follows ----------


def _applied(chunks_total: int, stamps: dict[int, str], edges: set[str]) -> ImportJob:
    return ImportJob(
        tenant_id="t1",
        job_id="01M8VNX858CNGCYEQ6569TE956",
        requested_by="a@shop.vn",
        api_url="https://api",
        file_name="f.csv",
        upload_key="uploads/t1/x/f.csv",
        status=JobStatus.COMPLETED,
        created_at="2026-12-01T00:00:00+00:00",
        updated_at="2026-12-01T00:00:00+00:00",
        chunks_total=chunks_total,
        applied_stamps={f"{chunk}@{stamp}" for chunk, stamp in stamps.items()},
        undo_first=edges,
    )


def test_an_undo_goes_last_chunk_first_unless_a_chunk_wrote_over_another() -> None:
    stamps = {0: "t0", 1: "t1", 2: "t2", 3: "t3"}
    assert undo_order(_applied(4, stamps, set())) == [3, 2, 1, 0]
    # Chunk 0 wrote a customer over chunk 3's write (another message group, ahead of it): 0 is undone before 3.
    assert undo_order(_applied(4, stamps, {"0<t3"})) == [2, 1, 0, 3]
    # Each wrote over the other (two customers): no order satisfies both; between them, chunk number decides.
    assert undo_order(_applied(4, stamps, {"0<t3", "3<t0"})) == [2, 1, 3, 0]


def test_a_chunk_names_the_writes_of_this_import_it_wrote_over() -> None:
    job = _applied(2, {}, set())
    ours = {**customer(), "updated_by_job": job.job_id, "updated_at": "2026-12-01T10:00:00+00:00"}
    someone = {**customer(), "pk": "t1#E#b@x.vn", "updated_by_job": "OTHER", "updated_at": "2026-12-01T09:00:00+00:00"}
    now = "2026-12-01T10:00:05+00:00"
    decision = ChunkDecision(
        outcomes=[],
        puts=[{**ours, "version": 2, "updated_at": now}, {**someone, "version": 2, "updated_at": now}],
        deletes=[],
        before={HOME: ours, "t1#E#b@x.vn": someone, "t1#E#c@x.vn": None},
    )
    assert undo_edges(job, 1, decision) == ({f"1@{now}"}, {"1<2026-12-01T10:00:00+00:00"})
