"""domain.blocks: who can be blocked, when a block holds, and what a held-back message records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import blocks
from chalicelib.domain.errors import InvalidRequest

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("author_id", ["unknown", ""])
def test_many_people_under_one_name_cannot_be_blocked(author_id):
    with pytest.raises(InvalidRequest) as refused:
        blocks.check_blockable(author_id)
    assert refused.value.code == "author_not_blockable"


def test_a_block_holds_until_lifted_or_past_its_end():
    assert blocks.holds(None, None, NOW)
    assert blocks.holds(None, NOW + timedelta(seconds=1), NOW)
    assert not blocks.holds(None, NOW, NOW)  # its end is the first moment it no longer holds
    assert not blocks.holds("2026-12-05T09:00:00Z", None, NOW)


def test_a_block_for_days_ends_that_many_days_later_and_one_without_never():
    assert blocks.until(NOW, 7) == NOW + timedelta(days=7)
    assert blocks.until(NOW, None) is None


def test_a_held_back_message_records_the_block_as_hide_and_delete_record_theirs():
    assert blocks.held_back("manager:M", "spam", "2026-12-05T10:00:00Z") == {
        "state": "blocked", "by": "manager:M", "at": "2026-12-05T10:00:00Z", "reason": "spam"}
    assert "reason" not in blocks.held_back("manager:M", None, "2026-12-05T10:00:00Z")
