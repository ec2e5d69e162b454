"""Snooze (an agent sets a claimed message aside until a time) and the scheduled sweep (due snoozes reopen,
open messages past their queue's window are auto-resolved), through the API and the scheduled function."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.store.entities import iso
from support import call, message_items, seed_message

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
QUEUE = "customer_service"


def at(monkeypatch, moment: datetime) -> None:
    import app as app_module

    monkeypatch.setattr(app_module, "now", lambda: moment)


def overview(api, keys) -> dict:
    return {q["queue"]: q for q in call(api, "GET", "/queues", keys["manager"])[1]["queues"]}[QUEUE]


def sweep(moment: datetime) -> dict:
    from chalicelib import sweeps

    return sweeps.run(moment)


def test_a_snoozed_message_reopens_at_its_time_in_priority_order(api, keys, monkeypatch):
    # GIVEN an agent holds the top message and a lower one waits open
    seed_message("top", QUEUE, priority=90, received_at=T0)
    seed_message("low", QUEUE, priority=10, received_at=T0)
    at(monkeypatch, T0 + timedelta(minutes=1))
    call(api, "POST", f"/queues/{QUEUE}/claim", keys["agent_cs"], {"count": 1})
    # WHEN they snooze it for an hour
    status, snoozed = call(api, "POST", "/messages/facebook:top/snooze", keys["agent_cs"],
                           {"until": iso(T0 + timedelta(hours=1, minutes=1))})
    # THEN it is snoozed, out of the claim, and counted as snoozed
    assert status == 200 and snoozed["status"] == "snoozed" and "claimed_by" not in snoozed
    assert (overview(api, keys)["snoozed"], overview(api, keys)["claimed"]) == (1, 0)
    # AND before its time a claim passes it over
    status, first = call(api, "POST", f"/queues/{QUEUE}/claim", keys["agent_both"], {"count": 5})
    assert [m["id"] for m in first["claimed"]] == ["facebook:low"]
    call(api, "POST", "/messages/facebook:low/release", keys["agent_both"])
    # WHEN its time has come THEN it is claimable again ahead of the lower-priority open message
    at(monkeypatch, T0 + timedelta(hours=2))
    status, again = call(api, "POST", f"/queues/{QUEUE}/claim", keys["agent_both"], {"count": 1})
    assert [m["id"] for m in again["claimed"]] == ["facebook:top"]
    events = [h["event"] for h in call(api, "GET", "/messages/facebook:top", keys["manager"])[1]["history"]]
    assert events == ["received", "classified", "claimed", "snoozed", "claimed"]
    assert overview(api, keys)["snoozed"] == 0 and overview(api, keys)["claimed"] == 1


def test_only_the_claim_holder_snoozes_and_only_ahead_in_time(api, keys, monkeypatch):
    seed_message("s", QUEUE, received_at=T0)
    at(monkeypatch, T0)
    call(api, "POST", f"/queues/{QUEUE}/claim", keys["agent_cs"], {"count": 1})
    status, body = call(api, "POST", "/messages/facebook:s/snooze", keys["agent_both"],
                        {"until": iso(T0 + timedelta(hours=1))})
    assert status == 403 and body["error"]["code"] == "not_claim_holder"
    status, body = call(api, "POST", "/messages/facebook:s/snooze", keys["agent_cs"], {"until": iso(T0)})
    assert status == 400 and body["error"]["code"] == "invalid_snooze"
    assert [m["status"] for m in message_items_of(api)] == ["claimed"]


def message_items_of(api):
    import boto3

    return message_items(boto3.client("dynamodb", region_name="us-east-1"))


def test_the_sweep_reopens_due_snoozes_and_auto_resolves_old_open_messages_once(api, keys, monkeypatch, table):
    # GIVEN an open message 15 days old, one 2 days old, a claimed one 20 days old, and a due snooze
    now = datetime.now(timezone.utc)
    seed_message("stale", QUEUE, received_at=now - timedelta(days=15))
    seed_message("recent", QUEUE, received_at=now - timedelta(days=2))
    seed_message("held", QUEUE, received_at=now - timedelta(days=20), priority=99)
    seed_message("snoozy", QUEUE, received_at=now - timedelta(days=1), priority=98)
    at(monkeypatch, now - timedelta(hours=3))
    call(api, "POST", f"/queues/{QUEUE}/claim", keys["agent_cs"], {"count": 2, "lease_seconds": 86_400})
    call(api, "POST", "/messages/facebook:snoozy/snooze", keys["agent_cs"], {"until": iso(now - timedelta(hours=1))})
    # WHEN the scheduled function runs
    done = sweep(now)
    # THEN the due snooze is open again, the stale open message resolved with a reason; the claimed one untouched
    assert (done[QUEUE]["reopened"], done[QUEUE]["auto_resolved"]) == (1, 1)
    stored = {m["id"]: m for m in message_items(table)}
    assert stored["facebook:snoozy"]["status"] == "open" and "snoozed_until" not in stored["facebook:snoozy"]
    assert stored["facebook:stale"]["status"] == "resolved"
    assert stored["facebook:stale"]["resolution_reason"] == "auto_resolved"
    assert stored["facebook:stale"]["history"][-1]["details"] == {"reason": "auto_resolved"}
    assert stored["facebook:held"]["status"] == "claimed" and stored["facebook:recent"]["status"] == "open"
    # AND it is idempotent: a second run changes nothing
    before = message_items(table)
    again = sweep(now)[QUEUE]
    assert (again["reopened"], again["auto_resolved"], again["folded"]) == (0, 0, 0)
    assert message_items(table) == before
    # AND the stats and the overview count it
    counts = overview(api, keys)
    assert (counts["open"], counts["claimed"], counts["snoozed"]) == (2, 1, 0)
    status, stats = call(api, "GET", "/stats?granularity=day&from=" + (now - timedelta(days=30)).date().isoformat(),
                         keys["manager"])
    times = [b["response_times"][QUEUE] for b in stats["buckets"]]
    assert sum(t["auto_resolved"] for t in times) == 1 and sum(t["snoozed"] for t in times) == 1
    assert sum(t["resolved"] for t in times) == 0  # nobody answered it: no response time


def test_the_sweep_is_bounded_per_run(table):
    from chalicelib.store import queue

    now = datetime.now(timezone.utc)
    for n in range(5):
        seed_message(f"old{n}", "community", received_at=now - timedelta(days=8, minutes=n))
    assert queue.sweep("community", now, timedelta(days=7), limit=2) == {"reopened": 0, "auto_resolved": 2}
    assert queue.sweep("community", now, timedelta(days=7), limit=2) == {"reopened": 0, "auto_resolved": 2}
    assert queue.sweep("community", now, timedelta(days=7), limit=2) == {"reopened": 0, "auto_resolved": 1}
    assert {m["status"] for m in message_items(table)} == {"resolved"}


def test_the_sweep_is_a_scheduled_function_of_the_app():
    from app import app

    [handler] = [h for h in app.event_sources if h.name == "sweep_queues"]
    assert handler.schedule_expression.to_string() == "rate(5 minutes)"


def test_a_conversation_reopened_by_hand_is_not_auto_resolved_again_until_its_window_has_passed_since(api, keys, table):
    from chalicelib.store import queue

    # GIVEN a conversation whose customer last wrote 15 days ago, auto-resolved by the sweep
    now = datetime.now(timezone.utc)
    window = timedelta(days=14)
    conversation = seed_message("forgotten", QUEUE, received_at=now - timedelta(days=15))
    assert queue.sweep(QUEUE, now - timedelta(hours=1), window) == {"reopened": 0, "auto_resolved": 1}
    # WHEN an agent reopens it by hand
    status, reopened = call(api, "POST", f"/conversations/{conversation}/reopen", keys["agent_cs"],
                            {"reason": "the customer is still waiting"})
    assert status == 200 and reopened["status"] == "open"
    # THEN the next sweeps leave it open: its window runs from the reopen
    assert queue.sweep(QUEUE, now + timedelta(minutes=5), window) == {"reopened": 0, "auto_resolved": 0}
    assert queue.sweep(QUEUE, now + timedelta(days=13), window) == {"reopened": 0, "auto_resolved": 0}
    assert {m["id"]: m["status"] for m in message_items(table)} == {conversation: "open"}
    # AND the oldest-open age still measures the customer's wait, from their message (not the reopen)
    assert overview(api, keys)["oldest_open_age_seconds"] >= timedelta(days=15).total_seconds()
    # AND once nobody picked it up for the whole window after the reopen, it is auto-resolved again
    assert queue.sweep(QUEUE, now + timedelta(days=14, minutes=1), window) == {"reopened": 0, "auto_resolved": 1}


def test_the_scheduled_sweep_also_marks_replies_cut_off_while_sending(api, keys, table, fake_platforms):
    from chalicelib.store import replies
    from chalicelib.store.entities import iso as to_iso

    # GIVEN a reply whose sending request stopped (reserved, never answered) three minutes ago
    conversation = seed_message("cut-off", QUEUE)
    started = datetime.now(timezone.utc) - timedelta(minutes=3)
    replies.reserve(replies.StoredReply(
        id="reply-cut-off", conversation=conversation, text="On its way", reply_to=conversation, by="key:agent",
        platform="facebook", created_at=to_iso(started), status=replies.SENDING,
        request_hash=replies.request_hash("On its way", conversation)))
    # WHEN the scheduled sweep runs
    done = sweep(datetime.now(timezone.utc))
    # THEN it says so, and the reply is unknown: it may have gone out, and it is never sent again
    assert done["replies"] == {"cut_off": 1}
    assert replies.get(conversation, "reply-cut-off").status == "unknown"
