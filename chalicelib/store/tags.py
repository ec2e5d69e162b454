"""Tagging a conversation in DynamoDB: its head's `tags`, changed under its revision like every other change of
the head, with a `tagged` history entry (the change's record, and so its event). Adding and removing commute, so
a change that meets another one (a message joining, a claim, another tag) is worked out again on the head as it
now is, instead of sending the agent back to reload."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..domain import tags as rules
from ..domain.errors import ConcurrentChange, UnknownMessage
from .entities import StoredMessage
from .messages import apply_guarded, get_message, history_entry, message_update

MAX_ROUNDS = 4  # a head busy enough to change between a read and a write this often: say so, do not spin


def retag(head: StoredMessage, actor: str, add: Iterable[str], remove: Iterable[str], now: datetime) -> StoredMessage:
    """The conversation with `add` tags added and `remove` removed: unchanged (and nothing written) when it
    already has them so."""
    add, remove, conversation = list(add), list(remove), head.id
    for _ in range(MAX_ROUNDS):
        current = head.tags or []
        tags = rules.changed(current, add, remove)
        if tags == current:
            return head
        entry = history_entry("tagged", now, actor, added=[t for t in tags if t not in current],
                              removed=[t for t in current if t not in tags])
        try:
            return apply_guarded(head, [message_update(head, {"tags": tags}, entry)], entry)
        except ConcurrentChange:
            read = get_message(conversation)
            if read is None:
                raise UnknownMessage(f"no conversation {conversation!r}", code="unknown_conversation") from None
            head = read
    raise ConcurrentChange("the conversation kept changing meanwhile; try again")
