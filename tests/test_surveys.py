"""The satisfaction survey: managers set it over the API; a direct-message conversation a person answered and resolved
gets it once, through the deployed path (the stream, the publisher, the bus, the template's rule and queue, the
function); the customer's rating is recorded without reopening the conversation, counted in the stats for its queue
and for whoever resolved it, and announced as `message.rated`."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

import payloads
from chalicelib.events import publisher
from event_stream import Consumer, automatic_replies
from infra import template as infra
from support import call, dumps, post_webhook

pytestmark = pytest.mark.usefixtures("fake_platforms")
ASK = "How did we do, {{customer_name}}? Reply with a number from 1 (poor) to 5 (great)."


@pytest.fixture
def delivery(table):
    """The deployed path: the stream -> the publisher -> the bus -> the survey's rule and the automatic replies' queue
    -> the function; and a consumer of `message.rated`."""
    from local.dynamodb import lean_transactions

    lean_transactions()
    publisher._client.cache_clear()
    rated = Consumer(pattern={"source": ["social-triage"], "detail-type": ["message.rated"]}, name="rated")
    deliver, _ = automatic_replies(infra.survey_pattern(), "survey", os.environ["TABLE_NAME"])
    yield deliver, rated
    publisher._client.cache_clear()


def turn_on(api, keys, rev=0, **changes):
    body = {"enabled": True, "text": ASK, "rev": rev,
            "translations": {"ja": "今回の対応はいかがでしたか？1〜5の数字で返信してください。"}, **changes}
    return call(api, "PUT", "/satisfaction-survey", keys["manager"], body)


def ingest(api, payload):
    response = post_webhook(api, "meta", dumps(payload))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def conversation(api, keys, conversation_id):
    status, detail = call(api, "GET", f"/conversations/{conversation_id}", keys["manager"])
    assert status == 200, detail
    return detail


def answered_and_resolved(api, keys, mid, text="My order never arrived, where is it?", sender=payloads.MESSENGER_CUSTOMER):
    """A customer's DM that the manager claims, answers and resolves; its conversation id."""
    ingest(api, payloads.messenger_dm(mid, text, sender=sender))
    conversation_id = f"messenger:{mid}"
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    status, reply = call(api, "POST", f"/conversations/{conversation_id}/replies", keys["manager"],
                         {"text": "Sorry! It ships today; here is the tracking link.", "idempotency_key": f"r-{mid}"})
    assert status == 201, reply
    status, resolved = call(api, "POST", f"/conversations/{conversation_id}/resolve", keys["manager"], {})
    assert status == 200, resolved
    return conversation_id


def test_managers_set_it_everyone_reads_it(api, keys):
    # GIVEN never saved: off
    status, survey = call(api, "GET", "/satisfaction-survey", keys["agent_cs"])
    assert status == 200 and survey == {"enabled": False, "text": "", "translations": {}, "follow_up": "",
                                        "follow_up_translations": {}, "updated_by": None, "updated_at": None, "rev": 0}
    # WHEN a manager turns it on THEN every role reads it, with who saved it
    status, saved = turn_on(api, keys)
    assert status == 200 and saved["enabled"] is True and saved["rev"] == 1 and saved["updated_by"].startswith("manager:")
    assert call(api, "GET", "/satisfaction-survey", keys["agent_stance"])[1] == saved
    # AND an agent may not change it, a stale revision is refused, and so is a text no platform's DM takes
    assert call(api, "PUT", "/satisfaction-survey", keys["agent_cs"], {"enabled": False, "rev": 1})[0] == 403
    status, stale = turn_on(api, keys, rev=0)
    assert status == 409 and stale["error"]["code"] == "concurrent_change"
    status, long = turn_on(api, keys, rev=1, translations={"ja": "満" * 400})  # 1,200 bytes: over Instagram's 1,000
    assert status == 422 and long["error"]["code"] == "survey_text_too_long" and "instagram" in long["error"]["message"]
    status, blank = call(api, "PUT", "/satisfaction-survey", keys["manager"], {"enabled": True, "text": " ", "rev": 1})
    assert status == 400
    assert call(api, "GET", "/satisfaction-survey", keys["manager"])[1] == saved


def test_a_resolved_conversation_is_asked_once_and_its_rating_reopens_nothing(api, keys, delivery, fake_platforms):
    deliver, rated = delivery
    turn_on(api, keys)
    # GIVEN a DM the manager answered and resolved
    conversation_id = answered_and_resolved(api, keys, "m.csat1")
    # WHEN the events reach the function
    assert deliver() == [{"batchItemFailures": []}]
    # THEN the customer got the survey, after the person's answer, quoting nothing
    answer, survey = fake_platforms.sent("messenger")
    assert survey.body["recipient"] == {"id": payloads.MESSENGER_CUSTOMER}
    assert survey.body["message"]["text"] == "How did we do? Reply with a number from 1 (poor) to 5 (great)."
    assert [q["title"] for q in survey.body["message"]["quick_replies"]] == ["5 ★★★★★", "4 ★★★★", "3 ★★★", "2 ★★", "1 ★"]
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "resolved" and set(detail["satisfaction"]) == {"survey_sent_at"}
    automatic = [r for r in detail["replies"] if r.get("automatic")]
    assert [(r["by"], r["status"]) for r in automatic] == [("system:survey", "sent")]
    first_reply_at = detail["first_reply_at"]
    # WHEN the customer taps "5 ★★★★★" (and the platform delivers the webhook twice)
    for _ in range(2):
        ingest(api, payloads.messenger_dm("m.csat1.r", "5 ★★★★★"))
    # THEN the rating is recorded, the conversation stays resolved and its first reply is the person's
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "resolved" and detail["first_reply_at"] == first_reply_at
    assert detail["satisfaction"]["score"] == 5 and detail["satisfaction"]["message_id"] == "messenger:m.csat1.r"
    assert detail["message_count"] == 2
    assert [m["id"] for m in detail["messages"]] == [conversation_id, "messenger:m.csat1.r"]
    # AND it is announced once, on the conversation's first message
    deliver()
    [event] = rated.receive()
    assert event["detail"]["message_id"] == conversation_id and event["detail"]["data"]["score"] == 5
    assert event["detail"]["data"]["resolved_by"].startswith("manager:")
    # AND the stats count the survey and the rating in its queue, and for the person who resolved it
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today}&granularity=day&tz=UTC", keys["manager"])
    row = {r["queue"]: r for r in stats["sla"]}[detail["queue"]]
    assert (row["surveys_sent"], row["ratings"], row["rating_average"], row["satisfied_share"]) == (1, 1, 5.0, 1.0)
    assert row["ratings_by_score"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert sum(b["response_times"][detail["queue"]]["ratings"] for b in stats["buckets"]) == 1
    assert row["first_replied"] == 1  # the survey is not an answer
    _, people = call(api, "GET", f"/stats/people?from={today}&tz=UTC", keys["manager"])
    [max_] = [p for p in people["people"] if p["name"] == "Max"]
    assert (max_["replies"], max_["resolved"], max_["ratings"], max_["rating_average"]) == (1, 1, 1, 5.0)
    # WHEN the customer rates again, or the conversation is reopened and resolved again
    ingest(api, payloads.messenger_dm("m.csat1.r2", "4"))
    assert conversation(api, keys, conversation_id)["status"] == "open"  # an ordinary message now: it reopens
    assert conversation(api, keys, conversation_id)["satisfaction"]["score"] == 5
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation_id}/resolve", keys["manager"], {})[0] == 200
    deliver()
    # THEN no second survey goes out
    assert len(fake_platforms.sent("messenger")) == 2


def test_words_are_not_a_rating_they_reopen_as_before(api, keys, delivery, fake_platforms):
    deliver, rated = delivery
    turn_on(api, keys)
    conversation_id = answered_and_resolved(api, keys, "m.csat2", sender="6100000000021")
    deliver()
    # WHEN the customer writes words with a number in them
    ingest(api, payloads.messenger_dm("m.csat2.r", "still nothing after 3 days", sender="6100000000021"))
    # THEN it reopens the conversation, and the survey waits for no rating any more
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "open" and "score" not in detail["satisfaction"]
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    ingest(api, payloads.messenger_dm("m.csat2.r2", "5", sender="6100000000021"))
    assert "score" not in conversation(api, keys, conversation_id)["satisfaction"]
    deliver()
    assert rated.receive() == []


def test_unanswered_conversations_comments_and_an_off_survey_ask_nothing(api, keys, delivery, fake_platforms):
    deliver, _ = delivery
    # GIVEN it is off: a resolved conversation gets nothing
    answered_and_resolved(api, keys, "m.csat3", sender="6100000000031")
    deliver()
    assert [r.body["message"]["text"] for r in fake_platforms.sent("messenger")] == [
        "Sorry! It ships today; here is the tracking link."]
    turn_on(api, keys)
    # a DM resolved without an answer (spam, a thank-you): not asked
    ingest(api, payloads.messenger_dm("m.csat4", "follow me for free followers", sender="6100000000032"))
    assert call(api, "POST", "/conversations/messenger:m.csat4/claim", keys["manager"], {})[0] == 200
    assert call(api, "POST", "/conversations/messenger:m.csat4/resolve", keys["manager"], {})[0] == 200
    # a public comment answered and resolved: never asked in public
    ingest(api, payloads.page_comment("104857600000001_900001_77905", "Where is my refund?"))
    assert call(api, "POST", "/conversations/facebook:104857600000001_900001_77905/claim", keys["manager"], {})[0] == 200
    status, reply = call(api, "POST", "/conversations/facebook:104857600000001_900001_77905/replies", keys["manager"],
                         {"text": "We sent you a DM.", "idempotency_key": "reply-c5"})
    assert status == 201, reply
    assert call(api, "POST", "/conversations/facebook:104857600000001_900001_77905/resolve", keys["manager"], {})[0] == 200
    deliver()
    assert len(fake_platforms.sent("messenger")) == 1
    assert "satisfaction" not in conversation(api, keys, "messenger:m.csat4")
    assert "satisfaction" not in conversation(api, keys, "facebook:104857600000001_900001_77905")


def test_the_survey_is_not_sent_on_messenger_after_its_24_hours(table, keys, fake_platforms, monkeypatch):
    """Messenger's 7-day HUMAN_AGENT tag is for a person's reply: an automatic message outside the 24 hours is not
    sendable (the survey's function logs it and goes on)."""
    from datetime import timedelta

    from chalicelib import automatic_replies, surveys
    from chalicelib.domain.surveys import Survey
    from chalicelib.store import dynamo
    from chalicelib.store import surveys as survey_store
    from chalicelib.store.entities import iso
    from chalicelib.store.messages import get_message
    from support import seed_message

    survey_store.save(Survey(enabled=True, text="Rate us 1-5", rev=1), 0)
    message_id = seed_message("csat-late", "customer_service", platform="messenger", channel="direct_message",
                              author="6100000000041")
    now = datetime.now(timezone.utc)
    head = get_message(message_id)
    dynamo.client().update_item(
        TableName=dynamo.table_name(), Key=head.key,
        UpdateExpression="SET #s = :resolved, resolved_at = :now, resolved_by = :by, first_reply_at = :then, "
                         "last_inbound_at = :then",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=dynamo.values(resolved="resolved", now=iso(now), by="manager:Max (0123456789abcdef)",
                                                then=iso(now - timedelta(hours=30))))
    assert surveys.offer(message_id, now) == automatic_replies.NOT_SENDABLE
    assert fake_platforms.sent() == []
    assert get_message(message_id).satisfaction is None


def test_a_rating_at_night_gets_no_away_message(api, keys, delivery, fake_platforms, monkeypatch):
    from datetime import timedelta

    from chalicelib import away
    from support import reset_caches

    deliver, _ = delivery
    turn_on(api, keys)
    conversation_id = answered_and_resolved(api, keys, "m.csat6", sender="6100000000061")
    deliver()
    # GIVEN the brand closes (holidays from yesterday to tomorrow) and its away message is on
    today = datetime.now(timezone.utc).date()
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 09:00-17:00")
    monkeypatch.setenv("SLA_HOLIDAYS", ",".join(str(today + timedelta(days=d)) for d in (-1, 0, 1)))
    reset_caches()
    assert call(api, "PUT", "/away-message", keys["manager"], {"enabled": True, "text": "We're closed.", "rev": 0})[0] == 200
    # WHEN the customer's rating comes in
    ingest(api, payloads.messenger_dm("m.csat6.r", "4", sender="6100000000061"))
    # THEN it is recorded and the away message does not answer it (the away message's rule sees it: asked directly)
    assert conversation(api, keys, conversation_id)["satisfaction"]["score"] == 4
    assert away.answer("messenger:m.csat6.r", datetime.now(timezone.utc)) == "rating"
    assert [r.body["message"]["text"] for r in fake_platforms.sent("messenger")][-1].startswith("How did we do")


def test_on_whatsapp_the_scores_are_a_list_and_a_tap_on_one_is_the_rating(api, keys, delivery, fake_platforms):
    deliver, _ = delivery
    turn_on(api, keys)
    # GIVEN a WhatsApp conversation answered and resolved
    ingest(api, payloads.whatsapp_text("wamid.CSAT7", "my order never came", sender="819000000077"))
    conversation_id = "whatsapp:wamid.CSAT7"
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation_id}/replies", keys["manager"],
                {"text": "It ships today.", "idempotency_key": "reply-csat7"})[0] == 201
    assert call(api, "POST", f"/conversations/{conversation_id}/resolve", keys["manager"], {})[0] == 200
    # WHEN the survey goes THEN it is a list of the five scores, quoting none of the customer's messages
    deliver()
    survey = fake_platforms.sent("whatsapp")[-1]
    assert survey.body["type"] == "interactive" and "context" not in survey.body
    rows = survey.body["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == ["5 ★★★★★", "4 ★★★★", "3 ★★★", "2 ★★", "1 ★"]
    # WHEN the customer taps "4 ★★★★" THEN that is the conversation's rating
    tap = payloads.whatsapp_text("wamid.CSAT7.r", "unused", sender="819000000077")
    raw = tap["entry"][0]["changes"][0]["value"]["messages"][0]
    raw.pop("text")
    raw.update(type="interactive", interactive={"type": "list_reply", "list_reply": {"id": rows[1]["id"],
                                                                                     "title": rows[1]["title"]}})
    ingest(api, tap)
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "resolved" and detail["satisfaction"]["score"] == 4


def test_managers_list_the_unhappy_ones_to_follow_up(api, keys, delivery):
    deliver, _ = delivery
    turn_on(api, keys)
    # GIVEN three resolved conversations: rated 5, rated 2, asked and not rated
    rated = {}
    for n, (sender, answer) in enumerate([("6100000000081", "5"), ("6100000000082", "2"), ("6100000000083", None)]):
        conversation_id = answered_and_resolved(api, keys, f"m.csat8{n}", text="my order never arrived", sender=sender)
        deliver()
        if answer:
            ingest(api, payloads.messenger_dm(f"m.csat8{n}.r", answer, sender=sender))
        rated[conversation_id] = conversation(api, keys, conversation_id)["queue"]
    # WHEN a manager lists the resolved ones rated 2 or less
    found = set()
    for queue in set(rated.values()):
        status, page = call(api, "GET", f"/queues/{queue}/conversations?status=resolved&max_rating=2", keys["manager"])
        assert status == 200, page
        found |= {c["id"] for c in page["conversations"]}
    # THEN only the unhappy customer's conversation is listed
    assert found == {"messenger:m.csat81"}
    assert call(api, "GET", f"/queues/{rated['messenger:m.csat81']}/conversations?max_rating=6", keys["manager"])[0] == 400


FOLLOW_UP = "Sorry we let you down, {{customer_name}}. What could we have done better?"


def test_a_low_rating_is_asked_what_went_wrong_and_the_answer_is_its_comment(api, keys, delivery, fake_platforms):
    deliver, rated = delivery
    status, saved = turn_on(api, keys, follow_up=FOLLOW_UP,
                            follow_up_translations={"ja": "ご期待に沿えず申し訳ありません。改善点を教えてください。"})
    assert status == 200 and saved["follow_up"] == FOLLOW_UP and set(saved["follow_up_translations"]) == {"ja"}
    assert call(api, "GET", "/satisfaction-survey", keys["agent_cs"])[1] == saved
    # GIVEN a DM the manager answered and resolved, whose customer got the survey
    sender = "6100000000091"
    conversation_id = answered_and_resolved(api, keys, "m.csat9", sender=sender)
    deliver()
    # WHEN the customer rates it 2, and the events reach the function
    ingest(api, payloads.messenger_dm("m.csat9.r", "2", sender=sender))
    deliver()
    # THEN they are asked, once and quoting nothing, what went wrong; the conversation stays resolved
    answer, survey, follow_up = fake_platforms.sent("messenger")
    assert follow_up.body["recipient"] == {"id": sender} and "quick_replies" not in follow_up.body["message"]
    assert follow_up.body["message"]["text"] == "Sorry we let you down. What could we have done better?"
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "resolved" and detail["satisfaction"]["score"] == 2
    assert detail["satisfaction"]["follow_up_sent_at"] >= detail["satisfaction"]["rated_at"]
    assert [(r["by"], r["status"]) for r in detail["replies"] if r.get("automatic")] == [
        ("system:survey", "sent"), ("system:survey_follow_up", "sent")]
    [rating] = rated.receive()
    assert rating["detail"]["data"]["score"] == 2 and "comment_message_id" not in rating["detail"]["data"]
    # WHEN they answer (and the platform delivers the webhook twice)
    comment = "Nobody read my second question, I had to ask three times"
    for _ in range(2):
        ingest(api, payloads.messenger_dm("m.csat9.c", comment, sender=sender))
    # THEN the answer is the rating's comment, and it reopens the conversation for a person to follow up
    detail = conversation(api, keys, conversation_id)
    assert detail["status"] == "open" and detail["message_count"] == 3
    assert detail["satisfaction"]["comment_message_id"] == "messenger:m.csat9.c"
    assert detail["satisfaction"]["comment"] == comment and detail["satisfaction"]["score"] == 2
    # AND the rating is announced again with its comment's message; nothing more is sent
    deliver()
    [commented] = rated.receive()
    assert commented["detail"]["data"]["comment_message_id"] == "messenger:m.csat9.c"
    assert commented["detail"]["data"]["score"] == 2 and commented["detail"]["message_id"] == conversation_id
    assert len(fake_platforms.sent("messenger")) == 3
    # WHEN they write again THEN that is an ordinary message: the comment stays the first answer
    ingest(api, payloads.messenger_dm("m.csat9.c2", "hello??", sender=sender))
    detail = conversation(api, keys, conversation_id)
    assert detail["satisfaction"]["comment_message_id"] == "messenger:m.csat9.c" and detail["message_count"] == 4
    # WHEN the customer is erased THEN the comment's words go with their message
    status, erased = call(api, "POST", "/erasures", keys["admin"], {"platform": "messenger", "author_id": sender})
    assert status == 200 and erased["done"] is True, erased
    detail = conversation(api, keys, conversation_id)
    assert "comment" not in detail["satisfaction"] and comment not in json.dumps(detail)


def test_a_satisfied_customer_or_a_survey_without_a_follow_up_is_asked_nothing_more(api, keys, delivery, fake_platforms):
    deliver, _ = delivery
    turn_on(api, keys, follow_up=FOLLOW_UP)
    # GIVEN a customer who rates 4: satisfied
    happy = answered_and_resolved(api, keys, "m.csat10", sender="6100000000101")
    deliver()
    ingest(api, payloads.messenger_dm("m.csat10.r", "4", sender="6100000000101"))
    deliver()
    assert len(fake_platforms.sent("messenger")) == 2  # the answer and the survey only
    # WHEN they write again THEN it is an ordinary message, no comment
    ingest(api, payloads.messenger_dm("m.csat10.c", "thanks again", sender="6100000000101"))
    assert "comment_message_id" not in conversation(api, keys, happy)["satisfaction"]
    # GIVEN the managers leave the follow-up empty: a rating of 1 is asked nothing more
    status, saved = call(api, "GET", "/satisfaction-survey", keys["manager"])
    assert turn_on(api, keys, rev=saved["rev"], follow_up="")[0] == 200
    unhappy = answered_and_resolved(api, keys, "m.csat11", sender="6100000000111")
    deliver()
    ingest(api, payloads.messenger_dm("m.csat11.r", "1", sender="6100000000111"))
    deliver()
    assert len(fake_platforms.sent("messenger")) == 4
    detail = conversation(api, keys, unhappy)
    assert detail["satisfaction"]["score"] == 1 and "follow_up_sent_at" not in detail["satisfaction"]


def test_a_follow_up_too_long_for_a_direct_message_is_refused_in_words(api, keys):
    status, refused = turn_on(api, keys, follow_up_translations={"ja": "満" * 400})  # 1,200 bytes: over Instagram's
    assert status == 422 and refused["error"]["code"] == "survey_text_too_long"
    assert refused["error"]["message"].startswith("the follow-up's ja text is too long") and "instagram" in refused["error"]["message"]
    status, blank = turn_on(api, keys, follow_up_translations={"en": "  "})
    assert status == 400
    assert call(api, "GET", "/satisfaction-survey", keys["manager"])[1]["rev"] == 0  # nothing saved


def test_a_rating_counts_in_its_conversations_queue_not_where_the_model_puts_a_bare_number(api, keys, delivery):
    deliver, _ = delivery
    turn_on(api, keys)
    # GIVEN a community conversation (the model reads a bare "5" as customer service)
    sender = "6100000000121"
    ingest(api, payloads.messenger_dm("m.csat12", "See you all at the summer meetup on saturday!!", sender=sender))
    conversation_id = "messenger:m.csat12"
    detail = conversation(api, keys, conversation_id)
    if detail["queue"] != "community":
        assert call(api, "POST", f"/conversations/{conversation_id}/reroute", keys["manager"],
                    {"queue": "community"})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation_id}/claim", keys["manager"], {})[0] == 200
    assert call(api, "POST", f"/conversations/{conversation_id}/replies", keys["manager"],
                {"text": "See you there!", "idempotency_key": "r-csat12"})[0] == 201
    assert call(api, "POST", f"/conversations/{conversation_id}/resolve", keys["manager"], {})[0] == 200
    deliver()
    # WHEN the customer rates it
    ingest(api, payloads.messenger_dm("m.csat12.r", "5", sender=sender))
    # THEN both messages count in community, and the rating is in no review count
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today}&granularity=day&tz=UTC", keys["manager"])
    messages = {q: sum(b["messages"].get(q, 0) for b in stats["buckets"]) for q in ("customer_service", "community")}
    assert messages == {"customer_service": 0, "community": 2}
    rating = next(m for m in conversation(api, keys, conversation_id)["messages"] if m["id"] == "messenger:m.csat12.r")
    assert not rating.get("needs_review")
