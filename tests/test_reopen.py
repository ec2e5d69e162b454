"""POST /conversations/{id}/reopen: a resolved conversation opened again by hand (a resolve made by mistake), by
whoever works its queue; open and unclaimed, counted once, its resolve kept in its history and in the stats."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.events import derive
from chalicelib.store import counters
from event_stream import StreamReader
from support import call, counted_from_messages, scan_items, seed_message, snapshot

QUEUE = "customer_service"
ACTORS = {"agent_cs": "agent:Cy", "agent_both": "agent:Bo", "manager": "manager:Max", "admin": "admin:Ada"}  # keys


def resolved_conversation(api, keys, native_id: str = "r1", needs_review: bool = False) -> str:
    """A conversation of customer_service that an agent claimed and resolved with a note."""
    conversation = seed_message(native_id, QUEUE, needs_review=needs_review,
                                received_at=datetime.now(timezone.utc) - timedelta(minutes=10))
    status, body = call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_cs"])
    assert status == 200, body
    status, body = call(api, "POST", f"/conversations/{conversation}/resolve", keys["agent_cs"], {"note": "refunded"})
    assert status == 200 and body["status"] == "resolved", body
    return conversation


def stats_counts(table) -> dict[str, int]:
    """The volume stats' resolved count and the people's (their hourly items), summed over every shard."""
    items = scan_items(table)
    return {"resolved": sum(i.get("resolved", 0) for i in items if i["pk"].startswith("STATS#")),
            "person_resolved": sum(i.get("resolved", 0) for i in items
                                   if i["pk"].startswith("AGENT#") and i["sk"].startswith("H#"))}


@pytest.mark.parametrize("who", ["agent_cs", "agent_both", "manager", "admin"])
def test_whoever_works_its_queue_reopens_a_resolved_conversation_open_and_unclaimed(api, keys, who):
    # GIVEN a conversation an agent claimed and resolved
    conversation = resolved_conversation(api, keys)
    # WHEN someone who works its queue reopens it, saying why
    status, reopened = call(api, "POST", f"/conversations/{conversation}/reopen", keys[who],
                            {"reason": "resolved by mistake"})
    # THEN it is open again in its queue, held by nobody, its resolution off the conversation
    assert status == 200, reopened
    assert reopened["id"] == conversation and reopened["status"] == "open" and reopened["queue"] == QUEUE
    for gone in ("claimed_by", "lease_expires_at", "resolved_at", "resolved_by", "resolution_note"):
        assert gone not in reopened, gone
    assert reopened["reopened_at"]
    # AND its history says who reopened it and why, after the resolve it keeps
    *_, resolved, entry = reopened["history"]
    assert resolved["event"] == "resolved" and resolved["details"] == {"note": "refunded"}
    assert entry["event"] == "reopened" and entry["details"] == {"reason": "resolved by mistake"}
    assert entry["actor"].startswith(ACTORS[who] + " (")
    # AND it is read and listed as open
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys[who])
    assert status == 200 and detail["status"] == "open" and detail["history"][-1] == entry
    status, page = call(api, "GET", f"/queues/{QUEUE}/conversations?status=open", keys[who])
    assert [c["id"] for c in page["conversations"]] == [conversation]
    status, page = call(api, "GET", f"/queues/{QUEUE}/conversations?status=resolved", keys[who])
    assert page["conversations"] == []


def test_without_a_body_it_reopens_with_no_reason(api, keys):
    conversation = resolved_conversation(api, keys)
    status, reopened = call(api, "POST", f"/conversations/{conversation}/reopen", keys["manager"])
    assert status == 200 and reopened["status"] == "open", reopened
    assert reopened["history"][-1]["event"] == "reopened" and reopened["history"][-1]["details"] is None


@pytest.mark.parametrize("needs_review", [False, True], ids=["reviewed", "needs_review"])
def test_the_queue_counts_move_once_and_the_resolve_stays_counted(api, keys, table, needs_review):
    # GIVEN a resolved conversation (counted as resolved in the stats, for the agent too)
    conversation = resolved_conversation(api, keys, needs_review=needs_review)
    assert counters.queue_counts(QUEUE) == {"open": 0, "claimed": 0, "snoozed": 0, "needs_review": 0}
    resolved = stats_counts(table)
    assert resolved == {"resolved": 1, "person_resolved": 1}
    # WHEN it is reopened, and reopening it again is refused
    assert call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_cs"])[0] == 200
    status, body = call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_cs"])
    assert status == 409 and body["error"]["code"] == "wrong_status"
    # THEN the queue counts one more open conversation (and one needing review when it does), exactly once
    assert counters.queue_counts(QUEUE) == {"open": 1, "claimed": 0, "snoozed": 0, "needs_review": int(needs_review)}
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]
    # AND what was resolved stays counted: the stats are not taken back
    assert stats_counts(table) == resolved


def test_resolved_again_it_counts_as_a_second_resolve(api, keys, table):
    # GIVEN a conversation reopened by hand
    conversation = resolved_conversation(api, keys)
    assert call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_cs"])[0] == 200
    # WHEN it is taken and resolved again
    assert call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_cs"])[0] == 200
    status, body = call(api, "POST", f"/conversations/{conversation}/resolve", keys["agent_cs"])
    # THEN each resolve is counted, as each solve of a ticket is
    assert status == 200 and body["status"] == "resolved"
    assert stats_counts(table) == {"resolved": 2, "person_resolved": 2}
    assert counters.queue_counts(QUEUE) == counted_from_messages(table)[QUEUE]


@pytest.mark.parametrize("state", ["open", "claimed", "snoozed"])
def test_only_a_resolved_conversation_can_be_reopened(api, keys, table, state):
    # GIVEN a conversation that is open, claimed or snoozed
    conversation = seed_message("s1", QUEUE)
    if state != "open":
        assert call(api, "POST", f"/conversations/{conversation}/claim", keys["agent_cs"])[0] == 200
    if state == "snoozed":
        until = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
        assert call(api, "POST", f"/conversations/{conversation}/snooze", keys["agent_cs"], {"until": until})[0] == 200
    before = snapshot(table)
    # WHEN anyone, a manager too, asks to reopen it
    for who in ("agent_cs", "manager"):
        status, body = call(api, "POST", f"/conversations/{conversation}/reopen", keys[who])
        # THEN it is refused as the other actions refuse a state they do not apply to, and nothing changes
        assert status == 409 and body["error"]["code"] == "wrong_status", body
    assert snapshot(table) == before


def test_an_agent_of_another_queue_learns_nothing_about_it(api, keys, table):
    conversation = resolved_conversation(api, keys)
    before = snapshot(table)
    status, body = call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_stance"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation"
    assert snapshot(table) == before


def test_a_removed_conversation_or_a_later_message_is_not_one_to_reopen(api, keys, table):
    from chalicelib.store import messages

    # GIVEN a resolved conversation then deleted on the platform
    conversation = resolved_conversation(api, keys)
    assert messages.mark_removed(conversation, datetime.now(timezone.utc), "platform:facebook") == "removed"
    before = snapshot(table)
    # WHEN it is reopened THEN it is unknown, as everywhere else
    for path in (f"/conversations/{conversation}/reopen", "/conversations/facebook:nope/reopen"):
        status, body = call(api, "POST", path, keys["manager"])
        assert status == 404 and body["error"]["code"] == "unknown_conversation", body
    assert snapshot(table) == before


@pytest.mark.parametrize("body", [{"reason": "x" * 501}, {"reason": 5}, {"note": "wrong field"}, ["reason"], "why"],
                         ids=["too_long", "not_text", "unknown_field", "a_list", "a_string"])
def test_a_bad_body_is_a_400_and_changes_nothing(api, keys, table, body):
    conversation = resolved_conversation(api, keys)
    before = snapshot(table)
    status, answer = call(api, "POST", f"/conversations/{conversation}/reopen", keys["manager"], body)
    assert status == 400 and answer["error"]["code"], answer
    assert snapshot(table) == before


def test_a_reason_of_500_characters_is_kept(api, keys):
    conversation = resolved_conversation(api, keys)
    status, reopened = call(api, "POST", f"/conversations/{conversation}/reopen", keys["manager"], {"reason": "é" * 500})
    assert status == 200 and reopened["history"][-1]["details"] == {"reason": "é" * 500}


def test_the_reopen_is_announced_on_the_stream_with_who_and_only_trusted_consumers_get_the_reason(api, keys, table):
    # GIVEN a resolved conversation and the table's stream read up to now
    conversation = resolved_conversation(api, keys)
    reader = StreamReader(table, os.environ["TABLE_NAME"])
    reader.read()
    # WHEN an agent reopens it with a reason
    status, reopened = call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_cs"],
                            {"reason": "customer still waiting"})
    assert status == 200
    records = reader.read()
    # THEN its change is one message.reopened event on the conversation: from resolved, by that agent
    events = [e for record in records for e in derive.from_record(record)]
    assert [e.type for e in events] == ["message.reopened"]
    (event,) = events
    actor = reopened["history"][-1]["actor"]
    assert (event.message_id, event.status, event.queue, event.actor) == (conversation, "open", QUEUE, actor)
    assert event.data.model_dump(exclude_none=True) == {"from_status": "resolved", "reopened_by": actor}
    # AND the reason goes only to consumers trusted with free text
    (trusted,) = [e for record in records for e in derive.from_record(record, include_text=True)]
    assert trusted.data.reason == "customer still waiting" and trusted.event_id == event.event_id
