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
"""

from __future__ import annotations

from typing import Any

from ..models import UNKNOWN_AUTHOR

CUSTOMER_REQUEST = "customer_request"  # an admin's erasure of one customer's data
DELETED_ON_PLATFORM = "deleted_on_platform"  # its author (or the platform) deleted it there
REASONS = (CUSTOMER_REQUEST, DELETED_ON_PLATFORM)

MAX_NOTE_CHARS = 500  # the erasure's own note (a ticket number, the request's date): the team's words, no one's data
ERASED_TEXT = ""


def erasable_author(author_id: str | None) -> bool:
    """An author one person is behind: `unknown` is many people under one name, and erasing it would erase them all."""
    return bool(author_id) and author_id != UNKNOWN_AUTHOR


def erases_on_removal(moderation: dict[str, Any] | None) -> bool:
    """Whether a deletion reported by the platform erases the message: not when it was deleted from here, by a
    person, who keeps it for the record (domain.moderation)."""
    moderation = moderation or {}
    return not (moderation.get("state") == "deleted" and moderation.get("by") not in (None, "platform"))


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
        details = dict(entry.get("details") or {})
        details.pop("note", None)
        if entry.get("event") in REASONS_IN_WORDS:
            details.pop("reason", None)
        return {k: v for k, v in {**entry, "details": details or None}.items() if v is not None}
    return [plain(entry) for entry in history]


def without_reasons(corrections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-routes as an erased conversation keeps them: from, to, who and when, not the words why."""
    return [{k: v for k, v in correction.items() if k != "reason"} for correction in corrections]


def erasure_record(at: str, by: str, reason: str) -> dict[str, Any]:
    return {"at": at, "by": by, "reason": reason}
