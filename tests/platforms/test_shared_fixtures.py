"""Conformance: every real captured payload under ../shared/fixtures/webhooks/ (skipped when absent).

Expectations name only what each payload should produce (a message and its channel, an edit, a
removal, a delivery status, or a skip reason); texts and ids are read from the fixture itself at run
time, never copied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from chalicelib.models import INBOUND, OUTBOUND, EventKind
from chalicelib.platforms import WebhookRequest, get_adapter
from support import SHARED

FIXTURES = SHARED / "fixtures" / "webhooks"
ROUTE_BY_FOLDER = {"meta_page": "meta", "messenger": "meta", "instagram": "meta", "whatsapp": "meta",
                   "x_twitter": "x", "telegram": "telegram"}


def _wa_text(p):
    return p["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]


def _tg(key):
    return lambda p: p[key].get("text") or p[key].get("caption")


# file stem -> (kind or "skip", channel / delivery state / skip reason, expected text from the payload or None)
EXPECTED = {
    # an echo without text (an attachment the brand sent): nothing to store
    "instagram/courier_dm_echo": ("skip", "no_text", None),
    "instagram/courier_dm_text": ("new", "direct_message", lambda p: p["entry"][0]["messaging"][0]["message"]["text"]),
    "instagram/restfb_comment_2021": ("new", "reply", lambda p: p["entry"][0]["changes"][0]["value"]["text"]),
    "instagram/restfb_dm_seen": ("status", "read", None),
    "instagram/restfb_mention": ("skip", "mention_without_text", None),
    "messenger/restfb_message_echo": ("new", "direct_message",
                                      lambda p: p["entry"][0]["messaging"][0]["message"]["text"]),
    "messenger/restfb_message_image": ("skip", "no_text", None),
    "messenger/restfb_message_text": ("new", "direct_message", lambda p: p["entry"][0]["messaging"][0]["message"]["text"]),
    # the Page commenting on its own post: the brand's own reply, stored as outbound
    "meta_page/restfb_feed_comment_add": ("new", "comment", lambda p: p["entry"][0]["changes"][0]["value"]["message"]),
    "meta_page/restfb_feed_comment_remove": ("remove", None, None),
    "meta_page/restfb_feed_two_entries": ("skip", "unsupported_field:", None),
    "telegram/courier_message_text": ("new", "direct_message", _tg("message")),
    "telegram/illemius_edited_message": ("edit", "direct_message", _tg("edited_message")),
    "telegram/illemius_photo_with_caption": ("new", "direct_message", _tg("message")),
    "telegram/zammad_my_chat_member_kicked": ("skip", "unsupported_update:my_chat_member", None),
    "whatsapp/pywa_message_image": ("skip", "no_text", None),
    "whatsapp/pywa_message_reaction": ("skip", "reaction", None),
    "whatsapp/pywa_signed_text": ("new", "direct_message", _wa_text),
    "whatsapp/pywa_status_sent": ("status", "sent", None),
    "x_twitter/courier_dm_hello": ("new", "direct_message", None),  # text is HTML-unescaped: checked below
    "x_twitter/zammad_dm_incoming_gif": ("skip", "no_text", None),
    "x_twitter/zammad_tweet_reply": ("new", "reply", lambda p: p["tweet_create_events"][0]["text"]),
}
OUTBOUND_FIXTURES = {"messenger/restfb_message_echo", "meta_page/restfb_feed_comment_add"}


def _entry_id(payload: dict) -> str:
    return str(payload["entry"][0]["id"])


# the brand's account each folder's messages name
ACCOUNT_OF = {
    "meta_page": _entry_id, "messenger": _entry_id, "instagram": _entry_id,
    "whatsapp": lambda p: p["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"],
    "x_twitter": lambda p: p.get("for_user_id"),
    "telegram": lambda p: "bot",
}


pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"{FIXTURES} is not present")


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.json")) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_captured_payload_produces_what_the_platform_meant(path: Path):
    key = f"{path.parent.name}/{path.stem}"
    assert key in EXPECTED, f"new fixture {key}: add its expected outcome here"
    kind, detail, text_of = EXPECTED[key]
    payload = json.loads(path.read_bytes())
    batch = get_adapter(ROUTE_BY_FOLDER[path.parent.name]).parse(WebhookRequest(path.read_bytes(), {}))
    if kind == "skip":
        assert batch.events == []
        assert batch.skipped and all(s.reason.startswith(detail) for s in batch.skipped), batch.skipped
        return
    [event] = batch.events
    assert event.kind == EventKind(kind)
    if kind == "remove":  # the id its comment (or post) was stored under, so the deletion erases that one
        value = payload["entry"][0]["changes"][0]["value"]
        assert event.message is None and event.message_id == f"facebook:{value.get('comment_id') or value['post_id']}"
        return
    if kind == "status":
        assert event.message is None and event.status.state == detail
        assert event.message_id.split(":", 1)[0] == event.status.platform
        assert event.status.account == ACCOUNT_OF[path.parent.name](payload)
        return
    message = event.message
    assert message.channel.value == detail
    assert message.id.split(":", 1)[0] == message.platform and message.author.id
    assert message.created_at.tzinfo is not None and message.text.strip()
    assert message.account == ACCOUNT_OF[path.parent.name](payload)
    assert message.direction == (OUTBOUND if key in OUTBOUND_FIXTURES else INBOUND)
    if text_of:
        assert message.text == text_of(payload)


def test_the_x_dm_text_is_html_unescaped():
    payload = json.loads((FIXTURES / "x_twitter" / "courier_dm_hello.json").read_bytes())
    raw = payload["direct_message_events"][0]["message_create"]["message_data"]["text"]
    [event] = get_adapter("x").parse(WebhookRequest(json.dumps(payload).encode(), {})).events
    assert "&amp;" in raw and event.message.text == raw.replace("&amp;", "&")
    sender = payload["direct_message_events"][0]["message_create"]["sender_id"]
    assert event.message.author.handle == payload["users"][sender]["screen_name"]


def _parse(folder: str, stem: str):
    path = FIXTURES / folder / f"{stem}.json"
    return json.loads(path.read_bytes()), get_adapter(ROUTE_BY_FOLDER[folder]).parse(WebhookRequest(path.read_bytes(),
                                                                                                    {}))


def test_the_messenger_echo_is_in_the_same_conversation_as_the_customers_message():
    # GIVEN the captured text message and echo of one Messenger thread (the echo names the Page as recipient)
    text_payload, text_batch = _parse("messenger", "restfb_message_text")
    echo_payload, echo_batch = _parse("messenger", "restfb_message_echo")
    [inbound], [echo] = [e.message for e in text_batch.events], [e.message for e in echo_batch.events]
    page = _entry_id(echo_payload)
    customer = next(str(party["id"]) for party in (echo_payload["entry"][0]["messaging"][0]["sender"],
                                                    echo_payload["entry"][0]["messaging"][0]["recipient"])
                    if str(party["id"]) != page)
    # THEN both are in the conversation of that Page and that customer; the echo is the Page's, under its mid
    assert inbound.conversation_id == echo.conversation_id == f"messenger:{page}:{customer}"
    assert (echo.direction, echo.author.id, echo.account) == (OUTBOUND, page, page)
    assert echo.id == "messenger:" + echo_payload["entry"][0]["messaging"][0]["message"]["mid"]
    assert (inbound.direction, inbound.author.id) == (INBOUND, customer)


def test_the_whatsapp_sent_status_names_the_wamid_the_recipient_and_the_phone_number():
    payload, batch = _parse("whatsapp", "pywa_status_sent")
    raw = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    [event] = batch.events
    assert event.kind is EventKind.STATUS and event.message_id == f"whatsapp:{raw['id']}"
    status = event.status
    assert (status.platform, status.state, status.platform_message_id) == ("whatsapp", "sent", raw["id"])
    assert status.recipient_id == raw["recipient_id"]
    assert status.account == payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    assert status.at.timestamp() == int(raw["timestamp"]) and status.error is None


def test_the_instagram_seen_report_is_a_read_status_of_the_message_it_names():
    payload, batch = _parse("instagram", "restfb_dm_seen")
    messaging = payload["entry"][0]["messaging"][0]
    [event] = batch.events
    assert event.message_id == f"instagram:{messaging['read']['mid']}"
    assert (event.status.state, event.status.platform_message_id) == ("read", messaging["read"]["mid"])
    assert event.status.account == messaging["recipient"]["id"]
    assert event.status.recipient_id == messaging["sender"]["id"]


def test_the_pages_own_comment_is_an_outbound_message_on_its_post():
    payload, batch = _parse("meta_page", "restfb_feed_comment_add")
    value = payload["entry"][0]["changes"][0]["value"]
    [event] = batch.events
    message = event.message
    assert (message.direction, message.author.id, message.account) == (OUTBOUND, value["from"]["id"],
                                                                       _entry_id(payload))
    assert (message.parent_id, message.thread_id) == (f"facebook:{value['parent_id']}", f"facebook:{value['post_id']}")


def test_the_signed_whatsapp_body_verifies_and_is_stored_once(api, table, monkeypatch):
    """The README of shared/ gives this body's app secret and signature."""
    from support import message_items

    body = (FIXTURES / "whatsapp" / "pywa_signed_text.raw_body.txt").read_bytes()
    readme = (SHARED / "README.md").read_text()
    secret = re.search(r"app secret `([0-9a-f]+)`", readme).group(1)
    signature = re.search(r"`(sha256=[0-9a-f]{64})`", readme).group(1)
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    monkeypatch.setenv("META_APP_SECRET", secret)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
    for _ in range(2):  # the platform redelivers
        assert api.http.post("/webhooks/meta", body=body, headers=headers).status_code == 200
    [stored] = message_items(table)
    assert stored["platform"] == "whatsapp" and stored["text"] == _wa_text(json.loads(body))
