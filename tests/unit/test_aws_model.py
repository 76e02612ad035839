"""The AWS model's core (bench/aws_model.py): DynamoDB's size and capacity rules, the token bucket, the
discrete-event schedule (a tenant's chunks one at a time, tenants in parallel, capacity shared), and how a recorded
invocation becomes work. No stack: made-up work with round numbers."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from customer_bulk_local.lambda_runtime import CallRecorder, RecordedCall


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "aws_model.py"
    spec = importlib.util.spec_from_file_location("aws_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["aws_model"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


m = _load()
INDEXES = (m.Index("ByTenant", ("tenant_shard", "customer_id"), "ALL"), m.Index("ById", ("customer_id",), "KEYS_ONLY"))


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert m.item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert m.item_size({"n": {"N": "12345"}}) == 1 + 3 + 1  # a byte per two significant digits, plus one
    assert m.item_size({"n": {"N": "1000"}}) == 1 + 1 + 1  # trailing zeros trimmed
    assert m.item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 2 + 1 + 2 + 1
    assert m.item_size({"t": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert m.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert m.item_size({"name": {"S": "Hà"}}) == 4 + 3  # UTF-8 bytes


def test_write_units_count_the_table_and_every_index_the_item_lands_in() -> None:
    customer = {"pk": {"S": "t#E#a@x.vn"}, "tenant_shard": {"S": "t#03"}, "customer_id": {"S": "01ABC"}}
    pointer = {"pk": {"S": "t#P#+84900000000"}, "home": {"S": "t#E#a@x.vn"}, "ref_customer_id": {"S": "01ABC"}}
    assert m.write_units(customer, ("pk",), INDEXES) == {"": 1, "ByTenant": 1, "ById": 1}
    assert m.write_units(pointer, ("pk",), INDEXES) == {"": 1}
    big = {**customer, "note": {"S": "x" * 1500}}
    assert m.write_units(big, ("pk",), INDEXES) == {"": 2, "ByTenant": 2, "ById": 1}  # ById holds keys only


def test_read_units_round_up_to_4kb_and_a_missing_item_still_costs_one() -> None:
    assert m.read_units(None, consistent=True) == 1
    assert m.read_units(5000, consistent=True) == 2
    assert m.read_units(5000, consistent=False) == 1
    assert m.read_units(100, consistent=False) == 0.5


def test_the_token_bucket_makes_a_request_wait_for_its_capacity() -> None:
    bucket = m.TokenBucket(lambda t: 100.0, burst_s=1.0)
    assert bucket.take(0.0, 100) == 0.0  # the burst
    assert bucket.take(0.0, 100) == pytest.approx(1.0)
    assert bucket.take(5.0, 50) == 5.0  # refilled meanwhile
    assert bucket.waited_s == pytest.approx(1.0)


def _work(function: str, *calls: float, wru: float = 0.0) -> object:
    units = (("w:Customers", wru),) if wru else ()
    return m.Work(function, tuple(m.Step(0.0, (m.Call("dynamodb", "BatchWriteItem", s, 0.0, units),)) for s in calls))


def _profile(chunks: int = 3, wru: float = 0.0) -> object:
    return m.Profile(
        rows=chunks * 500,
        splitter=_work("ImportSplitterFunction", 2.0),
        chunks=[_work("RowValidatorFunction", 1.0, wru=wru) for _ in range(chunks)],
        report=_work("ImportReportFunction", 0.5),
        notice=_work("NotifierFunction", 0.25),
    )


def _instant(**overrides: object) -> object:
    """Every call as long as measured, nothing else takes time."""
    settings = {
        "use_local_latencies": True,
        "cold_start_s": 0.0,
        "s3_event_s": 0.0,
        "sqs_pickup_s": 0.0,
        "sfn_start_s": 0.0,
        "sfn_transition_s": 0.0,
        **overrides,
    }
    return m.Model(**settings)


def test_a_tenants_chunks_run_one_at_a_time_and_tenants_in_parallel() -> None:
    model = _instant(throughput=False)
    _, (job,) = m.simulate(model, [m.Job("t", _profile())])
    assert job.emailed_at == pytest.approx(2.0 + 3 * 1.0 + 0.5 + 0.25)
    _, jobs = m.simulate(model, [m.Job(f"t{n}", _profile()) for n in range(3)])
    assert [job.emailed_at for job in jobs] == pytest.approx([5.75] * 3)
    # Two files of one tenant share its message group: their chunks wait for each other.
    _, jobs = m.simulate(model, [m.Job("t", _profile()), m.Job("t", _profile())])
    assert max(job.emailed_at for job in jobs) == pytest.approx(2.0 + 6 * 1.0 + 0.5 + 0.25)


def test_lambda_concurrency_and_cold_starts() -> None:
    model = _instant(throughput=False, concurrency={"ImportSplitterFunction": 1}, cold_start_s=0.5)
    sim, jobs = m.simulate(model, [m.Job(f"t{n}", _profile(chunks=1)) for n in range(2)])
    # The second split waits for the first (one environment, warm by then); the first of each function starts cold.
    assert sorted(job.split_done for job in jobs) == pytest.approx([2.5, 4.5])
    assert sim.lambda_wait_s["ImportSplitterFunction"] == pytest.approx(2.5)


def test_write_capacity_is_shared_by_every_tenant() -> None:
    # Each chunk writes 1,000 WRU; the table serves 1,000 WRU/s (no growth, no burst beyond one second).
    model = _instant(warm_wru=1000.0, doubling_s=1e12)
    _, (alone,) = m.simulate(model, [m.Job("t", _profile(wru=1000.0))])
    _, together = m.simulate(model, [m.Job(f"t{n}", _profile(wru=1000.0)) for n in range(4)])
    assert alone.emailed_at == pytest.approx(2.0 + 3 * 1.0 + 0.75)  # one tenant's 1,000 WRU/s fits
    # Four tenants ask 4,000 WRU/s: the 12 chunks' writes are granted a second apart from t=2 (the burst first).
    assert max(job.emailed_at for job in together) == pytest.approx(2.0 + 11 * 1.0 + 1.0 + 0.75)
    sim, _ = m.simulate(model, [m.Job(f"t{n}", _profile(wru=1000.0)) for n in range(4)])
    assert sim.buckets["w:Customers"].waited_s > 0
    assert "DynamoDB throughput" in m.bound(sim, 3.0)


def test_aws_latencies_replace_the_measured_ones() -> None:
    model = m.Model(latencies={"dynamodb:BatchWriteItem": 0.015, "s3:*": 0.025, "*": 0.03}, s3_mb_per_s=10.0)
    assert model.latency(m.Call("dynamodb", "BatchWriteItem", local_s=0.2)) == 0.015
    assert model.latency(m.Call("s3", "GetObject", local_s=0.2, bytes=1_000_000)) == pytest.approx(0.125)
    assert model.latency(m.Call("sesv2", "SendEmail", local_s=0.2, cpu_s=0.01), cpu_scale=2.0) == pytest.approx(0.05)
    assert m.Model(use_local_latencies=True).latency(m.Call("s3", "GetObject", local_s=0.2)) == 0.2


def test_a_recorded_invocation_becomes_steps_with_its_cpu_between_the_calls() -> None:
    recorder = CallRecorder()
    invocation = recorder.begin("F")
    params = {"RequestItems": {"Customers": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}}
    for started, thread in ((10.5, invocation.thread), (11.5, 7), (11.6, 8)):  # two overlap: a thread pool
        recorder.call("F", RecordedCall("dynamodb", "BatchWriteItem", started, 0.5, 0.1, thread, params, {}))
    recorder.end(invocation)
    recorder.call("F", RecordedCall("s3", "GetObject", 20.0, 1.0, 0.0, 1, {}, {}))  # after the end: not its
    invocation.started, invocation.wall_s, invocation.cpu_s = 10.0, 3.1, 1.1  # 0.1 of it inside its own call
    capacity = m.Capacity()
    tables = m.Tables({"Customers": (("pk",), INDEXES)})
    work = m.work_of(invocation, tables, capacity)
    assert [len(step.calls) for step in work.steps] == [1, 2, 0]
    # Gaps of 0.5, 0.5 and 1.0 s (the tail) share the 1.0 s of CPU outside the calls.
    assert [step.cpu_s for step in work.steps] == pytest.approx([0.25, 0.25, 0.5])
    assert capacity.wru["w:Customers"] == 3
    assert capacity.requests["dynamodb:BatchWriteItem"] == 3


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        m.attribute_size({"X": 1})


def test_a_tenants_chunks_spread_over_its_message_groups() -> None:
    model = _instant(throughput=False, message_groups=2)
    _, (job,) = m.simulate(model, [m.Job("t", _profile(chunks=4))])
    assert job.emailed_at == pytest.approx(2.0 + 2 * 1.0 + 0.5 + 0.25)  # chunks 0 and 2, 1 and 3 in a row


def test_a_thread_pools_calls_share_its_threads() -> None:
    calls = tuple(m.Call("dynamodb", "BatchExecuteStatement", 1.0) for _ in range(5))
    work = m.Work("RowValidatorFunction", (m.Step(0.0, calls, lanes=2),))
    profile = m.Profile(500, _work("ImportSplitterFunction", 0.0), [work], _work("A", 0.0), _work("B", 0.0))
    _, (job,) = m.simulate(_instant(throughput=False), [m.Job("t", profile)])
    assert job.emailed_at == pytest.approx(3.0)  # 5 calls, 2 at a time: 3 rounds
    assert m.unhindered_s(_instant(), work) == pytest.approx(2.5)


def test_partiql_writes_are_priced_by_the_items_they_write() -> None:
    capacity = m.Capacity()
    tables = m.Tables({"Customers": (("pk",), INDEXES[:1])})
    insert = "INSERT INTO \"Customers\" VALUE {'pk': ?, 'kind': ?, 'tenant_shard': ?, 'customer_id': ?}"
    home = [{"S": "t#E#a@x.vn"}, {"S": "customer"}, {"S": "t#03"}, {"S": "01ABC"}]
    pointer = "INSERT INTO \"Customers\" VALUE {'pk': ?, 'kind': ?, 'home': ?}"
    update = 'UPDATE "Customers" SET "city" = ? WHERE "pk" = ? AND "version" = ?'
    params = {
        "Statements": [
            {"Statement": insert, "Parameters": home},
            {"Statement": pointer, "Parameters": [{"S": "t#P#1"}, {"S": "pointer"}, {"S": "t#E#a@x.vn"}]},
        ]
    }
    recorded = RecordedCall("dynamodb", "BatchExecuteStatement", 0.0, 0.1, 0.0, 1, params, {"Responses": [{}, {}]})
    call = m.call_of(recorded, tables, capacity, {})
    assert dict(call.units) == {"w:Customers": 2, "w:Customers/ByTenant": 1}
    assert call.customer_puts == 1
    # An update of the customer just written: the table and its index entry, by the item's size.
    params = {"Statements": [{"Statement": update, "Parameters": [{"S": "Huế"}, {"S": "t#E#a@x.vn"}, {"N": "1"}]}]}
    failed = {"Responses": [{"Error": {"Code": "ConditionalCheckFailed"}}]}
    call = m.call_of(RecordedCall("dynamodb", "BatchExecuteStatement", 0.0, 0.1, 0.0, 1, params, failed), tables,
                     capacity, {})  # fmt: skip
    assert dict(call.units) == {"w:Customers": 1, "w:Customers/ByTenant": 1}
    assert capacity.requests["dynamodb:failed_conditions"] == 1


def test_todays_design_is_the_same_work_written_one_batch_after_another_with_a_second_index() -> None:
    statement = m.Call("dynamodb", "BatchExecuteStatement", 1.0, units=(("w:C", 25.0),), customer_puts=12)
    chunk = m.Work("RowValidatorFunction", (m.Step(0.5, (statement,) * 4, lanes=4),))
    profile = m.Profile(500, _work("ImportSplitterFunction", 0.0), [chunk], _work("A", 0.0), _work("B", 0.0))
    (baseline,) = m.baseline_of(profile, "C").chunks
    assert [len(step.calls) for step in baseline.steps] == [0, 1, 1, 1, 1]
    assert {c.operation for step in baseline.steps for c in step.calls} == {"BatchWriteItem"}
    assert dict(baseline.steps[1].calls[0].units) == {"w:C": 25.0, "w:C/ById": 12.0}
    assert m.unhindered_s(_instant(), baseline) == pytest.approx(4.5)
    assert m.unhindered_s(_instant(), chunk) == pytest.approx(1.5)


def test_threads_ask_for_capacity_when_they_make_their_requests() -> None:
    # Four groups' chunks at once, each 5 requests through 2 threads; the table has capacity to spare: none waits.
    calls = tuple(m.Call("dynamodb", "BatchExecuteStatement", 1.0, units=(("w:C", 25.0),)) for _ in range(5))
    chunk = m.Work("RowValidatorFunction", (m.Step(0.0, calls, lanes=2),))
    profile = m.Profile(2000, _work("ImportSplitterFunction", 0.0), [chunk] * 4, _work("A", 0.0), _work("B", 0.0))
    model = _instant(message_groups=4, warm_wru=1e6, doubling_s=1e12)
    sim, (job,) = m.simulate(model, [m.Job("t", profile)])
    assert job.chunks_done_at == pytest.approx(3.0)
    assert sim.buckets["w:C"].waited_s == 0
