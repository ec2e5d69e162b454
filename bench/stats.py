"""Latency of a 7-day hourly /stats query when the table holds 1,000 against 20,000 messages, in one run.

    python bench/stats.py [--reps 5] [--plain-reps 2] [--year-days 366] [--people-days 366]

The large case (printed last, before the ratio line; `--year-days 0` skips it): 366 days of busy hourly
counters (about 105 messages an hour, every platform and response-time bin), served to stats from memory.
It prints each answer's size (hourly over the year is refused; API Gateway and Lambda answer at most
6 MB), the size the hourly year would have had, and the spike scan's CPU time against the previous scan
(a baseline sum per hour), which it keeps as its baseline.

Method. Three tables (three moto backends, mock_aws, in process), all ending at the current hour:
  - small:   1,000 messages received over the last 7 days (about 1,000 a week);
  - large:  20,000 messages at the same rate: 20 weeks of history, the last week like the small table's;
  - dense:  20,000 messages all received in the last 7 days (20 times the small table's traffic).
small against large is the ratio the issue asks for: the same query over a table that holds 20 times the
messages. A table grows by keeping history, and /stats must not read it (no scan: counters). small
against dense is printed too: there the queried week itself has 20 times the traffic, so its hourly
counters carry more attributes (every platform, more response-time bins), and the client reads and
aggregates more; that cost stops growing once every (queue, hour) counter holds every platform and bin.
Messages follow a daily cycle; queues, platforms and model versions come in fixed shares. Each table gets
the message items AND the counter items ingestion and the agents' work would have left,
written by BatchWriteItem (moto copies the whole table on every transaction, so replaying the real
transactions would be quadratic there; botocore's parameter validation and moto's 400 KB item-size check
are off while seeding, to save time, which changes nothing stored): message items from
store.messages.message_item(...), moved to their final state as store.queue's claim, reroute and resolve
leave them (most resolved, some claimed or open), and the counters aggregated here from those messages with the key builders of
store/entities.py and the attribute names store/messages.py and store/queue.py use: volume counters
(messages, needs_review, and resolve's `resolved`/ttc_<bin>/ttr_<bin> histogram bins), model-accuracy
counters (classified, needs_review, rerouted, reroute_<from>__<to>), author-activity windows (which
DynamoDB's TTL would expire; moto keeps them) and the correction items of re-routes. A sanity check
compares the messages /stats counts with the messages seeded in the queried week.

The call: GET /stats?from=<7 days ago>&to=<this hour>&granularity=hour through chalice.test.Client with
a manager key, interleaving the tables, medians over the repetitions (the garbage collector is run
before and held off during each timed call, so that moto's garbage is not collected on our time). The tables live in
moto backends of three regions (the same table name): the test client sets TABLE_NAME from
.chalice/config.json on every request, so the store's client is switched by AWS_REGION instead.

Caveat: moto answers every Query, on the table or an index, by walking ALL items of the table, so on plain
moto a /stats call costs time in proportion to the whole table (messages, author windows, ...), which
DynamoDB never reads. Three numbers, therefore:
  (1) the latency ratio on plain moto (--plain-reps, slow);
  (2) the latency ratio with a bench-only moto patch (`partition_lookup` below): while the patch is on,
      a Query on the table gets only its partition from moto's own hash-key map, and a Query on an index
      only the items whose index hash key matches (from a map built once after seeding, before timing;
      nothing is written while it is on). moto's own filtering, sorting, limits and paging then run
      unchanged, and the bench checks that the patched and plain answers are identical;
  (3) the DynamoDB work per /stats call: requests per operation and items read (Query ScannedCount,
      GetItem hits), counted by botocore hooks on the store's client.
The last line is (2) measured outside moto; the sentence printed above it says why.

The people case (after the large case; `--people-days 0` skips it): /stats/people over a year of persons active
in every hour, items read and Queries per person, the previous every-hour read against days plus the hours at
the ends (and the answers compared with the hourly sums).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager, redirect_stdout
from datetime import datetime, timedelta, timezone

import harness  # noqa: E402  (puts the repo on sys.path)
from harness import ROOT, MotoClock, Work, moto_item_size_check_off  # noqa: E402

import support  # noqa: E402  (fake AWS credentials and the test environment: nothing can reach AWS)

TARGET = 1.3
DAYS = 7
# name: (messages, days of history they span, moto region)
TABLES = {"small": (1_000, DAYS, "us-east-1"), "large": (20_000, 20 * DAYS, "eu-west-1"),
          "dense": (20_000, DAYS, "us-west-2")}
LABELS = {name: f"{n:,} msgs, {days // DAYS} week{'s' if days > DAYS else ''}" for name, (n, days, _) in TABLES.items()}
QUEUE_SHARE = {"customer_service": 0.5, "stance": 0.2, "community": 0.3}
PLATFORM_SHARE = {"facebook": 0.3, "instagram": 0.25, "x": 0.2, "messenger": 0.1, "whatsapp": 0.1, "telegram": 0.05}
# minutes to first claim and from claim to resolve (log-normal medians) per queue
CLAIM_MINUTES = {"customer_service": 20, "stance": 90, "community": 240}
WORK_MINUTES = 8
REROUTE_SHARE, ABANDONED_SHARE, REVIEW_SHARE = 0.03, 0.01, 0.12
TEXTS = ["where is my order? it never arrived and I want a refund", "love the new flavour, thanks team!",
         "your ad is misleading and I am cancelling my subscription", "is the store on main street open today?",
         "the app keeps crashing when I pay", "great event yesterday, see you next year"]


# measuring ----------------------------------------------------------------------------------------

_INDEX_MAPS: dict = {}


def index_map(table, attribute: str) -> dict:
    """For partition_lookup: the items of a moto table by their value of an index hash key (built once)."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    if (id(table), attribute) not in _INDEX_MAPS:
        by_value = _INDEX_MAPS[(id(table), attribute)] = defaultdict(list)
        for item in Table.all_items(table):
            if isinstance(item, Item) and attribute in item.attrs:
                by_value[item.attrs[attribute]].append(item)
    return _INDEX_MAPS[(id(table), attribute)]


@contextmanager
def partition_lookup():
    """BENCH-ONLY MOTO PATCH: a Query sees only its partition instead of every item of the table.

    moto's Table.query filters `self.all_items()` by the hash key; here all_items() returns just the
    partition for the duration of that call (table: moto's own hash-key map; index: items whose index hash
    key equals the queried one, from a map built on first use and kept). Everything after that (range conditions,
    sort, Limit, paging, filters, projection) is moto's own code, so answers are unchanged. The index map is
    not maintained on writes: use only around read-only calls (the bench asserts that nothing was written).
    """
    from moto.dynamodb.models.table import Table

    original = Table.query
    signature = inspect.signature(original)

    def query(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        index_name, hash_key = bound.arguments.get("index_name"), bound.arguments.get("hash_key")
        if index_name:
            (attribute, value), = bound.arguments.get("hash_key_conditions") or [(None, None)]
            if attribute is None:
                return original(self, *args, **kwargs)
            partition = index_map(self, attribute).get(value, [])
        else:
            partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: list(partition)  # shadows the method for this one call
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query
    try:
        yield
    finally:
        Table.query = original


def use_region(region: str) -> None:
    """Point the store at the table of another moto region: the settings (and with them the client) are cached."""
    from chalicelib.config import get_settings

    os.environ["AWS_REGION"] = region
    get_settings.cache_clear()


# seeding ------------------------------------------------------------------------------------------

def read_kind(operation: str, params: dict) -> str:
    """What a /stats read is for, by the partition it queries."""
    if operation == "GetItem":
        return "api key (GetItem)"
    if operation != "Query":
        return operation
    value = next(iter(params.get("ExpressionAttributeValues", {}).values()), {}).get("S", "")
    return "sla count (GSI2)" if params.get("IndexName") else "volume counters" if value.startswith("STATS#") \
        else "accuracy counters" if value.startswith("ACCURACY#") else "other query"


def pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def build(n: int, start: datetime, end: datetime, now: datetime, seed: int) -> tuple[list[dict], dict]:
    """n messages received in [start, end) and every item they leave in the table, as ingestion and the
    agents' claim/reroute/resolve would have written them."""
    from chalicelib.domain.workflow import CLAIMED, OPEN, RESOLVED
    from chalicelib.store import counters
    from chalicelib.store import messages as m
    from chalicelib.store.entities import (AUTHOR_WINDOW, AuthorActivityKeys, Correction, MessageKeys,
                                           ModelCounterKeys, QueueCountKeys, VolumeCounterKeys, day_of, hour_of, iso,
                                           shard_of)

    rng = random.Random(seed)
    span = (end - start).total_seconds()
    arrivals = []
    while len(arrivals) < n:  # a daily cycle: busier in the (UTC) afternoon
        t = rng.random() * span
        hour = ((start + timedelta(seconds=t)).hour - 15) / 24 * 2 * math.pi
        if rng.random() < 0.55 + 0.45 * math.cos(hour):
            arrivals.append(start + timedelta(seconds=t))
    arrivals.sort()

    items: list[dict] = []
    volume: dict = defaultdict(dict)
    accuracy: dict = defaultdict(dict)
    authors: dict = defaultdict(dict)
    queue_counts: dict = defaultdict(dict)
    meta: dict = {}
    statuses: Counter = Counter()

    def add(counter: dict, **deltas: int) -> None:  # DynamoDB ADD: creates the attribute even at a net 0
        for name, delta in deltas.items():
            counter[name] = counter.get(name, 0) + delta

    for i, received in enumerate(arrivals):
        queue, platform = pick(rng, QUEUE_SHARE), pick(rng, PLATFORM_SHARE)
        version = "triage-2026.11.1" if received < end - timedelta(days=4) else "triage-2026.11.2"
        author = f"u{int(rng.paretovariate(1.2)) % 9000}"
        needs_review = rng.random() < REVIEW_SHARE
        triaged = support.triaged(f"b{seed}-{i}", queue, priority=rng.randint(0, 120), received_at=received,
                                  platform=platform, author=author, needs_review=needs_review,
                                  text=f"{rng.choice(TEXTS)} #{i}")
        triaged = m.Triaged(triaged.message, triaged.triage._replace(model_version=version),
                            triaged.priority)
        item = m.message_item(triaged)
        hour, day, shard = hour_of(received), day_of(received), shard_of(item["id"])

        # ingestion's transaction: message, volume counter, accuracy counter, author window
        add(volume[(queue, hour, shard)], **counters.volume_increments(platform, 1, needs_review))
        a = accuracy[(queue, day, version, shard)]
        add(a, classified=1, **({"needs_review": 1} if needs_review else {}))
        a.update(queue=queue, day=day, model_version=version)
        w = authors[(platform, author, AuthorActivityKeys.sk(received, shard))]
        add(w, messages=1)
        w["expires_at"] = int((received + AUTHOR_WINDOW + timedelta(hours=1)).timestamp())

        # the agents' work, as far as it got by `now`
        claim_at = received + timedelta(minutes=rng.lognormvariate(math.log(CLAIM_MINUTES[queue]), 0.9))
        resolve_at = claim_at + timedelta(minutes=rng.lognormvariate(math.log(WORK_MINUTES), 0.7))
        if rng.random() < ABANDONED_SHARE or claim_at > now:
            statuses[OPEN] += 1
            add(queue_counts[(queue, shard)], **m.state_counts(OPEN, needs_review, 1))
            items.append(item)
            continue
        actor = f"agent:a{rng.randint(1, 12)} (k{rng.randint(1, 12):015x})"
        lease = claim_at + timedelta(minutes=15)
        item["history"].append(m.history_entry("claimed", claim_at, actor, lease_expires_at=iso(lease)))
        item.update(first_claimed_at=iso(claim_at), rev=2)
        if rng.random() < REROUTE_SHARE:  # the agent moves it; it is claimed again in the new queue
            target = rng.choice([q for q in QUEUE_SHARE if q != queue])
            reason = "wrong queue"
            correction = {"from": queue, "to": target, "by": actor, "at": iso(claim_at), "reason": reason,
                          "model_version": version}
            item["history"].append(m.history_entry("rerouted", claim_at, actor,
                                                   **{"from": queue, "to": target, "reason": reason}))
            item.update(queue=target, needs_review=False, corrections=[correction], rev=3)
            add(volume[(queue, hour, shard)], **counters.volume_increments(platform, -1, needs_review))
            add(volume[(target, hour, shard)], **counters.volume_increments(platform, 1, False))
            add(accuracy[(queue, day, version, shard)], rerouted=1, **{f"reroute_{queue}__{target}": 1})
            items.append(Correction(item["id"], item["text"], item["language"], queue, target, actor, iso(claim_at),
                                    reason, version).to_item())
            item["history"].append(m.history_entry("claimed", claim_at, actor, lease_expires_at=iso(lease)))
            item["rev"] += 1
        final_queue = item["queue"]
        if resolve_at > now:  # still being worked on
            statuses[CLAIMED] += 1
            add(queue_counts[(final_queue, shard)], **m.state_counts(CLAIMED, item["needs_review"], 1))
            item.update(status=CLAIMED, claimed_by=actor, lease_expires_at=iso(lease),
                        **MessageKeys.indexes(final_queue, CLAIMED, item["priority"], item["received_at"],
                                              item["id"], iso(lease)))
            items.append(item)
            continue
        statuses[RESOLVED] += 1
        item["history"].append(m.history_entry("resolved", resolve_at, actor))
        item.update(status=RESOLVED, resolved_at=iso(resolve_at), resolved_by=actor, rev=item["rev"] + 1,
                    **MessageKeys.indexes(final_queue, RESOLVED, item["priority"], item["received_at"], item["id"]))
        for name in ("gsi2pk", "gsi2sk"):
            item.pop(name, None)
        add(volume[(final_queue, hour, shard)], **counters.response_time_increments(received, claim_at, resolve_at))
        items.append(item)

    items += [{"pk": VolumeCounterKeys.pk(q), "sk": VolumeCounterKeys.sk(h, s), **c}
              for (q, h, s), c in volume.items()]
    items += [{"pk": ModelCounterKeys.pk(q), "sk": ModelCounterKeys.sk(d, v, s), **c}
              for (q, d, v, s), c in accuracy.items()]
    items += [{"pk": AuthorActivityKeys.pk(p, a), "sk": win, **c} for (p, a, win), c in authors.items()]
    items += [{"pk": QueueCountKeys.pk(q), "sk": QueueCountKeys.sk(s), **c} for (q, s), c in queue_counts.items()]
    meta.update(messages=n, statuses=statuses, volume_counters=len(volume), accuracy_counters=len(accuracy),
                author_windows=len(authors), items=len(items))
    return items, meta


def seed(client, table: str, items: list[dict]) -> None:
    from chalicelib.store import dynamo

    with moto_item_size_check_off():
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": dynamo.to_item(i)}} for i in items[start:start + 25]]
            client.batch_write_item(RequestItems={table: requests})


# the large case: a year of busy counters --------------------------------------------------------

YEAR_REGION = "ap-northeast-1"
YEAR_RATE = {"customer_service": 60, "stance": 15, "community": 30}  # mean messages an hour


def year_counters(days: int, end: datetime, seed_value: int = 366) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """Per queue, the (hour, counts) of its volume counters for every hour of `days` busy days, as
    stats.volume_counters returns them: every platform, needs_review, and the response-time bins a busy
    queue fills (what makes each hourly bucket of /stats large)."""
    from chalicelib.store.counters import volume_increments

    rng = random.Random(seed_value)
    counters: dict[str, list] = {queue: [] for queue in YEAR_RATE}
    for h in range(days * 24):
        hour = end - timedelta(hours=days * 24 - h)
        cycle = 0.4 + 0.6 * math.sin(math.pi * hour.hour / 24) ** 2  # a daily cycle
        for queue, rate in YEAR_RATE.items():
            counts: Counter = Counter()
            n = max(1, int(rng.gauss(rate * cycle, 3)) + (rng.random() < 0.01) * rate * 3)  # rare surges
            for _ in range(n):
                counts.update(volume_increments(pick(rng, PLATFORM_SHARE), 1, rng.random() < REVIEW_SHARE))
            resolved = int(n * 0.9)
            counts["resolved"] = resolved
            for kind in ("ttc", "ttr"):
                for b in rng.sample(range(8, 30), 12):
                    counts[f"{kind}_{b}"] += max(1, resolved // 12)
            counters[queue].append((hour.strftime("%Y-%m-%dT%H"), dict(counts)))
    return counters


def previous_spikes(query, baseline_hours: int, counters) -> int:
    """The spike scan as it was before the sliding window (a baseline sum of `baseline_hours` per hour and
    a lower-tail Poisson sum of `observed` terms): the baseline of the ratio. Returns the spike count."""
    from chalicelib.stats import SPIKE_MIN_COUNT, SPIKE_P_VALUE, _hour_start

    def lower_tail_complement(observed: int, expected: float) -> float:
        log_terms = [-expected + k * math.log(expected) - math.lgamma(k + 1) for k in range(observed)]
        top = max(log_terms)
        return max(0.0, min(1.0, 1.0 - math.exp(top) * sum(math.exp(t - top) for t in log_terms)))

    found = 0
    first = query.start.replace(minute=0, second=0, microsecond=0)
    for queue in query.queues:
        hourly: dict = defaultdict(int)
        for hour, counts in counters[queue]:
            hourly[_hour_start(hour)] += counts.get("messages", 0)
        hour = first
        while hour < query.end:
            observed = hourly.get(hour, 0)
            if observed >= SPIKE_MIN_COUNT:
                window = sum(hourly.get(hour - timedelta(hours=h), 0) for h in range(1, baseline_hours + 1))
                if lower_tail_complement(observed, max(window / baseline_hours, 0.5)) < SPIKE_P_VALUE:
                    found += 1
            hour += timedelta(hours=1)
    return found


@contextmanager
def counters_in_memory(counters):
    """stats.volume_counters answered from memory: the year case measures our code and the answer sizes;
    moto would spend minutes serializing a year of counters (DynamoDB's part: one Query page per 1 MB)."""
    from chalicelib import stats
    from chalicelib.store import counters as store_counters

    def volume_counters(queue, start, end):
        first, last = store_counters._hours(start, end)
        return [(hour, dict(counts)) for hour, counts in counters[queue] if first <= hour <= last]

    original = stats.volume_counters
    stats.volume_counters = volume_counters
    try:
        yield
    finally:
        stats.volume_counters = original


def year_case(days: int) -> None:
    """/stats and /stats/spikes over `days` of busy data: the answer sizes (API Gateway and Lambda answer at
    most 6 MB) and the spike scan's CPU time against the previous scan, on the same counters."""
    from chalice.test import Client
    from moto import mock_aws

    now = datetime.now(timezone.utc)
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    span = f"from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    counters = year_counters(days + 8, end)  # a week more: the first hours' spike baselines
    with mock_aws():
        os.environ["AWS_REGION"] = YEAR_REGION
        support.reset_caches()
        from app import app
        from chalicelib import auth, stats
        from chalicelib.schemas import StatsQuery
        from chalicelib.store.table import create_table

        import boto3

        create_table(boto3.client("dynamodb", region_name=YEAR_REGION), os.environ["TABLE_NAME"])
        key = f"st_{'c' * 16}_{'bench-year-secret-' * 2}"
        auth.create_key("manager", "bench", key=key)
        headers = {"Authorization": f"Bearer {key}"}
        answers = {}
        sink = open(os.devnull, "w")
        with Client(app, project_dir=str(ROOT)) as api, redirect_stdout(sink), counters_in_memory(counters):
            month = (f"from={(end - timedelta(days=31)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
                     f"&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}")
            for name, path in (("/stats hourly, whole range", f"/stats?{span}&granularity=hour"),
                               ("/stats daily, whole range", f"/stats?{span}&granularity=day"),
                               ("/stats hourly, last 31 days", f"/stats?{month}&granularity=hour"),
                               ("/stats/spikes, whole range", f"/stats/spikes?{span}")):
                started = time.perf_counter()
                response = api.http.get(path, headers=headers)
                answers[name] = (response.status_code, len(response.body), time.perf_counter() - started)
            # what the hourly answer over the whole range would have been, had it been allowed
            query = stats.window(StatsQuery.model_validate({"from": start.isoformat(), "to": end.isoformat()}), now,
                                 bound_hourly=False)
            unbounded = len(json.dumps(stats.stats(query, now)).encode())
            timings: dict = {"sliding": [], "previous": []}
            for _ in range(3):
                started = time.process_time()
                found = len(stats.spikes(query, stats.MAX_BASELINE_HOURS))
                timings["sliding"].append(time.process_time() - started)
                started = time.process_time()
                found_before = previous_spikes(query, stats.MAX_BASELINE_HOURS, counters)
                timings["previous"].append(time.process_time() - started)
    support.reset_caches()
    sliding, previous = (statistics.median(timings[k]) for k in ("sliding", "previous"))
    print(f"Large case: {days} days of busy hourly counters ({sum(map(len, counters.values())):,} (queue, hour) "
          f"counters, {sum(YEAR_RATE.values())} messages an hour on average, every platform and response-time "
          "bin), read from memory (moto would take minutes to serialize them):")
    print("| request | status | answer bytes | ms |")
    print("|---|---|---|---|")
    for name, (status, size, seconds) in answers.items():
        print(f"| {name} | {status} | {size:,} | {seconds * 1000:.0f} |")
    print(f"  hourly over the whole range, had it been answered: {unbounded:,} bytes "
          f"({'over' if unbounded > 6_000_000 else 'under'} the 6 MB response limit); now 400 beyond 31 days")
    print(f"  spike scan CPU (median of 3): sliding window {sliding * 1000:.1f} ms vs previous scan "
          f"{previous * 1000:.1f} ms, ratio {sliding / previous:.3f}; spikes found {found} vs {found_before}")


# people: a year of a person's stats ---------------------------------------------------------------

def people_case(days: int, people: int = 3) -> None:
    """GET /stats/people over `days` for `people` persons who each did something in both shards of every hour:
    items read and Queries per person, the hourly read the previous version would have done (had it served a
    year) against the days-and-ends read, on a lean moto table seeded by BatchWriteItem with the items the
    write path's person_update operations leave (their ADDs summed here). Both answers must agree."""
    from chalice.test import Client

    from chalicelib.store import counters, dynamo
    from chalicelib.store.entities import PersonActivityKeys

    end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    rng = random.Random(days)
    use_region("us-east-1")  # lean_moto_table's region (the main case left the store on another)
    with harness.lean_moto_table() as raw:
        from app import app
        from chalicelib import auth

        key = f"st_{'d' * 16}_{'bench-people-secret-' * 2}"
        auth.create_key("manager", "bench", key=key)
        table = os.environ["TABLE_NAME"]
        raw.update_item(TableName=table, Key={"pk": {"S": "APIKEY"}, "sk": {"S": "d" * 16}},
                        UpdateExpression="SET created_at = :c",
                        ExpressionAttributeValues={":c": {"S": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
        persons = []
        items: dict = defaultdict(Counter)
        for n in range(people):
            issued = auth.create_key("agent", f"agent {n}", ["customer_service"])
            key_id = issued.record["key_id"]
            raw.update_item(TableName=table, Key={"pk": {"S": "APIKEY"}, "sk": {"S": key_id}},
                            UpdateExpression="SET created_at = :c",
                            ExpressionAttributeValues={":c": {"S": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
            persons.append(key_id)
            for h in range(days * 24):
                for shard in range(PersonActivityKeys.SHARDS):
                    at = start + timedelta(hours=h, minutes=rng.randrange(60))
                    add = {"resolved": rng.randint(1, 3), f"ttr_{rng.randrange(8, 40)}": 1, "replies": rng.randint(0, 4)}
                    for operation in counters.person_update(f"agent:agent {n} ({key_id})", at, shard, add):
                        update = operation["Update"]
                        names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
                        items[(update["Key"]["pk"]["S"], update["Key"]["sk"]["S"])].update(
                            {names[f"#a{i}"]: int(values[f":a{i}"]["N"]) for i in range(len(names))})
        puts = [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"N": str(v)} for k, v in c.items()}}}}
                for (pk, sk), c in items.items()]
        with harness.moto_item_size_check_off():
            for first in range(0, len(puts), 25):
                raw.batch_write_item(RequestItems={table: puts[first:first + 25]})
        work = Work(dynamo.client(), kind_of=lambda operation, params: (
            "people" if operation == "Query" and next(iter(params.get("ExpressionAttributeValues", {}).values()), {})
            .get("S", "").startswith("AGENT#") else operation))
        # the previous read: every hour of the range, per person
        before = work.snapshot()
        hourly = {k: Counter() for k in persons}
        for key_id in persons:
            for _, counts in counters._hourly(PersonActivityKeys, PersonActivityKeys.pk(key_id), start, end):
                hourly[key_id].update(counts)
        old_requests, old_read, _ = work.snapshot()
        old = (old_requests["Query"] - before[0]["Query"], old_read["people"] - before[1]["people"])
        # the new read, through the API
        span = f"from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        sink = open(os.devnull, "w")
        with Client(app, project_dir=str(ROOT)) as api, redirect_stdout(sink):
            before = work.snapshot()
            started = time.perf_counter()
            response = api.http.get(f"/stats/people?{span}", headers={"Authorization": f"Bearer {key}"})
            seconds = time.perf_counter() - started
            new_requests, new_read, _ = work.snapshot()
        new = (new_requests["Query"] - before[0]["Query"], new_read["people"] - before[1]["people"])
        if response.status_code != 200:
            raise SystemExit(f"/stats/people failed: {response.status_code} {response.body[:300]!r}")
        answer = {p["key_id"]: (p["resolved"], p["replies"]) for p in json.loads(response.body)["people"]}
        same = all(answer.get(k) == (hourly[k]["resolved"], hourly[k]["replies"]) for k in persons)
    support.reset_caches()
    print(f"People case: {days} days of {people} persons active in both shards of every hour "
          f"({days * 24 * PersonActivityKeys.SHARDS:,} hourly and {days * PersonActivityKeys.SHARDS:,} daily items each):")
    print("| read per person | Queries | items read |")
    print("|---|---|---|")
    print(f"| previous: every hour | {old[0] / people:.0f} | {old[1] / people:,.0f} |")
    print(f"| now: days, the first day and both ends by the hour | {new[0] / people:.0f} | {new[1] / people:,.0f} |")
    print(f"  items read, now / previous: {new[1] / old[1]:.3f}; answers equal to the hourly sums: "
          f"{'yes' if same else 'NO'}; GET /stats/people took {seconds * 1000:.0f} ms on moto")
    if not same:
        raise SystemExit("people: the days-and-ends read disagrees with the hourly sums")


# running ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed calls per table with the patch (default 5)")
    parser.add_argument("--plain-reps", type=int, default=2, help="timed calls per table on plain moto (default 2)")
    parser.add_argument("--year-days", type=int, default=366,
                        help="the large case: days of busy hourly counters (default 366; 0 skips it)")
    parser.add_argument("--people-days", type=int, default=366,
                        help="the people case: days of a person's counters read by /stats/people (0 skips it)")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1: the ratio is of the patched timings")

    import boto3
    from botocore.config import Config
    from chalice.test import Client
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    now = datetime.now(timezone.utc)
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    path = (f"/stats?granularity=hour&from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            f"&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}")

    with mock_aws():
        support.reset_caches()
        import app as app_module
        from app import app
        from chalicelib import auth
        from chalicelib.store import dynamo
        from chalicelib.store.entities import iso

        # the app's clock stands still at the seeding's `now`: the SLA counts (open messages older than the
        # SLA, now) then cannot change between calls, and the answers can be compared
        app_module.now = lambda: now
        from chalicelib.store.table import create_table

        table = os.environ["TABLE_NAME"]
        meta, seeded_s, in_week, clients = {}, {}, {}, []
        key = f"st_{'b' * 16}_{'bench-manager-secret-' * 2}"
        for name, (n, days, region) in TABLES.items():
            # seeding only: botocore's client-side parameter validation off (a quarter of the seeding time)
            raw = boto3.client("dynamodb", region_name=region, config=Config(parameter_validation=False))
            create_table(raw, table)
            began = time.perf_counter()
            items, meta[name] = build(n, end - timedelta(days=days), end, now, seed=n + days)
            in_week[name] = sum(1 for i in items if i.get("type") == "message" and i["received_at"] >= iso(start))
            seed(raw, table, items)
            seeded_s[name] = time.perf_counter() - began
            use_region(region)
            auth.create_key("manager", "bench", key=key)
            clients.append(dynamo.client())
        headers = {"Authorization": f"Bearer {key}"}
        gc.collect()
        gc.freeze()  # the seeded tables are permanent: keep the collections before each timed call cheap

        moto, work = MotoClock(), Work(*clients, kind_of=read_kind)
        samples = {(mode, name): {"total": [], "outside": [], "work": []}
                   for mode in ("plain", "patched") for name in TABLES}
        answers: dict = {}

        def measure(api, mode: str, name: str, record: bool) -> None:
            use_region(TABLES[name][2])
            before_moto, before = moto.seconds, work.snapshot()
            gc.collect()
            gc.disable()  # moto's garbage would otherwise be collected on our time, at random
            started = time.perf_counter()
            if mode == "patched":
                with partition_lookup():
                    response = api.http.get(path, headers=headers)
            else:
                response = api.http.get(path, headers=headers)
            elapsed = time.perf_counter() - started
            gc.enable()
            inside = moto.seconds - before_moto
            requests, read, written = work.snapshot()
            if response.status_code != 200:
                raise SystemExit(f"/stats on {name} failed: {response.status_code} {response.body[:300]!r}")
            if written != before[2]:
                raise SystemExit("a /stats call wrote to the table: the partition_lookup patch assumes it does not")
            answers.setdefault((mode, name), json.loads(response.body))
            if record:
                s = samples[(mode, name)]
                s["total"].append(elapsed * 1000)
                s["outside"].append((elapsed - inside) * 1000)
                s["work"].append((tuple(sorted((requests - before[0]).items())), tuple(sorted((read - before[1]).items()))))

        # the app's JSON request logs go to stdout: still written (part of each call), to a sink kept open
        sink = open(os.devnull, "w")
        with Client(app, project_dir=str(ROOT)) as api, redirect_stdout(sink):
            for _, _, region in TABLES.values():  # the patch's index maps, built before any timing
                for attribute in ("gsi1pk", "gsi2pk"):
                    index_map(dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[table], attribute)
            measure(api, "patched", "small", record=False)  # untimed warm-up of the code path
            names = list(TABLES)
            for rep in range(1, max(args.reps, args.plain_reps) + 1):
                order = names if rep % 2 else names[::-1]
                for mode, reps in (("patched", args.reps), ("plain", args.plain_reps)):
                    if rep <= reps:
                        for name in order:
                            measure(api, mode, name, record=True)

    # checks: the patch changes no answer; /stats counts every message seeded in the queried week
    modes = [m for m, reps in (("plain", args.plain_reps), ("patched", args.reps)) if reps]
    same = all(answers[("plain", name)] == answers[("patched", name)] for name in TABLES) if args.plain_reps else None
    counted = {name: sum(b["total"] for b in answers[(modes[-1], name)]["buckets"]) for name in TABLES}

    med = {key: {k: statistics.median(v) for k, v in s.items() if k != "work"} for key, s in samples.items() if s["total"]}
    print(f"moto {__import__('moto').__version__} in process; query: GET {path} (manager key, chalice.test.Client)")
    for name, (n, days, _) in TABLES.items():
        d = meta[name]
        print(f"  {name:<5} table, {n:>6,} messages over {days} days: {d['items']:,} items = "
              f"{', '.join(f'{s} {c:,}' for s, c in sorted(d['statuses'].items()))} messages + "
              f"{d['volume_counters']:,} volume counters + {d['accuracy_counters']} accuracy counters + "
              f"{d['author_windows']:,} author windows + corrections; seeded in {seeded_s[name]:.1f} s; "
              f"{in_week[name]:,} received in the queried week, /stats counts {counted[name]:,}")
    cells = len(QUEUE_SHARE) * DAYS * 24
    print(f"  volume counters are per (queue, hour), platforms being attributes: at most {len(QUEUE_SHARE)} x "
          f"{DAYS * 24} = {cells:,} over 7 days, whatever the volume")
    if same is not None:
        print(f"  patched and plain answers identical: {'yes' if same else 'NO'}")
    print()
    print(f"| /stats, 7 days hourly | calls | small: {LABELS['small']} ms | large: {LABELS['large']} ms | ratio "
          f"| dense: {LABELS['dense']} ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    ratios = {}
    for mode, label, reps in (("plain", "(1) plain moto", args.plain_reps),
                              ("patched", "(2) moto + partition_lookup patch", args.reps)):
        if not reps:
            continue
        for part, what in (("total", "end to end"), ("outside", "outside moto (our code, botocore, Chalice)")):
            small, large, dense = (med[(mode, name)][part] for name in ("small", "large", "dense"))
            ratios[(mode, part, "large")], ratios[(mode, part, "dense")] = large / small, dense / small
            print(f"| {label}: {what} | {reps} | {small:.1f} | {large:.1f} | {large / small:.2f} | {dense:.1f} "
                  f"| {dense / small:.2f} |")
    print()
    print("(3) DynamoDB work per /stats call (requests per operation; items read = Query ScannedCount, GetItem hits):")
    totals = {}
    for name in TABLES:
        ((requests, read), _), = Counter(samples[(modes[-1], name)]["work"]).most_common(1)
        read = dict(read)
        totals[name] = (sum(c for _, c in requests), sum(read.values()))
        print(f"  {name:<5}: {', '.join(f'{k} x{v}' for k, v in requests)}; items read {totals[name][1]:,} "
              f"({', '.join(f'{k} {v:,}' for k, v in sorted(read.items()))})")
    for name in ("large", "dense"):
        print(f"  {name} / small: requests {totals[name][0] / totals['small'][0]:.2f}, "
              f"items read {totals[name][1] / totals['small'][1]:.2f}")
    print()
    print("Which number is the last line: (2) small against large, measured outside moto, i.e. our code, botocore "
          "and Chalice with DynamoDB's own part left out; (1) is moto walking the whole table (messages, author "
          "windows) on every Query, which DynamoDB never does; with the patch, moto's remaining time is mostly its "
          "response serializer, far above DynamoDB's per-item cost. DynamoDB's own part is (3): the (queue, hour) "
          f"volume counters in the range (at most {cells:,} for 7 days), the accuracy counters, and the open "
          "messages past their SLA (a count that grows with the stale backlog). The dense column is 20 times the "
          "traffic in the queried week: its counters are fuller, which costs the client more to read.")
    if args.year_days:
        print()
        year_case(args.year_days)
    if args.people_days:
        print()
        people_case(args.people_days)
    ratio = ratios.get(("patched", "outside", "large"), float("nan"))
    dense = ratios.get(("patched", "outside", "dense"), float("nan"))
    print(f"stats dense ratio, (2) outside moto, 20x the weekly traffic: {dense:.2f} (no target)")
    print(f"stats scale ratio, (2) outside moto: {ratio:.2f} (target <= {TARGET}): {'ok' if ratio <= TARGET else 'MISSED'}")
    print(f"stats_scale_ratio={ratio:.2f}")
    return 0 if same is not False and all(counted[name] == in_week[name] for name in TABLES) else 1


if __name__ == "__main__":
    sys.exit(main())
