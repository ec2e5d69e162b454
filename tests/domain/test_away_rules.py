"""domain.away: who gets the away message, once per closed period, in which words, and what a manager may save."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.away import AwayMessage, check_change, decide, idempotency_key
from chalicelib.domain.business_hours import parse
from chalicelib.domain.errors import AwayTextTooLong, BusinessHoursNotSet, InvalidRequest

UTC = timezone.utc
TOKYO = parse("mon-fri 09:00-18:00", "Asia/Tokyo", "2026-12-31")
FRIDAY_2300_JST = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)  # closed since Friday 18:00 (09:00 UTC)
MONDAY_1000_JST = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # open
ON = AwayMessage(enabled=True, text="Hi {{customer_name}}, we are closed; we answer from 09:00.",
                 translations={"ja": "{{customer_name}}様、営業時間外です。"}, rev=1)


def due(now=FRIDAY_2300_JST, received=None, **overrides):
    facts = dict(platform="messenger", channel="direct_message", direction="inbound", message_status="open",
                 received_at=received or now - timedelta(seconds=5), erased=False, head_status="open",
                 lease_expiry=None, last_reply_at=None, now=now)
    facts.update(overrides)
    schedule = facts.pop("schedule", TOKYO)
    return decide(facts.pop("away", ON), schedule, **facts)


def test_a_direct_message_after_closing_time_gets_it_for_the_closed_period():
    decision = due()
    assert decision.send and decision.period_start == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    # the whole weekend is one period: Sunday's message has the same key as Friday night's
    sunday = due(now=datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    assert idempotency_key(sunday.period_start) == idempotency_key(decision.period_start) == "away-20261204T090000Z"
    # the next night is another
    monday_night = due(now=datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    assert monday_night.send and monday_night.period_start == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("overrides, reason", [
    ({"now": MONDAY_1000_JST}, "open"),
    ({"received": FRIDAY_2300_JST - timedelta(hours=6)}, "stale"),  # and received while open
    ({"received": FRIDAY_2300_JST - timedelta(minutes=31)}, "stale"),
    ({"channel": "comment", "platform": "facebook"}, "not_a_direct_message"),
    ({"channel": "reply", "platform": "x"}, "not_a_direct_message"),
    ({"platform": "generic"}, "not_a_direct_message"),
    ({"direction": "outbound"}, "not_a_direct_message"),
    ({"message_status": "removed"}, "removed"),  # held back: its author is blocked
    ({"head_status": "removed"}, "removed"),
    ({"erased": True}, "removed"),
    ({"head_status": "claimed", "lease_expiry": FRIDAY_2300_JST + timedelta(minutes=5)}, "claimed"),
    ({"last_reply_at": FRIDAY_2300_JST - timedelta(minutes=20)}, "answered"),
    ({"away": AwayMessage(enabled=False, text="closed")}, "off"),
    ({"schedule": None}, "no_business_hours"),
    ({"is_rating": True, "head_status": "resolved"}, "rating"),  # an answer to the satisfaction survey asks nothing
])
def test_who_does_not_get_it(overrides, reason):
    decision = due(**overrides)
    assert not decision.send and decision.reason == reason


def test_a_lapsed_claim_or_an_answer_before_closing_does_not_stop_it():
    assert due(head_status="claimed", lease_expiry=FRIDAY_2300_JST - timedelta(minutes=1)).send
    assert due(last_reply_at=datetime(2026, 12, 4, 8, 0, tzinfo=UTC)).send  # answered at 17:00 in Tokyo


def test_the_words_follow_the_customers_language_and_name():
    assert ON.text_for("ja", "Aiko") == "Aiko様、営業時間外です。"
    assert ON.text_for("en", "@sam") == "Hi @sam, we are closed; we answer from 09:00."
    assert ON.text_for("es", None) == "Hi, we are closed; we answer from 09:00."  # no name: the token goes


def test_what_a_manager_may_save():
    check_change(True, "We are closed.", {}, TOKYO)
    check_change(False, "", {}, None)  # off: nothing is needed
    with pytest.raises(BusinessHoursNotSet):
        check_change(True, "We are closed.", {}, None)
    with pytest.raises(InvalidRequest):
        check_change(True, "   ", {}, TOKYO)
    # Instagram DMs take 1,000 UTF-8 bytes: 400 Japanese characters are 1,200
    with pytest.raises(AwayTextTooLong, match="instagram"):
        check_change(True, "We are closed.", {"ja": "閉" * 400}, TOKYO)
    # the name is counted at its longest
    with pytest.raises(AwayTextTooLong, match="50 characters"):
        check_change(True, "x" * 960 + "{{customer_name}}", {}, TOKYO)
    check_change(True, "x" * 940 + "{{customer_name}}", {}, TOKYO)
