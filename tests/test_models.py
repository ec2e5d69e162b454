"""The canonical message: the invariants the store relies on hold whichever adapter builds it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.models import MAX_ID_BYTES, Author, Channel, InvalidMessage, Message, Skip, without_none


def message(**fields) -> Message:
    base = dict(id="facebook:1", platform="facebook", channel=Channel.COMMENT, author=Author(id="42"), text="hi",
                created_at=datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc))
    return Message(**(base | fields))


def test_datetimes_are_normalized_to_utc():
    # GIVEN a naive created_at and a received_at in UTC+9
    tokyo = timezone(timedelta(hours=9))
    built = message(created_at=datetime(2026, 11, 26, 9, 0), received_at=datetime(2026, 11, 26, 18, 0, tzinfo=tokyo))
    # THEN both are UTC, the naive one taken as UTC and the other converted
    assert built.created_at == datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    assert built.received_at == datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    assert built.received_at.tzinfo is timezone.utc


def test_channel_given_by_value_becomes_the_enum():
    assert message(channel="reply").channel is Channel.REPLY
    with pytest.raises(ValueError):
        message(channel="carrier_pigeon")


@pytest.mark.parametrize("field", ["id", "parent_id", "thread_id", "conversation_id"])
def test_an_id_that_cannot_fit_a_dynamodb_key_is_refused(field):
    fits = "facebook:" + "f" * (MAX_ID_BYTES - len("facebook:"))
    assert getattr(message(**{field: fits}), field) == fits
    with pytest.raises(InvalidMessage, match=field):
        message(**{field: fits + "f"})
    with pytest.raises(InvalidMessage):  # bytes, not characters: 200 kanji are 600 bytes
        message(**{field: "facebook:" + "返" * 200})
    with pytest.raises(InvalidMessage, match="valid Unicode"):  # JSON can carry a lone surrogate
        message(**{field: "facebook:\ud800"})


def test_author_ids_are_held_to_the_same_limit():
    with pytest.raises(InvalidMessage, match="author.id"):
        Author(id="9" * (MAX_ID_BYTES + 1))


def test_messages_are_immutable_and_without_none_leaves_out_empty_fields():
    built = message()
    with pytest.raises(AttributeError):
        built.text = "changed"  # type: ignore[misc]
    assert without_none(Author(id="42", name="Aiko")) == {"id": "42", "name": "Aiko"}
    assert without_none(Skip(reason="echo")) == {"reason": "echo"}
