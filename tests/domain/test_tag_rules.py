"""Tag rules: one spelling per tag, adds and removes that commute, and the per-conversation limit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import tags
from chalicelib.domain.errors import TooManyTags


@pytest.mark.parametrize("typed, kept", [
    ("VIP", "vip"), ("ｖｉｐ", "vip"), ("ＶＩＰ", "vip"), ("Refund-2026", "refund-2026"), ("返金_１２", "返金_12"),
    ("炎上", "炎上"), ("ÉTÉ", "été"), ("ПРАЙД", "прайд"), ("ｖｉｐ＿２０２６", "vip_2026"), ("ｖｉｐ－ｊｐ", "vip-jp"),
    ("ΟΔΟΣ", "οδοσ"), ("οδος", "οδοσ"),  # the final sigma folds like the other
    ("ｶﾀｶﾅ", "カタカナ"), ("cafe\u0301", "café"), ("हिंदी", "हिंदी"), ("#Pride", "#pride"),
    ("ß" * 32, "ss" * 16),  # folding lengthens it: cut to the longest a tag may be
])
def test_a_tag_is_kept_in_one_spelling(typed, kept):
    assert tags.normalized(typed) == kept


@pytest.mark.parametrize("typed", ["vip\n", "a b", "a,b", "a，b", "zero\u200bwidth", "\u3000", "tab\t", "\u00ad"])
def test_spaces_invisible_characters_and_commas_are_not_in_a_tag(typed):
    assert not re.fullmatch(tags.TAG_PATTERN, typed)


def test_every_character_a_tag_may_hold_keeps_a_tag_the_contract_accepts_and_folds_once():
    # the contract checks the tag as typed; what is kept must still be a tag it accepts, and fold to itself
    for code in range(0x110000):
        typed = chr(code)
        if 0xD800 <= code <= 0xDFFF or not re.fullmatch(tags.TAG_PATTERN, typed):
            continue
        kept = tags.normalized(typed)
        assert kept and re.fullmatch(tags.TAG_PATTERN, kept) and tags.normalized(kept) == kept, hex(code)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=tags.MAX_TAG_CHARS)
       .filter(lambda typed: re.fullmatch(tags.TAG_PATTERN, typed)))
def test_any_tag_the_contract_accepts_is_kept_as_one_it_accepts(typed):
    kept = tags.normalized(typed)
    assert kept and len(kept) <= tags.MAX_TAG_CHARS and re.fullmatch(tags.TAG_PATTERN, kept)
    assert tags.normalized(kept) == kept


def test_adds_keep_the_order_and_removes_win():
    # GIVEN a conversation tagged vip, refund
    # WHEN one request adds REFUND again, crisis and late, and removes vip and late
    result = tags.changed(["vip", "refund"], add=["REFUND", "crisis", "late", "crisis"], remove=["VIP", "late"])
    # THEN refund stays where it was, crisis comes after it once, and what was removed is gone
    assert result == ["refund", "crisis"]


def test_a_change_made_on_a_stale_read_gives_what_both_changes_meant():
    # adding and removing commute: applied in either order, two agents' changes give the same tags
    first = tags.changed(tags.changed(["a"], add=["b"]), remove=["a"], add=["c"])
    second = tags.changed(tags.changed(["a"], remove=["a"], add=["c"]), add=["b"])
    assert set(first) == set(second) == {"b", "c"}


def test_more_than_max_tags_is_refused_but_a_change_that_stays_within_passes():
    full = [f"t{i}" for i in range(tags.MAX_TAGS)]
    with pytest.raises(TooManyTags):
        tags.changed(full, add=["one-more"])
    assert tags.changed(full, add=["one-more"], remove=["t0"]) == full[1:] + ["one-more"]
