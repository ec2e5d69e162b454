"""domain.surveys: what reads as a rating, who is asked, how long a rating is waited for, and the follow-up
question after a low rating."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.automatic_messages import AutomaticMessage
from chalicelib.domain.errors import InvalidRequest, SurveyTextTooLong
from chalicelib.domain.surveys import (COMMENT_WINDOW, RATING_WINDOW, STALE_AFTER, Survey, awaits_rating, check_change,
                                       comment_awaited, decide, decide_follow_up, rating, rating_awaited, rating_counts,
                                       with_comment)

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
ON = Survey(enabled=True, text="How did we do? Reply 1 (poor) to 5 (great).")


@pytest.mark.parametrize("text, score", [
    ("5", 5), ("５", 5), ("1", 1), ("4/5", 4), ("4 / 5", 4), ("4 out of 5", 4), ("5 stars", 5), ("1 star", 1),
    ("★★★☆☆", 3), ("⭐⭐⭐⭐", 4), ("⭐️⭐️⭐️⭐️⭐️", 5), ("星4", 4), ("星５つ", 5), ("5点", 5), ("5️⃣", 5),
    ("rating: 3", 3), ("5! thanks", 5), ("「5」", 5), ("5 👍", 5), ("５です！", 5), ("4でした", 4),
    ("5/5 ありがとうございます", 5), ("  3.  ", 3),
])
def test_a_message_that_is_only_a_rating_gives_its_score(text, score):
    assert rating(text) == score


@pytest.mark.parametrize("text", [
    "6", "0", "10", "12345", "5/10", "4.5", "5 and 4", "55", "", "   ", "hello", "★★★★★★", "☆☆☆",
    "3 days late", "order 5 is missing", "2 please", "5 items", "5 stars for the 5 days",
    "I would give 5 stars but the parcel never came",
])
def test_words_with_a_number_in_them_are_no_rating(text):
    assert rating(text) is None


def resolved(**changes):
    facts = dict(platform="messenger", channel="direct_message", status="resolved", resolved_at=NOW,
                 resolved_by="agent:Cy (0123456789abcdef)", resolution_reason=None,
                 first_reply_at="2026-12-06T09:30:00Z", erased=False, satisfaction=None, now=NOW)
    return {**facts, **changes}


@pytest.mark.parametrize("changes, reason", [
    ({}, "due"),
    ({"platform": "facebook", "channel": "comment"}, "not_a_direct_message"),
    ({"channel": "comment"}, "not_a_direct_message"),
    ({"erased": True}, "removed"),
    ({"status": "open"}, "not_resolved"),
    ({"resolution_reason": "auto_resolved", "resolved_by": "system:sweep"}, "not_resolved_by_a_person"),
    ({"resolved_by": "platform:messenger"}, "not_resolved_by_a_person"),
    ({"first_reply_at": None}, "never_answered"),
    ({"satisfaction": {"survey_sent_at": "2026-12-01T00:00:00Z"}}, "already_sent"),
    ({"now": NOW + STALE_AFTER + timedelta(seconds=1)}, "stale"),
])
def test_who_is_asked(changes, reason):
    decision = decide(ON, **resolved(**changes))
    assert decision.reason == reason and decision.send == (reason == "due")


def test_an_off_survey_asks_nobody():
    assert decide(Survey(enabled=False, text="Rate us"), **resolved()).reason == "off"


def test_a_rating_is_waited_for_while_resolved_within_its_window_and_only_once():
    sent = {"survey_sent_at": "2026-12-06T10:00:00Z"}
    assert awaits_rating(sent, "resolved", NOW + RATING_WINDOW)
    assert not awaits_rating(sent, "resolved", NOW + RATING_WINDOW + timedelta(seconds=1))
    assert not awaits_rating(sent, "open", NOW)  # reopened by words: no rating any more
    assert not awaits_rating({**sent, "score": 4}, "resolved", NOW)
    assert not awaits_rating(None, "resolved", NOW)
    # and only from the conversation's customer
    assert rating_awaited(sent, "resolved", "61", "61", "4", NOW) == 4
    assert rating_awaited(sent, "resolved", "61", "62", "4", NOW) is None


def test_a_rating_counts_once_and_4_or_5_are_satisfied():
    assert rating_counts(4) == {"ratings": 1, "rating_sum": 4, "rating_4": 1, "ratings_satisfied": 1}
    assert rating_counts(3)["ratings_satisfied"] == 0


def test_every_text_must_fit_a_direct_message_everywhere():
    check_change(True, "How did we do?", {"ja": "いかがでしたか？"})
    with pytest.raises(SurveyTextTooLong, match="instagram"):
        check_change(True, "ok", {"ja": "満" * 400})
    with pytest.raises(InvalidRequest):
        check_change(True, "  ", {})


@pytest.mark.parametrize("text, name, sent", [
    ("How did we do, {{customer_name}}?", "Dana", "How did we do, Dana?"),
    ("How did we do, {{customer_name}}?", None, "How did we do?"),
    ("Hi {{customer_name}}, how did we do?", None, "Hi, how did we do?"),
    ("{{customer_name}}様、いかがでしたか？", "佐藤", "佐藤様、いかがでしたか？"),
])
def test_the_customers_name_is_filled_in_or_left_out_cleanly(text, name, sent):
    assert AutomaticMessage(enabled=True, text=text).text_for("en", name) == sent


ASKING = Survey(enabled=True, text="How did we do?", follow_up="Sorry, {{customer_name}}. What went wrong?",
                follow_up_translations={"ja": "申し訳ありません、{{customer_name}}さん。何が問題でしたか？"})


def rated(score, at=NOW - timedelta(minutes=1), **more):
    return {"survey_sent_at": "2026-12-06T09:40:00Z", "score": score, "rated_at": at.isoformat(), **more}


@pytest.mark.parametrize("survey, status, erased, satisfaction, reason", [
    (ASKING, "resolved", False, rated(1), "due"),
    (ASKING, "resolved", False, rated(3), "due"),
    (ASKING, "resolved", False, rated(4), "satisfied"),
    (ASKING, "resolved", False, {"survey_sent_at": "2026-12-06T09:40:00Z"}, "not_rated"),
    (ASKING, "resolved", False, None, "not_rated"),
    (ASKING, "open", False, rated(2), "not_resolved"),
    (ASKING, "resolved", True, rated(2), "removed"),
    (ASKING, "resolved", False, rated(2, follow_up_sent_at="2026-12-06T09:59:00Z"), "already_sent"),
    (ASKING, "resolved", False, rated(2, at=NOW - STALE_AFTER - timedelta(seconds=1)), "stale"),
    (Survey(enabled=True, text="How did we do?"), "resolved", False, rated(1), "off"),
    (Survey(enabled=False, text="How did we do?", follow_up="What went wrong?"), "resolved", False, rated(1), "off"),
])
def test_who_is_asked_what_went_wrong(survey, status, erased, satisfaction, reason):
    decision = decide_follow_up(survey, status=status, erased=erased, satisfaction=satisfaction, now=NOW)
    assert (decision.send, decision.reason) == (reason == "due", reason)


def test_the_follow_up_speaks_the_customers_language_and_names_them():
    assert ASKING.follow_up_for("ja", "Aya") == "申し訳ありません、Ayaさん。何が問題でしたか？"
    assert ASKING.follow_up_for("en", None) == "Sorry. What went wrong?"


def test_the_first_message_of_the_customer_within_a_day_of_the_question_is_the_comment():
    asked = rated(2, follow_up_sent_at=(NOW - timedelta(hours=2)).isoformat())
    assert comment_awaited(asked, "c1", "c1", NOW)
    assert not comment_awaited(asked, "c1", "someone-else", NOW)
    assert not comment_awaited(asked, "c1", "c1", NOW + COMMENT_WINDOW)
    assert not comment_awaited(rated(2), "c1", "c1", NOW)  # never asked
    commented = with_comment(asked, "messenger:m.c", "2026-12-06T10:00:00Z")
    assert commented["score"] == 2 and commented["comment_message_id"] == "messenger:m.c"
    assert not comment_awaited(commented, "c1", "c1", NOW)  # one comment


def test_a_follow_up_may_be_empty_but_must_fit_a_direct_message_everywhere():
    check_change(True, "How did we do?", {}, "", {})
    check_change(False, "", {}, "What went wrong?", {"ja": "何が問題でしたか？"})
    with pytest.raises(SurveyTextTooLong, match=r"^the follow-up's ja text is too long .* instagram"):
        check_change(True, "How did we do?", {}, "What went wrong?", {"ja": "満" * 400})
    with pytest.raises(SurveyTextTooLong, match=r"^the follow-up's text is too long"):
        check_change(True, "How did we do?", {}, "x" * 1001, {})
