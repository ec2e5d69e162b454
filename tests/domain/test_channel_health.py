"""The channel health rule: never received, silent, token error; configured channels listed even if never seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import channels
from chalicelib.domain.channels import NEVER_RECEIVED, SILENT, TOKEN_ERROR
from chalicelib.store.entities import iso

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
DAY = 86_400


@dataclass
class Seen:
    platform: str = "facebook"
    account: str = "1234"
    last_webhook_at: str | None = None
    token_error: str | None = None


def flags(record, silence_seconds=DAY):
    return channels.flags_of(record, NOW, timedelta(seconds=silence_seconds))


def test_a_channel_with_a_recent_webhook_and_no_token_error_is_healthy():
    # GIVEN a webhook an hour ago WHEN assessed THEN no flag
    [health] = channels.assess([Seen(last_webhook_at=iso(NOW - timedelta(hours=1)))], [], NOW, DAY)
    assert health.flags == () and health.healthy


def test_a_channel_no_webhook_reached_is_never_received_not_silent():
    assert flags(Seen()) == (NEVER_RECEIVED,)
    assert flags(None) == (NEVER_RECEIVED,)


def test_silent_once_the_last_webhook_is_older_than_the_window():
    # GIVEN the window is a day THEN exactly a day ago is still fine and a second more is silent
    assert flags(Seen(last_webhook_at=iso(NOW - timedelta(seconds=DAY)))) == ()
    assert flags(Seen(last_webhook_at=iso(NOW - timedelta(seconds=DAY + 1)))) == (SILENT,)
    # AND the window is the setting's
    assert flags(Seen(last_webhook_at=iso(NOW - timedelta(minutes=10))), silence_seconds=300) == (SILENT,)


def test_a_token_error_is_flagged_with_whatever_else_holds():
    assert flags(Seen(last_webhook_at=iso(NOW), token_error="token_invalid")) == (TOKEN_ERROR,)
    assert flags(Seen(token_error="permission_denied")) == (NEVER_RECEIVED, TOKEN_ERROR)


@pytest.mark.parametrize("kind, token", [("token_invalid", True), ("permission_denied", True), ("token_missing", True),
                                         ("rate_limited", False), ("recipient_unreachable", False), ("rejected", False),
                                         ("unavailable", False), ("timeout", False), (None, False)])
def test_only_token_and_permission_failures_are_token_errors(kind, token):
    assert channels.is_token_error(kind) is token


def test_configured_channels_are_listed_even_if_never_seen_and_once_if_seen():
    # GIVEN two configured channels, one of which was seen, and a seen channel nobody configured
    seen = [Seen("whatsapp", "5678", last_webhook_at=iso(NOW)), Seen("x", "42", last_webhook_at=iso(NOW))]
    configured = channels.parse_configured("facebook:1234, whatsapp:5678")
    # WHEN assessed
    report = channels.assess(seen, configured, NOW, DAY)
    # THEN every channel is listed once, by platform then account, the unseen one never_received
    assert [(h.platform, h.account, h.flags) for h in report] == [
        ("facebook", "1234", (NEVER_RECEIVED,)), ("whatsapp", "5678", ()), ("x", "42", ())]
    assert report[0].record is None and report[1].record is seen[0]


def test_the_setting_is_parsed_leniently_about_spaces_and_strictly_about_entries():
    assert channels.parse_configured(None) == [] and channels.parse_configured(" ") == []
    assert channels.parse_configured(" facebook:1 ,,telegram:bot,facebook:1") == [
        ("facebook", "1"), ("telegram", "bot")]
    assert channels.parse_configured("generic:urn:li:org:7") == [("generic", "urn:li:org:7")]  # the first colon splits
    for bad in ("facebook", "facebook:", ":1234", "facebook:1,x"):
        with pytest.raises(ValueError, match="platform:account"):
            channels.parse_configured(bad)
