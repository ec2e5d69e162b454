"""GenericAdapter: timestamped HMAC signature and our own documented message format."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import ApiError, BadRequest, InvalidPayload, InvalidSignature
from chalicelib.models import Channel, EventKind
from chalicelib.platforms.base import RESERVED_SOURCES, Batch, WebhookRequest
from chalicelib.platforms.generic import GenericAdapter

SECRET = "generic-secret-for-tests"
NOW = 1714965165
adapter = GenericAdapter(clock=lambda: NOW + 0.25)


def secrets(name: str) -> str:
    assert name == "GENERIC_WEBHOOK_SECRET"
    return SECRET


def signed(body: bytes, timestamp: str = str(NOW), secret: str = SECRET) -> WebhookRequest:
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return WebhookRequest(body=body, headers={"x-timestamp": timestamp, "x-signature": f"sha256={signature}"})


def item(**overrides: object) -> dict:
    base = {
        "source": "linkedin",
        "id": "7191234567890",
        "channel": "comment",
        "author": {"id": "urn:li:person:abc123", "handle": "aiko-t", "name": "Aiko Tanaka"},
        "text": "Is the spring menu vegan?",
        "created_at": "2024-05-01T09:30:00+09:00",
    }
    return {**base, **overrides}


def parse(payload: object) -> Batch:
    return adapter.parse(WebhookRequest(body=json.dumps(payload).encode(), headers={}))


# --- signature -------------------------------------------------------------------------


def test_given_a_correctly_signed_fresh_request_when_verifying_then_it_passes():
    adapter.verify(signed(b'{"messages": []}'), secrets)


@pytest.mark.parametrize("skew", [-300, 300])
def test_given_a_timestamp_exactly_300_seconds_off_when_verifying_then_it_still_passes(skew):
    at_limit = GenericAdapter(clock=lambda: NOW + skew)
    at_limit.verify(signed(b"{}"), secrets)


@pytest.mark.parametrize("skew", [-301, 301, -86400, 10**9])
def test_given_a_timestamp_more_than_300_seconds_off_when_verifying_then_stale(skew):
    with pytest.raises(InvalidSignature) as caught:
        GenericAdapter(clock=lambda: NOW + skew).verify(signed(b"{}"), secrets)
    assert caught.value.code == "stale_timestamp"
    assert caught.value.status == 401


@pytest.mark.parametrize("timestamp", [None, "", "abc", "1714965165.5", "-1714965165", " 1714965165", "1_714_965_165",
                                       "١٧١٤٩٦٥١٦٥", "9" * 5000])
def test_given_a_missing_or_non_integer_timestamp_when_verifying_then_missing_timestamp(timestamp):
    request = signed(b"{}")
    headers = {k: v for k, v in request.headers.items() if k != "x-timestamp"}
    if timestamp is not None:
        headers["x-timestamp"] = timestamp
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(WebhookRequest(body=b"{}", headers=headers), secrets)
    assert caught.value.code == "missing_timestamp"


def test_given_a_signature_from_another_secret_when_verifying_then_invalid_signature():
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(signed(b"{}", secret="wrong"), secrets)
    assert caught.value.code == "invalid_signature"


def test_given_a_tampered_body_when_verifying_then_invalid_signature():
    request = signed(b'{"text": "a"}')
    with pytest.raises(InvalidSignature):
        adapter.verify(WebhookRequest(body=b'{"text": "b"}', headers=request.headers), secrets)


def test_given_a_signature_replayed_with_a_new_timestamp_when_verifying_then_invalid_signature():
    old = signed(b"{}", timestamp=str(NOW - 3600))
    replay = WebhookRequest(body=b"{}", headers={**old.headers, "x-timestamp": str(NOW)})
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(replay, secrets)
    assert caught.value.code == "invalid_signature"


def test_given_a_signature_over_the_body_alone_when_verifying_then_invalid_signature():
    body_only = "sha256=" + hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    request = WebhookRequest(body=b"{}", headers={"x-timestamp": str(NOW), "x-signature": body_only})
    with pytest.raises(InvalidSignature):
        adapter.verify(request, secrets)


def test_given_no_signature_header_when_verifying_then_missing_signature():
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(WebhookRequest(body=b"{}", headers={"x-timestamp": str(NOW)}), secrets)
    assert caught.value.code == "missing_signature"


# --- parsing ---------------------------------------------------------------------------


def test_given_a_single_message_object_when_parsing_then_one_new_message():
    [event] = parse(item(parent_id="7191234500000", thread_id="urn:li:activity:7190000000000",
                         conversation_id="c-9")).events
    assert event.kind is EventKind.NEW
    assert event.message_id == "linkedin:7191234567890"
    m = event.message
    assert (m.id, m.platform, m.channel) == ("linkedin:7191234567890", "linkedin", Channel.COMMENT)
    assert (m.author.id, m.author.handle, m.author.name) == ("urn:li:person:abc123", "aiko-t", "Aiko Tanaka")
    assert m.text == "Is the spring menu vegan?"
    assert m.created_at == datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)
    assert m.parent_id == "linkedin:7191234500000"
    assert m.thread_id == "linkedin:urn:li:activity:7190000000000"
    assert m.conversation_id == "linkedin:c-9"
    assert m.language == "en"


def test_given_only_required_fields_when_parsing_then_optional_ids_are_none():
    body = item()
    del body["author"]["handle"], body["author"]["name"]
    [event] = parse(body).events
    m = event.message
    assert (m.author.handle, m.author.name) == (None, None)
    assert (m.parent_id, m.thread_id, m.conversation_id) == (None, None, None)


def test_given_an_account_when_parsing_then_the_message_names_it_as_given():
    # GIVEN a poller naming the brand's page the comment was written on
    [event] = parse(item(account="urn:li:organization:2414183")).events
    # THEN the account is kept as sent (not prefixed: it names the brand's account, not a message)
    assert event.message.account == "urn:li:organization:2414183"
    assert event.message.direction == "inbound"
    assert parse(item()).events[0].message.account is None  # optional, as before


@pytest.mark.parametrize("account", ["", "a" * 201, 42, ["p"]])
def test_given_an_account_that_is_not_an_id_when_parsing_then_invalid_payload(account):
    with pytest.raises(InvalidPayload) as caught:
        parse(item(account=account))
    assert "account" in caught.value.message


def test_given_a_thread_id_without_a_conversation_id_when_parsing_then_no_conversation_is_made_up():
    [event] = parse(item(thread_id="urn:li:activity:7190000000000", parent_id="7191234500000")).events
    m = event.message
    assert (m.thread_id, m.parent_id, m.conversation_id) == ("linkedin:urn:li:activity:7190000000000",
                                                             "linkedin:7191234500000", None)


def test_the_account_field_is_documented_in_the_payload_schema():
    from app import routes
    from chalicelib import openapi

    schema = openapi.build(routes.operations)["components"]["schemas"]["GenericMessage"]
    account = schema["properties"]["account"]
    assert "account" not in schema.get("required", [])
    assert "brand's account" in account["description"]


def test_given_a_messages_envelope_when_parsing_then_every_item_in_order():
    payload = {"messages": [
        item(source="tiktok", id="v1c1", text="この色はまだありますか"),
        item(source="youtube", id="Ugx1", channel="reply", parent_id="Ugx0", action="edit", text="edited text"),
        item(source="zapier_forms", id="r-77", channel="direct_message", action="remove", text=""),
    ]}
    batch = parse(payload)
    assert batch.skipped == []
    assert [(e.kind, e.message_id) for e in batch.events] == [
        (EventKind.NEW, "tiktok:v1c1"),
        (EventKind.EDIT, "youtube:Ugx1"),
        (EventKind.REMOVE, "zapier_forms:r-77"),
    ]
    assert batch.events[0].message.language == "ja"
    assert batch.events[1].message.text == "edited text"
    assert batch.events[1].message.parent_id == "youtube:Ugx0"
    assert batch.events[2].message is None


@pytest.mark.parametrize("action, kind", [
    ("remove", EventKind.REMOVE),  # deleted at the source: erased here (tests/test_platform_deletions.py)
    ("hide", EventKind.HIDE),  # hidden there, still there: out of the queues, its text kept
    ("unhide", EventKind.UNHIDE),
])
def test_given_what_became_of_a_message_at_the_source_when_parsing_then_its_visibility_event(action, kind):
    # GIVEN a source telling that one of its messages was deleted, hidden or shown again, with no text
    [event] = parse(item(source="youtube", id="Ugx9", action=action, text="")).events
    # THEN the event names the message and carries no message to store
    assert (event.kind, event.message_id, event.message) == (kind, "youtube:Ugx9", None)


@pytest.mark.parametrize("channel", [c.value for c in Channel])
def test_given_each_documented_channel_when_parsing_then_it_is_kept(channel):
    assert parse(item(channel=channel)).events[0].message.channel is Channel(channel)


@pytest.mark.parametrize("created_at,expected", [
    ("2024-05-01T00:30:00Z", datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)),
    ("2024-04-30T20:30:00-04:00", datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)),
    ("2024-05-01T00:30:00.250+00:00", datetime(2024, 5, 1, 0, 30, 0, 250000, tzinfo=timezone.utc)),
    ("2024-05-01T00:30:00", datetime(2024, 5, 1, 0, 30, tzinfo=timezone.utc)),  # naive = UTC
])
def test_given_iso_timestamps_when_parsing_then_created_at_is_utc(created_at, expected):
    assert parse(item(created_at=created_at)).events[0].message.created_at == expected


def test_given_100_messages_when_parsing_then_all_are_accepted():
    batch = parse({"messages": [item(id=f"m{i}") for i in range(100)]})
    assert len(batch.events) == 100
    assert len({e.message_id for e in batch.events}) == 100


# --- bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"{", b"messages: []", b"\x80\x81", b'{"messages": [}'])
def test_given_malformed_json_when_parsing_then_bad_request_malformed_json(body):
    with pytest.raises(BadRequest) as caught:
        adapter.parse(WebhookRequest(body=body, headers={}))
    assert caught.value.code == "malformed_json"


@pytest.mark.parametrize("payload", [
    [],
    [item()],
    "hello",
    {},
    {"messages": []},
    {"messages": [item(id=f"m{i}") for i in range(101)]},
    {"messages": item()},
    {"messages": [item()], "extra": 1},
    item(unexpected="field"),
    item(author={"id": "1", "avatar": "https://example.com/a.png"}),
    item(author={"handle": "no-id"}),
    item(author={"id": ""}),
    item(source="LinkedIn"),
    item(source="-linkedin"),
    item(source="linked in"),
    item(source="a" * 33),
    item(source=""),
    item(id=""),
    item(id="x" * 201),
    item(id=12345),
    item(parent_id=""),
    item(thread_id="t" * 201),
    item(channel="story"),
    item(action="delete"),
    item(text=""),
    item(text="   "),
    item(action="edit", text=""),
    item(text=None),
    item(created_at=1714965165),
    item(created_at="1714965165"),
    item(created_at="2024-05-01"),
    item(created_at="yesterday"),
    item(created_at="2024-13-01T00:00:00Z"),
    item(created_at="0001-01-01T00:00:00+01:00"),  # out of range once moved to UTC
])
def test_given_a_wrong_shape_when_parsing_then_invalid_payload(payload):
    with pytest.raises(InvalidPayload) as caught:
        parse(payload)
    assert caught.value.status == 400
    assert caught.value.code == "invalid_payload"


def test_given_missing_required_fields_when_parsing_then_invalid_payload_names_the_field():
    body = item()
    del body["created_at"]
    with pytest.raises(InvalidPayload) as caught:
        parse(body)
    assert "created_at" in caught.value.message


# --- properties ------------------------------------------------------------------------

KEYS = ["messages", "source", "id", "channel", "author", "handle", "name", "text", "created_at", "parent_id",
        "thread_id", "conversation_id", "account", "action"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
    ["linkedin", "comment", "remove", "edit", "2024-05-01T09:30:00+09:00", "9999-12-31T23:59:59-14:00"])
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=8),
    max_leaves=40,
)


def _outcome(body: bytes) -> Batch | None:
    try:
        result = adapter.parse(WebhookRequest(body=body, headers={}))
    except ApiError:
        return None
    assert isinstance(result, Batch)
    return result


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_given_any_json_value_when_parsing_then_a_batch_or_an_api_error(value):
    _outcome(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_given_any_bytes_when_parsing_then_a_batch_or_an_api_error(body):
    _outcome(body)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(KEYS[1:]) + ["author.id", "author.handle", "author.name"]), json_values)
def test_given_a_valid_message_with_one_field_replaced_by_any_json_when_parsing_then_batch_or_api_error(field, value):
    body = item(parent_id="p", thread_id="t", conversation_id="c", account="a", action="new")
    if field.startswith("author."):
        body["author"][field.split(".")[1]] = value
    else:
        body[field] = value
    _outcome(json.dumps(body).encode())


valid_items = st.fixed_dictionaries({
    "source": st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,31}\Z").filter(lambda s: s not in RESERVED_SOURCES),
    "id": st.text(min_size=1, max_size=200),
    "channel": st.sampled_from([c.value for c in Channel]),
    "author": st.fixed_dictionaries({"id": st.text(min_size=1, max_size=200)}),
    "text": st.text(min_size=1).filter(str.strip),
    "created_at": st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)).map(
        lambda d: d.isoformat(timespec="seconds") + "Z"),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_items, min_size=1, max_size=5))
def test_given_any_documented_valid_batch_when_parsing_then_one_new_event_per_item(items):
    batch = _outcome(json.dumps({"messages": items}).encode())
    assert batch is not None
    assert [e.message_id for e in batch.events] == [f"{i['source']}:{i['id']}" for i in items]
    assert all(e.kind is EventKind.NEW and e.message.text == i["text"] for e, i in zip(batch.events, items))
