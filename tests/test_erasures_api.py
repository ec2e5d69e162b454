"""POST /erasures: an admin erases everything one customer wrote (GDPR's right to erasure), as redaction: the
items stay for the stats and the threads, their content goes, and nothing brings it back."""

from __future__ import annotations

import json

import pytest

import payloads
from support import call, dumps, post_webhook, scan_items

CUSTOMER = "5550001"  # payloads.page_comment's default author
STRANGER = "5550002"
POST = "104857600000001_900001"


def comment(api, comment_id: str, text: str, *, author: str = CUSTOMER, parent: str | None = None, verb: str = "add"):
    body = payloads.page_comment(comment_id, text, author_id=author, parent_id=parent, verb=verb)
    response = post_webhook(api, "meta", dumps(body))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def dm(api, mid: str, text: str, *, echo: bool = False):
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, echo=echo)))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def erase(api, keys, platform: str, author: str, who: str = "admin", **extra):
    return call(api, "POST", "/erasures", keys[who], {"platform": platform, "author_id": author, **extra})


def message(api, keys, message_id: str) -> dict:
    status, body = call(api, "GET", f"/messages/{message_id}", keys["admin"])
    assert status == 200, body
    return body


def test_a_customers_comments_lose_their_text_and_name_everywhere_and_no_one_elses_do(api, keys, table):
    # GIVEN the customer's comment (a conversation a stranger replied in), and the customer's reply in the
    # stranger's own conversation, which is that conversation's latest customer words
    comment(api, "c1", "My card ending 4242 was charged twice, Dana Reyes here")
    comment(api, "s-reply", "same thing happened to me", author=STRANGER, parent="c1")
    comment(api, "s1", "Any news on the summer festival?", author=STRANGER)
    comment(api, "c-reply", "Ask at 221B Baker Street, that's where I live", parent="s1")
    assert message(api, keys, "facebook:s1")["last_inbound_text"].startswith("Ask at 221B")

    # WHEN an admin erases the customer, saying which request it answers
    status, body = erase(api, keys, "facebook", CUSTOMER, reason="DSR-1042")

    # THEN both of the customer's messages are erased, in one request
    assert status == 200, body
    assert body == {"platform": "facebook", "author_id": CUSTOMER, "done": True, "messages_erased": 2,
                    "conversations_erased": 1}
    for message_id in ("facebook:c1", "facebook:c-reply"):
        erased = message(api, keys, message_id)
        assert erased["text"] == "" and erased["author"] == {"id": CUSTOMER}
        assert erased["erased"]["reason"] == "customer_request" and "Ada" in erased["erased"]["by"]
        assert erased["triage"]["top_terms"] == [] and erased["triage"]["category"]
        [erasure] = [entry for entry in erased["history"] if entry["event"] == "erased"]
        assert erasure["details"] == {"reason": "customer_request", "note": "DSR-1042"}
    # AND the stranger's words are untouched, and the preview of the customer's words in the stranger's thread is gone
    assert message(api, keys, "facebook:s-reply")["text"] == "same thing happened to me"
    stranger = message(api, keys, "facebook:s1")
    assert stranger["text"] == "Any news on the summer festival?" and "last_inbound_text" not in stranger
    # AND nothing stored anywhere still holds the customer's words, name or index keys
    items = json.dumps(scan_items(table))
    for gone in ("4242", "Baker Street", f"BYAUTHOR#facebook#{CUSTOMER}"):
        assert gone not in items, gone
    pointers = [i for i in scan_items(table) if i["pk"] == f"CUSTOMER#facebook#{CUSTOMER}"]
    assert [(p["conversation"], p["erased"]) for p in pointers] == [("facebook:c1", True)]
    assert f"BYAUTHOR#facebook#{STRANGER}" in items  # the index itself is still written for everyone else
    # (the payloads name every author Dana Reyes: the name is gone from the customer's items, kept on the stranger's)
    names = {item["author"].get("name") for item in scan_items(table) if isinstance(item.get("author"), dict)
             and item["author"].get("id") == CUSTOMER}
    assert names == {None}


def test_the_conversations_a_customer_opened_lose_the_brands_replies_notes_and_resolution_note(api, keys, table):
    # GIVEN a DM conversation: two messages, the brand's answer on Messenger, a team note, resolved with a note
    dm(api, "m.1", "Hi, my address is 10 Downing Street")
    dm(api, "m.2", "and my phone is 07700 900123")
    dm(api, "m.echo", "Thanks Ms Reyes, we have your address on file", echo=True)
    conversation = "messenger:m.1"
    status, _ = call(api, "POST", f"/conversations/{conversation}/notes", keys["manager"],
                     {"idempotency_key": "note-0001", "text": "Customer Reyes is a VIP, lives in Westminster"})
    assert status == 201
    status, _ = call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"],
                     {"note": "sent Reyes a voucher"})
    assert status == 200

    # WHEN an admin erases the customer (Messenger's id for them)
    status, body = erase(api, keys, "messenger", payloads.MESSENGER_CUSTOMER)

    # THEN the conversation reads as it was, without a word of theirs or about them
    assert status == 200 and body["done"] and body["conversations_erased"] == 1, body
    assert body["messages_erased"] == 2  # the brand's own message is erased with them, not counted as theirs
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert status == 200, detail
    assert [m["text"] for m in detail["messages"]] == ["", "", ""]
    assert all(m["erased"]["reason"] == "customer_request" for m in detail["messages"])
    assert detail["status"] == "resolved" and "resolution_note" not in detail
    assert [(n["text"], n["erased"]["reason"]) for n in detail["notes"]] == [("", "customer_request")]
    items = json.dumps(scan_items(table))
    for gone in ("Downing", "07700", "Ms Reyes", "Westminster", "voucher"):
        assert gone not in items, gone


def test_a_redelivered_or_edited_message_never_brings_the_text_back(api, keys):
    comment(api, "c1", "my email is dana@example.com")
    assert erase(api, keys, "facebook", CUSTOMER)[0] == 200
    # WHEN Facebook redelivers the comment, then sends an edit of it
    assert comment(api, "c1", "my email is dana@example.com")["stored"] == 0
    comment(api, "c1", "my email is dana@example.org", verb="edited")
    # THEN it stays erased
    assert message(api, keys, "facebook:c1")["text"] == ""
    # AND what the customer writes after the erasure is a new message, kept as any other
    comment(api, "c2", "Thanks for deleting my data")
    assert message(api, keys, "facebook:c2")["text"] == "Thanks for deleting my data"


def test_a_request_cut_short_by_its_time_goes_on_when_sent_again(api, keys, monkeypatch):
    from chalicelib import erasure

    for i in range(3):
        comment(api, f"c{i}", f"comment number {i}")
    # GIVEN no time at all for the work
    monkeypatch.setattr(erasure, "ERASURE_SECONDS", 0.0)
    status, body = erase(api, keys, "facebook", CUSTOMER)
    assert status == 200 and body["done"] is False and body["messages_erased"] == 0, body
    # WHEN it is sent again with time THEN it finishes, and once more it has nothing left to do
    monkeypatch.setattr(erasure, "ERASURE_SECONDS", 10.0)
    status, body = erase(api, keys, "facebook", CUSTOMER)
    assert (status, body["done"], body["messages_erased"], body["conversations_erased"]) == (200, True, 3, 3)
    status, body = erase(api, keys, "facebook", CUSTOMER)
    assert (status, body["done"], body["messages_erased"]) == (200, True, 0)


@pytest.mark.parametrize("who", ["manager", "agent_cs"])
def test_only_an_admin_may_erase(api, keys, who):
    comment(api, "c1", "keep me")
    status, body = erase(api, keys, "facebook", CUSTOMER, who=who)
    assert status == 403, body
    assert message(api, keys, "facebook:c1")["text"] == "keep me"


def test_unknown_is_many_people_and_a_bad_body_is_refused(api, keys):
    status, body = erase(api, keys, "generic", "unknown")
    assert status == 400 and body["error"]["code"] == "author_not_erasable", body
    status, body = call(api, "POST", "/erasures", keys["admin"], {"platform": "Face Book", "author_id": "1"})
    assert status in (400, 422) and "error" in body
    status, body = call(api, "POST", "/erasures", keys["admin"], {"platform": "facebook"})
    assert status in (400, 422) and "error" in body


def test_a_customer_with_nothing_stored_is_erased_at_once(api, keys):
    status, body = erase(api, keys, "x", "424242")
    assert (status, body["done"], body["messages_erased"]) == (200, True, 0)


def test_the_customers_other_conversations_say_they_were_erased(api, keys):
    # GIVEN a customer's two conversations, erased, and a new one opened afterwards
    comment(api, "c1", "first complaint")
    comment(api, "c2", "second complaint")
    assert erase(api, keys, "facebook", CUSTOMER)[0] == 200
    comment(api, "c3", "I am back")
    # WHEN the new conversation's customer section is read
    status, body = call(api, "GET", "/conversations/facebook:c3/customer", keys["manager"])
    # THEN the earlier ones are listed as erased, with no words
    assert status == 200, body
    assert [(c["id"], c["text"], c["erased"]["reason"]) for c in body["conversations"]] == [
        ("facebook:c2", "", "customer_request"), ("facebook:c1", "", "customer_request")]


def test_an_erased_customers_conversations_leave_the_queues_and_others_stay(api, keys):
    # GIVEN the customer's open comment, their DM conversation an agent holds, and a stranger's open comment
    comment(api, "c1", "my card was charged twice")
    dm(api, "m.1", "my order never came")
    assert call(api, "POST", "/conversations/messenger:m.1/claim", keys["manager"], {})[0] == 200
    comment(api, "s1", "when is the next festival?", author=STRANGER)
    queued = lambda: {c["id"]: c["status"] for q in ("customer_service", "stance", "community")  # noqa: E731
                      for status in ("open", "claimed") for c in call(
                          api, "GET", f"/queues/{q}/conversations?status={status}", keys["manager"])[1]["conversations"]}
    assert set(queued()) == {"facebook:c1", "messenger:m.1", "facebook:s1"}
    # WHEN an admin erases the customer on Facebook, then on Messenger
    assert erase(api, keys, "facebook", CUSTOMER)[0] == 200
    assert erase(api, keys, "messenger", payloads.MESSENGER_CUSTOMER)[0] == 200
    # THEN their conversations are resolved, as erased (nothing left to answer), and only the stranger's waits
    assert queued() == {"facebook:s1": "open"}
    for conversation in ("facebook:c1", "messenger:m.1"):
        closed = message(api, keys, conversation)
        assert closed["status"] == "resolved" and closed["resolution_reason"] == "erased", closed
        assert [e["event"] for e in closed["history"][-2:]] == ["erased", "resolved"], closed["history"]
    # AND the queue counts agree, and no one's resolve or response time counts it
    status, queues = call(api, "GET", "/queues", keys["manager"])
    assert sum(q["open"] + q["claimed"] for q in queues["queues"]) == 1, queues
    status, people = call(api, "GET", "/stats/people", keys["manager"])
    assert all(p["resolved"] == 0 for p in people["people"])
    # AND erasing again changes nothing
    assert erase(api, keys, "messenger", payloads.MESSENGER_CUSTOMER)[0] == 200
    assert message(api, keys, "messenger:m.1")["history"][-1]["event"] == "resolved"


def test_the_brands_reply_to_the_customer_in_someone_elses_thread_is_erased_and_its_reply_to_the_other_is_not(
        api, keys, fake_platforms):
    # GIVEN a stranger's conversation in which the customer commented, and the brand answered each of them by name
    comment(api, "s1", "Is the festival still on?", author=STRANGER)
    comment(api, "c-reply", "I'm Dana, my ticket number is TK-99812", parent="s1")
    conversation = "facebook:s1"
    assert call(api, "POST", f"/conversations/{conversation}/claim", keys["manager"], {})[0] == 200
    for key, to, text in (("reply-dana-01", "facebook:c-reply", "Dana, your ticket TK-99812 is valid"),
                          ("reply-other-1", "facebook:s1", "Yes, it is on, see you there")):
        status, body = call(api, "POST", f"/conversations/{conversation}/replies", keys["manager"],
                            {"text": text, "reply_to": to, "idempotency_key": key})
        assert status == 201, body
    # WHEN the customer is erased
    assert erase(api, keys, "facebook", CUSTOMER)[1]["done"]
    # THEN the reply that answered them is erased, and the one that answered the stranger is not
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert status == 200, detail
    replies = {r["reply_to"]: r for r in detail["replies"]}
    assert replies["facebook:c-reply"]["text"] == "" and replies["facebook:c-reply"]["erased"]["reason"] == \
        "customer_request"
    assert replies["facebook:s1"]["text"] == "Yes, it is on, see you there" and "erased" not in replies["facebook:s1"]
    assert "TK-99812" not in json.dumps(detail)


def data(api, keys, platform: str, author: str, cursor: str | None = None, who: str = "admin"):
    path = f"/customer-data?platform={platform}&author_id={author}" + (f"&cursor={cursor}" if cursor else "")
    return call(api, "GET", path, keys[who])


def test_an_admin_reads_everything_kept_of_a_customer_page_by_page_and_nothing_once_erased(api, keys, monkeypatch):
    from chalicelib.store import customers

    # GIVEN the customer's three comments (one in a stranger's thread) and a stranger's comment
    comment(api, "c1", "first: my order 4471")
    comment(api, "s1", "stranger's own words", author=STRANGER)
    comment(api, "c2", "second: still waiting", parent="s1")
    comment(api, "c3", "third: thanks")
    monkeypatch.setattr(customers, "DATA_PAGE", 2)
    # WHEN an admin reads what is kept of the customer, a page at a time
    status, first = data(api, keys, "facebook", CUSTOMER)
    assert status == 200, first
    status, second = data(api, keys, "facebook", CUSTOMER, first["next_cursor"])
    assert status == 200, second
    # THEN every message they wrote is there, oldest first, with its conversation and the name they gave
    listed = first["messages"] + second["messages"]
    assert [m["text"] for m in listed] == ["first: my order 4471", "second: still waiting", "third: thanks"]
    assert {m["author"]["name"] for m in listed} == {"Dana Reyes"} and listed[1]["conversation"] == "facebook:s1"
    assert second["next_cursor"] is None
    # AND a cursor of another customer, or made up, is a 400
    assert data(api, keys, "facebook", STRANGER, first["next_cursor"])[0] == 400
    assert data(api, keys, "facebook", CUSTOMER, "bm90LWEtY3Vyc29y")[0] == 400
    # AND once the customer is erased, nothing is kept to read
    assert erase(api, keys, "facebook", CUSTOMER)[1]["done"]
    status, after = data(api, keys, "facebook", CUSTOMER)
    assert (status, after["messages"], after["next_cursor"]) == (200, [], None)


def test_a_page_of_long_messages_stops_at_the_answers_size_and_goes_on(api, keys, monkeypatch):
    from chalicelib.store import customers

    for i in range(3):
        comment(api, f"long{i}", f"{i} " + "x" * 2000)
    monkeypatch.setattr(customers, "ANSWER_BYTES", 3000)  # about one message's worth
    pages, cursor = [], None
    while True:
        status, page = data(api, keys, "facebook", CUSTOMER, cursor)
        assert status == 200, page
        pages.append([m["id"] for m in page["messages"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages if p] == [1, 1, 1]
    assert [i for p in pages for i in p] == [f"facebook:long{i}" for i in range(3)]


@pytest.mark.parametrize("who", ["manager", "agent_cs"])
def test_only_an_admin_reads_a_customers_data(api, keys, who):
    comment(api, "c1", "private words")
    status, body = data(api, keys, "facebook", CUSTOMER, who=who)
    assert status == 403 and "private words" not in json.dumps(body)


def test_an_author_id_too_long_to_be_a_key_is_a_4xx_on_both_routes(api, keys):
    # 512 characters of 4 UTF-8 bytes each: past DynamoDB's 2,048-byte partition key once prefixed
    author = "\U00020000" * 512
    status, body = erase(api, keys, "facebook", author)
    assert 400 <= status < 500 and "error" in body, body
    status, body = call(api, "GET", "/customer-data?platform=facebook&author_id=" + "%F0%A0%80%80" * 512, keys["admin"])
    assert 400 <= status < 500 and "error" in body, body
