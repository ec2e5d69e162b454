"""Folding a closed hour's volume counter shards into one item: the stats read the same numbers from far fewer
items, whatever writes come before, during or after a fold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from chalicelib.domain.workflow import Actor
from chalicelib.store.entities import VolumeCounterKeys, hour_of
from support import seed_message

NOW = datetime.now(timezone.utc).replace(minute=30, second=0, microsecond=0)
HOUR_START = NOW.replace(minute=0) - timedelta(days=1)  # an hour that closed a day ago
HOUR = hour_of(HOUR_START)
AGENT = Actor("agent:Cy")


def hour_items(queue: str, hour: str = HOUR) -> list[dict]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    from chalicelib.store import dynamo

    lo, hi = VolumeCounterKeys.between(hour, hour)
    return client.query(TableName=dynamo.table_name(), KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                        ExpressionAttributeValues={":pk": {"S": VolumeCounterKeys.pk(queue)}, ":lo": {"S": lo},
                                                   ":hi": {"S": hi}})["Items"]


def hour_totals(queue: str, hour: str = HOUR) -> dict[str, int]:
    """What the stats read for the hour: every item summed (counters.volume_counters)."""
    from chalicelib.store import counters

    start = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc)
    totals: dict[str, int] = {}
    for _, counts in counters.volume_counters(queue, start, start + timedelta(hours=1)):
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + value
    return {name: value for name, value in totals.items() if value}


def busy_hour(n: int = 24) -> list[str]:
    """n messages received in HOUR (over many shards), some claimed, resolved and re-routed since."""
    from chalicelib.store import messages, queue

    ids = [seed_message(f"fold{i}", "customer_service", received_at=HOUR_START + timedelta(minutes=i * 2),
                        needs_review=i % 4 == 0, platform=("facebook", "x", "instagram")[i % 3]) for i in range(n)]
    later = HOUR_START + timedelta(hours=3)
    claimed = queue.claim("customer_service", AGENT, 6, 3600, later)
    queue.resolve(claimed[0], AGENT, "done", later)
    queue.resolve(claimed[1], AGENT, None, later)
    queue.reroute(claimed[2], AGENT, "stance", "about our statement", later)
    return ids


def test_a_fold_keeps_every_total_and_leaves_one_item(table):
    from chalicelib.store import counters

    # GIVEN a busy hour, a day ago, counted on many shards
    busy_hour()
    before = {q: hour_totals(q) for q in ("customer_service", "stance")}
    assert len(hour_items("customer_service")) > 10 and before["customer_service"]["resolved"] == 2
    # WHEN the sweep folds it
    folded = counters.fold_hour("customer_service", HOUR)
    # THEN the stats read the same numbers from one item
    assert folded > 10
    assert [i["sk"]["S"] for i in hour_items("customer_service")] == [VolumeCounterKeys.folded_sk(HOUR)]
    assert {q: hour_totals(q) for q in ("customer_service", "stance")} == before
    # AND folding it again changes nothing
    assert counters.fold_hour("customer_service", HOUR) == 0
    assert hour_totals("customer_service") == before["customer_service"]


def test_writes_after_a_fold_are_counted_beside_it_and_folded_by_a_later_sweep(table):
    from chalicelib.store import counters, messages, queue

    # GIVEN a folded hour
    ids = busy_hour()
    counters.fold_hour("customer_service", HOUR)
    # WHEN its messages are resolved and re-routed days later (their counts go to the hour they came in)
    later = NOW - timedelta(hours=1)
    for message_id in ids[10:14]:
        queue.resolve(messages.get_message(message_id), Actor("manager:Max", may_override=True), None, later)
    queue.reroute(messages.get_message(ids[15]), Actor("manager:Max", may_override=True), "community", "fan talk",
                  later)
    # THEN the hour's totals count them (new shards beside the folded item)
    after = hour_totals("customer_service")
    assert after["resolved"] == 6 and len(hour_items("customer_service")) > 1
    # AND the next fold takes them in without changing a number
    assert counters.fold_hour("customer_service", HOUR) > 0
    assert len(hour_items("customer_service")) == 1 and hour_totals("customer_service") == after


def test_a_write_between_the_folds_read_and_its_transaction_cancels_the_fold(table, monkeypatch):
    from chalicelib.store import counters, dynamo, messages, queue

    # GIVEN a busy hour, and a resolve that lands on one of its shards just after the fold has read them
    ids = busy_hour()
    target = messages.get_message(ids[20])
    client = dynamo.client()
    landed = []

    def resolve_meanwhile(**kwargs):
        if kwargs.get("ConsistentRead") and not landed:
            page = real_query(**kwargs)
            landed.append(True)
            queue.resolve(target, Actor("manager:Max", may_override=True), None, NOW)
            return page
        return real_query(**kwargs)

    real_query = client.query
    monkeypatch.setattr(client, "query", resolve_meanwhile)
    expected_before_resolve = hour_totals("customer_service")
    # WHEN the fold runs into it
    assert counters.fold_hour("customer_service", HOUR) == 0
    monkeypatch.setattr(client, "query", real_query)
    # THEN nothing was folded and the resolve is counted once
    assert landed and len(hour_items("customer_service")) > 1
    totals = hour_totals("customer_service")
    assert totals["resolved"] == expected_before_resolve["resolved"] + 1
    # AND the next sweep folds the hour as it is then
    assert counters.fold_hour("customer_service", HOUR) > 0
    assert len(hour_items("customer_service")) == 1 and hour_totals("customer_service") == totals


def test_shards_written_before_folding_existed_are_left_as_they_are_and_still_counted(table):
    from chalicelib.store import counters, dynamo

    # GIVEN an hour with shards, one of them written before shards counted their writes
    busy_hour(8)
    legacy_sk = VolumeCounterKeys.sk(HOUR, 31)
    client = dynamo.client()
    client.put_item(TableName=dynamo.table_name(), Item={
        "pk": {"S": VolumeCounterKeys.pk("customer_service")}, "sk": {"S": legacy_sk},
        "messages": {"N": "3"}, "messages:facebook": {"N": "3"}})
    before = hour_totals("customer_service")
    # WHEN the hour is folded
    counters.fold_hour("customer_service", HOUR)
    # THEN the old shard is untouched beside the folded item, and nothing changed in the totals
    assert sorted(i["sk"]["S"] for i in hour_items("customer_service")) == [legacy_sk, VolumeCounterKeys.folded_sk(HOUR)]
    assert hour_totals("customer_service") == before


def test_the_sweep_folds_the_hours_of_each_age_and_not_the_current_hour(table):
    from chalicelib import sweeps

    # GIVEN messages this hour and in an hour that closed a day ago
    busy_hour(12)
    current = hour_of(NOW)
    for i in range(6):
        seed_message(f"now{i}", "customer_service", received_at=NOW.replace(minute=i))
    assert len(hour_items("customer_service", current)) > 1
    # WHEN the sweep runs
    done = sweeps.run(NOW)
    # THEN the day-old hour is one item, the current hour is left to its writers
    assert done["customer_service"]["folded"] > 0
    assert len(hour_items("customer_service")) == 1
    assert all(i["sk"]["S"] != VolumeCounterKeys.folded_sk(current) for i in hour_items("customer_service", current))


def honouring_tokens(transact):
    """TransactWriteItems as DynamoDB answers it and moto does not: a request whose ClientRequestToken completed
    in the last 10 minutes is answered as done without being applied again."""
    completed = set()

    def dynamodb(**request):
        token = request.get("ClientRequestToken")
        if token is not None and token in completed:
            return {}
        answer = transact(**request)
        if token is not None:
            completed.add(token)
        return answer
    return dynamodb


def late(queue_name: str, shard: int, add: dict[str, int]) -> None:
    """A late write to HOUR's shard, as a transition's transaction writes it."""
    from chalicelib.store import counters, dynamo

    dynamo.client().transact_write_items(TransactItems=[counters.volume_update(queue_name, HOUR, shard, add)])


def folded_then_written_again(queue_name: str, shard: int) -> dict[str, int]:
    """A folded hour and a late resolve counted since on `shard` (a new item: its `writes` is 1 again); the
    hour's totals."""
    from chalicelib.store import counters

    for i in range(3):
        seed_message(f"lost{i}", queue_name, received_at=HOUR_START + timedelta(minutes=i))
    counters.fold_hour(queue_name, HOUR)
    late(queue_name, shard, {"resolved": 1})
    return hour_totals(queue_name)


def test_a_fold_sent_again_after_its_answer_was_lost_does_not_count_twice(table, monkeypatch):
    from chalicelib.store import counters, dynamo

    # GIVEN a folded hour, and a late resolve counted since on shard 5
    before = folded_then_written_again("customer_service", 5)
    # WHEN the sweep folds shard 5, DynamoDB commits, the answer is lost, a first reply is counted on that same
    # shard (a new item again, `writes` 1), and botocore sends the identical request again
    client = dynamo.client()
    real, retried = client.transact_write_items, []
    dynamodb = honouring_tokens(real)

    def lost_answer(**request):
        if retried or not any("Delete" in op for op in request["TransactItems"]):
            return dynamodb(**request)
        dynamodb(**request)
        retried.append(True)
        late("customer_service", 5, {"first_replied": 1})
        return dynamodb(**request)

    monkeypatch.setattr(client, "transact_write_items", lost_answer)
    counters.fold_hour("customer_service", HOUR)
    monkeypatch.setattr(client, "transact_write_items", real)
    # THEN the resolve is counted once and the first reply too
    assert retried
    assert hour_totals("customer_service") == {**before, "first_replied": 1}


def test_two_sweeps_folding_the_same_shards_at_once_count_them_once(table, monkeypatch):
    from chalicelib.store import counters, dynamo

    # GIVEN a folded hour, and a late resolve counted since on shard 5
    before = folded_then_written_again("customer_service", 5)
    # WHEN two sweeps run at once (a schedule delivers at least once): both read shard 5, one folds it, a first
    # reply is counted on that shard (a new item, `writes` 1), and then the other one's fold arrives
    client = dynamo.client()
    real_query, real_transact, raced = client.query, client.transact_write_items, []
    monkeypatch.setattr(client, "transact_write_items", honouring_tokens(real_transact))

    def the_other_sweep_meanwhile(**request):
        page = real_query(**request)
        if request.get("ConsistentRead") and not raced:
            raced.append(True)
            counters.fold_hour("customer_service", HOUR)
            late("customer_service", 5, {"first_replied": 1})
        return page

    monkeypatch.setattr(client, "query", the_other_sweep_meanwhile)
    counters.fold_hour("customer_service", HOUR)
    monkeypatch.setattr(client, "query", real_query)
    monkeypatch.setattr(client, "transact_write_items", real_transact)
    # THEN the resolve is counted once and the first reply too
    assert raced
    assert hour_totals("customer_service") == {**before, "first_replied": 1}
