"""domain.reply_limits: each platform's longest reply, measured as the platform measures it."""

from __future__ import annotations

import pytest

from chalicelib.domain import reply_limits
from chalicelib.domain.errors import TextTooLong


@pytest.mark.parametrize("text, weight", [
    ("a" * 280, 280),
    ("ご注文の件、確認いたします", 26),  # every kana and kanji counts 2
    ("ｱｲｳ", 6),  # half-width katakana too (outside X's light ranges)
    ("“quoted” — ok…", 15),  # quotes and dashes count 1, the ellipsis (U+2026) 2
    ("see https://example.com/a/very/long/path?with=query", 4 + 23),  # a link is 23, however long
    ("👍", 2),
    ("👍🏽", 2),  # a skin tone joins its emoji
    ("👩‍👩‍👧‍👦", 2),  # a family: one emoji joined by ZWJ
    ("🇯🇵🇺🇸", 4),  # two flags
    ("❤️", 2),  # with its variation selector
    ("e\u0301", 1),  # composed (NFC) before counting
    ("1\u20e3 1\ufe0f\u20e3", 5),  # a keycap is an emoji, with or without its variation selector
    ("\u00a9\ufe0f", 2),  # © made an emoji by U+FE0F
    ("\u0915\u094d\u200d\u0937", 4),  # a ZWJ in Devanagari joins no emoji: every code point counts
    ("\U0001f3fd", 2),  # a skin tone alone is an emoji of its own
    ("see https://x.com/a.", 4 + 23 + 1),  # the full stop after a link is not part of it
    ("http://otters", 13),  # no dotted host: not a link
    ("visit example.com", 6 + 11),  # a link without https:// counts as typed here (X: 23), never more than X
])
def test_x_counts_as_twitter_text_does(text, weight):
    assert reply_limits.x_weighted_length(text) == weight


@pytest.mark.parametrize("platform, channel, private, limit, unit", [
    ("messenger", "direct_message", False, 2_000, "characters"),
    ("instagram", "direct_message", False, 1_000, "bytes"),
    ("instagram", "comment", False, 2_200, "characters"),
    ("instagram", "comment", True, 1_000, "bytes"),
    ("facebook", "comment", False, 8_000, "characters"),
    ("facebook", "comment", True, 2_000, "characters"),
    ("whatsapp", "direct_message", False, 4_096, "characters"),
    ("x", "reply", False, 280, "weighted"),
    ("x", "direct_message", False, 10_000, "characters"),
    ("telegram", "direct_message", False, 4_096, "utf16"),
])
def test_each_platforms_limit(platform, channel, private, limit, unit):
    assert reply_limits.limit_for(platform, channel, private) == reply_limits.TextLimit(limit, unit)


def test_a_generic_source_has_no_limit_of_its_own():
    assert reply_limits.limit_for("linkedin", "comment") is None
    reply_limits.check_text_length("linkedin", "comment", "x" * 4_000)


def test_a_japanese_instagram_dm_is_measured_in_bytes():
    reply_limits.check_text_length("instagram", "direct_message", "あ" * 333)  # 999 bytes
    with pytest.raises(TextTooLong) as refused:
        reply_limits.check_text_length("instagram", "direct_message", "あ" * 334)
    assert (refused.value.limit, refused.value.length, refused.value.unit) == (1_000, 1_002, "bytes")
    assert "1,000 UTF-8 bytes" in refused.value.message and "1,002" in refused.value.message


def test_an_x_reply_of_141_japanese_characters_is_too_long_unless_the_account_takes_longer_posts():
    text = "あ" * 141
    with pytest.raises(TextTooLong) as refused:
        reply_limits.check_text_length("x", "reply", text)
    assert refused.value.length == 282 and "counts 2" in refused.value.message
    reply_limits.check_text_length("x", "reply", text, x_post_max_weight=25_000)
    reply_limits.check_text_length("x", "reply", "あ" * 140)


def test_telegram_counts_utf16_units():
    reply_limits.check_text_length("telegram", "reply", "😀" * 2_048)  # 4,096 units
    with pytest.raises(TextTooLong):
        reply_limits.check_text_length("telegram", "reply", "😀" * 2_048 + "a")
