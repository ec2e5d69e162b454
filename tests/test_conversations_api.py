"""Conversations over the API: listed and worked as one queue item, read with every message in order."""

from __future__ import annotations

import json

import pytest

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
    assert conversation["last_inbound_text"] == texts[2]  # what the list shows: the customer's latest words
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


def test_a_long_conversation_is_read_latest_first_in_pages(api, keys, monkeypatch):
    from chalicelib.store import conversations

    # GIVEN a conversation of seven messages, read three later messages at a time
    monkeypatch.setattr(conversations, "PAGE_MESSAGES", 3)
    texts = [f"Order {5500 + i} still missing, message {i}" for i in range(7)]
    for i, text in enumerate(texts):
        assert post_dm(api, f"m.page{i}", text)["stored"] == 1
    conversation = only_conversation(api, keys)["id"]
    # WHEN it is opened THEN it shows its first message and the latest three, and a cursor for the rest
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert status == 200, detail
    assert [m["text"] for m in detail["messages"]] == [texts[0], *texts[4:]]
    assert detail["earlier_cursor"]
    # AND the cursor reads the ones between, oldest first, with nothing earlier left
    status, earlier = call(api, "GET", f"/conversations/{conversation}/messages?cursor={detail['earlier_cursor']}",
                           keys["manager"])
    assert status == 200, earlier
    assert [m["text"] for m in earlier["messages"]] == texts[1:4]
    assert earlier["next_cursor"] is None
    # AND the reply window is the latest customer message's
    assert detail["reply_window"]["open"] is True


def test_a_conversation_page_stops_at_its_text_budget(api, keys, monkeypatch):
    from chalicelib.store import conversations

    # GIVEN texts of about 40 bytes and a page budget of 100 bytes of text
    monkeypatch.setattr(conversations, "PAGE_TEXT_BYTES", 100)
    texts = [f"Refund for order {7700 + i} please, it is late" for i in range(5)]
    for i, text in enumerate(texts):
        post_dm(api, f"m.budget{i}", text)
    conversation = only_conversation(api, keys)["id"]
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    # THEN the page holds the latest two (a third would pass the budget) and says earlier ones are left
    assert status == 200, detail
    assert [m["text"] for m in detail["messages"]] == [texts[0], *texts[3:]]
    status, earlier = call(api, "GET", f"/conversations/{conversation}/messages?cursor={detail['earlier_cursor']}",
                           keys["manager"])
    assert [m["text"] for m in earlier["messages"]] == texts[1:3] and earlier["next_cursor"] is None


def test_a_conversation_cursor_reads_only_its_own_conversation(api, keys, monkeypatch):
    from chalicelib.store import conversations

    monkeypatch.setattr(conversations, "PAGE_MESSAGES", 1)
    for i in range(3):
        post_dm(api, f"m.own{i}", f"Where is parcel {i}?", sender="6100000000001")
        post_dm(api, f"m.other{i}", f"My card was charged twice, try {i}", sender="6100000000002")
    status, mine = call(api, "GET", "/conversations/messenger:m.own0", keys["manager"])
    assert status == 200 and mine["earlier_cursor"], mine
    # WHEN another conversation's cursor, a made-up one, or none is given THEN 400, in the API's error shape
    for cursor, code in [(mine["earlier_cursor"], "invalid_cursor"), ("bm90LWEtY3Vyc29y", "invalid_cursor")]:
        status, refused = call(api, "GET", f"/conversations/messenger:m.other0/messages?cursor={cursor}",
                               keys["manager"])
        assert status == 400 and refused["error"]["code"] == code, refused
    status, refused = call(api, "GET", "/conversations/messenger:m.other0/messages", keys["manager"])
    assert status == 400, refused
    # AND an agent outside the conversation's queue learns nothing about it
    outside = "agent_stance" if mine["queue"] != "stance" else "agent_cs"
    status, hidden = call(api, "GET", f"/conversations/messenger:m.own0/messages?cursor={mine['earlier_cursor']}",
                          keys[outside])
    assert status == 404, hidden


@pytest.mark.parametrize("route", ["conversations", "messages"])
@pytest.mark.parametrize("action, body, status", [
    ("resolve", {"note": "refunded"}, "resolved"), ("release", None, "open"),
    ("reroute", {"queue": "community", "reason": "a fan question"}, "open"),
])
def test_a_change_that_meets_a_message_joining_the_thread_is_worked_out_again_not_refused(
        api, keys, monkeypatch, action, body, status, route):
    from chalicelib.store import queue

    # GIVEN a busy conversation the agent holds
    post_dm(api, "m.busy0", "My order 6610 never arrived")
    conversation = only_conversation(api, keys)
    assert call(api, "POST", f"/conversations/{conversation['id']}/claim", keys["manager"], {})[0] == 200
    # WHEN a customer message joins it between the API's read of the conversation and its write
    real, joined = getattr(queue, action), []

    def racing(stored, *args):
        if not joined:
            joined.append(post_dm(api, "m.busy1", "Hello?? anyone there"))
        return real(stored, *args)

    monkeypatch.setattr(queue, action, racing)
    answered, result = call(api, "POST", f"/{route}/{conversation['id']}/{action}", keys["manager"], body)
    # THEN the change is made on the conversation as it now is, not refused with "reload and try again"
    assert answered == 200, result
    assert result["status"] == status and joined
    _, detail = call(api, "GET", f"/conversations/{conversation['id']}", keys["manager"])
    assert detail["message_count"] == 2 and detail["status"] == status


def test_a_conversation_that_never_stops_changing_is_a_409_in_the_end(api, keys, monkeypatch):
    from chalicelib.domain.errors import ConcurrentChange
    from chalicelib.store import messages, queue

    post_dm(api, "m.busy2", "My order 6611 never arrived")
    conversation = only_conversation(api, keys)["id"]
    attempts = []

    def always_changed(stored, *args):
        attempts.append(stored.rev)
        raise ConcurrentChange("the message changed meanwhile; reload it and try again")

    monkeypatch.setattr(queue, "resolve", always_changed)
    answered, result = call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {})
    assert answered == 409 and result["error"]["code"] == "concurrent_change", result
    assert len(attempts) == messages.CHANGE_ROUNDS
