"""The maintained queue counts (what GET /queues reads) equal the messages' states after every kind of move."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from chalicelib.domain.workflow import Actor
from chalicelib.models import QUEUES
from support import counted_from_messages, message_items, seed_message

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


def test_counts_follow_claim_release_snooze_resolve_reroute_and_removal(table):
    from chalicelib.store import counters, messages, queue

    # GIVEN eight messages, some the model was unsure of
    ids = [seed_message(f"c{n}", "customer_service", priority=90 - n, received_at=T0, needs_review=n % 3 == 0)
           for n in range(8)]
    agent, manager = Actor("agent:Cy"), Actor("manager:Max", may_override=True)
    # WHEN agents claim, release, snooze, resolve, re-route, and the platform removes one
    claimed = queue.claim("customer_service", agent, 5, 600, T0)
    queue.release(claimed[0], agent, T0)
    queue.snooze(claimed[1], agent, T0 + timedelta(hours=2), T0)
    queue.resolve(claimed[2], agent, "done", T0)
    queue.reroute(claimed[3], agent, "stance", "values", T0)
    queue.resolve(messages.get_message(ids[7]), manager, None, T0)  # a manager resolves an open one
    messages.mark_removed(ids[6], T0, "platform")
    queue.claim("stance", agent, 1, 600, T0)
    # THEN every queue's maintained counts equal the states of its messages
    expected = counted_from_messages(table)
    assert {q: counters.queue_counts(q) for q in QUEUES} == expected
    assert expected["customer_service"]["open"] > 0 and expected["stance"]["claimed"] == 1
    assert Counter(m["status"] for m in message_items(table)) == {"open": 2, "claimed": 2, "snoozed": 1,
                                                                 "resolved": 2, "removed": 1}
