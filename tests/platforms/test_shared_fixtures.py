"""Conformance: every real captured payload under ../shared/fixtures/webhooks/ (skipped when absent).

Expectations name only what each payload should produce (a message and its channel, an edit, a
removal, or a skip reason); texts and ids are read from the fixture itself at run time, never copied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from chalicelib.models import EventKind
from chalicelib.platforms import WebhookRequest, get_adapter
from support import SHARED

FIXTURES = SHARED / "fixtures" / "webhooks"
ROUTE_BY_FOLDER = {"meta_page": "meta", "messenger": "meta", "instagram": "meta", "whatsapp": "meta",
                   "x_twitter": "x", "telegram": "telegram"}


def _wa_text(p):
    return p["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]


def _tg(key):
    return lambda p: p[key].get("text") or p[key].get("caption")


# file stem -> (kind or "skip", channel or skip reason, expected text from the payload or None)
EXPECTED = {
    "instagram/courier_dm_echo": ("skip", "echo", None),
    "instagram/courier_dm_text": ("new", "direct_message", lambda p: p["entry"][0]["messaging"][0]["message"]["text"]),
    "instagram/restfb_comment_2021": ("new", "reply", lambda p: p["entry"][0]["changes"][0]["value"]["text"]),
    "instagram/restfb_dm_seen": ("skip", "receipt:read", None),
    "instagram/restfb_mention": ("skip", "mention_without_text", None),
    "messenger/restfb_message_echo": ("skip", "echo", None),
    "messenger/restfb_message_image": ("skip", "no_text", None),
    "messenger/restfb_message_text": ("new", "direct_message", lambda p: p["entry"][0]["messaging"][0]["message"]["text"]),
    "meta_page/restfb_feed_comment_add": ("skip", "own_post", None),  # the Page commenting on its own post
    "meta_page/restfb_feed_comment_remove": ("remove", None, None),
    "meta_page/restfb_feed_two_entries": ("skip", "unsupported_field:", None),
    "telegram/courier_message_text": ("new", "direct_message", _tg("message")),
    "telegram/illemius_edited_message": ("edit", "direct_message", _tg("edited_message")),
    "telegram/illemius_photo_with_caption": ("new", "direct_message", _tg("message")),
    "telegram/zammad_my_chat_member_kicked": ("skip", "unsupported_update:my_chat_member", None),
    "whatsapp/pywa_message_image": ("skip", "no_text", None),
    "whatsapp/pywa_message_reaction": ("skip", "reaction", None),
    "whatsapp/pywa_signed_text": ("new", "direct_message", _wa_text),
    "whatsapp/pywa_status_sent": ("skip", "status:sent", None),
    "x_twitter/courier_dm_hello": ("new", "direct_message", None),  # text is HTML-unescaped: checked below
    "x_twitter/zammad_dm_incoming_gif": ("skip", "no_text", None),
    "x_twitter/zammad_tweet_reply": ("new", "reply", lambda p: p["tweet_create_events"][0]["text"]),
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
    if kind == "remove":
        assert event.message is None and event.message_id.startswith("facebook:")
        return
    message = event.message
    assert message.channel.value == detail
    assert message.id.split(":", 1)[0] == message.platform and message.author.id
    assert message.created_at.tzinfo is not None and message.text.strip()
    if text_of:
        assert message.text == text_of(payload)


def test_the_x_dm_text_is_html_unescaped():
    payload = json.loads((FIXTURES / "x_twitter" / "courier_dm_hello.json").read_bytes())
    raw = payload["direct_message_events"][0]["message_create"]["message_data"]["text"]
    [event] = get_adapter("x").parse(WebhookRequest(json.dumps(payload).encode(), {})).events
    assert "&amp;" in raw and event.message.text == raw.replace("&amp;", "&")
    sender = payload["direct_message_events"][0]["message_create"]["sender_id"]
    assert event.message.author.handle == payload["users"][sender]["screen_name"]


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
