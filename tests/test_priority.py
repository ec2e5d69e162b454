"""Priority computed at ingestion: channel, queue, urgency cues in both languages, tone, repeated contact."""

from __future__ import annotations


import pytest

from chalicelib.models import Channel
from chalicelib.priority import compute_priority


def test_a_direct_message_outranks_the_same_text_as_a_public_comment():
    dm = compute_priority(Channel.DIRECT_MESSAGE, "customer_service", "where is my order", 1)
    comment = compute_priority(Channel.COMMENT, "customer_service", "where is my order", 1)
    assert dm.score > comment.score
    assert "channel:direct_message" in dm.reasons


@pytest.mark.parametrize("text,kind", [
    ("my account was hacked and someone changed my password", "account_compromise"),
    ("アカウントが乗っ取られました", "account_compromise"),
    ("the charger caught fire in my kitchen", "safety"),
    ("子供がアレルギー反応を起こしました", "safety"),
    ("I am contacting my lawyer about this", "legal"),
    ("消費者センターに相談します", "legal"),
    ("your app is down again, can't log in", "outage"),
    ("朝から通信障害でつながらない", "outage"),
    ("I was charged twice, I want a refund", "money"),
    ("二重請求されています。返金してください", "money"),
])
def test_urgency_cues_in_english_and_japanese_raise_priority_with_a_reason(text, kind):
    urgent = compute_priority(Channel.COMMENT, "customer_service", text, 1)
    calm = compute_priority(Channel.COMMENT, "customer_service", "what time do you open on sunday", 1)
    assert f"urgent:{kind}" in urgent.reasons
    assert urgent.score >= calm.score + 25


def test_strong_negative_tone_and_shouting_add_points():
    for text in ("This is the WORST service ever", "最悪です。二度と使いません", "WHY IS NOBODY ANSWERING MY CALLS"):
        assert "negative_tone" in compute_priority(Channel.COMMENT, "community", text, 1).reasons
    assert "negative_tone" not in compute_priority(Channel.COMMENT, "community", "lovely day at the shop", 1).reasons


def test_several_messages_from_one_author_in_a_short_time_raise_priority():
    first = compute_priority(Channel.DIRECT_MESSAGE, "customer_service", "hello?", 1)
    third = compute_priority(Channel.DIRECT_MESSAGE, "customer_service", "hello?", 3)
    assert third.score == first.score + 15 and "repeated_contact" in third.reasons


def test_score_is_capped_at_100():
    text = "HACKED account, my lawyer says refund now, the battery caught FIRE!!! worst company"
    assert compute_priority(Channel.DIRECT_MESSAGE, "customer_service", text, 9).score == 100


def test_ingestion_stores_the_priority_and_counts_repeated_contact(api, table):
    from support import dumps, message_items, post_webhook
    import payloads

    for i in range(3):
        body = dumps(payloads.telegram_message(100 + i, f"hello? anyone there? attempt {i}"))
        assert post_webhook(api, "telegram", body).status_code == 200
    first, second, third = sorted(message_items(table), key=lambda m: m["id"])
    assert "repeated_contact" not in second["priority_reasons"]
    assert "repeated_contact" in third["priority_reasons"]
    assert third["priority"] > second["priority"]
    # the three are one conversation, whose priority (and reasons) are its most urgent message's
    assert (first["conversation"], first["message_count"]) == (first["id"], 3)
    assert (first["priority"], first["priority_reasons"]) == (third["priority"], third["priority_reasons"])


def test_requeued_swaps_only_the_queue_bonus():
    from chalicelib.priority import Priority, requeued

    before = compute_priority(Channel.COMMENT, "community", "where is my refund?? worst service", 1)
    after = requeued(before, "customer_service")
    fresh = compute_priority(Channel.COMMENT, "customer_service", "where is my refund?? worst service", 1)
    assert after == fresh  # as if it had been triaged there in the first place
    assert requeued(after, "community") == before
    assert requeued(Priority(100, ["channel:direct_message", "queue:stance", "urgent:money", "urgent:legal",
                                   "negative_tone"]), "customer_service").score == 100
