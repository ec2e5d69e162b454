"""Reply windows: when each platform still accepts a reply, and how a Send API reply is labelled."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import NoSender, OutsideReplyWindow
from chalicelib.domain.reply_windows import check_reply_window, reply_window

LAST = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)  # the customer's last message
DAY, WEEK, TICK = timedelta(hours=24), timedelta(days=7), timedelta(microseconds=1)
TOKYO, LIMA = timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))


@pytest.mark.parametrize("platform", ["messenger", "instagram"])
def test_a_dm_is_a_response_for_24_hours_then_human_agent_for_7_days_then_closed(platform):
    # GIVEN a DM whose customer last wrote at LAST
    # WHEN a person replies just before 24 h THEN it is a RESPONSE, answerable until the 7 days end
    early = reply_window(platform, "direct_message", LAST, LAST + DAY - TICK)
    assert (early.open, early.messaging_type, early.tag, early.closes_at) == (True, "RESPONSE", None, LAST + WEEK)
    # WHEN at exactly 24 h, and until just before 7 days THEN it is a MESSAGE_TAG with HUMAN_AGENT
    for now in (LAST + DAY, LAST + WEEK - TICK):
        tagged = reply_window(platform, "direct_message", LAST, now)
        assert (tagged.open, tagged.messaging_type, tagged.tag, tagged.closes_at) == \
            (True, "MESSAGE_TAG", "HUMAN_AGENT", LAST + WEEK)
    # WHEN at exactly 7 days THEN it is closed, and says when it closed
    closed = reply_window(platform, "direct_message", LAST, LAST + WEEK)
    assert (closed.open, closed.reason, closed.closes_at, closed.messaging_type) == \
        (False, "human_agent_window_closed", LAST + WEEK, None)


def test_only_a_persons_reply_may_use_the_human_agent_tag():
    # GIVEN an automated reply (not by a person) THEN its window is the standard 24 h
    assert reply_window("messenger", "direct_message", LAST, LAST + DAY - TICK, by_person=False).closes_at == LAST + DAY
    closed = reply_window("messenger", "direct_message", LAST, LAST + DAY, by_person=False)
    assert (closed.open, closed.reason, closed.closes_at) == (False, "standard_window_closed", LAST + DAY)
    with pytest.raises(OutsideReplyWindow, match="only a person's reply"):
        check_reply_window("messenger", "direct_message", LAST, LAST + DAY, by_person=False)


def test_whatsapp_has_the_24_hour_customer_service_window_only():
    open_ = reply_window("whatsapp", "direct_message", LAST, LAST + DAY - TICK)
    assert (open_.open, open_.closes_at, open_.messaging_type, open_.tag) == (True, LAST + DAY, None, None)
    closed = reply_window("whatsapp", "direct_message", LAST, LAST + DAY)
    assert (closed.open, closed.reason) == (False, "whatsapp_window_closed")
    # THEN the refusal names the window, when it closed, and that templates are not sent from here
    with pytest.raises(OutsideReplyWindow) as refused:
        check_reply_window("whatsapp", "direct_message", LAST, LAST + 2 * DAY)
    assert refused.value.code == "outside_reply_window"
    assert "24-hour customer service window closed on 2026-11-21T09:00:00+00:00" in refused.value.message
    assert "template" in refused.value.message


@pytest.mark.parametrize("platform, channel", [
    ("facebook", "comment"), ("facebook", "reply"), ("facebook", "mention"), ("facebook", "post"),
    ("instagram", "comment"), ("instagram", "reply"), ("x", "mention"), ("x", "reply"), ("x", "direct_message"),
    ("telegram", "direct_message"), ("telegram", "comment"), ("telegram", "post")])
def test_comments_posts_x_and_telegram_have_no_window(platform, channel):
    # GIVEN a conversation a year old THEN a reply is still open, with no closing time
    window = check_reply_window(platform, channel, LAST, LAST + 365 * DAY)
    assert (window.open, window.closes_at, window.reason, window.messaging_type) == (True, None, None, None)


@pytest.mark.parametrize("platform", ["linkedin", "tiktok", "youtube", "generic"])
def test_generic_sources_have_no_sender(platform):
    window = reply_window(platform, "comment", LAST, LAST)
    assert (window.open, window.reason) == (False, "no_sender")
    with pytest.raises(NoSender) as refused:
        check_reply_window(platform, "comment", LAST, LAST)
    # AND a NoSender is an OutsideReplyWindow (the same 422), with its own code
    assert isinstance(refused.value, OutsideReplyWindow) and refused.value.code == "no_sender"


def test_windows_do_not_depend_on_time_zones():
    # GIVEN the same instants written in Tokyo and Lima time THEN the windows are the same
    last_tokyo, now_lima = LAST.astimezone(TOKYO), (LAST + DAY).astimezone(LIMA)
    assert reply_window("messenger", "direct_message", last_tokyo, now_lima) == \
        reply_window("messenger", "direct_message", LAST, LAST + DAY)
    assert reply_window("whatsapp", "direct_message", last_tokyo, (LAST + DAY - TICK).astimezone(LIMA)).open
    assert not reply_window("whatsapp", "direct_message", last_tokyo, (LAST + DAY).astimezone(LIMA)).open
    # AND closes_at is in UTC
    assert reply_window("instagram", "direct_message", last_tokyo, now_lima).closes_at.utcoffset() == timedelta(0)
    # AND naive times are taken as UTC
    naive = LAST.replace(tzinfo=None)
    assert reply_window("whatsapp", "direct_message", naive, naive + DAY - TICK).closes_at == LAST + DAY


def test_a_dm_the_customer_never_wrote_in_is_closed():
    for platform in ("messenger", "instagram", "whatsapp"):
        assert not reply_window(platform, "direct_message", None, LAST).open
    with pytest.raises(OutsideReplyWindow, match="has not written"):
        check_reply_window("whatsapp", "direct_message", None, LAST)


def test_the_refusal_after_seven_days_says_when_it_closed():
    with pytest.raises(OutsideReplyWindow) as refused:
        check_reply_window("instagram", "direct_message", LAST, LAST + 30 * DAY)
    assert "7-day human agent window closed on 2026-11-27T09:00:00+00:00" in refused.value.message


# private replies: a DM to a comment's author, within 7 days of the comment ------------------------------------

@pytest.mark.parametrize("platform, channel", [("facebook", "comment"), ("facebook", "reply"),
                                               ("instagram", "comment"), ("instagram", "reply")])
def test_a_private_reply_is_open_for_7_days_from_the_comment(platform, channel):
    from chalicelib.domain.reply_windows import private_reply_window

    # GIVEN a comment written at LAST (in Tokyo's offset: the same instant)
    written = LAST.astimezone(TOKYO)
    # WHEN answered privately just before 7 days THEN it is open until then, with no Send API label
    early = private_reply_window(platform, channel, written, LAST + WEEK - TICK)
    assert (early.open, early.closes_at, early.messaging_type, early.tag) == (True, LAST + WEEK, None, None)
    # WHEN at exactly 7 days THEN it is closed, and says when
    late = private_reply_window(platform, channel, written, LAST + WEEK)
    assert (late.open, late.reason, late.closes_at) == (False, "private_reply_window_closed", LAST + WEEK)


@pytest.mark.parametrize("platform, channel", [
    ("messenger", "direct_message"), ("instagram", "direct_message"), ("instagram", "mention"),
    ("facebook", "post"), ("facebook", "mention"), ("whatsapp", "direct_message"), ("x", "reply"),
    ("telegram", "direct_message"), ("linkedin", "comment")])
def test_a_private_reply_answers_only_facebook_and_instagram_comments(platform, channel):
    from chalicelib.domain.errors import PrivateReplyUnsupported
    from chalicelib.domain.reply_windows import check_private_reply_window

    with pytest.raises(PrivateReplyUnsupported) as refused:
        check_private_reply_window(platform, channel, LAST, LAST + TICK)
    assert refused.value.code == "private_reply_unsupported"


def test_a_late_private_reply_is_outside_the_reply_window():
    from chalicelib.domain.reply_windows import check_private_reply_window

    with pytest.raises(OutsideReplyWindow) as refused:
        check_private_reply_window("instagram", "comment", LAST, LAST + WEEK + DAY)
    assert refused.value.code == "outside_reply_window" and (LAST + WEEK).isoformat() in refused.value.message
    assert check_private_reply_window("facebook", "comment", LAST, LAST + DAY).open
