"""A customer's other conversations (Chatwoot's "Previous conversations", Zendesk's requester's other tickets):
the conversations the same author (platform and author id) opened, shown beside the one being read so the agent
sees "third time about this order" or "a spam wave".

Who sees which: a conversation is shown only to whoever may read it (its queue is one they work; managers and
admins work every queue), as GET /conversations/{id} decides; the others are left out without a word, not even
how many there were. A conversation removed on the platform is not shown, and neither is the one being read.

An author without an id (`unknown`: many people under one name) is nobody's "same customer": none are listed.
"""

from __future__ import annotations

from typing import Callable

from ..models import UNKNOWN_AUTHOR
from .workflow import REMOVED


def has_history(author_id: str | None) -> bool:
    """Whether this author's conversations are tracked at all."""
    return bool(author_id) and author_id != UNKNOWN_AUTHOR


def shown(viewing: str, can_work: Callable[[str], bool]) -> Callable[[str, str, str], bool]:
    """Whether a conversation (id, queue, status as its head is now) is listed beside `viewing` for a caller who
    works the queues `can_work` accepts."""
    def visible(conversation: str, queue: str, status: str) -> bool:
        return conversation != viewing and status != REMOVED and can_work(queue)
    return visible
