"""People stats over a quarter and a year: whole UTC days from the daily counters, the ends of the range from
the hourly ones, the same numbers as the hours alone in any time zone, and a bounded read."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from support import call, seed_message

DAY0 = datetime(2026, 1, 15, tzinfo=timezone.utc)  # 90 days from here cross New York's DST change (2026-03-08)
EARLY = "2025-01-01T00:00:00Z"  # the keys are backdated to here, so that 2026's work is theirs


def backdate(table, key_id: str) -> None:
    from chalicelib.store.entities import ApiKeyKeys

    table.update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": ApiKeyKeys.PK}, "sk": {"S": key_id}},
                      UpdateExpression="SET created_at = :c", ExpressionAttributeValues={":c": {"S": EARLY}})


@pytest.fixture
def cy(table):
    """An agent of customer_service (backdated) and her actor id."""
    from chalicelib import auth

    issued = auth.create_key("agent", "Cy", ["customer_service"])
    backdate(table, issued.record["key_id"])
    return issued.record["key_id"], f"agent:Cy ({issued.record['key_id']})"


def resolve_at(name: str, actor: str, at: datetime, waited: timedelta) -> None:
    """The agent takes a conversation that came in `waited` before `at`, and resolves it at `at`."""
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import messages, queue

    seed_message(name, "customer_service", received_at=at - waited)
    stored = messages.get_message(f"facebook:{name}")
    taken = queue.take(stored, Actor(actor), 600, at - timedelta(minutes=1))
    queue.resolve(taken, Actor(actor), None, at)


def reply_at(name: str, actor: str, at: datetime) -> None:
    """The agent answers a conversation from the inbox and the platform takes the reply at `at`."""
    from chalicelib.store import messages, replies
    from chalicelib.store.entities import iso

    seed_message(name, "customer_service", received_at=at - timedelta(minutes=5))
    head = messages.get_message(f"facebook:{name}")
    text = "It left the depot this morning"
    draft = replies.StoredReply(id=f"r-{name}", conversation=head.id, text=text, reply_to=head.id, by=actor,
                                platform="facebook", created_at=iso(at), status=replies.SENDING,
                                request_hash=replies.request_hash(text, head.id))
    reply, must_send = replies.reserve(draft)
    assert must_send
    replies.mark_sent(reply, head, f"pm-{name}", at)


def person_items(table, key_id: str, prefix: str) -> list[tuple[str, dict[str, int]]]:
    """(hour or day, counts) of every item of the person under `prefix` (H# or D#), straight from the table."""
    from chalicelib.store import dynamo
    from chalicelib.store.entities import PersonActivityKeys

    pages = table.get_paginator("query").paginate(
        TableName=os.environ["TABLE_NAME"], KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": PersonActivityKeys.pk(key_id)}, ":p": {"S": prefix}})
    return [(item["sk"]["S"].split("#")[1], dynamo.numbers(item)) for page in pages for item in page["Items"]]


def from_hours(table, key_id: str, start: str, end: str) -> dict:
    """What the hourly items alone say for the UTC hours overlapping [start, end): resolved, replies, and the
    time-to-resolve percentiles as /stats/people rounds them."""
    from chalicelib import histogram

    first = datetime.fromisoformat(start).astimezone(timezone.utc).strftime("%Y-%m-%dT%H")
    last = (datetime.fromisoformat(end) - timedelta(microseconds=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H")
    totals: Counter = Counter()
    for hour, counts in person_items(table, key_id, "H#"):
        if first <= hour <= last:
            totals.update(counts)
    ttr = {int(name[4:]): n for name, n in totals.items() if name.startswith("ttr_")}
    return {"resolved": totals["resolved"], "replies": totals["replies"],
            **{f"time_to_resolve_{label}_seconds": round(histogram.percentile(ttr, q), 1) if ttr else None
               for q, label in ((0.5, "p50"), (0.9, "p90"))}}


class Reads:
    """The store's Query requests on people's activity and the items they read (botocore hooks on the app's
    client; the key listing is left out)."""

    def __init__(self):
        from chalicelib.store import dynamo

        self.client, self.queries, self.items = dynamo.client(), 0, 0
        events = self.client.meta.events
        events.register("provide-client-params.dynamodb.Query", self._asked, unique_id="people-reads-asked")
        events.register("after-call.dynamodb.Query", self._counted, unique_id="people-reads")

    @staticmethod
    def _asked(params, context, **_):
        context["people_read"] = params["ExpressionAttributeValues"][":pk"]["S"].startswith("AGENT#")

    def _counted(self, parsed, context, **_):
        if context.get("people_read"):
            self.queries += 1
            self.items += parsed.get("ScannedCount", 0)

    def close(self):
        self.client.meta.events.unregister("provide-client-params.dynamodb.Query", unique_id="people-reads-asked")
        self.client.meta.events.unregister("after-call.dynamodb.Query", unique_id="people-reads")


def answer(api, keys, query: str) -> dict:
    status, body = call(api, "GET", f"/stats/people?{query}", keys["manager"])
    assert status == 200, body
    return body


def cys_row(body: dict) -> dict:
    [row] = [p for p in body["people"] if p["name"] == "Cy"] or [{"resolved": 0, "replies": 0,
                                                                   "time_to_resolve_p50_seconds": None,
                                                                   "time_to_resolve_p90_seconds": None}]
    return {k: row[k] for k in ("resolved", "replies", "time_to_resolve_p50_seconds", "time_to_resolve_p90_seconds")}


def quarter(cy) -> tuple[list[datetime], list[datetime]]:
    """Cy's work over 90 days from DAY0: each day a resolve and a reply at hours that wander round the clock,
    and every third day a resolve at 18:50 UTC, i.e. 00:20 in Kolkata, in the UTC hour that Kolkata's
    midnight cuts in two; times to resolve from minutes to days."""
    _, actor = cy
    resolves, replied = [], []
    for d in range(90):
        day = DAY0 + timedelta(days=d)
        at = day + timedelta(hours=(d * 7) % 24, minutes=10 if d % 2 else 50)
        resolve_at(f"q{d}", actor, at, timedelta(minutes=3 + d * 37))
        resolves.append(at)
        if d % 3 == 0:
            late = day + timedelta(hours=18, minutes=50)
            resolve_at(f"k{d}", actor, late, timedelta(hours=1 + d))
            resolves.append(late)
        sent = day + timedelta(hours=(d * 5 + 3) % 24, minutes=10)
        reply_at(f"p{d}", actor, sent)
        replied.append(sent)
    return resolves, replied


def in_hours(moments: list[datetime], start: datetime, end: datetime) -> int:
    """How many of `moments` fall in the UTC hours that overlap [start, end): what hourly counters can count."""
    first = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    last = (end - timedelta(microseconds=1)).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return sum(first <= t < last + timedelta(hours=1) for t in moments)


CASES = [  # query, the range it serves
    ("from=2026-01-20&to=2026-04-10", "2026-01-20T00:00:00+00:00", "2026-04-10T00:00:00+00:00"),
    # ends inside UTC days
    ("from=2026-01-20T07:00:00Z&to=2026-04-10T13:00:00Z", "2026-01-20T07:00:00+00:00", "2026-04-10T13:00:00+00:00"),
    # +05:30: the ends fall on half hours
    ("from=2026-01-20&to=2026-04-10&tz=Asia/Kolkata", "2026-01-20T00:00:00+05:30", "2026-04-10T00:00:00+05:30"),
    # across New York's DST change (2026-03-08)
    ("from=2026-01-20&to=2026-04-10&tz=America/New_York", "2026-01-20T00:00:00-05:00", "2026-04-10T00:00:00-04:00"),
    # 31 days (the hourly read, as before) and 32 (days and hours) across the DST change
    ("from=2026-02-20&to=2026-03-23&tz=America/New_York", "2026-02-20T00:00:00-05:00", "2026-03-23T00:00:00-04:00"),
    ("from=2026-02-20&to=2026-03-24&tz=America/New_York", "2026-02-20T00:00:00-05:00", "2026-03-24T00:00:00-04:00"),
]


def test_a_quarter_of_a_persons_work_counts_exactly_in_any_time_zone(api, keys, table, cy):
    key_id, _ = cy
    # GIVEN 90 days of Cy's resolves and replies, written by the store with their hourly and daily counters
    resolves, replied = quarter(cy)
    assert len(person_items(table, key_id, "D#")) >= 90
    for query, start, end in CASES:
        # WHEN a manager asks for the range
        body = answer(api, keys, query)
        # THEN the range served is the one asked for, in tz
        assert (body["from"], body["to"]) == (start, end), query
        # AND Cy's numbers are the sum of her hourly items over the UTC hours the range overlaps, percentiles
        # included (histogram bins add up, so days and hours give the same percentiles)
        row = cys_row(body)
        assert row == from_hours(table, key_id, start, end), query
        # AND what she did in those hours: in Kolkata the UTC hour that holds midnight counts whole, as the
        # hourly read always did (counters cannot split an hour)
        lo, hi = datetime.fromisoformat(start), datetime.fromisoformat(end)
        assert (row["resolved"], row["replies"]) == (in_hours(resolves, lo, hi), in_hours(replied, lo, hi)), query
        assert row["resolved"] > 30 and row["replies"] > 30
    # AND the half hour matters in Kolkata: its range holds resolves made before its local start (18:50 UTC on
    # 2026-01-19 is 00:20 IST on 2026-01-20, inside; the ones at 18:10-18:30 UTC would count though outside)
    kolkata = answer(api, keys, CASES[2][0])
    assert cys_row(kolkata)["resolved"] == in_hours(resolves, datetime.fromisoformat(CASES[2][1]),
                                                    datetime.fromisoformat(CASES[2][2]))


def test_a_range_longer_than_366_days_is_cut_and_says_so(api, keys):
    # GIVEN nothing; WHEN a manager asks for 367 days (and for nonsense)
    body = answer(api, keys, "from=2025-01-01&to=2026-01-03&tz=Asia/Tokyo")
    # THEN the answer serves 366 days from `from`, and says so, as /stats does
    assert (body["from"], body["to"]) == ("2025-01-01T00:00:00+09:00", "2026-01-02T00:00:00+09:00")
    assert answer(api, keys, "from=2025-01-01&to=2026-01-02")["to"] == "2026-01-02T00:00:00+00:00"
    # AND bad input is a 400 with a JSON error, never a 500
    for query in ("from=2025-13-01", "tz=Mars/Base", "from=2025-01-01&to=yesterday"):
        status, error = call(api, "GET", f"/stats/people?{query}", keys["manager"])
        assert status == 400 and error["error"]["code"], (query, error)


def busy_year(table, key_id: str, first: datetime, days: int, daily_from: datetime | None = None) -> None:
    """A person's counters as a resolve every hour of `days` days leaves them: the write path's own operations
    (person_update; shards alternate), their ADDs summed here and the items put by BatchWriteItem (moto
    parses every update expression anew: 17,000 updates would take a minute). Before `daily_from` only the
    hourly item is written, as versions before the daily counters did."""
    from chalicelib.store import counters

    actor = f"agent:Cy ({key_id})"
    items: dict[tuple[str, str], Counter] = {}
    for d in range(days):
        for hour in range(24):
            at = first + timedelta(days=d, hours=hour, minutes=30)
            written = counters.person_update(actor, at, hour, {"resolved": 1, f"ttr_{(d + hour) % 40}": 1})
            for operation in written if daily_from is None or at >= daily_from else written[:1]:
                update = operation["Update"]
                names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
                added = items.setdefault((update["Key"]["pk"]["S"], update["Key"]["sk"]["S"]), Counter())
                added.update({names[f"#a{i}"]: int(values[f":a{i}"]["N"]) for i in range(len(names))})
    puts = [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk},
                                     **{name: {"N": str(n)} for name, n in counts.items()}}}}
            for (pk, sk), counts in items.items()]
    for start in range(0, len(puts), 25):
        table.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: puts[start:start + 25]})


def test_a_year_of_a_person_reads_days_not_hours(api, keys, table, cy):
    key_id, _ = cy
    # GIVEN a person who resolved something every hour of 2025 (8,760 hourly items, 730 daily ones)
    busy_year(table, key_id, datetime(2025, 1, 1, tzinfo=timezone.utc), 365)
    hourly = len(person_items(table, key_id, "H#"))
    # WHEN a manager asks for the year in New York time
    reads = Reads()
    try:
        body = answer(api, keys, "from=2025-01-01&to=2026-01-01&tz=America/New_York")
    finally:
        reads.close()
    # THEN every resolve in the UTC hours the range overlaps is counted (the year less its first 5 UTC hours)
    row = cys_row(body)
    assert row == from_hours(table, key_id, body["from"], body["to"]) and row["resolved"] == 365 * 24 - 5
    # AND the read is bounded by days, not hours: one marker item, two shards a day, and at most a day of
    # hours at each end and on the first day (it may predate the daily counters), in four Queries
    assert hourly == 365 * 24
    assert reads.queries == 4
    assert reads.items <= 1 + 2 * 365 + 3 * 2 * 24
    assert reads.items < hourly / 10


def test_a_long_range_reaching_before_the_daily_counters_is_still_exact(api, keys, table, cy):
    key_id, _ = cy
    # GIVEN a year of hourly work of which only the last 100 days also have daily counters (the deploy came at
    # 09:00 UTC on a day, so that day's daily items miss its first hours)
    deployed = datetime(2025, 9, 23, 9, tzinfo=timezone.utc)
    busy_year(table, key_id, datetime(2025, 1, 1, tzinfo=timezone.utc), 365, daily_from=deployed)
    assert min(day for day, _ in person_items(table, key_id, "D#")) == "2025-09-23"
    # WHEN a manager asks for the year
    body = answer(api, keys, "from=2025-01-01&to=2026-01-01")
    # THEN nothing is undercounted: days before the daily counters could be trusted are read by the hour
    assert cys_row(body) == from_hours(table, key_id, body["from"], body["to"])
    assert cys_row(body)["resolved"] == 365 * 24
