"""Storing messages into conversations: one queue item per conversation, members outside the queues, exact
counters, reopening, and the brand's own messages as answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from support import message_items, triaged

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


def dm(native: str, queue: str = "customer_service", *, author: str = "cust1", priority: int = 40, at=NOW,
       platform: str = "messenger"):
    item = triaged(native, queue, priority=priority, received_at=at, platform=platform, author=author,
                   channel="direct_message")
    message = replace(item.message, account="page1", conversation_id=f"{platform}:page1:{author}")
    return replace(item, message=message)


def comment(native: str, queue: str = "community", *, parent: str | None = None, author: str = "fan", at=NOW,
            priority: int = 15):
    item = triaged(native, queue, priority=priority, received_at=at, author=author,
                   channel="reply" if parent else "comment")
    return replace(item, message=replace(item.message, account="page1", parent_id=parent))


def save(item, now=None):
    from chalicelib.store import conversations

    return conversations.save_inbound(item, now or item.message.received_at).value


def get(message_id):
    from chalicelib.store.messages import get_message

    return get_message(message_id)


def queue_counts(queue):
    from chalicelib.store import counters

    return counters.queue_counts(queue)


def volume(queue):
    from chalicelib.store import counters

    total = {}
    for _, counts in counters.volume_counters(queue, NOW - timedelta(days=1), NOW + timedelta(days=10)):
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return total


def test_three_direct_messages_from_one_customer_are_one_queue_item(table):
    # GIVEN three DMs from one customer WHEN they are stored
    outcomes = [save(dm(f"m{i}", at=NOW + timedelta(minutes=i))) for i in range(3)]
    # THEN one conversation is in the queue; the later two are its members; volume counts every message
    assert outcomes == ["stored"] * 3
    head = get("messenger:m0")
    assert (head.status, head.conversation, head.message_count) == ("open", "messenger:m0", 3)
    assert head.last_inbound_at.startswith("2026-12-02T09:02")
    for member in ("messenger:m1", "messenger:m2"):
        stored = get(member)
        assert (stored.status, stored.conversation) == ("in_conversation", "messenger:m0")
    assert queue_counts("customer_service")["open"] == 1
    assert volume("customer_service")["messages"] == 3
    from chalicelib.store import queue

    listed, _ = queue.list_messages("customer_service", "open", 10, None)
    assert [m.id for m in listed] == ["messenger:m0"]


def test_a_redelivered_member_changes_nothing(table):
    save(dm("m0"))
    save(dm("m1", at=NOW + timedelta(minutes=1)))
    before = (get("messenger:m0").rev, volume("customer_service"), len(message_items(table)))
    # WHEN the second message is delivered again (a new received_at, as a redelivery has)
    again = save(dm("m1", at=NOW + timedelta(minutes=5)))
    assert again == "duplicate"
    assert (get("messenger:m0").rev, volume("customer_service"), len(message_items(table))) == before
    assert save(dm("m0", at=NOW + timedelta(minutes=6))) == "duplicate"


def test_another_customer_or_another_platform_is_another_conversation(table):
    save(dm("m0"))
    save(dm("m1", author="cust2"))
    save(dm("w1", platform="whatsapp"))
    assert queue_counts("customer_service")["open"] == 3


def test_a_reply_joins_its_comment_thread_and_a_reply_to_a_reply_follows_its_parent(table):
    save(comment("c1"))
    save(comment("c2", parent="facebook:c1", at=NOW + timedelta(minutes=1)))
    save(comment("c3", parent="facebook:c2", at=NOW + timedelta(minutes=2)))
    save(comment("c9"))  # another top-level comment: another conversation
    assert get("facebook:c3").conversation == "facebook:c1"
    assert get("facebook:c1").message_count == 3
    assert queue_counts("community")["open"] == 2
    from chalicelib.store import conversations

    latest, earlier = conversations.members_page("facebook:c1")
    assert [m.id for m in latest] == ["facebook:c2", "facebook:c3"] and earlier is None


def test_the_most_urgent_message_moves_an_unclaimed_conversation_and_its_counts(table):
    save(dm("m0", "community", priority=30))
    save(dm("m1", "customer_service", priority=80, at=NOW + timedelta(minutes=1)))
    head = get("messenger:m0")
    assert (head.queue, head.priority, head.priority_reasons) == ("customer_service", 80, ["seeded"])
    assert queue_counts("community")["open"] == 0 and queue_counts("customer_service")["open"] == 1
    # volume stays per message, in each message's own category
    assert volume("community")["messages"] == 1 and volume("customer_service")["messages"] == 1


def test_a_claimed_conversation_stays_with_its_agent_and_keeps_its_queue(table):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue

    save(dm("m0", priority=30))
    [claimed] = queue.claim("customer_service", Actor("agent:cy"), 1, 900, NOW)
    save(dm("m1", "stance", priority=90, at=NOW + timedelta(minutes=1)))
    head = get("messenger:m0")
    assert (head.status, head.claimed_by, head.queue, head.priority) == ("claimed", "agent:cy", "customer_service", 90)
    assert head.lease_expires_at == claimed.lease_expires_at
    assert queue_counts("customer_service")["claimed"] == 1 and queue_counts("stance")["open"] == 0


def test_a_new_message_reopens_a_resolved_conversation_within_the_window_and_starts_one_after(table):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue

    save(dm("m0"))
    queue.resolve(get("messenger:m0"), Actor("mgr", may_override=True), None, NOW + timedelta(minutes=5))
    # WHEN the customer writes again a day later THEN the conversation reopens, without its resolution
    save(dm("m1", at=NOW + timedelta(days=1)), now=NOW + timedelta(days=1))
    head = get("messenger:m0")
    assert (head.status, head.resolved_at, head.message_count) == ("open", None, 2)
    assert [h["event"] for h in head.history][-1] == "reopened"
    assert queue_counts("customer_service")["open"] == 1
    # WHEN it is resolved again and the customer writes after the window THEN a new conversation starts
    queue.resolve(get("messenger:m0"), Actor("mgr", may_override=True), None, NOW + timedelta(days=1, minutes=5))
    later = NOW + timedelta(days=6)
    save(dm("m2", at=later), now=later)
    assert get("messenger:m2").conversation == "messenger:m2"
    assert get("messenger:m2").status == "open"
    assert get("messenger:m0").status == "resolved"


def test_a_snoozed_conversation_reopens_on_a_new_customer_message(table):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue

    save(dm("m0"))
    [claimed] = queue.claim("customer_service", Actor("agent:cy"), 1, 900, NOW)
    queue.snooze(claimed, Actor("agent:cy"), NOW + timedelta(days=2), NOW)
    save(dm("m1", at=NOW + timedelta(hours=1)))
    head = get("messenger:m0")
    assert (head.status, head.snoozed_until) == ("open", None)
    assert queue_counts("customer_service") | {} == {**queue_counts("customer_service"), "open": 1, "snoozed": 0}


def test_the_brands_own_message_joins_its_conversation_as_the_first_reply_once(table):
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    save(dm("m0"))
    for i, minutes in enumerate((30, 50)):
        echo = Message(id=f"messenger:e{i}", platform="messenger", channel=Channel.DIRECT_MESSAGE,
                       author=Author(id="page1"), text="Sorry about that, we are on it", direction="outbound",
                       created_at=NOW + timedelta(minutes=minutes), received_at=NOW + timedelta(minutes=minutes),
                       account="page1", conversation_id="messenger:page1:cust1")
        assert conversations.save_outbound(echo, NOW + timedelta(minutes=minutes)).value == "stored"
    head = get("messenger:m0")
    assert head.first_reply_at.startswith("2026-12-02T09:30")
    assert head.last_reply_at.startswith("2026-12-02T09:50")
    assert head.message_count == 3
    counts = volume("customer_service")
    assert counts["first_replied"] == 1 and counts.get("first_reply_late", 0) == 0
    stored = get("messenger:e0")
    assert (stored.direction, stored.status, stored.triage) == ("outbound", "in_conversation", {})


def test_the_brands_message_with_no_conversation_to_join_is_not_stored(table):
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    post = Message(id="facebook:p1", platform="facebook", channel=Channel.COMMENT, author=Author(id="page1"),
                   text="New drop on Friday", direction="outbound", created_at=NOW, received_at=NOW,
                   account="page1", parent_id="facebook:unknown")
    assert conversations.save_outbound(post, NOW).value == "unknown"
    assert message_items(table) == []


def test_a_late_first_reply_is_counted_late(table, monkeypatch):
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    save(dm("m0"))
    at = NOW + timedelta(hours=3)  # customer_service SLA is one hour by default
    echo = Message(id="messenger:e9", platform="messenger", channel=Channel.DIRECT_MESSAGE, author=Author(id="page1"),
                   text="Hello", direction="outbound", created_at=at, received_at=at, account="page1",
                   conversation_id="messenger:page1:cust1")
    conversations.save_outbound(echo, at)
    assert volume("customer_service")["first_reply_late"] == 1


def test_a_viral_thread_stores_every_message_once_and_counts_them_all(local_dynamodb, conflicts):
    # GIVEN the conflict model on WHEN 24 messages of one conversation arrive at once from 6 writers
    from concurrent.futures import ThreadPoolExecutor

    save(dm("m0"))
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(save, [dm(f"m{i}", at=NOW + timedelta(seconds=i)) for i in range(1, 25)]))
    # THEN none is refused (contended joins fall back to the unguarded count), each is stored once, all counted
    assert outcomes == ["stored"] * 24
    assert get("messenger:m0").message_count == 25
    # AND the head keeps the start of a customer's latest words (which one wins a race is the last write's)
    assert get("messenger:m0").last_inbound_text in {f"message m{i} for customer_service" for i in range(1, 25)}
    assert volume("customer_service")["messages"] == 25
    assert queue_counts("customer_service")["open"] == 1


def test_a_generic_sources_thread_groups_its_messages(table):
    # GIVEN two comments from a generic source (a LinkedIn poller) on one thread
    for native in ("g1", "g2"):
        item = triaged(native, "community", platform="linkedin", author=f"p-{native}")
        save(replace(item, message=replace(item.message, thread_id="linkedin:post-77")))
    # THEN they are one conversation; a native platform's thread (a whole post) does not group
    assert get("linkedin:g2").conversation == "linkedin:g1"
    for native in ("c1", "c2"):
        item = comment(native)
        save(replace(item, message=replace(item.message, thread_id="facebook:post-1")))
    assert get("facebook:c2").conversation == "facebook:c2"


def test_a_contended_join_whose_count_cannot_be_written_still_answers_stored(table, monkeypatch):
    # GIVEN a conversation whose head keeps changing (every guarded join loses) and a count update that fails
    from chalicelib.errors import StorageUnavailable
    from chalicelib.store import conversations

    save(dm("m0"))
    monkeypatch.setattr(conversations, "_run", _losing_guarded_joins(conversations._run))

    def unavailable(*_args, **_kwargs):
        raise StorageUnavailable()

    monkeypatch.setattr(conversations, "_count_in_head", unavailable)
    # WHEN a message joins THEN it is stored (a 503 would only bring a redelivery that finds it stored)
    assert save(dm("m1", at=NOW + timedelta(minutes=1))) == "stored"
    assert get("messenger:m1").conversation == "messenger:m0"
    assert volume("customer_service")["messages"] == 2


def test_a_contended_join_does_not_bring_back_a_conversation_hidden_meanwhile(table, monkeypatch):
    # GIVEN a comment thread whose head keeps changing (every guarded join loses, so a reply takes the contended
    # path: stored first, then counted in the head), and the head hidden on Facebook just as the reply is stored
    from chalicelib.store import conversations
    from chalicelib.store.messages import mark_removed
    from support import counted_from_messages

    save(comment("c1"))
    run = _losing_guarded_joins(conversations._run)

    def hidden_meanwhile(build, message, attempt, *, joining=False):
        if message.id == "facebook:c2" and not joining:
            assert mark_removed("facebook:c1", NOW, "platform", hidden=True).value == "removed"
        return run(build, message, attempt, joining=joining)

    monkeypatch.setattr(conversations, "_run", hidden_meanwhile)
    # WHEN a reply joins the thread
    assert save(comment("c2", parent="facebook:c1", at=NOW + timedelta(minutes=1))) == "stored"
    # THEN the hidden conversation stays hidden, out of the queue (the comment is hidden on Facebook: only
    # showing it again brings it back), and the counts say what the messages say
    head = get("facebook:c1")
    assert (head.status, head.moderation["state"]) == ("removed", "hidden")
    assert queue_counts("community")["open"] == 0
    assert queue_counts("community") == counted_from_messages(table)["community"]


def _losing_guarded_joins(run):
    def losing(build, message, attempt, *, joining=False):
        return None if joining else run(build, message, attempt)
    return losing


def test_an_echo_reusing_the_id_of_the_message_that_opened_the_conversation_is_a_duplicate(table):
    # GIVEN a conversation opened by a DM (real captures reuse message ids across a customer's and an echo's payload)
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    save(dm("m0"))
    echo = Message(id="messenger:m0", platform="messenger", channel=Channel.DIRECT_MESSAGE, author=Author(id="page1"),
                   text="hello", direction="outbound", created_at=NOW, received_at=NOW, account="page1",
                   conversation_id="messenger:page1:cust1")
    # WHEN the echo arrives THEN it is a duplicate (not a storage error), and nothing changed
    before = get("messenger:m0")
    assert conversations.save_outbound(echo, NOW).value == "duplicate"
    assert get("messenger:m0") == before
