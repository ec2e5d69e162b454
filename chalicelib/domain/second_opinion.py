"""When the second opinion (second_opinion/) may change a stored message.

The webhook model triages every message at once; the second-opinion model re-scores it seconds later. Its
verdict replaces the first one on the message (the first is kept beside it), once per text: a redelivered event
finds it given, an edit brings a new first verdict and so a new second opinion. It moves the conversation only
while the conversation's queue is still the first verdict's doing: open (nobody holds it), never re-routed by a
person, and this message is its first message with the queue still its first verdict's category (a later, more
urgent message of another category may have set the queue: then it stays). Otherwise people have decided, and the second
opinion only corrects the message's own category (its counts and stats). A message a manager's routing rule routed
is left alone: the rule outranks any model.
"""

from __future__ import annotations

from typing import Any

from .workflow import OPEN

ACTOR = "model:second-opinion"
FIRST_OPINION = "first_opinion"  # in the triage document: the webhook model's verdict, once a second one replaced it


RULE = "rule"  # in the triage document: the managers' routing rule that chose the queue (domain.routing_rules)


def already_given(triage: dict[str, Any]) -> bool:
    """Given once already, or not the model's to give: a manager's routing rule chose the message's queue."""
    return FIRST_OPINION in triage or RULE in triage


def moves_queue(*, status: str, corrected: bool, is_head: bool, queue: str, first_category: str) -> bool:
    return status == OPEN and not corrected and is_head and queue == first_category
