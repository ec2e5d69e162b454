"""GET /conversations/{id}/customer: who opened the conversation and the other conversations they opened, each
as it is now, only in queues the caller works, a page at a time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import payloads
from support import call, dumps, post_webhook, scan_items, seed_message

NOW = datetime.now(timezone.utc) - timedelta(hours=1)


def customer(api, keys, who: str, conversation: str, cursor: str | None = None):
    path = f"/conversations/{conversation}/customer" + (f"?cursor={cursor}" if cursor else "")
    return call(api, "GET", path, keys[who])


def seed_customer() -> dict[str, str]:
    """One customer's four conversations (two in customer_service, two in stance) and a stranger's one."""
    ids = {}
    for minute, (name, queue) in enumerate([("cs1", "customer_service"), ("st1", "stance"),
                                            ("cs2", "customer_service"), ("st2", "stance")]):
        ids[name] = seed_message(name, queue, author="fan", received_at=NOW + timedelta(minutes=minute),
                                 text=f"{name}: where is my order 4471?")
    seed_message("other", "customer_service", author="someone-else", received_at=NOW + timedelta(minutes=9))
    return ids


def test_an_agent_sees_the_customers_conversations_in_her_queues_only(api, keys):
    ids = seed_customer()
    # WHEN an agent of customer_service opens the customer's latest customer_service conversation
    status, body = customer(api, keys, "agent_cs", ids["cs2"])
    # THEN she sees who wrote it and the other customer_service one, and nothing about the stance ones
    assert status == 200, body
    assert body["customer"] == {"platform": "facebook", "id": "fan"}
    assert [c["id"] for c in body["conversations"]] == [ids["cs1"]]
    assert body["next_cursor"] is None
    assert set(body) == {"customer", "blocked", "conversations", "next_cursor"}  # no count of what was left out
    assert body["blocked"] is None
    listed = body["conversations"][0]
    assert listed == {"id": ids["cs1"], "channel": "comment", "queue": "customer_service", "status": "open",
                      "received_at": listed["received_at"], "last_inbound_at": listed["received_at"],
                      "text": "cs1: where is my order 4471?", "text_cut": False, "tags": [], "message_count": 1}
    assert listed["received_at"].startswith(NOW.strftime("%Y-%m-%dT%H:%M"))


def test_a_manager_sees_every_other_conversation_of_the_customer_newest_first(api, keys):
    ids = seed_customer()
    status, body = customer(api, keys, "manager", ids["cs2"])
    assert status == 200, body
    assert [c["id"] for c in body["conversations"]] == [ids["st2"], ids["st1"], ids["cs1"]]
    assert [c["queue"] for c in body["conversations"]] == ["stance", "stance", "customer_service"]


def test_the_listing_shows_each_conversations_tags_and_state_now(api, keys):
    ids = seed_customer()
    assert call(api, "POST", f"/conversations/{ids['cs1']}/tags", keys["agent_cs"], {"add": ["refund"]})[0] == 200
    assert call(api, "POST", f"/conversations/{ids['cs1']}/resolve", keys["manager"], {})[0] == 200
    status, body = customer(api, keys, "agent_cs", ids["cs2"])
    assert status == 200, body
    [listed] = body["conversations"]
    assert (listed["tags"], listed["status"]) == (["refund"], "resolved")


def test_a_conversation_outside_the_agents_queues_is_a_404(api, keys):
    ids = seed_customer()
    status, body = customer(api, keys, "agent_cs", ids["st1"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation"
    status, body = customer(api, keys, "agent_cs", "facebook:nobody")
    assert status == 404 and body["error"]["code"] == "unknown_conversation"


def test_pages_are_read_with_the_cursor_and_a_tampered_one_is_a_400(api, keys, monkeypatch):
    from chalicelib.store import customers
    from chalicelib.store.entities import CustomerConversationKeys, key
    from chalicelib.store.queue import encode_cursor

    monkeypatch.setattr(customers, "PAGE", 2)
    monkeypatch.setattr(customers, "POINTERS_PER_READ", 2)
    ids = seed_customer()
    # GIVEN the manager's first page of two
    status, first = customer(api, keys, "manager", ids["cs2"])
    assert status == 200 and len(first["conversations"]) == 2 and first["next_cursor"]
    # WHEN she follows the cursor THEN the oldest one follows
    status, second = customer(api, keys, "manager", ids["cs2"], first["next_cursor"])
    assert status == 200, second
    assert [c["id"] for c in first["conversations"] + second["conversations"]] == [ids["st2"], ids["st1"], ids["cs1"]]
    # AND a cursor that is not one this listing gave (another customer's, forged, not a cursor) is a 400
    stranger = encode_cursor(key(CustomerConversationKeys.pk("facebook", "someone-else"), "C#"))
    for cursor, code in [(stranger, "invalid_cursor"), ("e30", "invalid_cursor"), ("bm90LWpzb24", "invalid_cursor"),
                         ("not%20base64!", "invalid_query")]:
        status, body = customer(api, keys, "manager", ids["cs2"], cursor)
        assert status == 400 and body["error"]["code"] == code, (cursor, body)


def test_a_redelivered_webhook_lists_its_conversation_once(api, keys, table):
    # GIVEN a customer's DM delivered twice by Meta, then a second DM in the same conversation
    first = dumps(payloads.messenger_dm("m.cust1", "Where is my refund for order 881?", sender="6100000000077"))
    for _ in range(2):
        assert post_webhook(api, "meta", first).status_code == 200
    second = dumps(payloads.messenger_dm("m.cust2", "Still nothing", sender="6100000000077"))
    assert json.loads(post_webhook(api, "meta", second).body)["stored"] == 1
    # THEN the customer has one pointer, and the conversation has no "other" conversation
    assert [i["conversation"] for i in scan_items(table) if i["pk"].startswith("CUSTOMER#")] == ["messenger:m.cust1"]
    status, body = customer(api, keys, "manager", "messenger:m.cust1")
    assert status == 200, body
    assert body["customer"]["id"] == "6100000000077" and body["conversations"] == []

