"""Whether a platform still accepts a reply in a conversation, and how the reply must be labelled.

Pure rules (no I/O, no clock): the caller passes the customer's last inbound message time and now.

| platform, channel | open | then |
|---|---|---|
| messenger, instagram: direct_message | under 24 h after the customer's last message: `RESPONSE` | under 7 days, a person's reply: `MESSAGE_TAG` + `HUMAN_AGENT`; later closed |
| whatsapp | under 24 h (the customer-service window) | closed: only template messages may be sent (domain.whatsapp_templates) |
| facebook, instagram comments, replies, mentions, posts; x; telegram | always | - |
| any other platform (generic sources) | never: no sender | - |

A window is half-open: at exactly 24 h the standard window is closed, at exactly 7 days the human-agent one.

A private reply (a DM to the author of a public comment, Meta's Private Replies) has its own rule: only a
Facebook or Instagram comment or reply, once per comment (the store enforces it), under 7 days after the comment
was written. The person's answer opens a normal DM thread with its 24 h window. Meta's pages:
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies and
https://developers.facebook.com/docs/instagram-platform/private-replies
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .errors import NoSender, OutsideReplyWindow, PrivateReplyUnsupported

STANDARD_WINDOW = timedelta(hours=24)  # Messenger and Instagram standard messaging, WhatsApp customer service
HUMAN_AGENT_WINDOW = timedelta(days=7)  # Messenger and Instagram, HUMAN_AGENT tag: a person's reply only
RESPONSE, MESSAGE_TAG, HUMAN_AGENT = "RESPONSE", "MESSAGE_TAG", "HUMAN_AGENT"

SENDING_PLATFORMS = frozenset({"facebook", "messenger", "instagram", "whatsapp", "x", "telegram"})
_MESSAGING_WINDOWS = frozenset({"messenger", "instagram"})  # Meta's Messenger Platform (Send API) rules

# stable reasons (clients branch on them)
NO_SENDER = "no_sender"
STANDARD_WINDOW_CLOSED = "standard_window_closed"  # 24 h passed and the reply is not a person's
HUMAN_AGENT_WINDOW_CLOSED = "human_agent_window_closed"  # 7 days passed
WHATSAPP_WINDOW_CLOSED = "whatsapp_window_closed"  # 24 h passed: only a template (domain.whatsapp_templates)
PRIVATE_REPLY_WINDOW_CLOSED = "private_reply_window_closed"  # 7 days passed since the comment
PRIVATE_REPLY_UNSUPPORTED = "private_reply_unsupported"  # not a Facebook or Instagram comment

PRIVATE_REPLY_WINDOW = timedelta(days=7)  # from the comment's creation, not the customer's last message
PRIVATE_REPLY_PLATFORMS = frozenset({"facebook", "instagram"})
PRIVATE_REPLY_CHANNELS = frozenset({"comment", "reply"})


@dataclass(frozen=True)
class ReplyWindow:
    """`closes_at`: the first instant a reply can no longer be sent (for a closed window: when it closed);
    None when the platform has no window. `messaging_type` and `tag` are what a Send API reply carries now."""

    open: bool
    reason: str | None = None
    closes_at: datetime | None = None
    messaging_type: str | None = None
    tag: str | None = None


def reply_window(platform: str, channel: str, last_inbound_at: datetime | None, now: datetime, *,
                 by_person: bool = True) -> ReplyWindow:
    """The window for a reply on `platform` in a conversation of `channel` ("direct_message", "comment"...).

    `last_inbound_at` is when the customer last wrote in the conversation (None: never, which closes a DM
    window); times in any zone (naive ones are taken as UTC). `by_person`: a person, not automation, wrote the
    reply; only a person's reply may use the 7-day HUMAN_AGENT tag (replies from the inbox always are)."""
    if platform not in SENDING_PLATFORMS:
        return ReplyWindow(False, NO_SENDER)
    if platform == "whatsapp":
        return _window(last_inbound_at, now, STANDARD_WINDOW, WHATSAPP_WINDOW_CLOSED)
    if platform in _MESSAGING_WINDOWS and channel == "direct_message":
        if last_inbound_at is None:
            return ReplyWindow(False, STANDARD_WINDOW_CLOSED)
        last, now = _utc(last_inbound_at), _utc(now)
        if now < last + STANDARD_WINDOW:  # answerable until the human-agent window closes (a person's reply)
            return ReplyWindow(True, None, last + (HUMAN_AGENT_WINDOW if by_person else STANDARD_WINDOW), RESPONSE)
        if not by_person:
            return ReplyWindow(False, STANDARD_WINDOW_CLOSED, last + STANDARD_WINDOW)
        return _window(last, now, HUMAN_AGENT_WINDOW, HUMAN_AGENT_WINDOW_CLOSED, MESSAGE_TAG, HUMAN_AGENT)
    return ReplyWindow(True)  # comments, posts, mentions; X; Telegram: no window


def check_reply_window(platform: str, channel: str, last_inbound_at: datetime | None, now: datetime, *,
                       by_person: bool = True) -> ReplyWindow:
    """`reply_window`, raising `OutsideReplyWindow` (or `NoSender`) when it is closed."""
    window = reply_window(platform, channel, last_inbound_at, now, by_person=by_person)
    if window.open:
        return window
    if window.reason == NO_SENDER:
        raise NoSender(f"replies cannot be sent on {platform!r}: this API sends only on "
                       f"{', '.join(sorted(SENDING_PLATFORMS))}")
    closed = f" on {window.closes_at.isoformat()}" if window.closes_at else " (the customer has not written)"
    what = {
        STANDARD_WINDOW_CLOSED: f"the {platform} 24-hour messaging window closed{closed}; "
                                "only a person's reply may use the 7-day HUMAN_AGENT tag",
        HUMAN_AGENT_WINDOW_CLOSED: f"the {platform} 7-day human agent window closed{closed}; "
                                   "the customer must write again before a reply can be sent",
        WHATSAPP_WINDOW_CLOSED: f"the WhatsApp 24-hour customer service window closed{closed}; after it only "
                                "template messages may be sent, and this API does not send templates",
    }[window.reason]
    raise OutsideReplyWindow(what)


def _window(last_inbound_at: datetime | None, now: datetime, length: timedelta, closed_reason: str,
            messaging_type: str | None = None, tag: str | None = None) -> ReplyWindow:
    if last_inbound_at is None:
        return ReplyWindow(False, closed_reason)
    closes_at = _utc(last_inbound_at) + length
    if _utc(now) < closes_at:
        return ReplyWindow(True, None, closes_at, messaging_type, tag)
    return ReplyWindow(False, closed_reason, closes_at)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def offers_private_reply(platform: str, channel: str) -> bool:
    """A Facebook or Instagram comment: its author can be answered with a DM (Meta's Private Replies)."""
    return platform in PRIVATE_REPLY_PLATFORMS and channel in PRIVATE_REPLY_CHANNELS


def private_reply_window(platform: str, channel: str, commented_at: datetime | None, now: datetime) -> ReplyWindow:
    """Whether a private reply (a DM to the comment's author) may still be sent to a comment written at
    `commented_at`. Once per comment is not a window: the store enforces it."""
    if not offers_private_reply(platform, channel):
        return ReplyWindow(False, PRIVATE_REPLY_UNSUPPORTED)
    return _window(commented_at, now, PRIVATE_REPLY_WINDOW, PRIVATE_REPLY_WINDOW_CLOSED)


def check_private_reply_window(platform: str, channel: str, commented_at: datetime | None,
                               now: datetime) -> ReplyWindow:
    """`private_reply_window`, raising `PrivateReplyUnsupported` or `OutsideReplyWindow` when it is closed."""
    window = private_reply_window(platform, channel, commented_at, now)
    if window.open:
        return window
    if window.reason == PRIVATE_REPLY_UNSUPPORTED:
        raise PrivateReplyUnsupported(f"a private reply answers a Facebook or Instagram comment with a direct "
                                      f"message; this is a {platform} {channel}")
    closed = f" on {window.closes_at.isoformat()}" if window.closes_at else ""
    raise OutsideReplyWindow(f"a private reply must be sent within 7 days of the comment; that window closed{closed}")
