"""The away message (Chatwoot's "out of office" message, Hootsuite's auto-responses): a customer who writes a direct
message while the brand is closed is answered once, at once, with a text the managers approved, so they know when
someone will read it. Only in direct messages: an automatic answer under a public post is noise the whole audience
sees. Who gets it, in which words, and how often.

"Closed" is the business-hours schedule the SLAs use (chalicelib/domain/business_hours.py): without one the brand is
never closed and the away message cannot be turned on. A conversation gets it at most once per closed period (the
night, the weekend, a holiday), and not when someone is already on it: its claim is live, or the brand answered it
since the period began. An automatic reply is not the brand's answer: the conversation stays unanswered, its
first-reply time and SLA wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .automatic_messages import AutomaticMessage, check_texts, is_direct_message
from .business_hours import Schedule
from .errors import AwayTextTooLong, BusinessHoursNotSet
from .workflow import CLAIMED, REMOVED

ACTOR = "system:away"
# an event older than this (a backlog, a redrive) sends nothing: by then the customer expects a person, not a robot
STALE_AFTER = timedelta(minutes=30)


class AwayMessage(AutomaticMessage):
    """The away message as managers saved it."""


def check_change(enabled: bool, text: str, translations: dict[str, str], schedule: Schedule | None) -> None:
    """What a manager may save: turned on only with business hours and a text; every text fits every platform's DM."""
    if enabled and schedule is None:
        raise BusinessHoursNotSet("the away message is sent outside business hours, and none are set: the operator "
                                  "sets SLA_BUSINESS_HOURS (README, Stats) first")
    check_texts("an away message", enabled, text, translations, AwayTextTooLong)


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str  # why not (for the function's metrics), or "due"
    period_start: datetime | None = None  # the closed period it answers: one away message per conversation each


def _skip(reason: str) -> Decision:
    return Decision(False, reason)


def decide(away: AwayMessage, schedule: Schedule | None, *, platform: str, channel: str, direction: str,
           message_status: str, received_at: datetime, erased: bool, head_status: str,
           lease_expiry: datetime | None, last_reply_at: datetime | None, now: datetime,
           is_rating: bool = False) -> Decision:
    """Whether a customer's new message gets the away message now (`is_rating`: it answered the satisfaction survey,
    domain.surveys, and asks nothing)."""
    if not away.enabled or not away.text.strip():
        return _skip("off")
    if schedule is None:
        return _skip("no_business_hours")
    if not is_direct_message(platform, channel, direction):
        return _skip("not_a_direct_message")
    if is_rating:
        return _skip("rating")
    if message_status == REMOVED or head_status == REMOVED or erased:
        return _skip("removed")  # held back (its author is blocked), hidden, deleted or erased
    if now - received_at > STALE_AFTER:
        return _skip("stale")
    if schedule.is_open(received_at) or schedule.is_open(now):
        return _skip("open")
    period_start = schedule.closed_since(now)
    if head_status == CLAIMED and lease_expiry is not None and lease_expiry > now:
        return _skip("claimed")  # someone is working it after hours
    if last_reply_at is not None and last_reply_at >= period_start:
        return _skip("answered")
    return Decision(True, "due", period_start)


def idempotency_key(period_start: datetime) -> str:
    """One away message per conversation and closed period: its key names the period."""
    return f"away-{period_start:%Y%m%dT%H%M%SZ}"
