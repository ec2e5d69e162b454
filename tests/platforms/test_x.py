"""XAdapter: CRC handshake, signature check and Account Activity API payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import ApiError, BadRequest, InvalidPayload, InvalidSignature
from chalicelib.models import INBOUND, OUTBOUND, Channel, EventKind
from chalicelib.platforms.base import Batch, WebhookRequest
from chalicelib.platforms.x import XAdapter

SECRET = "consumer-secret-used-only-in-tests"
BRAND_ID = "4400112233"
adapter = XAdapter()


def secrets(name: str) -> str:
    assert name == "X_CONSUMER_SECRET"
    return SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(payload: object) -> WebhookRequest:
    body = json.dumps(payload).encode()
    return WebhookRequest(body=body, headers={"x-twitter-webhooks-signature": sign(body)})


def user(uid: str, screen_name: str, name: str) -> dict:
    return {"id": int(uid), "id_str": uid, "name": name, "screen_name": screen_name, "followers_count": 12}


def tweet(tid: str, text: str, *, author: dict | None = None, **extra: object) -> dict:
    return {
        "created_at": "Mon May 06 03:12:45 +0000 2024",
        "id": int(tid),
        "id_str": tid,
        "text": text,
        "truncated": False,
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "user": author or user("9001", "mika_k", "Mika K"),
        "entities": {"hashtags": [], "urls": [], "user_mentions": []},
        "lang": "en",
        "timestamp_ms": "1714965165123",
        **extra,
    }


def dm(mid: str, sender: str, recipient: str, text: str, **data: object) -> dict:
    return {
        "type": "message_create",
        "id": mid,
        "created_timestamp": "1714965200456",
        "message_create": {
            "target": {"recipient_id": recipient},
            "sender_id": sender,
            "message_data": {"text": text, "entities": {"urls": []}, **data},
        },
    }


USERS = {
    "9001": {"id": "9001", "created_timestamp": "1500000000000", "name": "Mika K", "screen_name": "mika_k"},
    BRAND_ID: {"id": BRAND_ID, "created_timestamp": "1400000000000", "name": "Brand", "screen_name": "brand"},
}


def parse(payload: object) -> Batch:
    return adapter.parse(post(payload))


# --- handshake -------------------------------------------------------------------------


def test_given_the_documented_crc_vector_when_handshaking_then_response_token_matches():
    request = WebhookRequest(body=b"", headers={}, query={"crc_token": "test token"})
    response = adapter.handshake(request, lambda name: "apiSecret")
    assert response.body == {"response_token": "sha256=O5hJl2njQRIa4vsumZ+3oom9ECR5m3aQLRZkPoYelp0="}
    assert response.content_type == "application/json"


def test_given_our_secret_when_handshaking_then_token_is_signed_with_the_consumer_secret():
    response = adapter.handshake(WebhookRequest(body=b"", headers={}, query={"crc_token": "abc"}), secrets)
    assert response.body == {"response_token": sign(b"abc")}


@pytest.mark.parametrize("query", [{}, {"crc_token": ""}, {"hub.challenge": "x"}])
def test_given_no_crc_token_when_handshaking_then_bad_request(query):
    with pytest.raises(BadRequest) as caught:
        adapter.handshake(WebhookRequest(body=b"", headers={}, query=query), secrets)
    assert caught.value.code == "missing_crc_token"
    assert caught.value.status == 400


# --- signature -------------------------------------------------------------------------


def test_given_a_correctly_signed_body_when_verifying_then_it_passes():
    adapter.verify(post({"for_user_id": BRAND_ID}), secrets)


def test_given_a_signature_from_another_secret_when_verifying_then_invalid_signature():
    body = b'{"for_user_id": "1"}'
    request = WebhookRequest(body=body, headers={"x-twitter-webhooks-signature": sign(body, "other")})
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(request, secrets)
    assert caught.value.code == "invalid_signature"
    assert caught.value.status == 401


def test_given_a_tampered_body_when_verifying_then_invalid_signature():
    request = post({"for_user_id": BRAND_ID})
    tampered = WebhookRequest(body=request.body + b" ", headers=request.headers)
    with pytest.raises(InvalidSignature):
        adapter.verify(tampered, secrets)


def test_given_a_hex_signature_when_verifying_then_rejected_because_x_uses_base64():
    body = b"{}"
    hex_sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(InvalidSignature):
        adapter.verify(WebhookRequest(body=body, headers={"x-twitter-webhooks-signature": hex_sig}), secrets)


def test_given_no_signature_header_when_verifying_then_missing_signature():
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(WebhookRequest(body=b"{}", headers={}), secrets)
    assert caught.value.code == "missing_signature"


# --- tweets ----------------------------------------------------------------------------


def test_given_a_mention_when_parsing_then_one_new_mention_message():
    mention = tweet("1787000000000000001", "@brand where is my order?")
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [mention]})

    assert batch.skipped == []
    [event] = batch.events
    assert event.kind is EventKind.NEW
    assert event.message_id == "x:1787000000000000001"
    message = event.message
    assert message.id == "x:1787000000000000001"
    assert message.platform == "x"
    assert message.channel is Channel.MENTION
    assert message.text == "@brand where is my order?"
    assert (message.author.id, message.author.handle, message.author.name) == ("9001", "mika_k", "Mika K")
    assert message.created_at == datetime(2024, 5, 6, 3, 12, 45, 123000, tzinfo=timezone.utc)
    assert message.parent_id is None
    assert message.language == "en"
    assert (message.account, message.direction) == (BRAND_ID, INBOUND)  # the subscribed account: for_user_id


def test_given_a_reply_when_parsing_then_channel_is_reply_with_parent():
    reply = tweet("1787000000000000002", "@brand thanks, that fixed it", in_reply_to_status_id=1786999999999999999,
                  in_reply_to_status_id_str="1786999999999999999", in_reply_to_user_id_str=BRAND_ID)
    [event] = parse({"for_user_id": BRAND_ID, "tweet_create_events": [reply]}).events
    assert event.message.channel is Channel.REPLY
    assert event.message.parent_id == "x:1786999999999999999"


def test_given_a_truncated_tweet_when_parsing_then_the_extended_full_text_is_used():
    full = "@brand " + "the delivery was late again and nobody answered the phone " * 4
    long = tweet("1787000000000000003", full[:117] + "… https://t.co/abc123", truncated=True,
                 extended_tweet={"full_text": full, "display_text_range": [0, len(full)], "entities": {}})
    [event] = parse({"for_user_id": BRAND_ID, "tweet_create_events": [long]}).events
    assert event.message.text == full


def test_given_an_untruncated_tweet_with_extended_tweet_when_parsing_then_text_is_used():
    t = tweet("1787000000000000004", "short one", extended_tweet={"full_text": "stale"})
    [event] = parse({"tweet_create_events": [t]}).events
    assert event.message.text == "short one"


def test_given_html_entities_when_parsing_then_they_are_unescaped_once():
    t = tweet("1787000000000000005", "Fish &amp; chips &lt;3 &gt;_&lt; and a literal &amp;lt;")
    [event] = parse({"tweet_create_events": [t]}).events
    assert event.message.text == "Fish & chips <3 >_< and a literal &lt;"


def test_given_only_created_at_when_parsing_then_it_is_read_as_the_timestamp():
    t = tweet("1787000000000000006", "hello brand")
    del t["timestamp_ms"]
    t["created_at"] = "Sun Dec 01 23:05:00 +0900 2024"
    [event] = parse({"tweet_create_events": [t]}).events
    assert event.message.created_at == datetime(2024, 12, 1, 14, 5, tzinfo=timezone.utc)


def test_given_numeric_ids_only_when_parsing_then_they_become_strings():
    t = tweet("1787000000000000007", "numbers only", author={"id": 9001, "screen_name": "mika_k"})
    del t["id_str"]
    [event] = parse({"for_user_id": 4400112233, "tweet_create_events": [t]}).events
    assert event.message_id == "x:1787000000000000007"
    assert event.message.author.id == "9001"


def test_given_the_brands_own_tweet_when_parsing_then_skipped_as_own_post():
    own = tweet("1787000000000000008", "@mika_k sorry, we are on it", author=user(BRAND_ID, "brand", "Brand"))
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [own]})
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("own_post", "1787000000000000008")]


def test_given_the_brands_reply_to_a_tweet_when_parsing_then_an_outbound_reply_under_that_tweet():
    # GIVEN the brand answering a customer's tweet
    own = tweet("1787000000000000014", "@mika_k sorry, a new one is on its way",
                author=user(BRAND_ID, "brand", "Brand"), in_reply_to_status_id_str="1787000000000000001",
                in_reply_to_user_id_str="9001")
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [own]})
    # THEN it is a new outbound message written by the brand, replying to the customer's tweet
    [event] = batch.events
    assert batch.skipped == [] and event.kind is EventKind.NEW and event.message_id == "x:1787000000000000014"
    message = event.message
    assert (message.direction, message.account, message.channel) == (OUTBOUND, BRAND_ID, Channel.REPLY)
    assert (message.author.id, message.author.handle) == (BRAND_ID, "brand")
    assert message.parent_id == "x:1787000000000000001"


def test_given_the_brands_retweet_when_parsing_then_skipped_as_own_post():
    rt = tweet("1787000000000000015", "RT @mika_k: @brand great coffee", author=user(BRAND_ID, "brand", "Brand"),
               retweeted_status=tweet("1786000000000000000", "@brand great coffee"))
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [rt]})
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["own_post"]


def test_given_the_brand_continuing_its_own_thread_when_parsing_then_skipped_as_own_post():
    # GIVEN the brand's tweet "2/2" replying to its own "1/2": a post of its own, not an answer to anyone
    own = tweet("1787000000000000017", "2/2 ...and the summer menu", author=user(BRAND_ID, "brand", "Brand"),
                in_reply_to_status_id_str="1787000000000000016", in_reply_to_user_id_str=BRAND_ID)
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [own]})
    assert batch.events == [] and [(s.reason, s.ref) for s in batch.skipped] == [("own_post", "1787000000000000017")]


def test_given_no_for_user_id_when_parsing_then_the_account_is_unknown_and_nothing_is_outbound():
    reply = tweet("1787000000000000016", "@mika_k thanks", author=user(BRAND_ID, "brand", "Brand"),
                  in_reply_to_status_id_str="1787000000000000001")
    [event] = parse({"tweet_create_events": [reply]}).events
    assert (event.message.account, event.message.direction) == (None, INBOUND)


def test_given_a_retweet_when_parsing_then_skipped_as_retweet():
    original = tweet("1786000000000000000", "@brand great coffee")
    rt = tweet("1787000000000000009", "RT @mika_k: @brand great coffee", author=user("777", "fan", "Fan"),
               retweeted_status=original)
    batch = parse({"for_user_id": BRAND_ID, "tweet_create_events": [rt]})
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("retweet", "1787000000000000009")]


def test_given_japanese_text_when_parsing_then_language_is_ja():
    [event] = parse({"tweet_create_events": [tweet("1787000000000000010", "@brand 注文が届きません")]}).events
    assert event.message.language == "ja"


# --- direct messages -------------------------------------------------------------------


def test_given_an_incoming_dm_when_parsing_then_a_direct_message_with_sorted_conversation_id():
    payload = {"for_user_id": BRAND_ID, "direct_message_events": [dm("1787100000000000001", "9001", BRAND_ID,
                                                                      "Refund please &amp; quickly")],
               "users": USERS}
    [event] = parse(payload).events
    message = event.message
    assert event.kind is EventKind.NEW
    assert message.id == "x:1787100000000000001"
    assert message.channel is Channel.DIRECT_MESSAGE
    assert message.text == "Refund please & quickly"
    assert (message.author.id, message.author.handle, message.author.name) == ("9001", "mika_k", "Mika K")
    assert message.conversation_id == f"x:dm:{BRAND_ID}-9001"  # string order, whoever sent it
    assert message.created_at == datetime(2024, 5, 6, 3, 13, 20, 456000, tzinfo=timezone.utc)


def test_given_a_dm_from_a_user_missing_from_users_when_parsing_then_author_has_only_the_id():
    [event] = parse({"direct_message_events": [dm("1787100000000000002", "5555", BRAND_ID, "hi")]}).events
    assert (event.message.author.id, event.message.author.handle, event.message.author.name) == ("5555", None, None)


def test_given_a_dm_sent_by_the_brand_when_parsing_then_an_outbound_dm_in_the_customers_conversation():
    # GIVEN the customer's DM and the brand's answer, each as X delivers it to the brand's webhook
    inbound = parse({"for_user_id": BRAND_ID, "users": USERS,
                     "direct_message_events": [dm("1787100000000000008", "9001", BRAND_ID, "Refund?")]})
    batch = parse({"for_user_id": BRAND_ID, "users": USERS,
                   "direct_message_events": [dm("1787100000000000003", BRAND_ID, "9001", "We refunded you")]})
    # THEN the answer is a new outbound message by the brand, in the same conversation
    [event] = batch.events
    assert batch.skipped == [] and event.kind is EventKind.NEW and event.message_id == "x:1787100000000000003"
    message = event.message
    assert (message.direction, message.account, message.channel) == (OUTBOUND, BRAND_ID, Channel.DIRECT_MESSAGE)
    assert (message.author.id, message.author.handle, message.author.name) == (BRAND_ID, "brand", "Brand")
    assert message.conversation_id == inbound.events[0].message.conversation_id == f"x:dm:{BRAND_ID}-9001"
    assert inbound.events[0].message.direction == INBOUND


def _media(url: str) -> dict:
    return {"attachment": {"type": "media", "media": {
        "id": 1787099999999999999, "id_str": "1787099999999999999", "url": url, "type": "photo",
        "media_url_https": "https://pbs.twimg.com/dm_photo/1/abc.jpg", "display_url": "pic.twitter.com/x"}}}


def test_given_a_dm_with_only_an_attachment_link_when_parsing_then_skipped_as_no_text():
    event = dm("1787100000000000004", "9001", BRAND_ID, " https://t.co/Zz9Yy8Xx7W", **_media("https://t.co/Zz9Yy8Xx7W"))
    batch = parse({"for_user_id": BRAND_ID, "users": USERS, "direct_message_events": [event]})
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("no_text", "1787100000000000004")]


def test_given_a_dm_with_text_and_an_attachment_when_parsing_then_the_link_is_dropped():
    event = dm("1787100000000000005", "9001", BRAND_ID, "Broken lid https://t.co/Ab1", **_media("https://t.co/Ab1"))
    [result] = parse({"for_user_id": BRAND_ID, "users": USERS, "direct_message_events": [event]}).events
    assert result.message.text == "Broken lid"


def test_given_an_empty_dm_when_parsing_then_skipped_as_no_text():
    batch = parse({"direct_message_events": [dm("1787100000000000006", "9001", BRAND_ID, "")]})
    assert [s.reason for s in batch.skipped] == ["no_text"]


# --- deletions and other events ---------------------------------------------------------


def test_given_a_tweet_delete_event_when_parsing_then_a_remove_event():
    payload = {"for_user_id": BRAND_ID, "tweet_delete_events": [
        {"status": {"id": "1787000000000000001", "user_id": "9001"}, "timestamp_ms": "1714966000000"}]}
    [event] = parse(payload).events
    assert event.kind is EventKind.REMOVE
    assert event.message_id == "x:1787000000000000001"
    assert event.message is None


@pytest.mark.parametrize("created", [
    tweet("1787000000000000011", "@brand still no refund", in_reply_to_status_id_str="1786000000000000000",
          in_reply_to_user_id_str=BRAND_ID),  # a reply to the brand
    tweet("1787000000000000012", "look what @brand did", quoted_status_id_str="1786000000000000001",
          is_quote_status=True),  # a quote tweet mentioning it
])
def test_given_a_stored_reply_or_quote_deleted_on_x_when_parsing_then_the_removal_names_that_same_message(created):
    # GIVEN the message id a reply or quote tweet was stored under
    [stored] = parse({"for_user_id": BRAND_ID, "tweet_create_events": [created]}).events
    # WHEN X tells of its deletion (the status id as a string, or as a JSON number as v1.1 also writes ids)
    for status_id in (created["id_str"], created["id"]):
        [removal] = parse({"for_user_id": BRAND_ID, "tweet_delete_events": [
            {"status": {"id": status_id, "user_id": "9001"}, "timestamp_ms": "1714966000000"}]}).events
        # THEN the removal is for that very message, so its text is erased (tests/test_platform_deletions.py)
        assert (removal.kind, removal.message_id) == (EventKind.REMOVE, stored.message_id)


def test_given_a_dm_event_other_than_message_create_when_parsing_then_skipped_x_sends_no_dm_deletion():
    # X's Account Activity API lists no DM deletion among its activities (a DM deleted on X is gone only for
    # whoever deleted it): DMs stay here until a customer erasure. Should an event of another type ever come
    # (this type name is made up), it is skipped, never taken for a removal.
    batch = parse({"for_user_id": BRAND_ID, "direct_message_events": [
        {"type": "message_delete", "id": "1787100000000000099", "created_timestamp": "1714965200456"}]})
    assert batch.events == [] and [s.reason for s in batch.skipped] == ["unsupported_dm:message_delete"]


@pytest.mark.parametrize("name,events", [
    ("favorite_events", [{"id": "a1", "created_at": "Mon May 06 03:12:45 +0000 2024",
                          "favorited_status": {"id_str": "1"}, "user": {"id_str": "9001"}}]),
    ("follow_events", [{"type": "follow", "created_timestamp": "1714965165123",
                        "target": {"id": BRAND_ID}, "source": {"id": "9001"}}]),
    ("direct_message_indicate_typing_events", [{"created_timestamp": "1714965165123", "sender_id": "9001",
                                                "target": {"recipient_id": BRAND_ID}}]),
    ("direct_message_mark_read_events", [{"created_timestamp": "1714965165123", "sender_id": "9001",
                                          "target": {"recipient_id": BRAND_ID},
                                          "last_read_event_id": "1787100000000000001"}]),
    ("block_events", [{"type": "block", "created_timestamp": "1714965165123"}]),
])
def test_given_an_unsupported_event_array_when_parsing_then_one_skip_names_it(name, events):
    batch = parse({"for_user_id": BRAND_ID, name: events, "users": USERS})
    assert batch.events == []
    assert [s.reason for s in batch.skipped] == [f"unsupported_event:{name}"]


def test_given_non_event_top_level_keys_when_parsing_then_they_are_ignored():
    batch = parse({"for_user_id": BRAND_ID, "user_has_blocked": False, "apps": {"1": {"name": "app"}}})
    assert batch.events == [] and batch.skipped == []


def test_given_several_events_in_one_post_when_parsing_then_all_are_returned_in_order():
    payload = {
        "for_user_id": BRAND_ID,
        "users": USERS,
        "tweet_create_events": [
            tweet("1787000000000000011", "@brand first"),
            tweet("1787000000000000012", "@mika_k our reply", author=user(BRAND_ID, "brand", "Brand")),
            tweet("1787000000000000013", "@brand second"),
        ],
        "direct_message_events": [dm("1787100000000000007", "9001", BRAND_ID, "and a DM")],
        "tweet_delete_events": [{"status": {"id": "1787000000000000000", "user_id": "9001"}}],
        "favorite_events": [{"id": "f"}],
    }
    batch = parse(payload)
    assert [(e.kind, e.message_id) for e in batch.events] == [
        (EventKind.NEW, "x:1787000000000000011"),
        (EventKind.NEW, "x:1787000000000000013"),
        (EventKind.NEW, "x:1787100000000000007"),
        (EventKind.REMOVE, "x:1787000000000000000"),
    ]
    assert sorted(s.reason for s in batch.skipped) == ["own_post", "unsupported_event:favorite_events"]


# --- bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"{", b"not json", b"\xff\xfe\x00garbage", b'{"a": 1,}'])
def test_given_malformed_json_when_parsing_then_bad_request_malformed_json(body):
    with pytest.raises(BadRequest) as caught:
        adapter.parse(WebhookRequest(body=body, headers={}))
    assert caught.value.code == "malformed_json"


@pytest.mark.parametrize("payload", [
    [],
    "tweet",
    {"tweet_create_events": {"id_str": "1"}},
    {"tweet_create_events": [{"id_str": "1", "text": "no user", "timestamp_ms": "1714965165123"}]},
    {"tweet_create_events": [{"text": "no id", "user": {"id_str": "1"}, "timestamp_ms": "1714965165123"}]},
    {"tweet_create_events": [{"id_str": "1", "text": "no time", "user": {"id_str": "1"}}]},
    {"tweet_create_events": [{"id_str": "1", "text": "bad time", "user": {"id_str": "1"}, "timestamp_ms": "soon"}]},
    {"tweet_create_events": [{"id_str": "1", "text": "bad date", "user": {"id_str": "1"}, "created_at": "yesterday"}]},
    {"tweet_create_events": [{"id_str": "1", "text": "huge", "user": {"id_str": "1"}, "timestamp_ms": 10**30}]},
    {"tweet_create_events": [{"id_str": 1.5, "text": "float id", "user": {"id_str": "1"}, "timestamp_ms": 1}]},
    {"direct_message_events": [{"type": "message_create", "id": "1", "created_timestamp": "1",
                                "message_create": {"target": {}, "sender_id": "1", "message_data": {"text": "x"}}}]},
    {"direct_message_events": [{"type": "message_create", "id": "1"}]},
    {"tweet_delete_events": [{"status": {}}]},
    {"users": ["9001"]},
])
def test_given_a_wrong_shape_when_parsing_then_invalid_payload(payload):
    with pytest.raises(InvalidPayload) as caught:
        parse(payload)
    assert caught.value.status == 400


# --- properties ------------------------------------------------------------------------

KEYS = ["for_user_id", "tweet_create_events", "direct_message_events", "tweet_delete_events", "users",
        "favorite_events", "id", "id_str", "text", "truncated", "extended_tweet", "full_text", "user",
        "screen_name", "name", "in_reply_to_status_id_str", "in_reply_to_user_id_str", "retweeted_status",
        "timestamp_ms", "created_at",
        "type", "created_timestamp", "message_create", "target", "recipient_id", "sender_id", "message_data",
        "attachment", "media", "url", "status", "user_id"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
    ["message_create", "1714965165123", "Mon May 06 03:12:45 +0000 2024", "9001", "&amp;"])
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_given_any_json_value_when_parsing_then_a_batch_or_an_api_error(value):
    try:
        result = adapter.parse(WebhookRequest(body=json.dumps(value).encode(), headers={}))
    except ApiError:
        return
    assert isinstance(result, Batch)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_given_any_bytes_when_parsing_then_a_batch_or_an_api_error(body):
    try:
        result = adapter.parse(WebhookRequest(body=body, headers={}))
    except ApiError:
        return
    assert isinstance(result, Batch)


def _paths(value, prefix=()):
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


TEMPLATE = {
    "for_user_id": BRAND_ID,
    "users": USERS,
    "tweet_create_events": [tweet("1787000000000000020", "@brand hi &amp; bye", in_reply_to_status_id_str="1",
                                  truncated=True, extended_tweet={"full_text": "@brand full"})],
    "direct_message_events": [
        dm("1787100000000000020", "9001", BRAND_ID, "x https://t.co/a", **_media("https://t.co/a")),
    ],
    "tweet_delete_events": [{"status": {"id": "1787000000000000000", "user_id": "9001"}}],
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(_paths(TEMPLATE))[1:]), json_values)
def test_given_a_valid_payload_with_one_field_replaced_by_any_json_when_parsing_then_batch_or_api_error(path, value):
    payload = json.loads(json.dumps(TEMPLATE))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        result = parse(payload)
    except ApiError:
        return
    assert isinstance(result, Batch)
