"""Tagging a conversation in DynamoDB: its head's `tags`, changed under its revision like every other change of
the head, with a `tagged` history entry (the change's record, and so its event). Adding and removing commute, so
the caller works a change that met another out again on the head as it now is (messages.on_conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..domain import tags as rules
from .entities import StoredMessage
from .messages import apply_guarded, history_entry, message_update


def retag(head: StoredMessage, actor: str, add: Iterable[str], remove: Iterable[str], now: datetime) -> StoredMessage:
    """The conversation with `add` tags added and `remove` removed: unchanged (and nothing written) when it
    already has them so. Guarded by its revision: one changed meanwhile is a ConcurrentChange."""
    current = head.tags or []
    tags = rules.changed(current, add, remove)
    if tags == current:
        return head
    entry = history_entry("tagged", now, actor, added=[t for t in tags if t not in current],
                          removed=[t for t in current if t not in tags])
    return apply_guarded(head, [message_update(head, {"tags": tags}, entry)], entry)
