"""The away message: managers set it over the API; customers who write a direct message while the brand is closed
get it once per closed period, through the deployed path (the stream, the publisher, the bus, the template's rule
and queue, the function), and it never counts as the brand's answer."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

import payloads
from chalicelib.events import publisher
from event_stream import automatic_replies
from infra import template as infra
from support import call, dumps, post_webhook, reset_caches

pytestmark = pytest.mark.usefixtures("fake_platforms")
CLOSED_TEXT = "Hi {{customer_name}}, we're closed right now. We answer from 09:00."


@pytest.fixture
def closed_now(monkeypatch):
    """Business hours on every day but yesterday, today and tomorrow (holidays, in UTC): closed whenever it runs."""
    today = datetime.now(timezone.utc).date()
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 09:00-17:00")
    monkeypatch.setenv("SLA_TIMEZONE", "UTC")
    monkeypatch.setenv("SLA_HOLIDAYS", ",".join(str(today + timedelta(days=d)) for d in (-1, 0, 1)))
    reset_caches()
    yield today
    monkeypatch.undo()
    reset_caches()


@pytest.fixture
def always_open(monkeypatch):
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 00:00-24:00")
    reset_caches()
    yield
    monkeypatch.undo()
    reset_caches()


@pytest.fixture
def delivery(table):
    """The deployed path: the stream -> the publisher -> the bus -> the away rule and its queue -> the function."""
    from local.dynamodb import lean_transactions

    lean_transactions()
    publisher._client.cache_clear()
    yield automatic_replies(infra.away_pattern(), "away", os.environ["TABLE_NAME"])
    publisher._client.cache_clear()


def turn_on(api, keys, rev=0, **changes):
    body = {"enabled": True, "text": CLOSED_TEXT, "rev": rev,
            "translations": {"ja": "{{customer_name}}様、ただいま営業時間外です。"}, **changes}
    return call(api, "PUT", "/away-message", keys["manager"], body)


def ingest(api, route, payload):
    response = post_webhook(api, route, dumps(payload))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def conversation_of(api, keys, message_id):
    status, message = call(api, "GET", f"/messages/{message_id}", keys["manager"])
    assert status == 200, message
    status, detail = call(api, "GET", f"/conversations/{message.get('conversation') or message_id}", keys["manager"])
    assert status == 200, detail
    return detail


def test_without_business_hours_it_is_off_and_cannot_be_turned_on(api, keys):
    # GIVEN no business hours set by the operator
    status, away = call(api, "GET", "/away-message", keys["agent_cs"])  # every role may read it
    assert status == 200 and away == {"enabled": False, "text": "", "translations": {}, "business_hours": None,
                                      "open_now": None, "updated_by": None, "updated_at": None, "rev": 0}
    # WHEN a manager turns it on THEN it is refused, saying why, and nothing is saved
    status, body = turn_on(api, keys)
    assert status == 422 and body["error"]["code"] == "business_hours_not_set"
    assert call(api, "GET", "/away-message", keys["manager"])[1]["rev"] == 0
    # AND saving it off (a draft) is allowed
    status, saved = turn_on(api, keys, enabled=False)
    assert status == 200 and saved["rev"] == 1 and saved["enabled"] is False and saved["text"] == CLOSED_TEXT


def test_managers_save_it_at_the_revision_read(api, keys, closed_now):
    status, saved = turn_on(api, keys)
    assert status == 200, saved
    assert saved["enabled"] and saved["rev"] == 1 and saved["open_now"] is False
    assert saved["business_hours"] == "mon-sun 09:00-17:00 (UTC)" and "Max" in saved["updated_by"]
    # a second editor who read rev 0 is told it changed
    status, body = turn_on(api, keys, text="Another text")
    assert status == 409 and body["error"]["code"] == "concurrent_change"
    # agents may not change it; bad bodies are 400s; a text too long for Instagram DMs is a 422 naming it
    assert call(api, "PUT", "/away-message", keys["agent_cs"], {"enabled": False, "text": "", "rev": 1})[0] == 403
    assert turn_on(api, keys, rev=1, translations={"es": "Cerrado"})[0] == 400
    assert turn_on(api, keys, rev=1, enabled="yes")[0] == 400
    status, body = turn_on(api, keys, rev=1, translations={"ja": "閉店中" * 130})
    assert status == 422 and body["error"]["code"] == "away_text_too_long" and "instagram" in body["error"]["message"]
    assert call(api, "GET", "/away-message", keys["agent_cs"])[1] == saved


def test_a_direct_message_at_night_gets_it_once_and_stays_unanswered(api, keys, closed_now, delivery, fake_platforms):
    deliver, queue = delivery
    assert turn_on(api, keys)[0] == 200
    # GIVEN a customer's DM while the brand is closed
    ingest(api, "meta", payloads.messenger_dm("m.away1", "My order never arrived, where is it?"))
    # WHEN the events reach the away function
    assert deliver() == [{"batchItemFailures": []}]
    # THEN one DM went out, in the customer's language, as an answer to their message
    [sent] = fake_platforms.sent("messenger")
    assert sent.body["recipient"] == {"id": payloads.MESSENGER_CUSTOMER}
    assert sent.body["message"]["text"] == "Hi, we're closed right now. We answer from 09:00."  # no name known
    # AND the conversation shows it as automatic, and still waits for the brand's answer
    detail = conversation_of(api, keys, "messenger:m.away1")
    [reply] = detail["replies"]
    assert reply["automatic"] is True and reply["by"] == "system:away" and reply["status"] == "sent"
    assert "first_reply_at" not in detail or detail["first_reply_at"] is None
    status, unanswered = call(api, "GET", f"/queues/{detail['queue']}/conversations?answered=false", keys["manager"])
    assert detail["id"] in [c["id"] for c in unanswered["conversations"]]
    # WHEN the customer writes again the same night THEN nothing more is sent
    ingest(api, "meta", payloads.messenger_dm("m.away2", "Hello?? anyone there"))
    deliver()
    assert len(fake_platforms.sent("messenger")) == 1
    assert len(conversation_of(api, keys, "messenger:m.away1")["replies"]) == 1
    # AND the stats count it, in the conversation's queue, apart from first replies
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today}&granularity=day&tz=UTC", keys["manager"])
    sla = {row["queue"]: row for row in stats["sla"]}
    assert sla[detail["queue"]]["away_sent"] == 1 and sla[detail["queue"]]["first_replied"] == 0
    assert sum(b["response_times"][detail["queue"]]["away_sent"] for b in stats["buckets"]) == 1
    _, on_x = call(api, "GET", f"/stats?from={today}&granularity=day&tz=UTC&platform=x", keys["manager"])
    assert sum(row["away_sent"] for row in on_x["sla"]) == 0


def test_the_platforms_echo_of_it_is_not_the_brands_answer(api, keys, closed_now, delivery, fake_platforms):
    deliver, _ = delivery
    turn_on(api, keys)
    ingest(api, "meta", payloads.messenger_dm("m.away3", "Is the shop open on Sunday?"))
    deliver()
    [reply] = conversation_of(api, keys, "messenger:m.away3")["replies"]
    # WHEN Messenger echoes the page's message (the away message itself)
    ingest(api, "meta", payloads.messenger_dm(reply["platform_message_id"], reply["text"], echo=True))
    # THEN it is known as the away message: not stored as the brand's message, not a first reply
    detail = conversation_of(api, keys, "messenger:m.away3")
    assert detail["message_count"] == 1 and not detail.get("first_reply_at")


def test_comments_open_hours_and_a_claimed_conversation_get_nothing(api, keys, closed_now, delivery, fake_platforms):
    deliver, _ = delivery
    turn_on(api, keys)
    # a public comment: never (the rule does not even deliver it)
    ingest(api, "meta", payloads.page_comment("c.away1", "Your delivery service is terrible"))
    # a DM whose conversation an agent holds tonight: she is on it
    ingest(api, "meta", payloads.messenger_dm("m.away4", "Refund please", sender="6100000000077"))
    status, claimed = call(api, "POST", "/conversations/messenger:m.away4/claim", keys["manager"], {})
    assert status == 200, claimed
    deliver()
    assert fake_platforms.sent() == []


def test_during_business_hours_nothing_is_sent(api, keys, always_open, delivery, fake_platforms):
    deliver, _ = delivery
    status, saved = turn_on(api, keys)
    assert status == 200 and saved["open_now"] is True
    ingest(api, "meta", payloads.messenger_dm("m.away5", "Where is my parcel?"))
    deliver()
    assert fake_platforms.sent() == []


def test_a_platform_asking_to_slow_down_gets_it_sent_later_once(api, keys, closed_now, delivery, fake_platforms):
    deliver, queue = delivery
    turn_on(api, keys)
    ingest(api, "meta", payloads.messenger_dm("m.away6", "Can I change my delivery address?"))
    # WHEN the platform refuses it for now THEN the queue keeps the event (a batch whose every record failed is
    # failed whole, as Powertools raises it)
    fake_platforms.fail_next("graph_rate_limit")
    answers = deliver()
    assert "raised" in answers[-1] and queue.depth() == 1 and fake_platforms.sent() == []
    # AND on the next poll it is sent, once
    assert queue.poll(lambda event: __import__("app").send_automatic_replies(event, None)) == {"batchItemFailures": []}
    assert len(fake_platforms.sent("messenger")) == 1
    [reply] = conversation_of(api, keys, "messenger:m.away6")["replies"]
    assert reply["status"] == "sent" and reply["attempts"] == 2


def test_a_blocked_author_gets_nothing(api, keys, closed_now, delivery, fake_platforms):
    deliver, _ = delivery
    turn_on(api, keys)
    status, _ = call(api, "POST", "/blocks", keys["manager"], {"platform": "messenger", "author_id": "6100000000099"})
    assert status == 201
    ingest(api, "meta", payloads.messenger_dm("m.away7", "buy followers cheap", sender="6100000000099"))
    deliver()
    assert fake_platforms.sent() == []


def test_a_batch_with_a_stranger_in_it_answers_the_rest(table, closed_now):
    from app import send_automatic_replies

    answer = send_automatic_replies({"Records": [{"messageId": "q1", "receiptHandle": "r", "body": "not json",
                                             "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                                             "eventSource": "aws:sqs", "eventSourceARN": "arn", "awsRegion": "x"}]},
                               None)
    assert answer == {"batchItemFailures": []}
    assert send_automatic_replies({"nothing": 1}, None) == {"batchItemFailures": []}
