"""When a second opinion may move a conversation (chalicelib/domain/second_opinion.py)."""

import pytest

from chalicelib.domain import second_opinion as rules

MOVES = dict(status="open", corrected=False, is_head=True, queue="stance", first_category="stance")


def test_an_open_uncorrected_conversation_led_by_its_first_verdict_moves():
    assert rules.moves_queue(**MOVES)


@pytest.mark.parametrize("change", [{"status": "claimed"}, {"status": "snoozed"}, {"status": "resolved"},
                                    {"status": "in_conversation"}, {"corrected": True}, {"is_head": False},
                                    {"queue": "community"}])
def test_anything_a_person_or_another_message_decided_stays(change):
    assert not rules.moves_queue(**{**MOVES, **change})


def test_given_once():
    assert not rules.already_given({"category": "stance"})
    assert rules.already_given({"category": "stance", "first_opinion": {"category": "community"}})
