"""GET /channels: managers and admins see each channel's last webhook, last send, token error and health flags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest

from chalicelib.config import get_settings
from chalicelib.store import channels, dynamo
from chalicelib.store.entities import iso
from support import call


@pytest.fixture
def settings(monkeypatch):
    """Set the stage's settings for the test (read again on the next request)."""
    def apply(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def by_channel(body) -> dict[tuple[str, str], dict]:
    return {(c["platform"], c["account"]): c for c in body["channels"]}


def test_only_managers_and_admins_see_the_channels(api, keys):
    for role in ("agent_cs", "agent_both"):
        status, body = call(api, "GET", "/channels", keys[role])
        assert status == 403 and body["error"]["code"]
    for role in ("manager", "admin"):
        assert call(api, "GET", "/channels", keys[role]) == (200, {"channels": []})
    assert call(api, "GET", "/channels")[0] == 401


def test_a_channel_with_a_recent_webhook_and_a_good_send_is_healthy(api, keys):
    now = datetime.now(timezone.utc)
    channels.record_webhook("facebook", "1234", now - timedelta(minutes=5))
    channels.record_send("facebook", "1234", now - timedelta(minutes=4), ok=True)
    status, body = call(api, "GET", "/channels", keys["manager"])
    assert status == 200
    assert body["channels"] == [{
        "platform": "facebook", "account": "1234", "last_webhook_at": iso(now - timedelta(minutes=5)),
        "last_send_at": iso(now - timedelta(minutes=4)), "last_send_ok": True, "last_send_error": None,
        "token_error": None, "token_error_since": None, "sends_ok": 1, "sends_failed": 0, "flags": [],
        "healthy": True}]


def test_a_send_that_failed_on_the_token_flags_the_channel_until_a_send_succeeds(api, keys):
    # GIVEN a channel receiving webhooks WHEN a reply through it fails on an expired token
    now = datetime.now(timezone.utc)
    channels.record_webhook("instagram", "1784", now - timedelta(minutes=5))
    channels.record_send("instagram", "1784", now - timedelta(minutes=3), ok=False, error_kind="token_invalid",
                         error_message="Error validating access token: Session has expired")
    # THEN the channel is flagged token_error, with the platform's error
    [channel] = call(api, "GET", "/channels", keys["manager"])[1]["channels"]
    assert channel["flags"] == ["token_error"] and channel["healthy"] is False
    assert channel["token_error"] == "token_invalid" and channel["token_error_since"] == iso(now - timedelta(minutes=3))
    assert channel["last_send_error"] == {"kind": "token_invalid",
                                          "message": "Error validating access token: Session has expired"}
    # WHEN a later send succeeds (the token was renewed) THEN it is healthy again
    channels.record_send("instagram", "1784", now - timedelta(minutes=1), ok=True)
    [channel] = call(api, "GET", "/channels", keys["manager"])[1]["channels"]
    assert channel["flags"] == [] and channel["token_error"] is None and channel["last_send_error"] is None
    assert (channel["sends_ok"], channel["sends_failed"]) == (1, 1)


def test_a_channel_without_webhooks_for_the_silence_window_is_flagged_silent(api, keys, settings):
    # GIVEN a 10-minute silence window, one channel quiet for 20 minutes and one heard a minute ago
    settings(CHANNEL_SILENCE_SECONDS="600")
    now = datetime.now(timezone.utc)
    channels.record_webhook("x", "42", now - timedelta(minutes=20))
    channels.record_webhook("x", "43", now - timedelta(minutes=1))
    # WHEN a manager looks THEN only the quiet one is silent
    listed = by_channel(call(api, "GET", "/channels", keys["admin"])[1])
    assert listed[("x", "42")]["flags"] == ["silent"] and listed[("x", "42")]["healthy"] is False
    assert listed[("x", "43")]["flags"] == [] and listed[("x", "43")]["healthy"] is True
    # AND with the default window (a day) both are healthy
    settings(CHANNEL_SILENCE_SECONDS="86400")
    assert all(c["healthy"] for c in call(api, "GET", "/channels", keys["admin"])[1]["channels"])


def test_configured_channels_are_listed_before_anything_reached_them(api, keys, settings):
    settings(CHANNELS="whatsapp:5678, telegram:bot")
    channels.record_webhook("telegram", "bot", datetime.now(timezone.utc))
    listed = by_channel(call(api, "GET", "/channels", keys["manager"])[1])
    assert list(listed) == [("telegram", "bot"), ("whatsapp", "5678")]
    assert listed[("whatsapp", "5678")] == {
        "platform": "whatsapp", "account": "5678", "last_webhook_at": None, "last_send_at": None,
        "last_send_ok": None, "last_send_error": None, "token_error": None, "token_error_since": None,
        "sends_ok": 0, "sends_failed": 0, "flags": ["never_received"], "healthy": False}
    assert listed[("telegram", "bot")]["healthy"] is True


def test_storage_unavailable_is_503_with_retry_after(api, keys):
    from botocore.exceptions import ClientError

    failure = ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "Query")
    with mock.patch.object(dynamo.client(), "query", side_effect=failure):
        response = api.http.get("/channels", headers=keys["manager"])
    assert response.status_code == 503 and response.headers.get("Retry-After")
