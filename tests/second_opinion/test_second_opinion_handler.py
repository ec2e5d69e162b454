"""The second-opinion function end to end on moto: an EventBridge event in, the message re-scored once, its
`message.triaged` event (trigger second_opinion) out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.events import derive
from support import message_items, seed_message

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
SERVICE = "I was charged twice for my order and it never arrived. Refund me please, order 7731"


def event(message_id):
    return {"version": "0", "id": "e1", "detail-type": "message.triaged", "source": "social-triage",
            "detail": {"type": "message.triaged", "message_id": message_id, "data": {"trigger": "new"}}}


def test_a_message_in_the_wrong_queue_moves_once_and_says_so(table):
    from second_opinion.handler import handler
    from second_opinion.model import get_model

    # GIVEN a service complaint the webhook model put in community
    mid = seed_message("h1", "community", received_at=NOW, text=SERVICE)
    before = next(i for i in message_items(table) if i["id"] == mid)
    # WHEN its event reaches the second-opinion function
    assert handler(event(mid)) == {"message_id": mid, "outcome": "updated"}
    # THEN it is in customer_service, scored by the second-opinion model
    after = next(i for i in message_items(table) if i["id"] == mid)
    assert after["queue"] == after["triage"]["category"] == "customer_service"
    assert after["triage"]["model_version"] == get_model().version
    # AND the stream announces it as a triage by the second opinion, from community
    [announced] = derive.derive(before, after)
    assert announced.type == "message.triaged" and announced.data.trigger == "second_opinion"
    assert announced.data.previous_queue == "community" and announced.queue == "customer_service"
    # AND a redelivered event changes nothing
    assert handler(event(mid)) == {"message_id": mid, "outcome": "unchanged"}
    assert next(i for i in message_items(table) if i["id"] == mid) == after


def test_unknown_and_malformed_events_write_nothing(table):
    from second_opinion.handler import handler

    assert handler(event("facebook:nope"))["outcome"] == "unknown"
    assert handler({"detail": {}}) == {"outcome": "skipped"}
    assert handler({"detail": "x"}) == {"outcome": "skipped"}
    assert message_items(table) == []


def test_a_removed_message_is_left_alone(table):
    from chalicelib.store import messages
    from second_opinion.handler import handler

    mid = seed_message("h2", "community", received_at=NOW, text=SERVICE)
    messages.mark_removed(mid, NOW, "platform")
    assert handler(event(mid))["outcome"] == "unchanged"
    assert messages.get_message(mid).triage["model_version"] == "triage-test"
