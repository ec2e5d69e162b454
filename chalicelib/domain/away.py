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

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import reply_limits
from .business_hours import Schedule
from .errors import AwayTextTooLong, BusinessHoursNotSet, InvalidRequest, TextTooLong
from .workflow import CLAIMED, REMOVED

ACTOR = "system:away"
MAX_TEXT_CHARS = 1_000
LANGUAGES = ("en", "ja")  # a translation per triage language; anyone else gets the default text
NAME_TOKEN = "{{customer_name}}"
# a name as long as platforms show: the text must fit every platform's DM with it filled in
LONGEST_NAME = 50
# where it is sent: every platform we can send a direct message on
DM_PLATFORMS = ("messenger", "instagram", "whatsapp", "x", "telegram")
DIRECT_MESSAGE = "direct_message"
# an event older than this (a backlog, a redrive) sends nothing: by then the customer expects a person, not a robot
STALE_AFTER = timedelta(minutes=30)


@dataclass
class AwayMessage:
    enabled: bool = False
    text: str = ""
    translations: dict[str, str] = field(default_factory=dict)
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved

    def text_for(self, language: str | None, customer_name: str | None) -> str:
        """The words sent to a customer writing in `language`, their name filled in (without one, the token and the
        space before it go)."""
        chosen = self.translations.get(language or "") or self.text
        if customer_name:
            return chosen.replace(NAME_TOKEN, customer_name)
        return chosen.replace(f" {NAME_TOKEN}", "").replace(NAME_TOKEN, "")


def check_change(enabled: bool, text: str, translations: dict[str, str], schedule: Schedule | None) -> None:
    """What a manager may save: turned on only with business hours and a text; every text fits every platform's DM."""
    if enabled and schedule is None:
        raise BusinessHoursNotSet("the away message is sent outside business hours, and none are set: the operator "
                                  "sets SLA_BUSINESS_HOURS (README, Stats) first")
    if enabled and not text.strip():
        raise InvalidRequest("an away message that is on needs a text")
    for language, words in {"": text, **translations}.items():
        longest = words.replace(NAME_TOKEN, "W" * LONGEST_NAME)
        for platform in DM_PLATFORMS:
            try:
                reply_limits.check_text_length(platform, DIRECT_MESSAGE, longest)
            except TextTooLong as refused:
                which = f"the {language} text" if language else "the text"
                raise AwayTextTooLong(f"{which} is too long for a direct message on {platform} (with a name of "
                                      f"{LONGEST_NAME} characters filled in): {refused.message}") from None


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str  # why not (for the function's metrics), or "due"
    period_start: datetime | None = None  # the closed period it answers: one away message per conversation each


def _skip(reason: str) -> Decision:
    return Decision(False, reason)


def decide(away: AwayMessage, schedule: Schedule | None, *, platform: str, channel: str, direction: str,
           message_status: str, received_at: datetime, erased: bool, head_status: str,
           lease_expiry: datetime | None, last_reply_at: datetime | None, now: datetime) -> Decision:
    """Whether a customer's new message gets the away message now."""
    if not away.enabled or not away.text.strip():
        return _skip("off")
    if schedule is None:
        return _skip("no_business_hours")
    if channel != DIRECT_MESSAGE or platform not in DM_PLATFORMS or direction != "inbound":
        return _skip("not_a_direct_message")
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
