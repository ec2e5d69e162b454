"""Tag rules: one spelling per tag, adds and removes that commute, and the per-conversation limit."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain import tags
from chalicelib.domain.errors import TooManyTags


@pytest.mark.parametrize("typed, kept", [
    ("VIP", "vip"), ("ｖｉｐ", "vip"), ("ＶＩＰ", "vip"), ("Refund-2026", "refund-2026"), ("返金_１２", "返金_12"),
    ("炎上", "炎上"), ("ÉTÉ", "été"), ("ПРАЙД", "прайд"), ("İstanbul", "İstanbul"),  # İ lowers to two characters
])
def test_a_tag_is_kept_in_one_spelling(typed, kept):
    assert tags.normalized(typed) == kept


@pytest.mark.parametrize("typed", ["VIP", "ｖｉｐ１２", "返金_１２", "a-b_c", "Ａ" * tags.MAX_TAG_CHARS])
def test_the_spelling_kept_has_the_length_and_the_shape_the_contract_accepted(typed):
    kept = tags.normalized(typed)
    assert len(kept) == len(typed) and re.match(tags.TAG_PATTERN, kept)
    assert tags.normalized(kept) == kept


def test_every_word_character_keeps_its_shape_and_length_and_folds_once():
    # the contract checks the tag as typed; what is kept must still be a tag it accepts, of the same length
    word = re.compile(tags.TAG_PATTERN)
    for code in range(0x30000):
        typed = chr(code)
        if word.match(typed):
            kept = tags.normalized(typed)
            assert len(kept) == 1 and word.match(kept) and tags.normalized(kept) == kept, hex(code)


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
