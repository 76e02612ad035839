"""AWS's clock for an import, by simulation from the work a real local run measured (issue 16; docs/adr/0011).

    python bench/aws_model.py [--rows 30000] [--latency BatchExecuteStatement=0.015 ...] [--lambda-concurrency 1000]

1. Measures: imports a generated workbook of N new customers on the local stack (as bench/import_e2e.py does)
   with the local Lambda runtime's call recorder on: every invocation from the upload to the notice, its CPU
   (``time.thread_time`` of the invoking thread, plus child processes: the isolated reader) and every AWS call it
   made, in order, with its duration on the emulator. Capacity units come from the items sent and answered,
   sized by DynamoDB's rules (names + values; numbers about digits/2 + 1 bytes): a write 1 WRU a started 1 KB per
   item and per index the item lands in (``ALL``: the item, ``KEYS_ONLY``: its keys; a PartiQL INSERT as a put of
   its item, an UPDATE or DELETE by the item as last read or written), a strongly consistent read 1 RRU a started
   4 KB per key asked (a key with no item still costs 1), half that eventually consistent.
2. Replays the pipeline's schedule as a discrete-event simulation (heapq): S3 event -> splitter (its calls one
   after another, as the code makes them) -> chunk messages on the FIFO queue, spread over the tenant's message
   groups (the template's ``MessageGroupsPerTenant``; one chunk in flight a group) -> validators (each chunk's
   calls in order: BatchGetItem, the decision record, the conditional writes 25 a request through a thread pool
   whose size is read off the recording, the count) -> Step Functions -> report -> notice.
   Lambda: per-function concurrency (the template's ScalingConfig) within the account's, a cold start for each new
   execution environment, CPU scaled by the memory's share of a vCPU (1,769 MB = 1 vCPU). DynamoDB: a token
   bucket per table and per index (1 s of burst) at its warm throughput: the template's ``WarmThroughput`` where it
   sets one, else a new on-demand table's 4,000 WRU/s and 12,000 RRU/s; doubling every 30 minutes of the run (a
   simple model of on-demand growth; AWS documents "up to double the previous peak" within about 30 minutes),
   capped at the 40,000 WRU/s / RRU/s default table quota. With keys spread by hash, the per-partition limits
   (1,000 WRU/s, 3,000 RRU/s) multiplied by the partitions a warm throughput implies equal that throughput, so one
   bucket per table/index stands for both (a tenant's ``ByTenant`` entries spread over 16 shards: 16,000 WRU/s). A
   throttled call waits for its capacity (the SDK's retries, without their backoff: a lower bound).
3. Validates: the same simulation fed the locally measured per-call durations, CPU, hand-off delays and the local
   runtime's concurrency (one invocation per function, the emulator as one CPU) must reproduce the local
   upload-to-notice wall time; prints the error.
4. Predicts upload-to-email on AWS for 30,000 new rows of one tenant, 1,000,000 new rows of one tenant (34 files
   of 30,000 uploaded at once, their chunks sharing the tenant's message groups; and one file under an operator
   ceiling, its splitter and report scaled linearly), and 100 tenants of 30,000 rows each at once, with what
   bounds each. The work of a chunk is the measured one (chunk k of any job replays measured chunk k mod n).
5. The design before ADR 11 (``baseline``), from the same measured work: each chunk's conditional write requests
   replaced by the same items as unconditional ``BatchWriteItem`` calls one after another, a ``ById`` index entry
   (1 WRU) for every new customer, one message group per tenant and no pre-warmed throughput.

The last line is one JSON object (``predicted_30k_s``, ``predicted_1m_s``, ``validation_error``, ...; the same keys
under ``baseline``).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- DynamoDB's size rules

KB = 1024


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON value by DynamoDB's rules (close enough for capacity: numbers by digits)."""
    ((kind, inner),) = value.items()
    if kind in ("S",):
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits.rstrip("0") or "0") + 1) // 2 + 1  # a byte per two significant digits, plus one
    if kind == "B":
        return len(inner) if isinstance(inner, (bytes, bytearray)) else len(str(inner)) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in inner)
    if kind == "NS":
        return sum(attribute_size({"N": v}) for v in inner)
    if kind == "BS":
        return sum(attribute_size({"B": v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE


def write_units(item: dict[str, Any], table_keys: tuple[str, ...], indexes: Iterable[Index]) -> dict[str, int]:
    """WRU of putting ``item`` (new: no old image to take out of an index): 1 a started KB on the table, and on
    each index whose keys the item carries (KEYS_ONLY: the table's and the index's keys)."""
    units = {"": math.ceil(item_size(item) / KB)}
    for index in indexes:
        if all(key in item for key in index.keys):
            if index.projection == "KEYS_ONLY":
                projected = {k: v for k, v in item.items() if k in set(index.keys) | set(table_keys)}
            else:
                projected = item
            units[index.name] = math.ceil(item_size(projected) / KB)
    return units


def read_units(size: int | None, consistent: bool) -> float:
    """RRU of reading one item (``None``: no item at the key, still one read)."""
    units = max(1, math.ceil((size or 0) / (4 * KB)))
    return units if consistent else units / 2


# ---------------------------------------------------------------- the work, as the simulator sees it


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    local_s: float = 0.0  # how long it took on the emulator (the client's CPU included)
    cpu_s: float = 0.0  # the client's own CPU in it (building the request, parsing the answer)
    units: tuple[tuple[str, float], ...] = ()  # (capacity pool, units): "w:Table", "w:Table/Index", "r:Table"
    bytes: int = 0  # S3 object bytes moved
    customer_puts: int = 0  # new customer items written (the baseline's ById index had an entry for each)


@dataclass(frozen=True)
class Step:
    """CPU, then calls made at once (one call, or a thread pool's: ``lanes`` threads, each making its share of the
    calls one after another; 0: all at once); the next step starts when all have answered."""

    cpu_s: float
    calls: tuple[Call, ...] = ()
    lanes: int = 0


@dataclass(frozen=True)
class Work:
    function: str
    steps: tuple[Step, ...]

    def repeated(self, factor: int) -> Work:
        """This work ``factor`` times over, one after another (a bigger file, scaled linearly)."""
        return replace(self, steps=self.steps * max(1, factor))


DEFAULT_LATENCIES = {
    "dynamodb:BatchWriteItem": 0.015,
    "dynamodb:BatchExecuteStatement": 0.015,  # 25 conditional writes, run in parallel by DynamoDB as a batch's are
    "dynamodb:BatchGetItem": 0.010,
    "dynamodb:*": 0.006,
    "s3:*": 0.025,
    "sqs:*": 0.010,
    "*": 0.030,  # Step Functions, SES, EventBridge, Secrets Manager
}


@dataclass
class Model:
    """How AWS (or the local stack) answers: every figure here is an assumption, printed with the results."""

    latencies: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LATENCIES))
    use_local_latencies: bool = False  # validation: each call takes what it took on the emulator
    s3_mb_per_s: float = 80.0  # an object's transfer on top of the round trip
    cpu_scale: dict[str, float] = field(default_factory=dict)  # function -> factor on measured CPU
    concurrency: dict[str, int] = field(default_factory=dict)  # function -> most environments at once
    account_concurrency: int = 1000
    cold_start_s: float = 1.0
    s3_event_s: float = 0.5  # upload -> S3 event -> upload queue -> splitter invoked
    sqs_pickup_s: float = 0.1  # a chunk's previous message deleted / a message sent -> its invocation
    sfn_start_s: float = 0.2  # StartExecution -> the report task invoked
    sfn_transition_s: float = 0.1  # the report task ended -> the notice task invoked
    throughput: bool = True
    warm_wru: float = 4000.0
    warm_rru: float = 12000.0
    warm: dict[str, float] = field(default_factory=dict)  # pool -> the template's WarmThroughput for it
    message_groups: int = 1  # per tenant
    quota: float = 40000.0
    doubling_s: float = 1800.0
    burst_s: float = 1.0

    def latency(self, call: Call, cpu_scale: float = 1.0) -> float:
        if self.use_local_latencies:
            return call.local_s
        key = f"{call.service}:{call.operation}"
        for candidate in (key, f"{call.service}:*", "*"):
            if candidate in self.latencies:
                base = self.latencies[candidate]
                break
        transfer = call.bytes / (self.s3_mb_per_s * 1e6) if call.service == "s3" else 0.0
        return base + transfer + call.cpu_s * cpu_scale


class TokenBucket:
    """Capacity of one table or index: refills at ``rate(t)``, holds at most ``burst_s`` of it."""

    def __init__(self, rate: Callable[[float], float], burst_s: float) -> None:
        self.rate = rate
        self.burst_s = burst_s
        self.tokens = rate(0.0) * burst_s
        self.at = 0.0
        self.waited_s = 0.0

    def take(self, now: float, units: float) -> float:
        """When ``units`` are granted to a request made at ``now`` (requests are granted in the order made)."""
        now = max(now, self.at)
        rate = self.rate(now)
        self.tokens = min(rate * self.burst_s, self.tokens + (now - self.at) * rate)
        self.at = now
        self.tokens -= units
        if self.tokens >= 0:
            return now
        wait = -self.tokens / rate
        self.waited_s += wait
        return now + wait


# ---------------------------------------------------------------- the discrete-event core


class Simulator:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.now = 0.0
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self.buckets: dict[str, TokenBucket] = {}
        self.busy: Counter[str] = Counter()  # function -> environments running
        self.idle: Counter[str] = Counter()  # function -> warm environments waiting
        self.waiting: dict[str, deque[tuple[Work, Callable[[], None], float]]] = defaultdict(deque)
        self.cold_starts = 0
        self.lambda_wait_s: defaultdict[str, float] = defaultdict(float)  # function -> waiting for an environment
        self.busy_s: defaultdict[str, float] = defaultdict(float)  # function -> time its invocations ran
        self.invocations: Counter[str] = Counter()

    def at(self, when: float, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, action))

    def run(self) -> float:
        while self._events:
            self.now, _, action = heapq.heappop(self._events)
            action()
        return self.now

    def bucket(self, pool: str) -> TokenBucket:
        if pool not in self.buckets:
            model = self.model
            warm = model.warm.get(pool) or (model.warm_wru if pool.startswith("w:") else model.warm_rru)

            def rate(t: float, warm: float = warm) -> float:
                return min(model.quota, warm * 2 ** (t / model.doubling_s))

            self.buckets[pool] = TokenBucket(rate, model.burst_s)
        return self.buckets[pool]

    # Lambda: an invocation waits for an environment of its function within both concurrency limits.
    def invoke(self, work: Work, done: Callable[[], None]) -> None:
        function = work.function
        limit = self.model.concurrency.get(function, self.model.account_concurrency)
        if self.idle[function] or (
            self.busy[function] < limit and sum(self.busy.values()) < self.model.account_concurrency
        ):
            self._start(work, done, queued_at=self.now)
        else:
            self.waiting[function].append((work, done, self.now))

    def _start(self, work: Work, done: Callable[[], None], queued_at: float) -> None:
        function = work.function
        self.lambda_wait_s[function] += self.now - queued_at
        self.invocations[function] += 1
        self.busy[function] += 1
        start = self.now
        if self.idle[function]:
            self.idle[function] -= 1
        elif self.model.cold_start_s:
            self.cold_starts += 1
            start += self.model.cold_start_s

        def finished() -> None:
            self.busy_s[function] += self.now - start
            self.busy[function] -= 1
            self.idle[function] += 1
            if self.waiting[function]:
                self._start(*self.waiting[function].popleft())
            done()

        self.at(start, lambda: self._step(work, 0, finished))

    def _step(self, work: Work, index: int, done: Callable[[], None]) -> None:
        if index == len(work.steps):
            done()
            return
        step = work.steps[index]
        cpu = step.cpu_s * self.model.cpu_scale.get(work.function, 1.0)
        self.at(self.now + cpu, lambda: self._calls(work, index, done))

    def _calls(self, work: Work, index: int, done: Callable[[], None]) -> None:
        """The step's calls through its threads: each thread takes the next call when its last one answered (as
        an event, so every request asks for capacity at the time it is made)."""
        step = work.steps[index]
        pending = deque(step.calls)
        threads = min(step.lanes or len(pending), len(pending))
        if not threads:
            self._step(work, index + 1, done)
            return
        running = [threads]
        scale = self.model.cpu_scale.get(work.function, 1.0)

        def next_call() -> None:
            if not pending:
                running[0] -= 1
                if not running[0]:
                    self._step(work, index + 1, done)
                return
            call = pending.popleft()
            granted = self.now
            if self.model.throughput:
                for pool, units in call.units:
                    granted = max(granted, self.bucket(pool).take(self.now, units))
            self.at(granted + self.model.latency(call, scale), next_call)

        for _ in range(threads):
            next_call()


# ---------------------------------------------------------------- the pipeline's schedule (today's design)


@dataclass
class Profile:
    """The measured work of one import, by the step of the pipeline it belongs to."""

    rows: int
    splitter: Work
    chunks: list[Work]
    report: Work
    notice: Work


@dataclass
class Job:
    tenant: str
    profile: Profile
    uploaded_at: float = 0.0
    split_factor: int = 1  # one file this many times the measured one (its splitter and report scaled)
    chunk_count: int = 0
    done_chunks: int = 0
    split_started: float = 0.0
    split_done: float = 0.0
    chunks_done_at: float = 0.0
    emailed_at: float = 0.0


def simulate(model: Model, jobs: list[Job]) -> tuple[Simulator, list[Job]]:
    """Every job from its upload to its email; FIFO: a tenant's chunks spread over ``model.message_groups`` groups
    (chunk n in group n mod groups, as the splitter spreads a file without shared keys), one message in flight a
    group."""
    sim = Simulator(model)
    groups: dict[str, deque[tuple[Job, Work]]] = defaultdict(deque)
    in_flight: set[str] = set()

    def dispatch(group: str) -> None:
        if group in in_flight or not groups[group]:
            return
        in_flight.add(group)
        job, work = groups[group].popleft()
        sim.at(sim.now + model.sqs_pickup_s, lambda: sim.invoke(work, lambda: chunk_done(group, job)))

    def chunk_done(group: str, job: Job) -> None:
        in_flight.discard(group)
        job.done_chunks += 1
        if job.done_chunks == job.chunk_count:
            job.chunks_done_at = sim.now
            sim.at(sim.now + model.sfn_start_s, lambda: sim.invoke(job.profile.report.repeated(job.split_factor),
                                                                   lambda: reported(job)))  # fmt: skip
        dispatch(group)

    def reported(job: Job) -> None:
        sim.at(sim.now + model.sfn_transition_s, lambda: sim.invoke(job.profile.notice, lambda: emailed(job)))

    def emailed(job: Job) -> None:
        job.emailed_at = sim.now

    def split(job: Job) -> None:
        job.split_started = sim.now
        sim.invoke(job.profile.splitter.repeated(job.split_factor), lambda: split_done(job))

    def split_done(job: Job) -> None:
        job.split_done = sim.now
        measured = job.profile.chunks
        job.chunk_count = len(measured) * job.split_factor
        for number in range(job.chunk_count):
            groups[f"{job.tenant}#{number % model.message_groups}"].append((job, measured[number % len(measured)]))
        for group in range(model.message_groups):
            dispatch(f"{job.tenant}#{group}")

    for job in jobs:
        sim.at(job.uploaded_at + model.s3_event_s, lambda job=job: split(job))  # type: ignore[misc]
    sim.run()
    return sim, jobs


# ---------------------------------------------------------------- from a local run's recording to work


@dataclass
class Tables:
    """Physical table name -> (its key attributes, its indexes), from the template's definitions; and the pools
    ("w:Table", "r:Table/Index") the template pre-warms (WarmThroughput), with their units per second."""

    by_name: dict[str, tuple[tuple[str, ...], tuple[Index, ...]]]
    warm: dict[str, float] = field(default_factory=dict)


def tables_of(stack: Any) -> Tables:
    by_name = {}
    warm: dict[str, float] = {}
    parameters = {name: p.get("Default") for name, p in stack.template.get("Parameters", {}).items()}

    def units(value: Any) -> float:
        return float(parameters[value["Ref"]] if isinstance(value, dict) else value)

    for logical_id, resource in stack.template["Resources"].items():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        properties = resource["Properties"]
        name = stack.physical(logical_id)["Name"]
        for pool, settings in [(name, properties.get("WarmThroughput"))] + [
            (f"{name}/{index['IndexName']}", index.get("WarmThroughput"))
            for index in properties.get("GlobalSecondaryIndexes", [])
        ]:
            for kind, key in (("w", "WriteUnitsPerSecond"), ("r", "ReadUnitsPerSecond")):
                if settings and key in settings:
                    warm[f"{kind}:{pool}"] = units(settings[key])
        keys = tuple(key["AttributeName"] for key in properties["KeySchema"])
        indexes = tuple(
            Index(
                index["IndexName"],
                tuple(key["AttributeName"] for key in index["KeySchema"]),
                index["Projection"]["ProjectionType"],
            )
            for index in properties.get("GlobalSecondaryIndexes", [])
        )
        by_name[name] = (keys, indexes)
    return Tables(by_name, warm)


@dataclass
class Capacity:
    wru: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # pool -> units
    rru: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    requests: Counter[str] = field(default_factory=Counter)
    largest_item: int = 0
    largest_customer_item: int = 0
    # (table, key) -> (size, the indexes it is in) of items read or written: what an UPDATE or DELETE costs
    known: dict[tuple[str, str], tuple[int, tuple[str, ...]]] = field(default_factory=dict)


def call_of(recorded: Any, tables: Tables, capacity: Capacity, last_size: dict[str, int]) -> Call:
    """One recorded call as the simulator sees it, with the capacity it consumes (added to ``capacity``)."""
    service, operation, params, response = recorded.service, recorded.operation, recorded.params, recorded.response
    capacity.requests[f"{service}:{operation}"] += 1
    units: defaultdict[str, float] = defaultdict(float)
    moved = 0
    customer_puts = 0
    if service == "dynamodb":
        if operation in UNPRICED:
            raise SystemExit(f"bench/aws_model.py does not price dynamodb:{operation} yet: extend call_of")
        if operation == "BatchExecuteStatement":
            failed = [bool(answer.get("Error")) for answer in (response.get("Responses") or [])]
            for number, statement in enumerate(params["Statements"]):
                customer_puts += _statement_units(statement, tables, capacity, units)
                capacity.requests["dynamodb:statements"] += 1
                if number < len(failed) and failed[number]:
                    capacity.requests["dynamodb:failed_conditions"] += 1
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                keys, indexes = tables.by_name.get(table, (("pk",), ()))
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        size = item_size(item)
                        capacity.largest_item = max(capacity.largest_item, size)
                        if item.get("kind", {}).get("S") == "customer":
                            capacity.largest_customer_item = max(capacity.largest_customer_item, size)
                        for index, wru in write_units(item, keys, indexes).items():
                            units[f"w:{table}/{index}" if index else f"w:{table}"] += wru
                    else:
                        units[f"w:{table}"] += 1
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                found = {json.dumps(_key_of(i, request["Keys"][0]), sort_keys=True): item_size(i)
                         for i in (response.get("Responses") or {}).get(table, [])}  # fmt: skip
                keys, indexes = tables.by_name.get(table, (("pk",), ()))
                for item in (response.get("Responses") or {}).get(table, []):
                    capacity.known[(table, json.dumps(_key_of(item, request["Keys"][0]), sort_keys=True))] = (
                        item_size(item),
                        tuple(index.name for index in indexes if all(k in item for k in index.keys)),
                    )
                for key in request["Keys"]:
                    found_size = found.get(json.dumps(key, sort_keys=True))
                    units[f"r:{table}"] += read_units(found_size, bool(request.get("ConsistentRead")))
        elif operation in ("GetItem", "Query", "Scan"):
            table = params["TableName"]
            items = [response["Item"]] if response.get("Item") else response.get("Items") or []
            size = sum(item_size(i) for i in items)
            if operation == "GetItem":
                last_size[table] = size
            pool = f"r:{table}" + (f"/{params['IndexName']}" if params.get("IndexName") else "")
            units[pool] += read_units(size or None, bool(params.get("ConsistentRead")))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            size = item_size(params["Item"]) if "Item" in params else last_size.get(table, 0)
            units[f"w:{table}"] += max(1, math.ceil(size / KB))  # an update: the item's size as last read
    elif service == "s3":
        if operation == "GetObject":
            moved = int(response.get("ContentLength") or 0)
        elif operation in ("PutObject", "UploadPart"):
            body = params.get("Body", b"")
            moved = len(body) if isinstance(body, (bytes, bytearray, str)) else 0
    for pool, value in units.items():
        (capacity.wru if pool.startswith("w:") else capacity.rru)[pool] += value
    return Call(service, operation, recorded.wall_s, recorded.cpu_s, tuple(sorted(units.items())), moved, customer_puts)


UNPRICED = frozenset({"TransactWriteItems", "TransactGetItems", "ExecuteStatement", "ExecuteTransaction"})
_STATEMENT = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"((?:[^"]|"")+)"', re.IGNORECASE)
_INSERTED_NAMES = re.compile(r"'((?:[^']|'')+)'\s*:\s*\?")
_SET_NAMES = re.compile(r'\bSET\s+"((?:[^"]|"")+)"\s*=\s*\?', re.IGNORECASE)


def _statement_units(
    statement: dict[str, Any], tables: Tables, capacity: Capacity, units: defaultdict[str, float]
) -> int:
    """Add one PartiQL write's capacity to ``units`` (an INSERT as a put of its item; an UPDATE or DELETE by the
    size of the item as last read or written, on the table and on each index it is in); 1 if it put a customer."""
    match = _STATEMENT.match(statement["Statement"])
    if match is None:
        raise SystemExit(f"bench/aws_model.py cannot price {statement['Statement'][:60]!r}")
    verb, table = match.group(1).split()[0].upper(), match.group(2).replace('""', '"')
    keys, indexes = tables.by_name.get(table, (("pk",), ()))
    parameters = statement.get("Parameters") or []
    if verb == "INSERT":
        names = [n.replace("''", "'") for n in _INSERTED_NAMES.findall(statement["Statement"])]
        item = dict(zip(names, parameters, strict=True))
        size = item_size(item)
        capacity.largest_item = max(capacity.largest_item, size)
        is_customer = item.get("kind", {}).get("S") == "customer"
        if is_customer:
            capacity.largest_customer_item = max(capacity.largest_customer_item, size)
        for index, wru in write_units(item, keys, indexes).items():
            units[f"w:{table}/{index}" if index else f"w:{table}"] += wru
        key = json.dumps({k: item[k] for k in keys}, sort_keys=True)
        capacity.known[(table, key)] = (size, tuple(i.name for i in indexes if all(k in item for k in i.keys)))
        return int(is_customer)
    # UPDATE ... WHERE "pk" = ? ...: the key is the first condition's parameter (after the SET values). DynamoDB
    # charges the larger of the item before and after; after ~ before + what is set (an upper bound).
    set_names = _SET_NAMES.findall(statement["Statement"])
    sets = len(set_names)
    key = json.dumps({keys[0]: parameters[sets]}, sort_keys=True)
    size, in_indexes = capacity.known.get((table, key), (KB, tuple(i.name for i in indexes)))
    charged = size
    if verb == "UPDATE":
        charged = size + sum(len(n.encode()) + attribute_size(v) for n, v in zip(set_names, parameters, strict=False))
        if {name.replace('""', '"') for name in set_names} & {k for i in indexes for k in i.keys}:
            in_indexes = tuple(i.name for i in indexes)  # a pointer becoming a customer joins the index
        capacity.known[(table, key)] = (charged, in_indexes)
    else:
        capacity.known.pop((table, key), None)
    units[f"w:{table}"] += max(1, math.ceil(charged / KB))
    for index in in_indexes:
        units[f"w:{table}/{index}"] += max(1, math.ceil(charged / KB))
    return 0


def _key_of(item: dict[str, Any], example_key: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in example_key}


def work_of(invocation: Any, tables: Tables, capacity: Capacity) -> Work:
    """The invocation's calls grouped where they overlapped (a thread pool), and its CPU spread over the gaps
    between them in proportion to each gap (all before the first call when it made none)."""
    calls = sorted(invocation.calls, key=lambda c: c.started)
    groups: list[list[Any]] = []
    group_end = -math.inf
    for recorded in calls:
        if groups and recorded.started < group_end:
            groups[-1].append(recorded)
        else:
            groups.append([recorded])
        group_end = max(c.started + c.wall_s for c in groups[-1])
    cursor = invocation.started
    gaps = []
    for group in groups:
        gaps.append(max(0.0, group[0].started - cursor))
        cursor = max(c.started + c.wall_s for c in group)
    tail = max(0.0, invocation.started + invocation.wall_s - cursor)
    # The invoking thread's CPU inside its calls belongs to the calls (``Call.cpu_s``), not to the gaps.
    in_calls = sum(c.cpu_s for c in calls if c.thread == invocation.thread)
    cpu = max(0.0, invocation.cpu_s - in_calls) + invocation.children_cpu_s
    total_gap = sum(gaps) + tail
    share = [gap / total_gap if total_gap else 0.0 for gap in [*gaps, tail]]
    last_size: dict[str, int] = {}
    steps = [
        Step(cpu * share[i], tuple(call_of(c, tables, capacity, last_size) for c in group), _lanes(group))
        for i, group in enumerate(groups)
    ]
    steps.append(Step(cpu * share[-1] if groups else cpu))
    return Work(invocation.function, tuple(steps))


def _lanes(group: list[Any]) -> int:
    """How many of the group's calls were in flight at once at most: the thread pool's size."""
    events = sorted([(c.started, 1) for c in group] + [(c.started + c.wall_s, -1) for c in group])
    most = current = 0
    for _, change in events:
        current += change
        most = max(most, current)
    return max(1, most)


# ---------------------------------------------------------------- the local run


@dataclass
class LocalRun:
    rows: int
    wall_s: float  # upload finished -> the notice's invocation ended
    profile: Profile
    capacity: Capacity
    handoffs: dict[str, float]
    memory_mb: dict[str, int]
    concurrency: dict[str, int]
    cpu_s: dict[str, float]
    local_call_s: dict[str, float]
    customers_table: str
    warm: dict[str, float]  # the template's WarmThroughput by pool
    message_groups: int  # the template's default MessageGroupsPerTenant


def measure(rows: int) -> LocalRun:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from import_e2e import generate  # type: ignore[import-not-found]  # the same workbook as the end-to-end benchmark

    from customer_bulk_local.client import ApiClient
    from customer_bulk_local.lambda_runtime import CallRecorder
    from customer_bulk_local.product import start_stack

    with tempfile.TemporaryDirectory() as scratch:
        path = generate(Path(scratch) / f"model-{rows}.xlsx", rows)
        stack = start_stack()
        try:
            assert stack.runtime is not None
            recorder = stack.runtime.recorder = CallRecorder()
            client = ApiClient(stack.api_url, "bench", "bench@example.com")
            created = client.create_import(path.name)
            upload_started = time.perf_counter()
            client.upload(created["upload"], path)
            uploaded = time.perf_counter()
            status = client.wait(created["job_id"], timeout_s=3600, poll_s=2)
            assert status["status"] == "completed" and status["created"] == rows, status
            deadline = time.monotonic() + 60
            while not _ended(recorder, "NotifierFunction") and time.monotonic() < deadline:
                time.sleep(0.05)
            stack.runtime.recorder = None
            tables = tables_of(stack)
            customers_table = stack.physical("CustomersTable")["Name"]
            memory, concurrency = _function_settings(stack)
            groups = int(stack.template["Parameters"]["MessageGroupsPerTenant"]["Default"])
        finally:
            stack.stop()
    path_functions = ("ImportSplitterFunction", "RowValidatorFunction", "ImportReportFunction", "NotifierFunction")
    invocations = [i for i in recorder.invocations if i.started >= upload_started and i.function in path_functions]
    by_function: dict[str, list[Any]] = defaultdict(list)
    for invocation in invocations:
        by_function[invocation.function].append(invocation)
    (splitter,) = by_function["ImportSplitterFunction"]
    validators = by_function["RowValidatorFunction"]
    (report,) = by_function["ImportReportFunction"]
    (notice,) = by_function["NotifierFunction"]
    # moto sends the S3 event while answering the upload: the splitter may start before the client hears back.
    uploaded = min(uploaded, splitter.started)
    capacity = Capacity()
    profile = Profile(
        rows=rows,
        splitter=work_of(splitter, tables, capacity),
        chunks=[work_of(v, tables, capacity) for v in validators],
        report=work_of(report, tables, capacity),
        notice=work_of(notice, tables, capacity),
    )
    last_send = max(c.started + c.wall_s for c in splitter.calls if c.service == "sqs")
    start_call = max(c.started + c.wall_s for c in validators[-1].calls if c.service == "stepfunctions")
    pickups = [validators[0].started - last_send] + [
        b.started - (a.started + a.wall_s) for a, b in itertools.pairwise(validators)
    ]
    handoffs = {
        "s3_event_s": splitter.started - uploaded,
        "sqs_pickup_s": statistics.median(pickups),
        "sfn_start_s": report.started - start_call,
        "sfn_transition_s": notice.started - (report.started + report.wall_s),
    }
    call_s: defaultdict[str, float] = defaultdict(float)
    for invocation in invocations:
        for c in invocation.calls:
            call_s[f"{c.service}:{c.operation}"] += c.wall_s
    cpu: defaultdict[str, float] = defaultdict(float)
    for invocation in invocations:
        cpu[invocation.function] += invocation.cpu_s + invocation.children_cpu_s
    return LocalRun(
        rows=rows,
        wall_s=notice.started + notice.wall_s - uploaded,
        profile=profile,
        capacity=capacity,
        handoffs=handoffs,
        memory_mb=memory,
        concurrency=concurrency,
        cpu_s=dict(cpu),
        local_call_s=dict(call_s),
        customers_table=customers_table,
        warm=tables.warm,
        message_groups=groups,
    )


def _ended(recorder: Any, function: str) -> bool:
    return any(i.function == function and i.wall_s for i in recorder.invocations)


def _function_settings(stack: Any) -> tuple[dict[str, int], dict[str, int]]:
    """MemorySize (Globals, else the function's) and the most concurrent invocations the template allows
    (ReservedConcurrentExecutions, an event source's ScalingConfig.MaximumConcurrency)."""
    template = stack.template
    default_memory = int(template.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    parameters = {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}
    memory, concurrency = {}, {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        memory[logical_id] = int(properties.get("MemorySize", default_memory))
        limits = [properties.get("ReservedConcurrentExecutions")]
        for event in (properties.get("Events") or {}).values():
            limits.append(((event.get("Properties") or {}).get("ScalingConfig") or {}).get("MaximumConcurrency"))
        values = [int(parameters[v["Ref"]]) if isinstance(v, dict) else int(v) for v in limits if v is not None]
        if values:
            concurrency[logical_id] = min(values)
    return memory, concurrency


# ---------------------------------------------------------------- scenarios and report


BASELINE_INDEX = "ById"  # today's design's second index: one KEYS_ONLY entry per customer


def baseline_of(profile: Profile, customers_table: str) -> Profile:
    """The same measured work as today's design made it: a chunk's writes as one BatchWriteItem after another (the
    same 25 items a request, unconditional), each new customer with an entry in the ById index too."""

    def rewritten(work: Work) -> Work:
        steps: list[Step] = []
        for step in work.steps:
            batches = [c for c in step.calls if c.operation == "BatchExecuteStatement"]
            steps.append(replace(step, calls=tuple(c for c in step.calls if c not in batches)))
            for call in batches:
                units = (*call.units, (f"w:{customers_table}/{BASELINE_INDEX}", float(call.customer_puts)))
                steps.append(Step(0.0, (replace(call, operation="BatchWriteItem", units=units),)))
        return replace(work, steps=tuple(steps))

    return replace(profile, chunks=[rewritten(work) for work in profile.chunks])


def aws_model(run: LocalRun, args: argparse.Namespace) -> Model:
    latencies = dict(DEFAULT_LATENCIES)
    for setting in args.latency:
        name, _, value = setting.partition("=")
        latencies[name if ":" in name or name == "*" else f"dynamodb:{name}"] = float(value)
    return Model(
        latencies=latencies,
        cpu_scale={name: max(1.0, 1769 / mb) * args.cpu_factor for name, mb in run.memory_mb.items()},
        concurrency=run.concurrency,
        account_concurrency=args.lambda_concurrency,
        warm_wru=args.warm_wru,
        doubling_s=args.doubling_min * 60,
        warm=run.warm,
        message_groups=run.message_groups,
    )


def local_model(run: LocalRun) -> Model:
    """The local stack: the calls as long as they took there, the measured hand-offs, one invocation at a time per
    function (its lock), no cold start, no capacity limit (the emulator's own slowness is in its durations)."""
    functions = {"ImportSplitterFunction", "RowValidatorFunction", "ImportReportFunction", "NotifierFunction"}
    return Model(
        use_local_latencies=True,
        cold_start_s=0.0,
        throughput=False,
        concurrency=dict.fromkeys(functions, 1),
        **run.handoffs,  # type: ignore[arg-type]
    )


def scenario(
    model: Model, profile: Profile, tenants: int, files: int, split_factor: int, serial_s: float
) -> dict[str, Any]:
    jobs = [Job(f"t{t}", profile, split_factor=split_factor) for t in range(tenants) for _ in range(files)]
    sim, done = simulate(model, jobs)
    last = max(job.emailed_at for job in done)
    first = min(job.emailed_at for job in done)
    splits = max(job.split_done for job in done)
    throttled = {pool: round(bucket.waited_s, 1) for pool, bucket in sim.buckets.items() if bucket.waited_s > 0.05}
    chunk_s = [sum(s.cpu_s for s in w.steps) for w in profile.chunks]
    return {
        "email_s": round(last, 1),
        "first_email_s": round(first, 1),
        "splits_done_s": round(splits, 1),
        "invocations": dict(sim.invocations),
        "cold_starts": sim.cold_starts,
        "lambda_queue_wait_s": {k: round(v, 1) for k, v in sim.lambda_wait_s.items() if v},
        "throttle_wait_s": throttled,
        "mean_chunk_cpu_local_s": round(statistics.mean(chunk_s), 3),  # outside its calls
        "bound": bound(sim, serial_s),
    }


def unhindered_s(model: Model, work: Work) -> float:
    """How long ``work`` takes with nothing to wait for: its CPU and its calls' round trips."""
    scale = model.cpu_scale.get(work.function, 1.0)
    total = 0.0
    for step in work.steps:
        latencies = [model.latency(call, scale) for call in step.calls]
        lanes = step.lanes or len(latencies) or 1
        total += step.cpu_s * scale + max(max(latencies, default=0.0), sum(latencies) / lanes)
    return total


def bound(sim: Simulator, serial_s: float) -> str:
    """What stops a scenario: DynamoDB when waiting for capacity is over a tenth of the validators' running time;
    Lambda when chunks waited for an environment that long; else the message group (a tenant's chunks one at a
    time, the scenario's time about the chunks' serial time)."""
    validating = sim.busy_s["RowValidatorFunction"] or 1.0
    throttled = max(sim.buckets.values(), key=lambda b: b.waited_s, default=None)
    if throttled is not None and throttled.waited_s > 0.1 * validating:
        pool = next(name for name, bucket in sim.buckets.items() if bucket is throttled)
        return f"DynamoDB throughput ({pool}: requests waited {throttled.waited_s / validating:.0%} of chunk time)"
    if sim.lambda_wait_s["RowValidatorFunction"] > 0.1 * validating:
        return "Lambda concurrency (chunks waited for an environment)"
    groups = sim.model.message_groups
    return (
        f"the tenant's FIFO message groups ({groups}, one chunk at a time each: {serial_s:.0f} s of chunk work "
        "in a row per group)"
    )


def predict(
    model: Model, profile: Profile, run: LocalRun, rows: int, label: str
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The four scenarios for one design: figures, what bounds each, and the scenarios' details."""
    capacity = run.capacity
    factor_30k = max(1, round(30_000 / profile.rows))
    files_1m = math.ceil(1_000_000 / 30_000)
    groups = model.message_groups
    chunk_serial = factor_30k * sum(unhindered_s(model, work) for work in profile.chunks) / groups
    one = scenario(model, profile, 1, 1, factor_30k, chunk_serial)
    # 34 files of 30,000 (the default row limit), all uploaded at once by one tenant: its message groups.
    million = scenario(model, profile, 1, files_1m, factor_30k, chunk_serial * files_1m)
    # One file of 1,000,000 under an operator ceiling: splitter and report scaled linearly.
    million_one_file = scenario(model, profile, 1, 1, factor_30k * files_1m, chunk_serial * files_1m)
    hundred = scenario(model, profile, 100, 1, factor_30k, chunk_serial)
    # Customer items and their index entries (a pool is "w:Table" or "w:Table/Index").
    customers_w = sum(v for k, v in capacity.wru.items() if k[2:].split("/")[0] == run.customers_table)
    customers_r = sum(v for k, v in capacity.rru.items() if k[2:].split("/")[0] == run.customers_table)
    splitter_limit = run.concurrency.get("ImportSplitterFunction")
    figures = {
        "predicted_30k_s": one["email_s"],
        "predicted_1m_s": million["email_s"],
        "predicted_1m_one_file_s": million_one_file["email_s"],
        "predicted_100_tenants_s": hundred["email_s"],
        "wru_per_new_row": round(customers_w / rows, 2),
        "rru_per_row": round(customers_r / rows, 2),
        "wru_per_row_all_tables": round(sum(capacity.wru.values()) / rows, 2),
        "rru_per_row_all_tables": round(sum(capacity.rru.values()) / rows, 2),
        "largest_item_bytes": capacity.largest_customer_item,
        "requests_per_1000_rows": round(
            sum(v for k, v in capacity.requests.items() if k.count(":") == 1 and not k.endswith(("statements",
                                                                                                  "conditions")))
            * 1000 / rows, 1),
    }  # fmt: skip
    bounds = {
        "30k": one["bound"],
        "1m_34_files": million["bound"]
        + f"; {files_1m} splits through the splitter's MaximumConcurrency {splitter_limit}: "
        f"{million['splits_done_s']:.0f} s",
        "1m_one_file": million_one_file["bound"]
        + f"; its splitter needs {million_one_file['splits_done_s']:.0f} s against a 300 s timeout",
        "100_tenants": hundred["bound"]
        + f"; the splitter's MaximumConcurrency {splitter_limit} spreads the splits over "
        f"{hundred['splits_done_s']:.0f} s",
    }
    for name, result, why in (
        ("30,000 new rows, one tenant", one, bounds["30k"]),
        (f"1,000,000 new rows, one tenant, {files_1m} files of 30,000 at once", million, bounds["1m_34_files"]),
        ("1,000,000 new rows, one tenant, one file (operator ceiling)", million_one_file, bounds["1m_one_file"]),
        ("100 tenants x 30,000 new rows at once", hundred, bounds["100_tenants"]),
    ):
        print(f"{label}{name}: upload to email {result['email_s']:.1f} s ({result['email_s'] / 60:.1f} min); "
              f"bound: {why}", file=sys.stderr)  # fmt: skip
    scenarios = {"30k": one, "1m_34_files": million, "1m_one_file": million_one_file, "100_tenants": hundred}
    return figures, bounds, scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--latency", action="append", default=[], metavar="OP=SECONDS",
                        help="e.g. BatchWriteItem=0.02, s3:*=0.03 (a bare name is a DynamoDB operation)")  # fmt: skip
    parser.add_argument("--lambda-concurrency", type=int, default=1000)
    parser.add_argument("--cpu-factor", type=float, default=1.0, help="Lambda CPU time per local CPU second")
    parser.add_argument("--warm-wru", type=float, default=4000.0)
    parser.add_argument("--doubling-min", type=float, default=30.0)
    args = parser.parse_args()

    run = measure(args.rows)
    profile, capacity = run.profile, run.capacity

    local = local_model(run)
    replayed, _ = simulate(local, [Job("t0", profile)])
    validation_error = abs(replayed.now - run.wall_s) / run.wall_s
    print(f"local run: {args.rows:,} rows, upload to notice {run.wall_s:.2f} s; replayed with local durations: "
          f"{replayed.now:.2f} s (error {validation_error:.1%})", file=sys.stderr)  # fmt: skip

    model = aws_model(run, args)
    figures, bounds, scenarios = predict(model, profile, run, args.rows, "")
    baseline_model = replace(model, warm={}, message_groups=1)
    baseline_figures, baseline_bounds, baseline_scenarios = predict(
        baseline_model, baseline_of(profile, run.customers_table), run, args.rows, "today's design: "
    )
    for figure_set in (figures, baseline_figures):
        figure_set["validation_error"] = round(validation_error, 3)
    # Today's design wrote every new customer's ById index entry too (1 WRU each: its keys only).
    added = sum(sum(c.customer_puts for s in w.steps for c in s.calls) for w in profile.chunks) / args.rows
    baseline_figures["wru_per_new_row"] = round(baseline_figures["wru_per_new_row"] + added, 2)
    baseline_figures["wru_per_row_all_tables"] = round(baseline_figures["wru_per_row_all_tables"] + added, 2)
    result = {
        **figures,
        "baseline": {**baseline_figures, "bounds": baseline_bounds, "scenarios": baseline_scenarios},
        "rows_measured": args.rows,
        "local_wall_s": round(run.wall_s, 2),
        "replayed_local_s": round(replayed.now, 2),
        "bounds": bounds,
        "scenarios": scenarios,
        "measured": {
            "cpu_s": {k: round(v, 2) for k, v in run.cpu_s.items()},
            "local_call_s": {k: round(v, 2) for k, v in sorted(run.local_call_s.items())},
            "handoffs_s": {k: round(v, 3) for k, v in run.handoffs.items()},
            "requests": dict(sorted(capacity.requests.items())),
            "wru": {k: round(v, 1) for k, v in sorted(capacity.wru.items())},
            "rru": {k: round(v, 1) for k, v in sorted(capacity.rru.items())},
            "largest_item_any_table_bytes": capacity.largest_item,
        },
        "assumptions": {
            "latencies_s": model.latencies,
            "s3_mb_per_s": model.s3_mb_per_s,
            "cpu_scale": {k: round(v, 2) for k, v in model.cpu_scale.items() if k in local.concurrency},
            "lambda": {
                "account_concurrency": model.account_concurrency,
                "function_limits": model.concurrency,
                "cold_start_s": model.cold_start_s,
            },
            "handoffs_s": {
                "s3_event": model.s3_event_s,
                "sqs_pickup": model.sqs_pickup_s,
                "sfn_start": model.sfn_start_s,
                "sfn_transition": model.sfn_transition_s,
            },
            "message_groups_per_tenant": model.message_groups,
            "dynamodb": {
                "template_warm_throughput": model.warm,
                "warm_wru_per_s": model.warm_wru,
                "warm_rru_per_s": model.warm_rru,
                "quota": model.quota,
                "doubling_s": model.doubling_s,
                "burst_s": model.burst_s,
            },
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
