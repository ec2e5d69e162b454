"""The away message in DynamoDB: one settings item, replaced only at the revision its editor read."""

from __future__ import annotations

from ..domain.away import AwayMessage
from . import automatic_messages
from .entities import AwayMessageKeys


def get(consistent: bool = True) -> AwayMessage:
    """As saved; never saved: off, at rev 0."""
    return automatic_messages.get(AwayMessage, AwayMessageKeys.SK, consistent)


def save(changed: AwayMessage, read_rev: int) -> AwayMessage:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    return automatic_messages.save(changed, AwayMessageKeys.SK, AwayMessageKeys.TYPE, "away message", read_rev)
