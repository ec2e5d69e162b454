"""The satisfaction survey (Zendesk's and Chatwoot's CSAT): when a person resolves a direct-message conversation the
brand answered, the customer is asked once, in words the managers approved, to rate it from 1 to 5; a message that
is only a rating ("5", "4/5", "★★★★", "星4", "5点") records the rating on the conversation and reopens nothing.

Who is asked: only in direct messages (domain.automatic_messages), only conversations a person resolved (not the
sweep's auto-resolve: nobody worked them lately) and the brand answered (first_reply_at: a spam DM closed unanswered
is not asked), not removed or erased ones, once per conversation (a conversation reopened and resolved again is not
asked twice), and not from a stale event. The platform's reply window still applies when it is sent.

How a rating is read: the customer's first message after the survey, while the conversation is still resolved and
within RATING_WINDOW; anything else in it (a number inside a sentence, "3 days late") is an ordinary message that
reopens the conversation as before, and the survey then waits for no rating.

The follow-up question (Zendesk's comment on a bad rating, Chatwoot's CSAT feedback): after a rating below SATISFIED,
the customer is asked, in words the managers wrote, what went wrong; their next message within COMMENT_WINDOW is the
rating's comment. It is an ordinary message all the same: it reopens the conversation, so a person follows up on an
unhappy customer. Only the comment's message id is kept with the rating (its words stay in the message, which an
erasure or a deletion on the platform takes with it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .automatic_messages import AutomaticMessage, check_texts, is_direct_message, with_name
from .errors import SurveyTextTooLong
from .workflow import RESOLVED

ACTOR = "system:survey"
IDEMPOTENCY_KEY = "survey"  # one survey per conversation, whoever resolves it and however often
FOLLOW_UP_ACTOR = "system:survey_follow_up"
FOLLOW_UP_KEY = "survey-follow-up"  # one follow-up question per conversation
SCORES = (1, 2, 3, 4, 5)
SATISFIED = 4  # 4 and 5 count as satisfied (the usual CSAT share)
# the scores offered to tap (quick replies, a WhatsApp list, a Telegram keyboard): a tap sends the words, which read
# as that rating (`rating("4 ★★★★") == 4`)
CHOICES = tuple(f"{score} {'★' * score}" for score in reversed(SCORES))
# a resolve event older than this sends nothing (a backlog, a redrive): a survey about yesterday's talk is noise
STALE_AFTER = timedelta(hours=1)
# how long a rating is waited for after the survey (the conversation reopens on a message for days; a bare "4"
# a week later is more likely an answer to something else)
RATING_WINDOW = timedelta(days=3)
LONGEST_RATING = 40  # characters: a rating is a short message, never a paragraph that happens to hold a digit
# how long the comment is waited for after the follow-up question: an answer comes at once or not at all
COMMENT_WINDOW = timedelta(days=1)


@dataclass
class Survey(AutomaticMessage):
    """The satisfaction survey as managers saved it, with the follow-up question asked after a low rating (empty:
    none is asked)."""

    follow_up: str = ""
    follow_up_translations: dict[str, str] = field(default_factory=dict)

    def follow_up_for(self, language: str | None, customer_name: str | None) -> str:
        """The follow-up question in the customer's language, their name filled in."""
        return with_name(self.follow_up_translations.get(language or "") or self.follow_up, customer_name)


class _FollowUpTooLong(SurveyTextTooLong):
    def __init__(self, message: str) -> None:
        super().__init__(f"the follow-up's {message.removeprefix('the ')}")


def check_change(enabled: bool, text: str, translations: dict[str, str], follow_up: str = "",
                 follow_up_translations: dict[str, str] | None = None) -> None:
    check_texts("a satisfaction survey", enabled, text, translations, SurveyTextTooLong)
    # a follow-up may be empty whether or not the survey is on: then none is asked
    check_texts("a follow-up question", False, follow_up, follow_up_translations or {}, _FollowUpTooLong)


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str  # why not (for the function's metrics), or "due"


def decide(survey: Survey, *, platform: str, channel: str, status: str, resolved_at: datetime | None,
           resolved_by: str | None, resolution_reason: str | None, first_reply_at: str | None, erased: bool,
           satisfaction: dict[str, Any] | None, now: datetime) -> Decision:
    """Whether a conversation (its first message's state, as just read) gets the survey now."""
    if not survey.enabled or not survey.text.strip():
        return Decision(False, "off")
    if not is_direct_message(platform, channel):
        return Decision(False, "not_a_direct_message")
    if erased:
        return Decision(False, "removed")
    if status != RESOLVED or resolved_at is None:
        return Decision(False, "not_resolved")  # reopened (or removed) since the event
    if resolution_reason == "auto_resolved" or not resolved_by or resolved_by.startswith(("system:", "platform:")):
        return Decision(False, "not_resolved_by_a_person")
    if first_reply_at is None:
        return Decision(False, "never_answered")
    if satisfaction:
        return Decision(False, "already_sent")
    if now - resolved_at > STALE_AFTER:
        return Decision(False, "stale")
    return Decision(True, "due")


def decide_follow_up(survey: Survey, *, status: str, erased: bool, satisfaction: dict[str, Any] | None,
                     now: datetime) -> Decision:
    """Whether a conversation just rated gets the follow-up question now (its first message's state, as read)."""
    satisfaction = satisfaction or {}
    score = satisfaction.get("score")
    if not survey.enabled or not survey.follow_up.strip():
        return Decision(False, "off")
    if score is None:
        return Decision(False, "not_rated")
    if score >= SATISFIED:
        return Decision(False, "satisfied")
    if erased:
        return Decision(False, "removed")
    if status != RESOLVED:
        return Decision(False, "not_resolved")  # the customer wrote again meanwhile: a person reads that instead
    if satisfaction.get("follow_up_sent_at"):
        return Decision(False, "already_sent")
    rated_at = satisfaction.get("rated_at")
    if not rated_at or now - _parsed(rated_at) > STALE_AFTER:
        return Decision(False, "stale")
    return Decision(True, "due")


def comment_awaited(satisfaction: dict[str, Any] | None, customer_id: str | None, author_id: str,
                    now: datetime) -> bool:
    """Whether a customer's new message is the comment the follow-up question asked for."""
    satisfaction = satisfaction or {}
    asked = satisfaction.get("follow_up_sent_at")
    return (customer_id == author_id and bool(asked) and not satisfaction.get("comment_message_id")
            and now - _parsed(asked) <= COMMENT_WINDOW)


def with_comment(satisfaction: dict[str, Any], message_id: str, received_at: str) -> dict[str, Any]:
    """The rating with the message that comments on it."""
    return {**satisfaction, "comment_message_id": message_id, "commented_at": received_at}


def _parsed(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def awaits_rating(satisfaction: dict[str, Any] | None, status: str, now: datetime) -> bool:
    """Whether the conversation's survey still waits for the customer's rating."""
    if not satisfaction or satisfaction.get("score") is not None or satisfaction.get("closed") or status != RESOLVED:
        return False
    sent = satisfaction.get("survey_sent_at")
    return bool(sent) and now - _parsed(sent) <= RATING_WINDOW


_INVISIBLE = dict.fromkeys(map(ord, "\ufe0f\ufe0e\u20e3\u200b\u200c\u200d\u2060\ufeff"))
_FULL_STAR, _EMPTY_STAR = "★⭐🌟", "☆"
_THANKS = r"(?:thanks?(?:\s+you)?|thx|ty|ありがと\w*)"
_RATING = re.compile(
    r"(?:(?:rating|score|星|ほし|評価)\s*[:：]?\s*)?"
    r"([1-5])"
    r"(?:\s*(?:/\s*5|out\s+of\s+5|stars?|点|つ星|つ|です|でした|で))?"
    rf"(?:\s*{_THANKS})?",
    re.IGNORECASE)


def rating(text: str) -> int | None:
    """The score a message gives, when the message is only a rating: "5", "５", "4/5", "4 out of 5", "5 stars",
    "★★★☆☆", "⭐⭐⭐⭐", "星4", "5点", "5️⃣", "rating: 3", "5! thanks"; None for anything else."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip()
    if not cleaned or len(cleaned) > LONGEST_RATING:
        return None
    stars = [c for c in cleaned if not c.isspace()]
    if stars and all(c in _FULL_STAR + _EMPTY_STAR for c in stars):
        full = sum(c in _FULL_STAR for c in stars)
        empty = len(stars) - full
        if 1 <= full <= 5 and (empty == 0 or full + empty == 5):
            return full
        return None
    # what surrounds a rating and says nothing else: punctuation, emoji, quotes ("5!", "5 👍", "「5」")
    core = "".join(c for c in cleaned if not unicodedata.category(c).startswith(("P", "S"))
                   or c in "/:").strip()
    found = _RATING.fullmatch(core.strip())
    return int(found.group(1)) if found else None


def rating_counts(score: int) -> dict[str, int]:
    """What a rating adds to the stats' counters (a queue's hour, the resolver's hour and day)."""
    return {"ratings": 1, "rating_sum": score, f"rating_{score}": 1, "ratings_satisfied": int(score >= SATISFIED)}


def rating_awaited(satisfaction: dict[str, Any] | None, status: str, customer_id: str | None, author_id: str,
                   text: str, now: datetime) -> int | None:
    """The score a customer's new message gives the conversation's survey; None when it gives none (no survey
    waits, someone else wrote, or it is not only a rating): then it is an ordinary message."""
    if customer_id != author_id or not awaits_rating(satisfaction, status, now):
        return None
    return rating(text)
