"""Saved replies (Zendesk's macros, Chatwoot's canned responses): answers a manager approves once, for some
queues and a language, and agents insert into a reply. In a crisis they keep every answer on the brand's
approved line. Who sees which, and how many a brand keeps."""

from __future__ import annotations

from typing import Callable, Sequence

# One listing answers them all, within Lambda's 6 MB answer: JSON escapes a character to at most 14 bytes once
# API Gateway's envelope escapes it again, so 100 x (80 + 2,000) characters stay under 3 MB.
MAX_SAVED_REPLIES = 100
MAX_TITLE_CHARS = 80
MAX_TEXT_CHARS = 2_000


def visible(queues: Sequence[str], can_work: Callable[[str], bool]) -> bool:
    """A saved reply for no queue in particular is for everyone; otherwise for whoever works one of its queues."""
    return not queues or any(can_work(queue) for queue in queues)
