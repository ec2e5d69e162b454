"""Agent queues through the API: listing, claims with leases, release, resolve, re-route, history."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone

import pytest

from support import call, seed_bulk, seed_message, triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def test_listing_is_highest_priority_first_then_oldest_with_an_opaque_cursor(api, keys):
    # GIVEN messages of mixed priority and age
    seed_message("old-low", "customer_service", priority=20, received_at=T0)
    seed_message("new-high", "customer_service", priority=80, received_at=T0 + timedelta(minutes=5))
    seed_message("old-high", "customer_service", priority=80, received_at=T0 + timedelta(minutes=1))
    seed_message("mid", "customer_service", priority=50, received_at=T0 + timedelta(minutes=2))
    seed_message("elsewhere", "stance", priority=99)
    # WHEN an agent pages through the queue two at a time
    seen, cursor = [], None
    while True:
        path = "/queues/customer_service/messages?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = call(api, "GET", path, keys["agent_cs"])
        assert status == 200
        seen += [m["id"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    # THEN the order is priority, then age, with no duplicates or gaps
    assert seen == ["facebook:old-high", "facebook:new-high", "facebook:mid", "facebook:old-low"]


def test_pages_have_no_duplicates_or_gaps_while_new_messages_arrive(api, keys):
    for i in range(6):
        seed_message(f"m{i}", "community", priority=40, received_at=T0 + timedelta(minutes=i))
    status, first = call(api, "GET", "/queues/community/messages?limit=3", keys["manager"])
    # new messages arrive between pages, older and newer than the cursor position
    seed_message("late-new", "community", priority=40, received_at=T0 + timedelta(hours=1))
    status, second = call(api, "GET", f"/queues/community/messages?limit=10&cursor={first['next_cursor']}",
                          keys["manager"])
    ids = [m["id"] for m in first["messages"] + second["messages"]]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {f"facebook:m{i}" for i in range(6)} | {"facebook:late-new"}


def test_a_tampered_cursor_is_a_400(api, keys):
    status, body = call(api, "GET", "/queues/community/messages?cursor=bm90LWEtY3Vyc29y", keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


def test_claim_takes_messages_in_queue_order_and_no_one_else_can_claim_them(api, keys):
    seed_message("a", "customer_service", priority=10, received_at=T0)
    seed_message("b", "customer_service", priority=90, received_at=T0)
    seed_message("c", "customer_service", priority=50, received_at=T0)
    status, first = call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 2})
    assert status == 200
    assert [m["id"] for m in first["claimed"]] == ["facebook:b", "facebook:c"]
    assert all(m["status"] == "claimed" and m["claimed_by"].startswith("agent:Cy") for m in first["claimed"])
    status, second = call(api, "POST", "/queues/customer_service/claim", keys["agent_both"], {"count": 5})
    assert [m["id"] for m in second["claimed"]] == ["facebook:a"]
    status, third = call(api, "POST", "/queues/customer_service/claim", keys["agent_both"], {"count": 5})
    assert third["claimed"] == []


def test_an_expired_lease_makes_the_message_claimable_again(api, keys, monkeypatch):
    import app as app_module

    seed_message("lease", "stance", received_at=T0)
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(minutes=1))
    status, first = call(api, "POST", "/queues/stance/claim", keys["agent_stance"], {"count": 1, "lease_seconds": 60})
    assert len(first["claimed"]) == 1
    # before expiry nobody else gets it; after expiry a manager can claim it
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(seconds=110))
    assert call(api, "POST", "/queues/stance/claim", keys["manager"], {"count": 1})[1]["claimed"] == []
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(minutes=3))
    status, again = call(api, "POST", "/queues/stance/claim", keys["manager"], {"count": 1})
    assert [m["id"] for m in again["claimed"]] == ["facebook:lease"]
    assert again["claimed"][0]["claimed_by"].startswith("manager:Max")
    # the first agent's claim is gone: it cannot resolve any more
    status, body = call(api, "POST", "/messages/facebook:lease/resolve", keys["agent_stance"], {})
    assert status == 403 and body["error"]["code"] == "not_claim_holder"


def test_release_puts_the_message_back_open(api, keys):
    seed_message("r", "customer_service")
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})
    assert call(api, "POST", "/messages/facebook:r/release", keys["agent_both"])[0] == 403  # not the holder
    status, released = call(api, "POST", "/messages/facebook:r/release", keys["agent_cs"])
    assert status == 200 and released["status"] == "open" and "claimed_by" not in released
    status, again = call(api, "POST", "/queues/customer_service/claim", keys["agent_both"], {"count": 1})
    assert [m["id"] for m in again["claimed"]] == ["facebook:r"]


def test_resolve_with_a_note_and_the_full_history(api, keys):
    seed_message("s", "customer_service")
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})
    status, resolved = call(api, "POST", "/messages/facebook:s/resolve", keys["agent_cs"], {"note": "refund issued"})
    assert status == 200 and resolved["status"] == "resolved" and resolved["resolution_note"] == "refund issued"
    status, detail = call(api, "GET", "/messages/facebook:s", keys["agent_cs"])
    assert [h["event"] for h in detail["history"]] == ["received", "classified", "claimed", "resolved"]
    assert all(h["actor"] and h["at"] for h in detail["history"])
    assert detail["triage"]["top_terms"]
    # resolved twice is a conflict, not a 500
    assert call(api, "POST", "/messages/facebook:s/resolve", keys["manager"], {})[0] == 409


def test_reroute_records_the_correction_and_opens_it_in_the_other_queue(api, keys):
    seed_message("x", "customer_service", text="Why did you drop your Pride collection? Cowards.")
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})
    status, moved = call(api, "POST", "/messages/facebook:x/reroute", keys["agent_cs"],
                         {"queue": "stance", "reason": "about our values, not an order"})
    assert status == 200
    assert moved["queue"] == "stance" and moved["status"] == "open"
    [correction] = moved["corrections"]
    assert (correction["from"], correction["to"], correction["model_version"]) == ("customer_service", "stance",
                                                                                   "triage-test")
    assert correction["by"].startswith("agent:Cy")
    # the stance team sees it, the customer service agent no longer can
    assert [m["id"] for m in call(api, "GET", "/queues/stance/messages", keys["agent_stance"])[1]["messages"]] == \
        ["facebook:x"]
    assert call(api, "GET", "/messages/facebook:x", keys["agent_cs"])[0] == 404


def test_corrections_export_feeds_training(api, keys, tmp_path):
    from chalicelib.cli import export_corrections
    from training.corpus import read_jsonl

    seed_message("y", "community", text="Your CEO's donation to that campaign is disgusting")
    call(api, "POST", "/queues/community/claim", keys["manager"], {"count": 1})
    call(api, "POST", "/messages/facebook:y/reroute", keys["manager"], {"queue": "stance", "reason": "values"})
    out = io.StringIO()
    assert export_corrections(out) == 1
    path = tmp_path / "corrections.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    [example] = read_jsonl(path)
    assert (example.text, example.label) == ("Your CEO's donation to that campaign is disgusting", "stance")


def test_queue_overview_counts_open_claimed_needs_review_and_oldest_age(api, keys):
    seed_message("o1", "customer_service", received_at=datetime.now(timezone.utc) - timedelta(hours=2))
    seed_message("o2", "customer_service", needs_review=True)
    seed_message("o3", "customer_service", priority=99)
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})
    status, body = call(api, "GET", "/queues", keys["agent_cs"])
    assert status == 200
    [summary] = body["queues"]  # an agent sees only its own queues
    assert (summary["queue"], summary["open"], summary["claimed"], summary["needs_review"]) == \
        ("customer_service", 2, 1, 1)
    assert 7100 < summary["oldest_open_age_seconds"] < 7300
    assert [q["queue"] for q in call(api, "GET", "/queues", keys["manager"])[1]["queues"]] == \
        ["customer_service", "stance", "community"]


@pytest.mark.parametrize("body", [{"count": 0}, {"count": 51}, {"lease_seconds": 5}, {"count": "many"},
                                  {"unexpected": 1}, "not-an-object"])
def test_bad_claim_bodies_are_400(api, keys, body):
    seed_message("z", "community")
    status, payload = call(api, "POST", "/queues/community/claim", keys["manager"], body)
    assert status == 400 and payload["error"]["code"] in ("invalid_payload", "malformed_json")
    assert call(api, "GET", "/queues/community/messages", keys["manager"])[1]["messages"][0]["status"] == "open"


def test_eight_concurrent_claimers_claim_each_of_400_messages_exactly_once(local_dynamodb, conflicts):
    """Against a real HTTP DynamoDB endpoint (moto server), from 8 threads, with DynamoDB's transaction conflicts."""
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue

    seed_bulk(local_dynamodb, (triaged(f"c{i:03d}", "customer_service", priority=i % 7 * 10,
                                       received_at=T0 + timedelta(seconds=i)) for i in range(400)))
    claims: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        mine: list[str] = []
        try:
            while True:
                got = queue.claim("customer_service", Actor(f"agent-{n}"), 7, 600, datetime.now(timezone.utc))
                if not got:
                    break
                mine += [m.id for m in got]
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        claims[f"agent-{n}"] = mine

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    everything = [m for mine in claims.values() for m in mine]
    assert len(everything) == 400 and len(set(everything)) == 400
    assert sum(1 for mine in claims.values() if mine) >= 2  # the claimers really competed
    assert conflicts.attempts["TransactWriteItems"] >= 400
    # AND the queue counts moved once per claim, whatever conflicts were met and retried
    from chalicelib.store import counters

    assert counters.queue_counts("customer_service") == {"open": 0, "claimed": 400, "snoozed": 0, "needs_review": 0}


# taking the conversation a person chose ------------------------------------------------------------

def _counts(api, keys, queue: str) -> tuple[int, int, int]:
    summary = {q["queue"]: q for q in call(api, "GET", "/queues", keys["manager"])[1]["queues"]}[queue]
    return summary["open"], summary["claimed"], summary["snoozed"]


def test_an_agent_takes_the_open_conversation_she_is_reading_and_no_one_else_can(api, keys, monkeypatch):
    import app as app_module

    # GIVEN two open conversations, the one she reads the lower priority
    seed_message("chosen", "customer_service", priority=10, received_at=T0)
    seed_message("first-in-line", "customer_service", priority=90, received_at=T0)
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(minutes=1))
    # WHEN she takes it
    status, taken = call(api, "POST", "/conversations/facebook:chosen/claim", keys["agent_cs"], {"lease_seconds": 600})
    # THEN it is hers, with its lease, and the queue's counts moved
    assert status == 200, taken
    assert taken["id"] == "facebook:chosen" and taken["status"] == "claimed"
    assert taken["claimed_by"].startswith("agent:Cy")
    assert taken["lease_expires_at"].startswith("2026-11-20T09:11:00")
    assert _counts(api, keys, "customer_service") == (1, 1, 0)
    # AND another agent of the queue cannot take it, nor claim it as the next one
    status, refused = call(api, "POST", "/conversations/facebook:chosen/claim", keys["agent_both"])
    assert status == 409 and refused["error"]["code"] == "claimed_by_another", refused
    status, nxt = call(api, "POST", "/queues/customer_service/claim", keys["agent_both"], {"count": 5})
    assert [m["id"] for m in nxt["claimed"]] == ["facebook:first-in-line"]
    # AND taking it again changes nothing (a retried request)
    history = call(api, "GET", "/messages/facebook:chosen", keys["agent_cs"])[1]["history"]
    status, again = call(api, "POST", "/conversations/facebook:chosen/claim", keys["agent_cs"])
    assert status == 200 and again["lease_expires_at"] == taken["lease_expires_at"]
    assert call(api, "GET", "/messages/facebook:chosen", keys["agent_cs"])[1]["history"] == history


def test_a_snoozed_conversation_is_taken_early_and_an_expired_lease_by_anyone(api, keys, monkeypatch):
    import app as app_module

    seed_message("napping", "customer_service", received_at=T0)
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(minutes=1))
    call(api, "POST", "/conversations/facebook:napping/claim", keys["agent_cs"], {"lease_seconds": 60})
    status, _ = call(api, "POST", "/conversations/facebook:napping/snooze", keys["agent_cs"],
                     {"until": "2026-11-20T15:00:00Z"})
    assert status == 200 and _counts(api, keys, "customer_service") == (0, 0, 1)
    # WHEN another agent takes it hours before it is due THEN it is hers, and counted claimed, not snoozed
    status, woken = call(api, "POST", "/conversations/facebook:napping/claim", keys["agent_both"], {"lease_seconds": 60})
    assert status == 200 and woken["status"] == "claimed" and woken["claimed_by"].startswith("agent:Bo"), woken
    assert woken.get("snoozed_until") is None
    assert _counts(api, keys, "customer_service") == (0, 1, 0)
    # AND once her lease has run out, the first agent may take it back
    monkeypatch.setattr(app_module, "now", lambda: T0 + timedelta(minutes=5))
    status, back = call(api, "POST", "/conversations/facebook:napping/claim", keys["agent_cs"])
    assert status == 200 and back["claimed_by"].startswith("agent:Cy"), back
    assert _counts(api, keys, "customer_service") == (0, 1, 0)


def test_a_resolved_or_foreign_conversation_cannot_be_taken(api, keys):
    seed_message("done", "customer_service")
    call(api, "POST", "/conversations/facebook:done/claim", keys["agent_cs"])
    call(api, "POST", "/conversations/facebook:done/resolve", keys["agent_cs"], {})
    status, refused = call(api, "POST", "/conversations/facebook:done/claim", keys["agent_cs"])
    assert status == 409 and refused["error"]["code"] == "wrong_status", refused
    # an agent outside its queue learns nothing about it
    seed_message("elsewhere", "customer_service")
    status, hidden = call(api, "POST", "/conversations/facebook:elsewhere/claim", keys["agent_stance"])
    assert status == 404, hidden
    assert _counts(api, keys, "customer_service")[0] == 1
