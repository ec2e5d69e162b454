"""Entity keys and item mapping: counter shards, the typed message, bounded history."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from chalicelib.store import entities
from chalicelib.store.entities import HISTORY_LIMIT, StoredMessage, VolumeCounterKeys, shard_of
from chalicelib.store.messages import bounded_history, history_entry, message_item
from support import triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def test_a_message_writes_one_shard_and_messages_spread_over_all_of_them():
    # GIVEN many message ids WHEN each is given its shard
    shards = Counter(shard_of(f"x:{n}") for n in range(32_000))
    # THEN the same id always gets the same shard, and the shards are evenly used
    assert shard_of("x:1") == shard_of("x:1")
    assert set(shards) == set(range(entities.COUNTER_SHARDS))
    assert max(shards.values()) < 1.2 * min(shards.values())
    # AND a try after a conflict moves to another shard
    assert len({shard_of("x:1", attempt) for attempt in range(4)}) == 4


def test_the_hour_range_covers_every_shard_of_every_hour():
    lo, hi = VolumeCounterKeys.between("2026-11-20T09", "2026-11-20T10")
    inside = [VolumeCounterKeys.sk(h, s) for h in ("2026-11-20T09", "2026-11-20T10") for s in (0, 31)]
    outside = [VolumeCounterKeys.sk(h, 0) for h in ("2026-11-20T08", "2026-11-20T11")]
    assert all(lo <= sk <= hi for sk in inside) and not any(lo <= sk <= hi for sk in outside)
    assert {VolumeCounterKeys.hour(sk) for sk in inside} == {"2026-11-20T09", "2026-11-20T10"}


def test_a_stored_message_maps_to_its_item_and_back():
    item = message_item(triaged("m1", "stance", received_at=T0, needs_review=True))
    message = StoredMessage.from_item(item)
    assert message.to_item() == item
    assert item["gsi1pk"] == "QUEUE#stance#open" and item["gsi2pk"] == "OPEN#stance"
    assert message.indexes(status="claimed", lease_expires_at="L") == {
        "gsi1pk": "QUEUE#stance#claimed", "gsi1sk": item["gsi1sk"], "gsi2pk": "LEASE#stance",
        "gsi2sk": f"L#{message.id}"}


def test_history_keeps_the_first_two_and_the_latest_entries():
    # GIVEN a full history
    history = [history_entry(f"e{n}", T0, "x") for n in range(HISTORY_LIMIT)]
    # WHEN one more entry is added
    kept, dropped = bounded_history(history, history_entry("new", T0, "x"))
    # THEN it stays at the limit: received and classified, then the latest, the new one last
    assert len(kept) == HISTORY_LIMIT and dropped == 1
    assert [h["event"] for h in kept[:3]] == ["e0", "e1", "e3"] and kept[-1]["event"] == "new"
