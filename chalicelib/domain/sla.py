"""SLA breaches (Zendesk's SLA breach triggers, Chatwoot's SLA alerts): a conversation open in its queue and held by
nobody, whose customer has waited longer than the queue's SLA since their latest message (in business time with a
schedule: domain.business_hours), is marked once per wait and announced (`message.sla_breached`), so that a chat
channel or a helpdesk can escalate it while it still matters. A claim, a snooze or a resolve ends the wait as the
SLA counts it (`open_past_sla`); a new message from the customer starts a new one, which may breach again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .workflow import OPEN


def waiting_since(last_inbound_at: str | None, received_at: str) -> str:
    """Since when the customer of an open conversation has waited: their latest message."""
    return last_inbound_at or received_at


def breached(status: str, since: str, cutoff: datetime, marked: dict[str, Any] | None) -> bool:
    """Whether a conversation breaches now: open, waiting since before `cutoff` (whoever waited since before it is
    past the SLA), and not yet marked for this wait."""
    return status == OPEN and since < _iso(cutoff) and (marked or {}).get("waiting_since") != since


def record(since: str, sla_seconds: int, business_hours: bool, now: datetime) -> dict[str, Any]:
    """What is kept on the conversation: the wait that breached, the SLA it broke (counted in business hours or
    not) and when it was found."""
    return {"waiting_since": since, "sla_seconds": sla_seconds, "business_hours": business_hours, "at": _iso(now)}


def _iso(moment: datetime) -> str:
    """As the store writes times (fixed width, UTC), so that they compare as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
