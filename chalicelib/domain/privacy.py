"""Personal data: erasing what a customer wrote (GDPR's right to erasure; Zendesk's "permanently delete end user",
Chatwoot's "delete contact"), and keeping no copy of what its author deleted on the platform.

Erasure is redaction, not deletion: a message item stays (its id, times, queue and status), so the stats, the
queue counts and the threads around it hold, and a redelivered webhook of it is still a duplicate, not a new
message. What goes is what the person wrote and who they are by name: the text, the author's name and handle,
the words the model quoted as its reasons, the conversation's preview of their latest words; and, in the
conversations they opened, the brand's replies to them (which greet them by name), the team's notes and the
resolution note. The platform's ids in the keys stay: they name no one outside the platform.

Who: an admin erases a customer (`POST /erasures`): it is a request the brand's data protection officer answers,
and it cannot be undone. A deletion on the platform erases its message when it was not made from here: its author
(or the platform) took it down. A delete made from the inbox (domain.moderation) keeps the text for the team's
record of why, until the customer's erasure.

Retention (GDPR's storage limitation; Zendesk's deletion schedules): a brand may set how long the content of its
closed conversations is kept (RETENTION_DAYS); the scheduled sweep then erases, as a whole, each conversation
resolved or removed longer ago than that: its messages whoever wrote them (a public thread ages out as a whole), the
brand's replies and messages and the team's notes. Unset, everything is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..models import UNKNOWN_AUTHOR
from .moderation import BY_THE_PLATFORM

CUSTOMER_REQUEST = "customer_request"  # an admin's erasure of one customer's data
DELETED_ON_PLATFORM = "deleted_on_platform"  # its author (or the platform) deleted it there
RETENTION = "retention"  # its conversation closed longer ago than the brand keeps content (RETENTION_DAYS)
REASONS = (CUSTOMER_REQUEST, DELETED_ON_PLATFORM, RETENTION)

KEEP_FOREVER = 0  # RETENTION_DAYS unset or 0: nothing ages out
MIN_RETENTION_DAYS = 30  # shorter would erase what a team still works from (a reopen, a late complaint)
MAX_RETENTION_DAYS = 3650  # ten years: longer is a typo for "for ever"


def check_retention_days(days: int) -> int:
    """A retention period in days: 0 (keep for ever) or MIN_RETENTION_DAYS..MAX_RETENTION_DAYS; ValueError if not."""
    if days != KEEP_FOREVER and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"RETENTION_DAYS must be 0 (keep for ever) or {MIN_RETENTION_DAYS}..{MAX_RETENTION_DAYS} "
                         f"days, not {days}")
    return days


def retention_cutoff(now: datetime, days: int) -> datetime | None:
    """Conversations closed before this moment have outlived the retention period (None: nothing ages out)."""
    return None if days == KEEP_FOREVER else now - timedelta(days=days)


MAX_REQUEST_CHARS = 500  # an erasure's own note (a ticket number, the request's date): the team's words, no one's data
ERASED_TEXT = ""


def erasable_author(author_id: str | None) -> bool:
    """An author one person is behind: `unknown` is many people under one name, and erasing it would erase them all."""
    return bool(author_id) and author_id != UNKNOWN_AUTHOR


# a delete from the inbox marks the message while it asks the platform; the platform's webhook of it may come
# before the delete is recorded, and within this long of the mark it is taken for that delete's own
DELETING_WINDOW = timedelta(minutes=1)


def erases_on_removal(moderation: dict[str, Any] | None, deleting_at: datetime | None = None,
                      now: datetime | None = None) -> bool:
    """Whether a deletion reported by the platform erases the message: not when it was deleted from here, by a
    person, who keeps it for the record (domain.moderation), nor while such a delete is under way (`deleting_at`,
    less than DELETING_WINDOW before `now`)."""
    moderation = moderation or {}
    if moderation.get("state") == "deleted" and moderation.get("by") not in (None, BY_THE_PLATFORM):
        return False
    return not (deleting_at is not None and now is not None and now - deleting_at < DELETING_WINDOW)


def erased_author(author: dict[str, Any]) -> dict[str, Any]:
    """The author as an erased message keeps it: the platform's id only."""
    return {"id": author.get("id", UNKNOWN_AUTHOR)}


def erased_triage(triage: dict[str, Any]) -> dict[str, Any]:
    """The triage as an erased message keeps it: its verdict, not the words it quoted from the text (the brand's
    own messages have none)."""
    return {**triage, "top_terms": []} if triage else triage


# history entries whose `reason` a person wrote (the others' reasons are codes, such as auto_resolved)
REASONS_IN_WORDS = ("reopened", "rerouted", "hidden", "deleted", "unhidden")


def without_team_words(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A history without what the team wrote about the customer: resolution notes and the reasons people gave."""
    def plain(entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("event") == "erased":  # its note is the request it answered, no one's data
            return entry
        details = dict(entry.get("details") or {})
        details.pop("note", None)
        if entry.get("event") in REASONS_IN_WORDS:
            details.pop("reason", None)
        return {k: v for k, v in {**entry, "details": details or None}.items() if v is not None}
    return [plain(entry) for entry in history]


def has_team_words(history: list[dict[str, Any]], corrections: list[dict[str, Any]],
                   resolution_note: str | None) -> bool:
    """Whether a conversation's head still holds something the team wrote about its customer."""
    return bool(resolution_note) or without_team_words(history) != history or without_reasons(corrections) != corrections


def without_reasons(corrections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-routes as an erased conversation keeps them: from, to, who and when, not the words why."""
    return [{k: v for k, v in correction.items() if k != "reason"} for correction in corrections]


def erasure_record(at: str, by: str, reason: str) -> dict[str, Any]:
    return {"at": at, "by": by, "reason": reason}
