"""Where replies are kept: by time under their conversation (its latest are one bounded Query however many it has),
each idempotency key used once, and conversations opened before that read as they always did."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

import payloads
from support import call, dumps, post_webhook

pytestmark = pytest.mark.usefixtures("fake_platforms")

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def reads():
    """The app client's Queries and GetItems: (operation, items read)."""
    from chalicelib.store import dynamo

    seen: list[tuple[str, int]] = []

    def record(http_response, parsed, model, **_):
        seen.append((model.name, parsed.get("Count", 1 if "Item" in parsed else 0)))

    for operation in ("Query", "GetItem"):
        dynamo.client().meta.events.register(f"after-call.dynamodb.{operation}", record)
    return seen


def dm(api, mid: str, text: str = "Where is my order 5521? It was due on Monday") -> str:
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text)))
    assert response.status_code == 200 and json.loads(response.body)["stored"] == 1, response.body
    return f"messenger:{mid}"


def head_of(conversation: str):
    from chalicelib.store.messages import get_message

    return get_message(conversation)


def draft(conversation: str, key: str, at: datetime, text: str | None = None):
    from chalicelib.store import replies
    from chalicelib.store.entities import iso

    text = text or f"Reply {key}"
    head = head_of(conversation)
    return replies.StoredReply(id=key, conversation=conversation, text=text, reply_to=conversation, by="key:test",
                               platform="messenger", account=head.account, created_at=iso(at),
                               status=replies.SENDING, request_hash=replies.request_hash(text, conversation),
                               by_time=bool(head.replies_by_time))


def sent_replies(conversation: str, count: int, start: datetime = T0) -> list:
    """`count` replies, a second apart, each reserved and then taken by the platform."""
    from chalicelib.store import replies

    head, done = head_of(conversation), []
    for i in range(count):
        at = start + timedelta(seconds=i)
        reply, must_send = replies.reserve(draft(conversation, f"key-{at:%H%M%S}-{i:04d}", at))
        assert must_send
        done.append(replies.mark_sent(reply, head, f"m_out_{at:%H%M%S}_{i}", at))
    return done


def item(table, conversation: str, sk: str) -> dict | None:
    from chalicelib.store import dynamo

    found = table.get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True,
                           Key=dynamo.key(f"MSG#{conversation}", sk))
    return dynamo.from_item(found["Item"]) if "Item" in found else None


def make_older(table, conversation: str) -> None:
    """The conversation as one opened before replies were kept by time."""
    from chalicelib.store import dynamo

    table.update_item(TableName=os.environ["TABLE_NAME"], Key=dynamo.key(f"MSG#{conversation}", "MSG"),
                      UpdateExpression="REMOVE replies_by_time")


def test_a_new_conversation_reads_its_latest_replies_in_two_queries_however_many_it_has(api, keys, reads):
    from chalicelib.store import conversations
    from chalicelib.store.entities import ReplyKeys

    # GIVEN a conversation the brand answered 120 times
    conversation = dm(api, "m.t1")
    assert head_of(conversation).replies_by_time
    sent_replies(conversation, 120)
    reads.clear()
    # WHEN it is read for an agent
    found = conversations.get_conversation(conversation, latest_replies=50)
    # THEN it holds the latest 50, oldest first, and knows there are 120
    ids = [r["id"] for r in found.replies]
    assert len(ids) == 50 and ids == sorted(ids) and ids[-1].endswith("-0119") and ids[0].endswith("-0070")
    assert found.reply_count == 120
    # AND it took two Queries that read the head, its count's shards and those 50 replies: not the 120, nor their keys
    assert [operation for operation, _ in reads] == ["Query", "Query"]
    assert sum(count for _, count in reads) <= 1 + ReplyKeys.COUNT_SHARDS + 50


def test_the_api_shows_the_latest_replies_and_how_many_are_left_out(api, keys):
    # GIVEN a conversation with 60 replies
    conversation = dm(api, "m.t2")
    sent_replies(conversation, 60)
    # WHEN an agent opens it
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    # THEN the latest 50 show, in order, with the 10 earlier ones counted
    assert status == 200, detail
    assert len(detail["replies"]) == 50 and detail["earlier_replies"] == 10
    assert [r["text"] for r in detail["replies"]][-1].endswith("-0059")
    assert all(r["status"] == "sent" for r in detail["replies"])


def test_an_idempotency_key_is_used_once_where_replies_are_kept_by_time(api, keys, table):
    from chalicelib.domain.errors import IdempotencyKeyReused
    from chalicelib.store import replies
    from chalicelib.store.entities import ReplyKeys

    conversation = dm(api, "m.t3")
    # GIVEN a reply stored under a key
    first, must_send = replies.reserve(draft(conversation, "key-once", T0))
    assert must_send and first.by_time
    # WHEN the same request comes again a minute later (a retry: its time is another)
    again, must_send_again = replies.reserve(draft(conversation, "key-once", T0 + timedelta(minutes=1)))
    # THEN it is the stored reply, not a second one, and the count did not move
    assert not must_send_again and again.created_at == first.created_at and again.sk == first.sk
    assert item(table, conversation, ReplyKeys.count_sk("key-once"))["replies"] == 1
    assert item(table, conversation, ReplyKeys.sk("key-once")) == {
        "pk": f"MSG#{conversation}", "sk": "REPLY#key-once", "type": "reply_key", "at": first.sk}
    # AND the same key for another text is refused
    with pytest.raises(IdempotencyKeyReused):
        replies.reserve(draft(conversation, "key-once", T0 + timedelta(minutes=2), text="Something else"))
    assert replies.get(conversation, "key-once").text == first.text


def test_a_conversation_opened_before_keeps_its_replies_where_they_are(api, keys, table, fake_platforms):
    from chalicelib.store import conversations
    from chalicelib.store.entities import ReplyKeys

    # GIVEN a conversation opened before replies were kept by time, claimed
    conversation = dm(api, "m.t4")
    make_older(table, conversation)
    status, claimed = call(api, "POST", f"/conversations/{conversation}/claim", keys["manager"])
    assert status == 200, claimed
    # WHEN the agent replies twice (the second a retry of the first) and once more
    for key in ("older-01", "older-01", "older-02"):
        status, body = call(api, "POST", f"/conversations/{conversation}/replies", keys["manager"],
                            {"text": f"Answer {key}", "idempotency_key": key})
        assert status == 201, body
    # THEN the replies sit where that conversation's replies always did, each once, with no count or markers
    assert item(table, conversation, ReplyKeys.sk("older-01"))["type"] == "reply"
    assert item(table, conversation, ReplyKeys.count_sk("older-01")) is None
    assert len(fake_platforms.sent("messenger")) == 2
    # AND it reads as before: all of its replies, oldest first
    found = conversations.get_conversation(conversation, latest_replies=50)
    assert [r["id"] for r in found.replies] == ["older-01", "older-02"] and found.reply_count == 2
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    assert [r["text"] for r in detail["replies"]] == ["Answer older-01", "Answer older-02"]
    assert detail.get("earlier_replies") is None


def test_a_read_watermark_moves_every_reply_sent_before_it_and_reads_back_only_to_those_already_read(api, keys, reads):
    from chalicelib.models import DeliveryStatus
    from chalicelib.store import replies
    from chalicelib.store.messages import Outcome

    conversation = dm(api, "m.t5")
    account = head_of(conversation).account
    # GIVEN 120 replies sent to a Messenger customer
    sent_replies(conversation, 120)
    report = lambda at: DeliveryStatus(platform="messenger", state="read", at=at, account=account,  # noqa: E731
                                       recipient_id=payloads.MESSENGER_CUSTOMER, watermark=at)
    # WHEN the customer's app says she read up to after the 100th
    assert replies.record_delivery(report(T0 + timedelta(seconds=99, milliseconds=500)), T0) == Outcome.UPDATED
    # THEN the first 100 are read and the others not
    states = [replies.get(conversation, r.id).status for r in sent_replies_of(conversation)]
    assert states == ["read"] * 100 + ["sent"] * 20
    # WHEN she reads them all
    reads.clear()
    assert replies.record_delivery(report(T0 + timedelta(minutes=5)), T0) == Outcome.UPDATED
    queries = [count for operation, count in reads if operation == "Query"]
    # THEN all are read, and the report read back to the first page holding replies already read, not all 120
    assert {replies.get(conversation, r.id).status for r in sent_replies_of(conversation)} == {"read"}
    assert queries == [replies.WATERMARK_PAGE]
    # AND a report up to a watermark already passed moves nothing
    assert replies.record_delivery(report(T0 + timedelta(minutes=5)), T0) == Outcome.UNCHANGED


def sent_replies_of(conversation: str) -> list:
    from chalicelib.store import conversations, replies

    return [replies.StoredReply.from_item(i) for i in conversations.latest_timed_replies(conversation)][::-1]


def test_a_delivery_report_finds_its_reply_in_two_reads(api, keys, reads):
    from chalicelib.models import DeliveryStatus
    from chalicelib.store import replies
    from chalicelib.store.messages import Outcome

    conversation = dm(api, "m.t6")
    [reply] = sent_replies(conversation, 1)
    reads.clear()
    # WHEN the platform reports that one message delivered (by its id)
    outcome = replies.record_delivery(DeliveryStatus(platform="messenger", state="delivered", at=T0 + timedelta(seconds=3),
                                                     platform_message_id=reply.platform_message_id), T0)
    made = list(reads)
    # THEN the reply moved on, found by the sent message's lookup and then the reply itself
    assert outcome == Outcome.UPDATED and replies.get(conversation, reply.id).status == "delivered"
    assert made == [("GetItem", 1), ("GetItem", 1)]


def test_replies_kept_by_time_are_announced_like_any_other(api, keys, table):
    from chalicelib.events.derive import derive
    from chalicelib.store.entities import ReplyKeys

    conversation = dm(api, "m.t7")
    [reply] = sent_replies(conversation, 1)
    stored = item(table, conversation, reply.sk)
    sending = {**stored, "status": "sending", "status_rank": 0}
    sending.pop("platform_message_id"), sending.pop("sent_at")
    [event] = derive(sending, stored)
    assert (event.type, event.reply_id, event.platform_message_id) == ("reply.sent", reply.id, reply.platform_message_id)
    # the key's marker and the count are not replies
    assert derive(None, item(table, conversation, ReplyKeys.sk(reply.id))) == []
    assert derive(None, item(table, conversation, ReplyKeys.count_sk(reply.id))) == []


# the replies before those shown ----------------------------------------------------------------------------

def all_pages(api, keys, conversation: str, who="manager") -> tuple[dict, list[list[str]]]:
    """The conversation as opened, and each page of earlier replies read from it, by the replies' texts."""
    status, detail = call(api, "GET", f"/conversations/{conversation}", keys[who])
    assert status == 200, detail
    pages, cursor = [], detail.get("earlier_replies_cursor")
    while cursor:
        status, page = call(api, "GET", f"/conversations/{conversation}/replies?cursor={cursor}", keys[who])
        assert status == 200, page
        pages.append([r["text"] for r in page["replies"]])
        cursor = page["next_cursor"]
    return detail, pages


@pytest.mark.parametrize("older", [False, True], ids=["kept_by_time", "opened_before"])
def test_an_agent_reads_every_reply_page_by_page_back_to_the_first(api, keys, table, older):
    # GIVEN a conversation with 130 replies (one opened before replies were kept by time, too)
    conversation = dm(api, "m.t8")
    if older:
        make_older(table, conversation)
    sent_replies(conversation, 130)
    # WHEN an agent of its queue opens it and reads the earlier replies until none are left
    detail, pages = all_pages(api, keys, conversation, who="agent_cs")
    # THEN she has read each of the 130 once, in order: the latest 50, then 50, then the first 30
    assert detail["earlier_replies"] == 80
    assert [len(page) for page in pages] == [50, 30]
    texts = [text for page in reversed(pages) for text in page] + [r["text"] for r in detail["replies"]]
    assert [int(text[-4:]) for text in texts] == list(range(130))


def test_a_conversation_with_all_its_replies_shown_has_no_cursor(api, keys):
    conversation = dm(api, "m.t9")
    sent_replies(conversation, 3)
    detail, pages = all_pages(api, keys, conversation)
    assert len(detail["replies"]) == 3 and "earlier_replies_cursor" not in detail and pages == []


@pytest.mark.parametrize("forged", ["another_conversation", "not_a_reply", "garbage"])
def test_a_reply_cursor_of_another_conversation_or_forged_is_400_and_reads_nothing(api, keys, forged):
    from chalicelib.store.entities import MessageKeys, ReplyKeys
    from chalicelib.store.queue import encode_cursor

    mine, other = dm(api, "m.t10"), dm(api, "m.t11", "My card was charged but the order shows unpaid")
    sent_replies(other, 60)
    sk = {"another_conversation": ReplyKeys.timed_sk("9999", "x"), "not_a_reply": "MSG"}.get(forged)
    pk = MessageKeys.pk(other if forged == "another_conversation" else mine)
    cursor = encode_cursor({"pk": {"S": pk}, "sk": {"S": sk}}) if sk else "bm90LWEtY3Vyc29y"
    status, body = call(api, "GET", f"/conversations/{mine}/replies?cursor={cursor}", keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor", body


def test_an_agent_of_another_queue_cannot_read_its_replies(api, keys):
    conversation = dm(api, "m.t12")
    sent_replies(conversation, 60)
    _, detail = call(api, "GET", f"/conversations/{conversation}", keys["manager"])
    status, body = call(api, "GET", f"/conversations/{conversation}/replies?cursor={detail['earlier_replies_cursor']}",
                        keys["agent_stance"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation", body


def test_agents_replying_at_once_store_each_reply_once_and_count_them_all(local_dynamodb, conflicts):
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.store import conversations, replies
    from support import seed_message

    # GIVEN a conversation, and DynamoDB's transaction conflicts modelled (the count is one item)
    conversation = seed_message("t13", "customer_service", platform="messenger", channel="direct_message")

    def reserve(i: int) -> bool:
        return replies.reserve(draft(conversation, f"key-at-once-{i:03d}", T0 + timedelta(milliseconds=i)))[1]

    # WHEN 40 replies are reserved from 8 threads, and then each again (a retry)
    with ThreadPoolExecutor(8) as pool:
        first = list(pool.map(reserve, range(40)))
        again = list(pool.map(reserve, range(40)))
    # THEN each was stored once, and the count says 40
    assert first == [True] * 40 and again == [False] * 40
    found = conversations.get_conversation(conversation, latest_replies=50)
    assert found.reply_count == 40 and len({r["id"] for r in found.replies}) == 40


def test_the_latest_customer_message_is_found_behind_pages_of_the_brands_own(api, keys, monkeypatch, reads):
    from chalicelib import replies as inbox
    from chalicelib.store import conversations

    # GIVEN a DM conversation whose customer wrote twice, then the brand wrote 12 times on the platform itself,
    # and pages of 5 messages
    monkeypatch.setattr(conversations, "PAGE_MESSAGES", 5)
    conversation = dm(api, "m.t14")
    dm(api, "m.t14b", "And the tracking link does not open")
    for i in range(12):
        echo = payloads.messenger_dm(f"m.t14.echo{i}", f"Brand update {i}", echo=True)
        assert post_webhook(api, "meta", dumps(echo)).status_code == 200
    head = head_of(conversation)
    assert head.message_count == 14
    reads.clear()
    # WHEN a reply with no reply_to chooses what it answers
    target = inbox.reply_target(head, None)
    # THEN it answers the customer's latest message, found by reading back page by page, not the whole thread
    assert target.id == "messenger:m.t14b"
    assert [operation for operation, _ in reads] == ["Query"] * 3


@pytest.mark.parametrize("older", [False, True], ids=["kept_by_time", "opened_before"])
def test_a_reply_cut_off_while_sending_is_outcome_unknown_when_its_request_comes_again(api, keys, table, older):
    from chalicelib.store import replies

    conversation = dm(api, "m.t15")
    if older:
        make_older(table, conversation)
    # GIVEN a reply reserved whose function stopped before the platform answered (a timeout cut it off)
    reserved, must_send = replies.reserve(draft(conversation, "key-cut-off", T0))
    assert must_send and reserved.status == "sending"
    # WHEN its request comes again within the function's time limit THEN it is still being sent: not again
    again, must_send = replies.reserve(draft(conversation, "key-cut-off", T0 + timedelta(seconds=15)))
    assert not must_send and again.status == "sending"
    # WHEN it comes again after that limit
    late, must_send = replies.reserve(draft(conversation, "key-cut-off", T0 + replies.SENDING_LIMIT + timedelta(seconds=1)))
    # THEN it is not sent again (it may have gone out) and says so: outcome unknown, as a timeout is
    assert not must_send and late.status == "unknown" and late.error_kind == "cut_off"
    stored = replies.get(conversation, "key-cut-off")
    assert (stored.status, stored.error_kind) == ("unknown", "cut_off")


@pytest.mark.parametrize("older", [False, True], ids=["kept_by_time", "opened_before"])
def test_the_sweep_marks_replies_cut_off_while_sending_and_nothing_else(api, keys, table, older):
    from chalicelib.store import replies

    conversation = dm(api, "m.t16")
    if older:
        make_older(table, conversation)
    # GIVEN a reply cut off while sending, one still within its time, and one the platform took
    replies.reserve(draft(conversation, "key-stuck", T0))
    replies.reserve(draft(conversation, "key-recent", T0 + timedelta(seconds=100)))
    taken, _ = replies.reserve(draft(conversation, "key-taken", T0))
    replies.mark_sent(taken, head_of(conversation), "m_taken", T0 + timedelta(seconds=2))
    # WHEN the sweep runs two minutes after the first
    cut = replies.sweep_cut_off(T0 + timedelta(seconds=120))
    # THEN only the stuck one is now unknown (cut_off); the recent one is still being sent, the sent one is sent
    assert cut == 1
    states = {key: (r.status, r.error_kind) for key in ("key-stuck", "key-recent", "key-taken")
              if (r := replies.get(conversation, key))}
    assert states == {"key-stuck": ("unknown", "cut_off"), "key-recent": ("sending", None), "key-taken": ("sent", None)}
    # AND a second run finds nothing left to mark: only replies while they are sending are in the index
    assert replies.sweep_cut_off(T0 + timedelta(seconds=120)) == 0
    indexed = [i for i in table.scan(TableName=os.environ["TABLE_NAME"])["Items"]
               if i.get("gsi2pk", {}).get("S") == "REPLIES#SENDING"]
    assert [i["id"]["S"] for i in indexed] == ["key-recent"]


def test_a_retried_reply_is_measured_from_its_retry_not_from_when_it_was_first_written(api, keys, table):
    from chalicelib.store import replies

    conversation = dm(api, "m.t17")
    # GIVEN a reply the platform refused for a passing reason (rate limited), retried five minutes later
    first, _ = replies.reserve(draft(conversation, "key-retried", T0))
    replies.mark_failed(first, "rate_limited", "slow down", maybe_sent=False)
    retried, must_send = replies.reserve(draft(conversation, "key-retried", T0 + timedelta(minutes=5)))
    assert must_send and retried.status == "sending"
    # WHEN the same request comes again (a double click) 10 s into that retry, and the sweep runs then
    again, must_send = replies.reserve(draft(conversation, "key-retried", T0 + timedelta(minutes=5, seconds=10)))
    swept = replies.sweep_cut_off(T0 + timedelta(minutes=5, seconds=10))
    # THEN the retry is still being sent: not cut off, not sent twice
    assert not must_send and again.status == "sending" and swept == 0
    # AND a minute after the retry started, the sweep marks it cut off
    assert replies.sweep_cut_off(T0 + timedelta(minutes=6, seconds=1)) == 1
    assert replies.get(conversation, "key-retried").error_kind == "cut_off"
