"""Blocking an author (Chatwoot's "Block contact", Zendesk's suspended users): a harasser or a spam account whose
new messages are kept out of the queues.

A blocked author's message is still stored once, counted in the volumes (the stats say what came in) and kept for
erasure and access; it is born `removed`, with a moderation record whose state is `blocked`, so nobody is asked to
work it and the Removed listing shows what was held back. Nothing is sent to the author: they are not told, and
what is already in the inbox stays as it is (a bulk hide with `?author=` clears a wave). Nothing is sent to the
platform either, unless the block is made `on_platform` (domain.bans: the platform bans them first).

A block lasts until a manager or an admin lifts it, or for the days it was given. Lifting it changes nothing
stored: the next message is triaged as any other. An author without an id (`unknown`: many people under one name)
cannot be blocked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..models import UNKNOWN_AUTHOR
from .errors import InvalidRequest

BLOCKED = "blocked"  # `moderation.state` of a message held back
MAX_DAYS = 3650
MAX_REASON_CHARS = 500
# how long the item of a lifted or ended block stays (out of every listing) before TTL deletes it
KEPT_AFTER_END = timedelta(days=1)


def check_blockable(author_id: str) -> None:
    if not author_id or author_id == UNKNOWN_AUTHOR:
        raise InvalidRequest(f"`{author_id}` is many people under one name: it cannot be blocked as one author",
                             code="author_not_blockable")


def until(now: datetime, days: int | None) -> datetime | None:
    """When a block given `days` (None: until lifted) ends."""
    return None if days is None else now + timedelta(days=days)


def holds(unblocked_at: str | None, ends: datetime | None, now: datetime) -> bool:
    """Whether a block still holds: not lifted, and not past the end it was given."""
    return unblocked_at is None and (ends is None or now < ends)


def held_back(blocked_by: str, reason: str | None, at: str) -> dict[str, Any]:
    """The moderation record of a message held back by a block when it came (`at`), as hide and delete write theirs."""
    return {"state": BLOCKED, "by": blocked_by, "at": at, **({"reason": reason} if reason else {})}


def held_back_record(moderation: dict[str, Any] | None) -> dict[str, Any] | None:
    """The block's record of a message held back, also once it was hidden or deleted on the platform from here (the
    hide keeps it, so that showing the comment again puts it back where it was: held back, in no queue)."""
    moderation = moderation or {}
    return moderation if moderation.get("state") == BLOCKED else moderation.get("held_back")
