"""Internal notes over the API: left on a conversation for the team by whoever may read it, shown with it in
order, never sent; once per idempotency key; at most MAX_NOTES per conversation."""

from __future__ import annotations

import json

import pytest

import payloads
from support import call, dumps, post_webhook, snapshot


def dm(api, mid: str, text: str) -> str:
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, sender="6100000000077")))
    assert response.status_code == 200 and json.loads(response.body)["stored"] == 1, response.body
    return f"messenger:{mid}"


def note(api, who, conversation: str, text: str, key: str):
    return call(api, "POST", f"/conversations/{conversation}/notes", who, {"text": text, "idempotency_key": key})


def conversation_in(api, keys) -> tuple[str, str]:
    """A customer-service conversation of two messages: (its id, its queue)."""
    first = dm(api, "m.n1", "My order 7002 arrived broken and I want a refund")
    dm(api, "m.n2", "Also the invoice is wrong")
    status, detail = call(api, "GET", f"/conversations/{first}", keys["manager"])
    assert status == 200, detail
    return first, detail["queue"]


@pytest.fixture
def conversation(api, keys):
    first, queue = conversation_in(api, keys)
    assert queue == "customer_service", queue  # the agents below are scoped by it
    return first


def test_agents_of_the_queue_leave_notes_that_show_with_the_conversation_in_order(api, keys, conversation):
    # GIVEN an open conversation nobody has claimed
    # WHEN an agent of its queue and then a manager leave notes
    status, first = note(api, keys["agent_cs"], conversation, "Customer says it is the second broken one", "note-0001")
    assert status == 201, first
    assert first["by"].startswith("agent:Cy") and first["text"] == "Customer says it is the second broken one"
    assert note(api, keys["manager"], conversation, "Offer a replacement, not a voucher", "note-0002")[0] == 201
    # THEN the conversation shows both, oldest first, and nothing about it changed
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["agent_both"])
    assert [n["text"] for n in detail["notes"]] == ["Customer says it is the second broken one",
                                                    "Offer a replacement, not a voucher"]
    assert detail["status"] == "open" and detail["replies"] == []


def test_an_agent_outside_the_queue_can_neither_read_nor_add_notes(api, keys, table, conversation):
    before = snapshot(table)
    status, body = note(api, keys["agent_stance"], conversation, "I should not be here", "note-0003")
    assert status == 404 and body["error"]["code"] == "unknown_conversation", body
    assert snapshot(table) == before


def test_a_later_messages_id_is_not_a_conversation_to_note(api, keys, conversation):
    status, body = note(api, keys["manager"], "messenger:m.n2", "wrong id", "note-0004")
    assert status == 404 and body["error"]["code"] == "unknown_conversation", body


def test_the_same_key_is_the_same_note_and_another_text_under_it_is_a_409(api, keys, table, conversation):
    assert note(api, keys["agent_cs"], conversation, "Called the courier", "note-0005")[0] == 201
    before = snapshot(table)
    # WHEN the same request comes again (a double click, a retry after a timeout)
    status, again = note(api, keys["agent_cs"], conversation, "Called the courier", "note-0005")
    # THEN it is the same note, and nothing is added
    assert status == 201 and again["text"] == "Called the courier"
    assert snapshot(table) == before
    # AND another text under that key is refused
    status, body = note(api, keys["agent_cs"], conversation, "Something else", "note-0005")
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused", body
    assert snapshot(table) == before


def test_a_conversation_keeps_at_most_max_notes(api, keys, table, conversation, monkeypatch):
    from chalicelib.store import notes

    monkeypatch.setattr(notes, "MAX_NOTES", 2)
    assert note(api, keys["manager"], conversation, "one", "note-0010")[0] == 201
    assert note(api, keys["manager"], conversation, "two", "note-0011")[0] == 201
    before = snapshot(table)
    status, body = note(api, keys["manager"], conversation, "three", "note-0012")
    assert status == 409 and body["error"]["code"] == "notes_full", body
    assert snapshot(table) == before


@pytest.mark.parametrize("body", [
    {"text": " ", "idempotency_key": "note-0020"}, {"text": "x" * 2001, "idempotency_key": "note-0021"},
    {"text": "ok", "idempotency_key": "short"}, {"text": "ok", "idempotency_key": "has space 1"},
    {"text": "ok"}, {"text": "ok", "idempotency_key": "note-0022", "private": False},
])
def test_an_invalid_note_is_a_400_and_stores_nothing(api, keys, table, conversation, body):
    before = snapshot(table)
    status, answer = call(api, "POST", f"/conversations/{conversation}/notes", keys["manager"], body)
    assert status == 400, answer
    assert snapshot(table) == before
