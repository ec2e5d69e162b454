"""Conversations over the API: listed and worked as one queue item, read with every message in order."""

from __future__ import annotations

import json

import payloads
from support import call, dumps, post_webhook


def post_dm(api, mid: str, text: str, sender: str = "6100000000001"):
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, sender=sender)))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def only_conversation(api, keys, who="manager"):
    found = []
    for queue in ("customer_service", "stance", "community"):
        status, page = call(api, "GET", f"/queues/{queue}/conversations", keys[who])
        assert status == 200, page
        found += page["conversations"]
    assert len(found) == 1, found
    return found[0]


def test_three_messages_from_one_customer_are_one_conversation_read_in_order(api, keys):
    # GIVEN three DMs from one customer
    texts = ["My order 5521 never arrived", "It was supposed to come Monday", "Can someone help please?"]
    for i, text in enumerate(texts):
        assert post_dm(api, f"m.conv{i}", text)["stored"] == 1
    # WHEN the manager lists the queues THEN there is one conversation with three messages
    conversation = only_conversation(api, keys)
    assert conversation["message_count"] == 3
    # AND its detail shows every message in order with its triage and priority reasons
    status, detail = call(api, "GET", f"/conversations/{conversation['id']}", keys["manager"])
    assert status == 200, detail
    assert [m["text"] for m in detail["messages"]] == texts
    assert [m["status"] for m in detail["messages"]] == [detail["status"], "in_conversation", "in_conversation"]
    assert all(m["triage"]["category"] and m["priority_reasons"] for m in detail["messages"])
    assert detail["replies"] == []
    assert detail["reply_window"]["open"] is True and detail["reply_window"]["messaging_type"] == "RESPONSE"


def test_a_conversation_is_claimed_and_resolved_as_one_item(api, keys):
    post_dm(api, "m.a1", "Where is my refund for order 881?")
    post_dm(api, "m.a2", "I was charged twice")
    queue = only_conversation(api, keys)["queue"]
    status, claimed = call(api, "POST", f"/queues/{queue}/claim", keys["manager"], {"count": 5})
    assert status == 200 and len(claimed["claimed"]) == 1
    conversation = claimed["claimed"][0]["id"]
    # a later message's id acts on its conversation too
    status, resolved = call(api, "POST", "/messages/messenger:m.a2/resolve", keys["manager"], {"note": "refunded"})
    assert status == 200, resolved
    assert resolved["id"] == conversation and resolved["status"] == "resolved"
    status, detail = call(api, "GET", "/messages/messenger:m.a2", keys["manager"])
    assert status == 200 and detail["conversation"] == conversation


def test_an_agent_outside_the_conversations_queue_learns_nothing_about_it(api, keys):
    post_dm(api, "m.s1", "Where is my parcel? Order 4410 tracking has not moved in a week")
    conversation = only_conversation(api, keys)
    outsider = "agent_stance" if conversation["queue"] != "stance" else "agent_cs"
    for method, path in (("GET", f"/conversations/{conversation['id']}"),
                         ("POST", f"/conversations/{conversation['id']}/resolve")):
        status, body = call(api, method, path, keys[outsider], {} if method == "POST" else None)
        assert status == 404 and body["error"]["code"] == "unknown_conversation"


def test_a_later_messages_id_is_not_a_conversation(api, keys):
    post_dm(api, "m.b1", "Hello, my app keeps crashing")
    post_dm(api, "m.b2", "Version 4.2 on Android")
    status, body = call(api, "GET", "/conversations/messenger:m.b2", keys["manager"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation"


def test_the_brands_echo_is_stored_in_the_conversation_as_its_first_reply(api, keys):
    post_dm(api, "m.e1", "Is the store open on Sunday?")
    echo = payloads.messenger_dm("m.e2", "Yes, 10 to 6!", echo=True)
    response = post_webhook(api, "meta", dumps(echo))
    assert response.status_code == 200, response.body
    conversation = only_conversation(api, keys)
    status, detail = call(api, "GET", f"/conversations/{conversation['id']}", keys["manager"])
    assert [m["direction"] for m in detail["messages"]] == ["inbound", "outbound"]
    assert detail["first_reply_at"] and "triage" not in detail["messages"][1]
