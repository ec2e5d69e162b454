"""Applying the second opinion to stored messages: the verdict replaced once, the queue moved only while the first
verdict still decides it, and every counter (queue counts, volume, model accuracy) moved with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.classifier import TermWeight, Triage
from chalicelib.domain.workflow import Actor
from chalicelib.models import QUEUES
from support import counted_from_messages, seed_message, triaged

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
SECOND = "second-test"


def verdict(category: str, needs_review: bool = False) -> Triage:
    scores = {q: (0.9 if q == category else 0.05) for q in QUEUES}
    return Triage(category=category, confidence=0.9, scores=scores, top_terms=[TermWeight("refund", 0.7)],
                  model_version=SECOND, needs_review=needs_review)


def volumes(queue: str) -> dict[str, int]:
    from chalicelib.store import counters

    total: dict[str, int] = {}
    for _, counts in counters.volume_counters(queue, NOW - timedelta(hours=1), NOW + timedelta(hours=1)):
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return total


def classified(queue: str) -> dict[str, int]:
    from chalicelib.store import counters

    out: dict[str, int] = {}
    for c in counters.accuracy_counters(queue, NOW - timedelta(days=1), NOW + timedelta(days=1)):
        out[c["model_version"]] = out.get(c["model_version"], 0) + int(c.get("classified", 0))
    return out


def apply(message_id: str, triage: Triage):
    from chalicelib.store import messages

    return messages.apply_second_opinion(messages.get_message(message_id), triage, NOW + timedelta(seconds=5))


def test_an_open_message_moves_to_the_second_opinions_queue_with_its_counts(table):
    from chalicelib.store import counters, messages

    # GIVEN an open message the webhook model put in stance, unsure
    mid = seed_message("m1", "stance", received_at=NOW, needs_review=True)
    # WHEN the second opinion says customer_service, sure
    assert apply(mid, verdict("customer_service")).value == "updated"
    # THEN the message is in customer_service, no longer flagged, with both verdicts and a history entry
    stored = messages.get_message(mid)
    assert (stored.queue, stored.status, stored.needs_review) == ("customer_service", "open", False)
    assert stored.triage["category"] == "customer_service" and stored.triage["model_version"] == SECOND
    assert stored.triage["first_opinion"] == {"category": "stance", "confidence": 0.8,
                                              "model_version": "triage-test", "needs_review": True}
    # AND its priority carries the new queue's bonus (the seeded priority had none: a hand-set 30)
    assert (stored.priority, stored.priority_reasons) == (40, ["queue:customer_service", "seeded"])
    entry = stored.history[-1]
    assert (entry["event"], entry["actor"], entry["details"]["queue"]) == ("second_opinion", "model:second-opinion",
                                                                           "customer_service")
    # AND every counter moved: queue counts, hourly volume (with needs_review), model accuracy per version
    assert {q: counters.queue_counts(q) for q in QUEUES} == counted_from_messages(table)
    assert volumes("stance").get("messages", 0) == 0 and volumes("stance").get("needs_review", 0) == 0
    assert volumes("customer_service")["messages"] == 1 and volumes("customer_service").get("needs_review", 0) == 0
    assert classified("stance") == {"triage-test": 0} and classified("customer_service") == {SECOND: 1}


def test_it_is_applied_once(table):
    from chalicelib.store import messages

    mid = seed_message("m2", "stance", received_at=NOW)
    assert apply(mid, verdict("community")).value == "updated"
    before = messages.get_message(mid)
    # a redelivered event (or another verdict) finds the second opinion given
    assert apply(mid, verdict("customer_service")).value == "unchanged"
    assert messages.get_message(mid) == before


def test_the_same_category_only_updates_confidence_and_the_review_flag(table):
    from chalicelib.store import counters, messages

    mid = seed_message("m3", "community", received_at=NOW, needs_review=True)
    apply(mid, verdict("community"))
    stored = messages.get_message(mid)
    assert (stored.queue, stored.needs_review, stored.triage["confidence"]) == ("community", False, 0.9)
    assert {q: counters.queue_counts(q) for q in QUEUES} == counted_from_messages(table)
    assert volumes("community")["messages"] == 1 and volumes("community").get("needs_review", 0) == 0


@pytest.mark.parametrize("what", ["claimed", "rerouted"])
def test_what_a_person_decided_keeps_its_queue(table, what):
    from chalicelib.store import counters, messages, queue

    agent = Actor("agent:Cy")
    mid = seed_message(f"p-{what}", "stance", received_at=NOW)
    if what == "claimed":
        [claimed] = queue.claim("stance", agent, 1, 600, NOW)
        lease = claimed.lease_expires_at
    else:
        [claimed] = queue.claim("stance", agent, 1, 600, NOW)
        queue.reroute(claimed, agent, "community", "fan talk", NOW)
    apply(mid, verdict("customer_service"))
    stored = messages.get_message(mid)
    assert stored.queue == ("stance" if what == "claimed" else "community")
    assert stored.triage["category"] == "customer_service"  # the message's own category is corrected
    if what == "claimed":
        assert (stored.status, stored.claimed_by, stored.lease_expires_at) == ("claimed", "agent:Cy", lease)
    assert {q: counters.queue_counts(q) for q in QUEUES} == counted_from_messages(table)
    assert classified("customer_service") == {SECOND: 1}


def test_a_member_is_corrected_without_moving_its_conversation(table):
    from chalicelib.store import conversations, counters, messages

    def dm(native, queue, at):
        item = triaged(native, queue, received_at=at, platform="messenger", author="cust", channel="direct_message")
        return replace(item, message=replace(item.message, account="page1", conversation_id="messenger:page1:cust"))

    conversations.save_inbound(dm("d1", "customer_service", NOW), NOW)
    conversations.save_inbound(dm("d2", "customer_service", NOW + timedelta(seconds=1)), NOW + timedelta(seconds=1))
    member = messages.get_message("messenger:d2")
    assert member.status == "in_conversation"
    apply(member.id, verdict("stance", needs_review=True))
    member = messages.get_message("messenger:d2")
    assert member.triage["category"] == "stance" and member.needs_review  # its own flag, outside the queue counts
    assert messages.get_message("messenger:d1").queue == "customer_service"
    assert {q: counters.queue_counts(q) for q in QUEUES} == counted_from_messages(table)
    assert volumes("stance")["messages"] == 1 and volumes("customer_service")["messages"] == 1


def test_a_message_changed_meanwhile_is_a_conflict_not_a_silent_write(table):
    from chalicelib.domain.errors import ConcurrentChange
    from chalicelib.store import messages, queue

    mid = seed_message("m4", "stance", received_at=NOW)
    stale = messages.get_message(mid)
    queue.claim("stance", Actor("agent:Cy"), 1, 600, NOW)  # the agent claims it while it is scored
    with pytest.raises(ConcurrentChange):
        messages.apply_second_opinion(stale, verdict("customer_service"), NOW)
    assert messages.get_message(mid).triage["category"] == "stance"


def test_a_conversation_of_one_moved_out_of_community_gains_the_queue_bonus_and_its_place(table):
    from chalicelib.store import messages, queue

    # GIVEN two open customer_service messages and one the webhook model put in community, all priority 30
    seed_message("cs1", "customer_service", received_at=NOW - timedelta(minutes=2), priority=30)
    mid = seed_message("m5", "community", received_at=NOW, priority=30)
    # WHEN the second opinion says customer_service
    apply(mid, verdict("customer_service"))
    # THEN its priority gains the queue's bonus and it is claimed first (40 > 30)
    stored = messages.get_message(mid)
    assert stored.priority == 40 and "queue:customer_service" in stored.priority_reasons
    [first] = queue.claim("customer_service", Actor("agent:Cy"), 1, 600, NOW)
    assert first.id == mid


def test_a_longer_conversations_review_flag_is_raised_never_cleared(table):
    from chalicelib.store import conversations, counters, messages

    def dm(native, at, needs_review):
        item = triaged(native, "customer_service", received_at=at, platform="messenger", author="cust2",
                       channel="direct_message", needs_review=needs_review)
        return replace(item, message=replace(item.message, account="page1", conversation_id="messenger:page1:cust2"))

    # GIVEN a conversation whose second message was flagged (so the conversation is)
    conversations.save_inbound(dm("e1", NOW, False), NOW)
    conversations.save_inbound(dm("e2", NOW + timedelta(seconds=1), True), NOW + timedelta(seconds=1))
    assert messages.get_message("messenger:e1").needs_review
    # WHEN the second opinion is sure of the first message THEN the conversation stays flagged for its other message
    apply("messenger:e1", verdict("customer_service", needs_review=False))
    assert messages.get_message("messenger:e1").needs_review
    assert {q: counters.queue_counts(q) for q in QUEUES} == counted_from_messages(table)
