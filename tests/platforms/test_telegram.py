"""TelegramAdapter: secret-token check and Bot API `Update` payloads (one Update per POST)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import ApiError, BadRequest, InvalidPayload, InvalidSignature
from chalicelib.models import Channel, EventKind
from chalicelib.platforms.base import Batch, WebhookRequest
from chalicelib.platforms.telegram import TelegramAdapter

SECRET = "tg-secret-token_for-tests-0123"
adapter = TelegramAdapter()

CUSTOMER = {"id": 48151623, "is_bot": False, "first_name": "Hana", "last_name": "Sato", "username": "hanasato",
            "language_code": "ja"}
PRIVATE = {"id": 48151623, "first_name": "Hana", "last_name": "Sato", "username": "hanasato", "type": "private"}
GROUP = {"id": -1001987654321, "title": "Brand Fans", "username": "brandfans", "type": "supergroup"}
CHANNEL = {"id": -1001122334455, "title": "Brand News", "username": "brandnews", "type": "channel"}


def secrets(name: str) -> str:
    assert name == "TELEGRAM_SECRET_TOKEN"
    return SECRET


def message(message_id: int, chat: dict, text: str | None = "hello", **extra: object) -> dict:
    msg = {"message_id": message_id, "from": CUSTOMER, "chat": chat, "date": 1714965165, **extra}
    if text is not None:
        msg["text"] = text
    return msg


def update(**fields: object) -> dict:
    return {"update_id": 731000001, **fields}


def parse(payload: object) -> Batch:
    return adapter.parse(WebhookRequest(body=json.dumps(payload).encode(), headers={}))


# --- secret token ----------------------------------------------------------------------


def test_given_the_configured_token_when_verifying_then_it_passes():
    adapter.verify(WebhookRequest(body=b"{}", headers={"x-telegram-bot-api-secret-token": SECRET}), secrets)


def test_given_a_different_token_when_verifying_then_invalid_signature():
    request = WebhookRequest(body=b"{}", headers={"x-telegram-bot-api-secret-token": SECRET + "x"})
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(request, secrets)
    assert caught.value.code == "invalid_signature"
    assert caught.value.status == 401


def test_given_no_token_header_when_verifying_then_missing_signature():
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(WebhookRequest(body=b"{}", headers={}), secrets)
    assert caught.value.code == "missing_signature"


def test_given_telegram_then_there_is_no_get_handshake():
    with pytest.raises(ApiError) as caught:
        adapter.handshake(WebhookRequest(body=b"", headers={}), secrets)
    assert caught.value.status == 403


# --- messages --------------------------------------------------------------------------


def test_given_a_private_text_message_when_parsing_then_a_new_direct_message():
    batch = parse(update(message=message(41, PRIVATE, "Where is my order #1234?")))

    assert batch.skipped == []
    [event] = batch.events
    assert event.kind is EventKind.NEW
    assert event.message_id == "telegram:48151623:41"
    m = event.message
    assert m.id == "telegram:48151623:41"
    assert m.platform == "telegram"
    assert m.channel is Channel.DIRECT_MESSAGE
    assert m.text == "Where is my order #1234?"
    assert (m.author.id, m.author.handle, m.author.name) == ("48151623", "hanasato", "Hana Sato")
    assert m.conversation_id == "telegram:48151623"  # a private chat is one conversation
    assert (m.account, m.direction) == ("bot", "inbound")
    assert m.created_at == datetime(2024, 5, 6, 3, 12, 45, tzinfo=timezone.utc)
    assert m.parent_id is None
    assert m.language == "en"


def test_given_the_same_message_id_in_two_chats_when_parsing_then_ids_differ():
    first = parse(update(message=message(7, PRIVATE))).events[0].message_id
    second = parse(update(message=message(7, GROUP))).events[0].message_id
    assert first == "telegram:48151623:7"
    assert second == "telegram:-1001987654321:7"


def test_given_an_author_without_last_name_or_username_when_parsing_then_name_is_the_first_name():
    msg = message(42, PRIVATE, **{"from": {"id": 5, "is_bot": False, "first_name": "Ken"}})
    [event] = parse(update(message=msg)).events
    assert (event.message.author.id, event.message.author.handle, event.message.author.name) == ("5", None, "Ken")


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
def test_given_a_group_message_without_reply_when_parsing_then_a_comment(chat_type):
    [event] = parse(update(message=message(100, {**GROUP, "type": chat_type}, "Is the shop open today?"))).events
    assert event.message.channel is Channel.COMMENT
    assert event.message.parent_id is None
    # a whole group is not one conversation: its messages are grouped by their reply chain
    assert event.message.conversation_id is None
    assert event.message.account == "bot"


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
def test_given_a_group_reply_when_parsing_then_a_reply_with_parent_in_the_same_chat(chat_type):
    chat = {**GROUP, "type": chat_type}
    replied = message(99, chat, "Opening hours changed", **{"from": {"id": 1, "is_bot": False, "first_name": "Admin"}})
    [event] = parse(update(message=message(101, chat, "Since when?", reply_to_message=replied))).events
    assert event.message.channel is Channel.REPLY
    assert event.message.parent_id == "telegram:-1001987654321:99"
    assert event.message.conversation_id is None


def test_given_a_forum_topic_message_when_parsing_then_thread_id_is_the_topic():
    msg = message(102, GROUP, "topic question", message_thread_id=55, is_topic_message=True)
    [event] = parse(update(message=msg)).events
    assert event.message.thread_id == "telegram:-1001987654321:55"
    assert event.message.conversation_id is None


def test_given_a_channel_post_when_parsing_then_a_post_authored_by_the_channel():
    post = {"message_id": 300, "sender_chat": CHANNEL, "chat": CHANNEL, "date": 1714965165,
            "text": "Spring menu is out!"}
    [event] = parse(update(channel_post=post)).events
    m = event.message
    assert event.kind is EventKind.NEW
    assert m.channel is Channel.POST
    assert m.id == "telegram:-1001122334455:300"
    assert (m.author.id, m.author.handle, m.author.name) == ("-1001122334455", "brandnews", "Brand News")
    assert (m.conversation_id, m.account) == (None, "bot")


def test_given_an_old_channel_post_without_sender_chat_when_parsing_then_the_chat_is_the_author():
    post = {"message_id": 301, "chat": CHANNEL, "date": 1714965165, "text": "old style"}
    [event] = parse(update(channel_post=post)).events
    assert event.message.author.id == "-1001122334455"


def test_given_an_edited_message_when_parsing_then_an_edit_with_the_new_text():
    edited = message(41, PRIVATE, "Where is my order #1235? (typo)", edit_date=1714965200)
    [event] = parse(update(edited_message=edited)).events
    assert event.kind is EventKind.EDIT
    assert event.message_id == "telegram:48151623:41"
    assert event.message.text == "Where is my order #1235? (typo)"
    assert event.message.conversation_id == "telegram:48151623"
    assert event.message.created_at == datetime(2024, 5, 6, 3, 12, 45, tzinfo=timezone.utc)


def test_given_an_edited_channel_post_when_parsing_then_an_edit_of_a_post():
    post = {"message_id": 300, "sender_chat": CHANNEL, "chat": CHANNEL, "date": 1714965165,
            "edit_date": 1714965300, "text": "Spring menu is out! (updated)"}
    [event] = parse(update(edited_channel_post=post)).events
    assert (event.kind, event.message.channel) == (EventKind.EDIT, Channel.POST)
    assert event.message.text == "Spring menu is out! (updated)"


def test_given_a_photo_with_caption_when_parsing_then_the_caption_is_the_text():
    photo = [{"file_id": "AgACAgQAAxkBAAIB", "file_unique_id": "AQAD", "file_size": 900, "width": 90, "height": 67}]
    [event] = parse(update(message=message(43, PRIVATE, None, photo=photo, caption="これ壊れてました"))).events
    assert event.message.text == "これ壊れてました"
    assert event.message.language == "ja"


def test_given_a_message_from_a_bot_when_parsing_then_skipped_as_bot():
    bot = {"id": 6000001, "is_bot": True, "first_name": "OrderBot", "username": "order_bot"}
    batch = parse(update(message=message(103, GROUP, "Order #1 shipped", **{"from": bot})))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("bot", "telegram:-1001987654321:103")]


CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
SOMEONES_CHANNEL = {"id": -1005550001111, "title": "Ken's reviews", "username": "kenreviews", "type": "channel"}


def test_given_someone_posting_as_their_channel_when_parsing_then_triaged_with_the_channel_as_author():
    # GIVEN a group message sent on behalf of a channel: `from` is Telegram's placeholder bot
    msg = message(104, GROUP, "Is the spring sale on in stores too?", sender_chat=SOMEONES_CHANNEL,
                  **{"from": CHANNEL_BOT})
    # WHEN parsed
    [event] = parse(update(message=msg)).events
    # THEN it is a comment by that channel, not a skipped bot
    assert event.message.author.id == "-1005550001111" and event.message.author.handle == "kenreviews"
    assert event.message.channel == Channel.COMMENT


def test_given_the_groups_anonymous_admin_when_parsing_then_skipped_as_the_brands_own_voice():
    msg = message(105, GROUP, "Reminder: be kind to each other", sender_chat=GROUP, **{"from": GROUP_ANONYMOUS_BOT})
    batch = parse(update(message=msg))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("anonymous_admin", "telegram:-1001987654321:105")]


def test_given_the_linked_channels_post_mirrored_into_the_group_when_parsing_then_skipped():
    msg = message(106, GROUP, "New flavour out today!", sender_chat=CHANNEL, is_automatic_forward=True,
                  **{"from": {"id": 777000, "is_bot": False, "first_name": "Telegram"}})
    batch = parse(update(message=msg))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("automatic_forward", "telegram:-1001987654321:106")]


@pytest.mark.parametrize("content", [
    {"sticker": {"file_id": "CAACAgIAAxkBAAIC", "file_unique_id": "AgAD", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}},
    {"photo": [{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 67}]},
    {"new_chat_members": [CUSTOMER]},
])
def test_given_a_message_without_text_or_caption_when_parsing_then_skipped_as_no_text(content):
    batch = parse(update(message=message(44, GROUP, None, **content)))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [("no_text", "telegram:-1001987654321:44")]


@pytest.mark.parametrize("kind,body", [
    ("my_chat_member", {"chat": PRIVATE, "from": CUSTOMER, "date": 1714965165,
                        "old_chat_member": {"user": {"id": 1, "is_bot": True, "first_name": "B"}, "status": "member"},
                        "new_chat_member": {"user": {"id": 1, "is_bot": True, "first_name": "B"}, "status": "kicked",
                                            "until_date": 0}}),
    ("callback_query", {"id": "4382bfdwdsb323b2d9", "from": CUSTOMER, "chat_instance": "-1", "data": "track:1234"}),
    ("message_reaction", {"chat": GROUP, "message_id": 5, "date": 1714965165, "old_reaction": [],
                          "new_reaction": [{"type": "emoji", "emoji": "🔥"}]}),
    ("inline_query", {"id": "1", "from": CUSTOMER, "query": "menu", "offset": ""}),
])
def test_given_another_update_type_when_parsing_then_skipped_as_unsupported(kind, body):
    batch = parse(update(**{kind: body}))
    assert batch.events == []
    assert [(s.reason, s.ref) for s in batch.skipped] == [(f"unsupported_update:{kind}", "731000001")]


@pytest.mark.parametrize("kind,body", [
    ("business_message", {**message(45, PRIVATE), "business_connection_id": "AbCdEf012345"}),
    ("deleted_business_messages", {"business_connection_id": "AbCdEf012345", "chat": PRIVATE, "message_ids": [45]}),
])
def test_given_telegram_business_updates_when_parsing_then_skipped_none_is_stored_so_none_is_deleted(kind, body):
    # Telegram Business (a bot connected to a business account) is not handled: its messages are not stored, so
    # its deleted_business_messages (the only deletion Telegram sends a bot) has nothing to erase. Group and
    # private chats send a bot no deletions at all.
    batch = parse(update(**{kind: body}))
    assert batch.events == []
    assert [s.reason for s in batch.skipped] == [f"unsupported_update:{kind}"]


def test_given_an_update_with_only_an_id_when_parsing_then_skipped_as_unknown():
    assert [s.reason for s in parse(update()).skipped] == ["unsupported_update:unknown"]


# --- bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"{", b"update_id=1", b"\xc3\x28", b"[1,]"])
def test_given_malformed_json_when_parsing_then_bad_request_malformed_json(body):
    with pytest.raises(BadRequest) as caught:
        adapter.parse(WebhookRequest(body=body, headers={}))
    assert caught.value.code == "malformed_json"


@pytest.mark.parametrize("payload", [
    [],
    42,
    {"message": message(1, PRIVATE)},  # no update_id
    update(message="hello"),
    update(message={"message_id": 1, "date": 1714965165, "text": "no chat"}),
    update(message={**message(1, PRIVATE), "message_id": "one"}),
    update(message={**message(1, PRIVATE), "text": 5}),
    update(message={**message(1, PRIVATE), "date": -1}),
    update(message={**message(1, PRIVATE), "date": 10**20}),
    update(message=message(1, {"id": 1})),  # chat without type
    update(message=message(1, PRIVATE, **{"from": {"first_name": "no id"}})),
    update(edited_message=message(1, PRIVATE, reply_to_message={"text": "no id"})),
])
def test_given_a_wrong_shape_when_parsing_then_invalid_payload(payload):
    with pytest.raises(InvalidPayload) as caught:
        parse(payload)
    assert caught.value.status == 400


# --- properties ------------------------------------------------------------------------

KEYS = ["update_id", "message", "edited_message", "channel_post", "edited_channel_post", "my_chat_member",
        "message_id", "from", "sender_chat", "chat", "date", "text", "caption", "reply_to_message",
        "message_thread_id", "id", "type", "is_bot", "first_name", "last_name", "username", "title"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
    ["private", "group", "supergroup", "channel", "1714965165"])
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


def _paths(value, prefix=()):
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


TEMPLATE = update(message=message(5, GROUP, "hi", reply_to_message=message(4, GROUP, "earlier"), message_thread_id=3,
                                  sender_chat=CHANNEL))


def _outcome(payload_bytes: bytes) -> None:
    try:
        result = adapter.parse(WebhookRequest(body=payload_bytes, headers={}))
    except ApiError:
        return
    assert isinstance(result, Batch)
    assert len(result.events) + len(result.skipped) >= 1  # every Update is answered one way or the other


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_given_any_json_value_when_parsing_then_a_batch_or_an_api_error(value):
    _outcome(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_given_any_bytes_when_parsing_then_a_batch_or_an_api_error(body):
    _outcome(body)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(_paths(TEMPLATE))[1:]), json_values)
def test_given_a_valid_update_with_one_field_replaced_by_any_json_when_parsing_then_batch_or_api_error(path, value):
    payload = json.loads(json.dumps(TEMPLATE))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _outcome(json.dumps(payload).encode())
