"""Replies from the inbox through each platform's send API (the local fake): who may, windows, exactly once,
platform errors as clear answers, delivery reports and echoes."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

import payloads
from support import call, dumps, post_webhook

pytestmark = pytest.mark.usefixtures("fake_platforms")


def ingest(api, route: str, payload) -> dict:
    response = post_webhook(api, route, dumps(payload))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def claimed_conversation(api, keys, who="manager") -> dict:
    for queue in ("customer_service", "stance", "community"):
        status, body = call(api, "POST", f"/queues/{queue}/claim", keys[who], {"count": 1})
        if status == 200 and body["claimed"]:
            return body["claimed"][0]
    raise AssertionError("nothing to claim")


def reply(api, keys, conversation: str, text="Thanks for telling us, we are looking into it", key="reply-0001",
          who="manager", **extra):
    return call(api, "POST", f"/conversations/{conversation}/replies", keys[who],
                {"text": text, "idempotency_key": key, **extra})


def test_a_messenger_reply_is_sent_once_within_the_24_hour_window(api, keys, fake_platforms):
    # GIVEN a Messenger DM, claimed
    ingest(api, "meta", payloads.messenger_dm("m.r1", "My order 7781 has not arrived"))
    conversation = claimed_conversation(api, keys)["id"]
    # WHEN the agent replies, and the client retries the same request
    first = reply(api, keys, conversation)
    again = reply(api, keys, conversation)
    # THEN one Send API call went out, as a RESPONSE to the customer, and both answers are the stored reply
    assert first[0] == 201 and again[0] == 201, (first, again)
    assert first[1]["status"] == "sent" and first[1]["platform_message_id"] == again[1]["platform_message_id"]
    [sent] = fake_platforms.sent("messenger")
    assert sent.body["messaging_type"] == "RESPONSE"
    assert sent.body["recipient"] == {"id": "6100000000001"}
    assert sent.body["message"] == {"text": "Thanks for telling us, we are looking into it"}
    # AND the conversation shows the reply and its first-reply time
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert [r["status"] for r in detail["replies"]] == ["sent"]
    assert detail["first_reply_at"]
    assert detail["message_count"] == len(detail["messages"]) == 1  # a reply is a reply, not a message


def test_the_same_key_for_another_text_is_refused_and_nothing_is_sent(api, keys, fake_platforms):
    ingest(api, "meta", payloads.messenger_dm("m.r2", "Is my payment through?"))
    conversation = claimed_conversation(api, keys)["id"]
    assert reply(api, keys, conversation)[0] == 201
    status, body = reply(api, keys, conversation, text="Something else entirely")
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert len(fake_platforms.sent()) == 1


def test_only_the_claim_holder_or_a_manager_replies(api, keys, fake_platforms):
    ingest(api, "meta", payloads.messenger_dm("m.r3", "I was charged twice for my subscription, please refund"))
    conversation = claimed_conversation(api, keys, who="agent_cs")
    other = call(api, "POST", f"/conversations/{conversation['id']}/replies", keys["agent_both"],
                 {"text": "hi", "idempotency_key": "other-agent-1"})
    assert other[0] == 403 and other[1]["error"]["code"] == "not_claim_holder"
    assert fake_platforms.sent() == []
    holder = reply(api, keys, conversation["id"], who="agent_cs")
    assert holder[0] == 201, holder


def test_an_expired_token_marks_the_channel_and_the_same_key_sends_once_it_is_fixed(api, keys, fake_platforms):
    ingest(api, "meta", payloads.messenger_dm("m.r4", "Can't log in to my account since yesterday"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_expired_token")
    status, body = reply(api, keys, conversation, key="token-try-1")
    assert status == 424 and body["error"]["code"] == "channel_token_invalid"
    status, channels = call(api, "GET", "/channels", keys["manager"])
    [channel] = [c for c in channels["channels"] if c["platform"] == "messenger"]
    assert channel["token_error"] and "token_error" in channel["flags"]
    # WHEN the token is fixed and the client retries with the same key THEN it is sent, once
    status, body = reply(api, keys, conversation, key="token-try-1")
    assert status == 201 and body["status"] == "sent" and body["attempts"] == 2
    assert len(fake_platforms.sent()) == 1


@pytest.mark.parametrize("error, status, code", [
    ("graph_rate_limit", 429, "platform_rate_limited"),
    ("graph_user_unavailable", 422, "recipient_unreachable"),
    ("graph_permission", 424, "channel_permission_denied"),
])
def test_graph_errors_are_clear_answers(api, keys, fake_platforms, error, status, code):
    ingest(api, "meta", payloads.messenger_dm("m.r5", "Where is my parcel?"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next(error)
    response = reply(api, keys, conversation, key=f"k-{error}")
    assert response[0] == status and response[1]["error"]["code"] == code
    assert fake_platforms.sent() == []


def test_a_reply_the_platform_may_have_taken_is_never_sent_again(api, keys, fake_platforms):
    ingest(api, "meta", payloads.messenger_dm("m.r6", "Hello? My delivery is late"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_timeout")
    status, body = reply(api, keys, conversation, key="maybe-sent-1")
    assert status == 502 and body["error"]["code"] == "reply_outcome_unknown"
    status, body = reply(api, keys, conversation, key="maybe-sent-1")
    assert status == 201 and body["status"] == "unknown"
    assert len(fake_platforms.requests) == 1


def test_whatsapp_reply_then_delivery_and_read_reports(api, keys, fake_platforms):
    ingest(api, "meta", payloads.whatsapp_text("wamid.IN1", "My card was charged but the order failed"))
    conversation = claimed_conversation(api, keys)["id"]
    status, sent = reply(api, keys, conversation)
    assert status == 201, sent
    [request] = fake_platforms.sent("whatsapp")
    assert request.body["to"] == "819012345678" and request.body["context"] == {"message_id": "wamid.IN1"}
    wamid = sent["platform_message_id"]
    for state in ("read", "delivered"):  # out of order: a report never moves a reply back
        ingest(api, "meta", whatsapp_status(wamid, state))
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    [stored] = detail["replies"]
    assert stored["status"] == "read" and stored["read_at"]


def whatsapp_status(wamid: str, state: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [{"id": wamid, "status": state, "timestamp": str(int(time.time())),
                          "recipient_id": "819012345678"}]}}]}]}


def test_the_echo_of_a_sent_reply_confirms_it_and_is_not_stored_twice(api, keys, fake_platforms):
    ingest(api, "meta", payloads.messenger_dm("m.r7", "Do you ship to Osaka?"))
    conversation = claimed_conversation(api, keys)["id"]
    status, sent = reply(api, keys, conversation)
    echo = payloads.messenger_dm(sent["platform_message_id"], "Thanks for telling us, we are looking into it", echo=True)
    summary = ingest(api, "meta", echo)
    assert summary["stored"] == 0
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert [m["direction"] for m in detail["messages"]] == ["inbound"]


def test_x_and_telegram_replies_use_their_documented_shapes(api, keys, fake_platforms):
    ingest(api, "x", payloads.x_tweet("1790000000000000001", "@brand my app keeps crashing on login"))
    conversation = claimed_conversation(api, keys)["id"]
    assert reply(api, keys, conversation, key="x-reply-1")[0] == 201
    [tweet] = fake_platforms.sent("x")
    assert tweet.body["reply"] == {"in_reply_to_tweet_id": "1790000000000000001"}
    call(api, "POST", f"/conversations/{conversation}/resolve", keys["manager"], {})
    ingest(api, "telegram", payloads.telegram_message(41, "Where can I change my delivery address?"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("telegram_blocked")
    status, body = reply(api, keys, conversation, key="tg-reply-1")
    assert status == 422 and body["error"]["code"] == "recipient_unreachable"
    assert reply(api, keys, conversation, key="tg-reply-2")[0] == 201
    [message] = fake_platforms.sent("telegram")
    assert message.body["chat_id"] in (700001, "700001")
    assert message.body["reply_parameters"]["message_id"] in (41, "41")


def test_outside_the_whatsapp_window_nothing_is_sent(table, fake_platforms):
    # GIVEN a WhatsApp conversation whose customer last wrote 25 hours ago
    from chalicelib import replies
    from chalicelib.domain.errors import OutsideReplyWindow
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue
    from support import seed_message

    seed_message("wamid.OLD", "customer_service", platform="whatsapp", channel="direct_message")
    now = datetime.now(timezone.utc)
    [claimed] = queue.claim("customer_service", Actor("agent:cy"), 1, 900, now)
    with pytest.raises(OutsideReplyWindow) as refused:
        replies.send(claimed, Actor("agent:cy", may_override=True), "Sorry for the wait", None, "late-key-1",
                     now + timedelta(hours=25))
    assert refused.value.code == "outside_reply_window"
    assert fake_platforms.requests == []


def test_messenger_delivery_by_mid_and_read_by_watermark(api, keys, fake_platforms):
    # GIVEN a reply sent on Messenger
    ingest(api, "meta", payloads.messenger_dm("m.r8", "Is the sale on tomorrow too?"))
    conversation = claimed_conversation(api, keys)["id"]
    status, sent = reply(api, keys, conversation)
    assert status == 201, sent
    now_ms = int(time.time() * 1000) + 5_000
    # WHEN the customer's app reports delivery of that mid, then a read up to a later watermark
    ingest(api, "meta", payloads.messenger_receipt("delivery", mids=[sent["platform_message_id"]], watermark=now_ms,
                                                   timestamp=now_ms))
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["replies"][0]["status"] == "delivered"
    ingest(api, "meta", payloads.messenger_receipt("read", watermark=now_ms, timestamp=now_ms))
    # THEN the reply reads as read
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["replies"][0]["status"] == "read"


def test_a_conversation_answers_its_latest_replies_within_their_own_bounds(monkeypatch):
    from chalicelib import replies

    # GIVEN 60 replies, the last five of 99 KB
    stored = [{"id": f"r{i}", "text": "x" * (99_000 if i >= 55 else 10)} for i in range(60)]
    # WHEN a conversation is read THEN the latest come back, oldest first, within the count and the text budget
    shown = replies.latest_replies(stored)
    assert [r["id"] for r in shown] == ["r57", "r58", "r59"]  # a fourth 99 KB text passes 300 KB
    monkeypatch.setattr(replies, "REPLY_TEXT_BYTES", 10**9)
    assert [r["id"] for r in replies.latest_replies(stored)] == [f"r{i}" for i in range(10, 60)]
    # AND one reply past the whole budget is still shown (the latest always is)
    assert replies.latest_replies([{"id": "big", "text": "x" * 10**7}])[0]["id"] == "big"


def test_a_retried_note_is_the_same_write_and_a_later_one_under_its_key_is_another(monkeypatch):
    from chalicelib.store import dynamo, notes

    # GIVEN the tokens two adds of one note send (the second a minute later, as a double click's retry would be)
    tokens = []
    monkeypatch.setattr(dynamo, "transact", lambda operations, token=None: tokens.append(token))
    first = notes.StoredNote("note-0001", "messenger:m1", "Escalate", "agent:A (0123456789abcdef)",
                             "2026-12-04T10:00:00.000000Z")
    notes.add(first)
    notes.add(first)
    notes.add(notes.StoredNote(**{**first.__dict__, "created_at": "2026-12-04T10:01:00.000000Z"}))
    # THEN the same write sends the same token (DynamoDB answers a lost answer's retry as done), and a later
    # request its own (DynamoDB would refuse one token for other items: it meets the condition instead)
    assert tokens[0] == tokens[1] and tokens[2] != tokens[0]


def test_a_reply_reads_the_conversations_head_not_its_replies_and_notes(api, keys, fake_platforms):
    from chalicelib.store import dynamo

    # GIVEN a claimed Messenger DM that already has three replies and a note
    ingest(api, "meta", payloads.messenger_dm("m.r9", "Where is my parcel?"))
    conversation = claimed_conversation(api, keys)["id"]
    for n in range(3):
        assert reply(api, keys, conversation, text=f"Reply {n}", key=f"reply-900{n}")[0] == 201
    assert call(api, "POST", f"/conversations/{conversation}/notes", keys["manager"],
                {"text": "Regular customer", "idempotency_key": "note-9001"})[0] == 201
    queried = []
    client = dynamo.client()
    hook = lambda params, **_: queried.append(params.get("ExpressionAttributeValues", {}))  # noqa: E731
    client.meta.events.register("provide-client-params.dynamodb.Query", hook)
    try:
        # WHEN the agent sends another
        assert reply(api, keys, conversation, text="Found it", key="reply-9009")[0] == 201
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.Query", hook)
    # THEN nothing queried the conversation's partition (its replies and notes grow with the conversation)
    assert not [v for v in queried if v.get(":pk", {}).get("S") == f"MSG#{conversation}"], queried
    # AND the conversation shows all four
    assert len(call(api, "GET", f"/conversations/{conversation}", keys["manager"])[1]["replies"]) == 4


# private replies: a DM to the author of a public comment (Meta's Private Replies) ----------------------------

def private_request(fake_platforms) -> list:
    return [r for r in fake_platforms.requests if isinstance(r.body, dict)
            and "comment_id" in (r.body.get("recipient") or {})]


@pytest.mark.parametrize("platform, payload, comment, path", [
    ("facebook", lambda: payloads.page_comment("104857600000001_900001_77001", "Order 5521 never came, DM me?"),
     "104857600000001_900001_77001", "/graph/v21.0/104857600000001/messages"),
    ("instagram", lambda: payloads.instagram_comment("17890000000077002", "My order 5522 never came"),
     "17890000000077002", "/graph/v21.0/17841400000000001/messages"),
])
def test_a_comment_is_answered_privately_once_and_a_retry_is_the_same_reply(api, keys, fake_platforms, platform,
                                                                              payload, comment, path):
    # GIVEN a public comment, claimed
    ingest(api, "meta", payload())
    conversation = claimed_conversation(api, keys)["id"]
    # WHEN the agent answers it privately, and the client retries the same request
    first = reply(api, keys, conversation, text="Please send us your order number here", key="private-0001",
                  private=True)
    again = reply(api, keys, conversation, text="Please send us your order number here", key="private-0001",
                  private=True)
    # THEN one DM went to the comment's author through the messages edge, and both answers are the stored reply
    assert first[0] == 201 and again[0] == 201, (first, again)
    assert first[1]["private"] is True and first[1]["status"] == "sent" and again[1] == first[1]
    [sent] = private_request(fake_platforms)
    assert sent.path == path
    assert sent.body == {"recipient": {"comment_id": comment}, "message": {"text": "Please send us your order number here"}}
    # AND the conversation shows it as a private reply
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert [(r["id"], r.get("private")) for r in detail["replies"]] == [("private-0001", True)]
    # AND a second private reply to that comment, under a new key, is refused and nothing is sent or stored
    status, body = reply(api, keys, conversation, text="One more thing", key="private-0002", private=True)
    assert status == 409 and body["error"]["code"] == "private_reply_already_sent", body
    assert len(private_request(fake_platforms)) == 1
    assert len(call(api, "GET", f"/conversations/{conversation}", keys["manager"])[1]["replies"]) == 1
    # AND a public reply to the comment is still possible (and is not private)
    status, body = reply(api, keys, conversation, text="We sent you a message", key="public-0003")
    assert status == 201 and "private" not in body


def test_the_same_key_sent_privately_after_publicly_is_another_request(api, keys, fake_platforms):
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77003", "Where is my refund?"))
    conversation = claimed_conversation(api, keys)["id"]
    assert reply(api, keys, conversation, text="Looking into it", key="mixed-0001")[0] == 201
    status, body = reply(api, keys, conversation, text="Looking into it", key="mixed-0001", private=True)
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert private_request(fake_platforms) == []


@pytest.mark.parametrize("route, payload", [
    ("meta", lambda: payloads.messenger_dm("m.p1", "My order never came")),
    ("meta", lambda: payloads.whatsapp_text("wamid.P1", "My order never came")),
    ("x", lambda: payloads.x_tweet("1790000000000000077", "@brand my order never came")),
    ("telegram", lambda: payloads.telegram_message(77, "My order never came")),
])
def test_a_private_reply_to_anything_but_a_facebook_or_instagram_comment_is_refused(api, keys, fake_platforms,
                                                                                      route, payload):
    # GIVEN a DM, a tweet or a Telegram message, claimed
    ingest(api, route, payload())
    conversation = claimed_conversation(api, keys)["id"]
    # WHEN the agent asks to answer it privately
    status, body = reply(api, keys, conversation, key="private-no-1", private=True)
    # THEN 422 private_reply_unsupported, and nothing is sent or stored
    assert status == 422 and body["error"]["code"] == "private_reply_unsupported", body
    assert fake_platforms.requests == []
    assert call(api, "GET", f"/conversations/{conversation}", keys["manager"])[1]["replies"] == []


@pytest.mark.parametrize("value", ["true", 1, None, "yes"])
def test_private_must_be_a_boolean(api, keys, fake_platforms, value):
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77004", "Hello?"))
    conversation = claimed_conversation(api, keys)["id"]
    status, body = reply(api, keys, conversation, key="private-bad-1", private=value)
    assert status == 400, body
    assert fake_platforms.requests == []


def seeded_comment(native: str, platform: str = "facebook"):
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import queue
    from support import seed_message

    seed_message(native, "customer_service", platform=platform, channel="comment")
    [claimed] = queue.claim("customer_service", Actor("agent:cy"), 1, 900, datetime.now(timezone.utc))
    return claimed, Actor("agent:cy", may_override=True)


@pytest.mark.parametrize("days, sent", [(6.9, True), (7, False), (8, False)])
def test_a_private_reply_is_sent_only_within_7_days_of_the_comment(table, fake_platforms, days, sent):
    from chalicelib import replies
    from chalicelib.domain.errors import OutsideReplyWindow

    # GIVEN a Facebook comment written now
    head, actor = seeded_comment(f"900001_{int(days * 10)}")
    later = datetime.now(timezone.utc) + timedelta(days=days)
    # WHEN it is answered privately `days` later (the lease is the manager's to override)
    if sent:
        assert replies.send(head, actor, "Please DM us", None, "window-key-1", later, private=True).private
        assert len(private_request(fake_platforms)) == 1
        return
    with pytest.raises(OutsideReplyWindow) as refused:
        replies.send(head, actor, "Please DM us", None, "window-key-1", later, private=True)
    # THEN from 7 days on it is outside_reply_window and nothing is sent
    assert refused.value.code == "outside_reply_window" and "7 days" in refused.value.message
    assert fake_platforms.requests == []


def test_meta_refusing_a_second_private_reply_is_the_same_clear_answer(api, keys, fake_platforms):
    # GIVEN a comment already answered privately elsewhere (Business Suite): Graph answers 10900
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77005", "DM me about order 5523"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_already_replied")
    status, body = reply(api, keys, conversation, key="private-elsewhere-1", private=True)
    assert status == 409 and body["error"]["code"] == "private_reply_already_sent", body
    # AND the comment stays taken: another key is refused without asking Meta
    status, body = reply(api, keys, conversation, key="private-elsewhere-2", private=True)
    assert status == 409 and len(fake_platforms.requests) == 1


def test_meta_saying_the_window_passed_is_outside_reply_window(api, keys, fake_platforms):
    ingest(api, "meta", payloads.instagram_comment("17890000000077006", "DM me about my order"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_outside_window")
    status, body = reply(api, keys, conversation, key="private-late-1", private=True)
    assert status == 422 and body["error"]["code"] == "outside_reply_window", body


def test_a_private_reply_refused_for_good_gives_the_comment_back(api, keys, fake_platforms):
    # GIVEN a private reply Meta refused for good (the person cannot be reached now): nothing went out
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77007", "DM me about order 5524"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_user_unavailable")
    status, body = reply(api, keys, conversation, text="We can help", key="private-long-1", private=True)
    assert status == 422 and body["error"]["code"] == "recipient_unreachable", body
    # WHEN the agent sends a shorter one (a new key: a new text) THEN it goes out, once
    status, body = reply(api, keys, conversation, text="Please DM us your order number", key="private-short-2",
                         private=True)
    assert status == 201 and body["private"] is True, body
    assert len([r for r in private_request(fake_platforms) if r.accepted]) == 1


def test_a_private_reply_refused_for_a_passing_reason_keeps_the_comment_for_its_key(api, keys, fake_platforms):
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77008", "DM me about order 5525"))
    conversation = claimed_conversation(api, keys)["id"]
    fake_platforms.fail_next("graph_rate_limit")
    assert reply(api, keys, conversation, key="private-rate-1", private=True)[0] == 429
    # another key is refused while the first may still be sent; the first key sends it
    assert reply(api, keys, conversation, key="private-rate-2", private=True)[0] == 409
    status, body = reply(api, keys, conversation, key="private-rate-1", private=True)
    assert status == 201 and body["attempts"] == 2


def test_the_messenger_echo_of_a_facebook_private_reply_confirms_it(api, keys, fake_platforms):
    ingest(api, "meta", payloads.page_comment("104857600000001_900001_77009", "DM me about order 5526"))
    conversation = claimed_conversation(api, keys)["id"]
    status, sent = reply(api, keys, conversation, text="Please DM us", key="private-echo-1", private=True)
    assert status == 201, sent
    # WHEN Messenger echoes the DM the Page sent THEN it is recognised as that reply, not stored again
    summary = ingest(api, "meta", payloads.messenger_dm(sent["platform_message_id"], "Please DM us", echo=True))
    assert summary["stored"] == 0, summary


@pytest.mark.parametrize("by_time", [True, False])
def test_private_replies_sent_at_once_with_different_keys_go_out_once(conflicts, fake_platforms, by_time):
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import replies
    from chalicelib.domain.errors import PrivateReplyAlreadySent

    # GIVEN a claimed Facebook comment (a conversation keeping replies by time, or one opened before that),
    # and DynamoDB's transaction conflicts modelled
    head, actor = seeded_comment("900001_77010")
    head = dataclasses.replace(head, replies_by_time=by_time)
    now = datetime.now(timezone.utc)

    def send(i: int) -> str:
        try:
            replies.send(head, actor, f"Please DM us ({i})", None, f"private-race-{i:03d}", now, private=True)
            return "sent"
        except PrivateReplyAlreadySent:
            return "refused"

    # WHEN 8 agents' clients send a private reply to it at once, each under its own key
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(send, range(8)))
    # THEN exactly one is sent, the others are refused, and one DM went out
    assert sorted(outcomes) == ["refused"] * 7 + ["sent"], outcomes
    assert len(private_request(fake_platforms)) == 1


# each platform's longest reply --------------------------------------------------------------------------

def test_a_reply_longer_than_the_platform_takes_is_refused_before_anything_is_stored_or_sent(api, keys, table,
                                                                                            fake_platforms):
    from support import snapshot

    # GIVEN a Messenger DM, claimed, whose reply window says how long a reply may be
    ingest(api, "meta", payloads.messenger_dm("m.len1", "Where is my refund?"))
    conversation = claimed_conversation(api, keys)["id"]
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["reply_window"]["text_limit"] == {"limit": 2000, "unit": "characters"}
    assert detail["reply_window"]["private_text_limit"] is None  # a DM is not a comment
    before = snapshot(table)
    # WHEN the agent sends 2,001 characters
    status, body = reply(api, keys, conversation, text="x" * 2001, key="long-0001")
    # THEN it is refused in words, and nothing is stored or sent
    assert status == 422 and body["error"]["code"] == "text_too_long", body
    assert "2,000" in body["error"]["message"] and "2,001" in body["error"]["message"]
    assert snapshot(table) == before and fake_platforms.sent() == []
    # AND 2,000 characters go out
    assert reply(api, keys, conversation, text="x" * 2000, key="long-0002")[0] == 201


def test_an_x_reply_is_measured_as_x_counts_it(api, keys, fake_platforms, monkeypatch):
    ingest(api, "x", payloads.x_tweet("1850000000000099001", "@brand 注文した商品が届きません", reply_to="1850000000000000001"))
    conversation = claimed_conversation(api, keys)["id"]
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["reply_window"]["text_limit"] == {"limit": 280, "unit": "weighted"}
    # 141 Japanese characters weigh 282: refused, with X never asked
    status, body = reply(api, keys, conversation, text="お" * 141, key="x-long-0001")
    assert status == 422 and body["error"]["code"] == "text_too_long", body
    assert fake_platforms.sent() == []
    # an account whose X subscription takes longer posts sets X_POST_MAX_WEIGHT
    from support import reset_caches

    monkeypatch.setenv("X_POST_MAX_WEIGHT", "25000")
    reset_caches()
    assert reply(api, keys, conversation, text="お" * 141, key="x-long-0002")[0] == 201


def test_a_comment_says_both_its_public_and_its_private_limit(api, keys):
    ingest(api, "meta", payloads.instagram_comment("17890000000099003", "ログインできません"))
    conversation = claimed_conversation(api, keys)["id"]
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert detail["reply_window"]["text_limit"] == {"limit": 2200, "unit": "characters"}
    assert detail["reply_window"]["private_text_limit"] == {"limit": 1000, "unit": "bytes"}
    status, body = reply(api, keys, conversation, text="あ" * 334, key="ig-private-long", private=True)
    assert status == 422 and body["error"]["code"] == "text_too_long", body
