"""store.blocks: the block items, and the one Query the webhook path makes of an author."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import InvalidRequest, UnknownBlock
from chalicelib.store import blocks, dynamo
from chalicelib.store.entities import AuthorActivityKeys, AuthorBlockKeys
from chalicelib.store.messages import message_counters
from support import triaged

NOW = datetime(2026, 12, 5, 10, 7, tzinfo=timezone.utc)


@pytest.fixture
def requests(table):
    """Every DynamoDB operation the app's client sends."""
    seen: list[str] = []
    dynamo.client().meta.events.register("before-call.dynamodb", lambda model, **_: seen.append(model.name))
    return seen


def count_message_from(author: str, at: datetime) -> None:
    author_update = message_counters(triaged("m-" + at.isoformat(), "community", received_at=at, author=author), 0)[2]
    dynamo.transact([author_update])


def test_the_author_state_reads_recent_messages_and_the_block_in_one_query(table, requests):
    # GIVEN an author with two messages in the current window, one in the window before, and a block
    count_message_from("a1", NOW - timedelta(minutes=1))
    count_message_from("a1", NOW - timedelta(minutes=2))
    count_message_from("a1", NOW - timedelta(minutes=30))
    blocks.block("facebook", "a1", "manager:M (0123456789abcdef)", "spam", None, NOW)
    requests.clear()

    # WHEN the webhook path asks about them
    state = blocks.author_state("facebook", "a1", NOW)

    # THEN one Query answered both: the current window's count, and the block
    assert requests == ["Query"]
    assert state.recent == 2 and state.block is not None and state.block.reason == "spam"


def test_an_author_never_blocked_reads_as_before(table):
    count_message_from("a2", NOW)
    assert blocks.author_state("facebook", "a2", NOW) == blocks.AuthorState(recent=1, block=None)
    assert blocks.author_state("facebook", "nobody", NOW) == blocks.AuthorState(recent=0, block=None)


def test_a_block_sorts_after_every_activity_window():
    # the Query reads `sk >= <current window>`: the block must come after any window there can be
    assert AuthorBlockKeys.SK > AuthorActivityKeys.sk(datetime(2099, 12, 31, tzinfo=timezone.utc), 99)


def test_a_lifted_block_stays_out_of_the_listing_and_a_new_one_replaces_it(table):
    blocks.block("x", "42", "manager:M", "first", None, NOW)
    lifted = blocks.unblock("x", "42", "admin:A", NOW + timedelta(minutes=1))
    assert lifted.unblocked_by == "admin:A" and lifted.reason == "first"
    assert blocks.get("x", "42", NOW + timedelta(minutes=2)) is None
    assert blocks.listed(None, NOW + timedelta(minutes=2)) == ([], None)

    again, made = blocks.block("x", "42", "manager:N", "second", 30, NOW + timedelta(minutes=3))
    assert made and again.reason == "second" and again.until is not None
    assert [b.reason for b in blocks.listed(None, NOW + timedelta(minutes=4))[0]] == ["second"]


def test_an_ended_block_can_be_given_again_and_cannot_be_lifted(table):
    blocks.block("x", "43", "manager:M", "a day", 1, NOW)
    after = NOW + timedelta(days=1, minutes=1)
    with pytest.raises(UnknownBlock):
        blocks.unblock("x", "43", "admin:A", after)
    renewed, made = blocks.block("x", "43", "manager:M", "again", None, after)
    assert made and renewed.until is None and blocks.get("x", "43", after + timedelta(days=400)) is not None


def colleague_blocks_between_read_and_write(monkeypatch) -> None:
    """This request's first read of the block finds none; a colleague's block is written just after it."""
    real_get = blocks.get

    def read_then_race(platform, author_id, now):
        monkeypatch.setattr(blocks, "get", real_get)
        blocks.block(platform, author_id, "manager:Colleague", "theirs", None, now)
        return None  # this request read before the colleague wrote

    monkeypatch.setattr(blocks, "get", read_then_race)


def test_a_block_made_meanwhile_by_someone_else_is_the_one_kept(table, monkeypatch):
    # GIVEN a colleague's block written between this request's read and its write
    colleague_blocks_between_read_and_write(monkeypatch)

    # WHEN this request writes its own
    kept, made = blocks.block("x", "44", "manager:Me", "mine", None, NOW)

    # THEN the colleague's is kept and answered
    assert not made and kept.blocked_by == "manager:Colleague" and kept.reason == "theirs"


def test_unknown_cannot_be_blocked(table):
    with pytest.raises(InvalidRequest) as refused:
        blocks.block("facebook", "unknown", "manager:M", None, None, NOW)
    assert refused.value.code == "author_not_blockable"


BAN = {"account": "104857600000001", "at": "2026-12-05T10:07:00Z"}


def test_a_ban_made_on_the_platform_is_kept_with_the_block_and_read_back(table):
    # GIVEN a block stored once the platform banned the author
    made, created = blocks.block("facebook", "55", "manager:M", "spam", None, NOW, platform_ban=BAN)
    # THEN it is read back, listed and lifted with its ban
    assert created and made.platform_ban == BAN
    assert blocks.get("facebook", "55", NOW).platform_ban == BAN
    assert [b.platform_ban for b in blocks.listed(None, NOW)[0]] == [BAN]
    assert blocks.unblock("facebook", "55", "manager:M", NOW).platform_ban == BAN


def test_a_block_made_meanwhile_by_someone_else_gains_the_ban_this_request_made(table, monkeypatch):
    # GIVEN a colleague's block (here only) written between this request's read and its write
    colleague_blocks_between_read_and_write(monkeypatch)
    # WHEN this request, whose platform ban is done, writes its own
    kept, made = blocks.block("facebook", "56", "manager:Me", "mine", None, NOW, platform_ban=BAN)
    # THEN the colleague's block is kept, and records the ban (lifting it will lift the ban)
    assert not made and kept.blocked_by == "manager:Colleague" and kept.platform_ban == BAN
    assert blocks.get("facebook", "56", NOW).platform_ban == BAN


def test_lifting_a_banned_block_asks_before_writing_once_and_a_refusal_changes_nothing(table):
    blocks.block("facebook", "57", "manager:M", None, None, NOW, platform_ban=BAN)
    asked = []

    def refuse(held):
        asked.append(held.author_id)
        raise RuntimeError("the platform said no")

    with pytest.raises(RuntimeError):
        blocks.unblock("facebook", "57", "manager:M", NOW, before_lift=refuse)
    assert asked == ["57"] and blocks.get("facebook", "57", NOW) is not None
    lifted = blocks.unblock("facebook", "57", "manager:M", NOW, before_lift=asked.append)
    assert lifted.unblocked_by == "manager:M" and len(asked) == 2
    # AND a block without a ban is lifted without asking
    blocks.block("facebook", "58", "manager:M", None, None, NOW)
    blocks.unblock("facebook", "58", "manager:M", NOW, before_lift=asked.append)
    assert len(asked) == 2
