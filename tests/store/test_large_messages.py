"""A large message stays claimable, resolvable and removable: its history is bounded, and a claim skips a
candidate DynamoDB refuses to grow (checked against DynamoDB's 400 KB item limit, modelled in the harness)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from dynamodb_model import MAX_ITEM_BYTES, item_size
from chalicelib.domain.workflow import Actor
from chalicelib.store.entities import HISTORY_LIMIT
from support import call, seed_message

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
QUEUE = "community"


def raw_item(table, message_id: str) -> dict:
    return table.get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"MSG#{message_id}"},
                                                                   "sk": {"S": "MSG"}})["Item"]


def test_a_large_message_claimed_and_released_many_times_stays_under_the_item_limit(table):
    from chalicelib.store import messages, queue

    # GIVEN a message whose text alone is 395,000 bytes (its history would outgrow 400 KB unbounded)
    message_id = seed_message("big", QUEUE, text="x" * 395_000, received_at=T0)
    agent = Actor("agent:Cy")
    # WHEN an agent claims and releases it 80 times (160 history entries)
    for n in range(80):
        now = T0 + timedelta(minutes=n)
        [claimed] = queue.claim(QUEUE, agent, 1, 60, now)
        assert claimed.id == message_id
        queue.release(claimed, agent, now)
    # THEN the item stayed under DynamoDB's limit: the history keeps the first two entries and the latest
    assert item_size(raw_item(table, message_id)) <= MAX_ITEM_BYTES
    stored = messages.get_message(message_id)
    assert len(stored.history) == HISTORY_LIMIT and stored.history_dropped == 2 + 160 - HISTORY_LIMIT
    assert [h["event"] for h in stored.history[:2]] == ["received", "classified"]
    assert [h["event"] for h in stored.history[-2:]] == ["claimed", "released"]
    # AND it can still be claimed, resolved with a long note, and removed
    now = T0 + timedelta(hours=3)
    [claimed] = queue.claim(QUEUE, agent, 1, 60, now)
    resolved = queue.resolve(claimed, agent, "n" * 2_000, now)
    assert resolved.status == "resolved" and len(resolved.history) == HISTORY_LIMIT
    assert messages.mark_removed(message_id, now, "platform").value == "removed"
    assert item_size(raw_item(table, message_id)) <= MAX_ITEM_BYTES


def test_a_claim_skips_a_message_dynamodb_will_not_grow_and_claims_the_next(api, keys, table):
    # GIVEN the top message of the queue is an item a few bytes under 400 KB (no history entry fits), and another
    big = seed_message("full", QUEUE, priority=99, received_at=T0)
    item = raw_item(table, big)
    item["padding"] = {"S": "p" * (MAX_ITEM_BYTES - item_size(item) - 20)}
    table.put_item(TableName=os.environ["TABLE_NAME"], Item=item)
    small = seed_message("small", QUEUE, priority=10, received_at=T0)
    # WHEN an agent claims two
    status, body = call(api, "POST", f"/queues/{QUEUE}/claim", keys["manager"], {"count": 2})
    # THEN the request succeeds with the message that could be claimed; the full one is left as it was
    assert status == 200 and [m["id"] for m in body["claimed"]] == [small]
    assert raw_item(table, big) == item
