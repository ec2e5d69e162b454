"""The conversation rules: which conversation a message joins, and how a conversation follows its messages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.conversations import Head, conversation_key, join, starts_new_conversation

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(days=4)


def key(**fields):
    base = {"platform": "facebook", "channel": "comment", "message_id": "facebook:c1", "account": "page1",
            "author_id": "u1"}
    return conversation_key(**(base | fields))


def test_direct_messages_group_by_the_platforms_thread_else_by_account_and_author():
    assert key(channel="direct_message", conversation_id="messenger:page1:u1") == "dm#messenger:page1:u1"
    assert key(channel="direct_message", platform="x", message_id="x:1", account="brand") == "dm#x:brand:u1"
    assert key(channel="direct_message", message_id="facebook:2") == key(channel="direct_message", message_id="facebook:3")


def test_a_comment_thread_is_its_top_level_comment_with_its_replies():
    top = key(message_id="facebook:c1")
    reply = key(channel="reply", message_id="facebook:c2", parent_id="facebook:c1")
    assert top == reply == "thread#facebook:c1"


def test_top_level_comments_on_one_post_are_separate_conversations():
    assert key(message_id="facebook:c1", parent_id="facebook:post1") == "thread#facebook:c1"
    assert key(message_id="facebook:c2", parent_id="facebook:post1") == "thread#facebook:c2"


def test_a_reply_joins_its_stored_parents_conversation_before_anything_else():
    assert key(channel="reply", message_id="x:3", parent_id="x:2", conversation_id="x-conv",
               parent_key="thread#x:1") == "thread#x:1"


def test_a_platform_conversation_id_groups_posts_and_mentions():
    assert key(channel="mention", platform="x", message_id="x:5", conversation_id="x:1") == "conv#x:1"


def head(status="open", priority=40, corrected=False, resolved_at=None, queue="customer_service"):
    return Head(status=status, queue=queue, priority=priority, corrected=corrected, resolved_at=resolved_at)


@pytest.mark.parametrize("state, resolved_ago, new", [
    (None, None, True),
    ("removed", None, True),
    ("open", None, False),
    ("claimed", None, False),
    ("snoozed", None, False),
    ("resolved", timedelta(days=1), False),
    ("resolved", WINDOW, False),
    ("resolved", WINDOW + timedelta(seconds=1), True),
])
def test_a_message_reopens_a_resolved_conversation_only_within_the_window(state, resolved_ago, new):
    current = None if state is None else head(state, resolved_at=NOW - resolved_ago if resolved_ago else None)
    assert starts_new_conversation(current, NOW, WINDOW) is new


def test_the_most_urgent_message_decides_priority_and_queue_while_nobody_holds_the_conversation():
    joined = join(head("open", priority=40), "stance", 70)
    assert (joined.status, joined.queue, joined.priority, joined.takes_message_priority) == ("open", "stance", 70, True)
    calmer = join(head("open", priority=40), "stance", 20)
    assert (calmer.queue, calmer.priority, calmer.takes_message_priority) == ("customer_service", 40, False)


def test_a_claim_or_a_persons_reroute_fixes_the_queue():
    assert join(head("claimed", priority=40), "stance", 90).queue == "customer_service"
    assert join(head("claimed", priority=40), "stance", 90).status == "claimed"
    assert join(head("open", priority=40, corrected=True), "stance", 90).queue == "customer_service"


def test_a_snoozed_or_resolved_conversation_reopens_from_its_new_message():
    for state in ("snoozed", "resolved"):
        joined = join(head(state, priority=90), "community", 15)
        assert (joined.status, joined.queue, joined.priority, joined.reopened) == ("open", "community", 15, True)
