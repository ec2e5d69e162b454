"""The interface every platform sender implements: one reply in, the platform's id of what it sent out; one
moderation action (hide, unhide, delete a customer's comment) in, nothing out; and one ban (a customer banned from,
or let back to, the brand's account on the platform) in, nothing out.

A sender makes exactly one HTTP call and never retries it (a retried POST could post twice): what went
wrong comes back as one `SendFailed` whose `kind` says what the caller can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["BAN_ACTIONS", "FAILURE_KINDS", "MODERATION_ACTIONS", "OutboundBan", "OutboundModeration", "OutboundReply",
           "PlatformSender", "SendFailed", "SendReceipt"]

# what can go wrong, by what the caller does about it
FAILURE_KINDS = (
    "token_invalid",  # expired, revoked or wrong token (Graph 190, X 401, Telegram 401): the channel is unhealthy
    "token_missing",  # no token configured for the channel
    "permission_denied",  # the token lacks a permission (Graph 10, 200-299; X 403 on write permission)
    "rate_limited",  # try again after `retry_after` seconds when known
    "recipient_unreachable",  # blocked, unavailable, outside the platform's own window: sending again will not help
    "already_replied",  # a private reply to a comment that has one (Graph 10900): one per comment
    "outside_window",  # a private reply after the comment's 7 days (Graph 2018278 on a private reply)
    "rejected",  # any other refusal of the request (4xx)
    "unavailable",  # 5xx, connection refused or broken
    "timeout",  # no answer in time; `maybe_sent` when the request may have reached the platform
)


@dataclass(frozen=True)
class OutboundReply:
    """One reply as the platform needs it (ids are native: no "platform:" prefix)."""

    platform: str  # facebook | messenger | instagram | whatsapp | x | telegram
    channel: str  # of the message replied to: comment | reply | mention | post | direct_message
    account: str | None  # the brand's account: Page id, Instagram account id, WhatsApp phone number id, X user id, "bot"
    recipient_id: str  # the customer: PSID, IGSID, wa_id, X user id, Telegram user id
    reply_to_id: str  # the message replied to: comment id, tweet id, wamid, mid, Telegram message_id
    conversation_id: str | None  # as the adapters store it: "telegram:<chat id>", "x:dm:<a>-<b>", "whatsapp:<wa_id>"
    text: str
    messaging_type: str | None = None  # Messenger and Instagram DMs: "RESPONSE" or "MESSAGE_TAG"
    tag: str | None = None  # "HUMAN_AGENT" with MESSAGE_TAG
    private: bool = False  # a DM to the author of the comment `reply_to_id` (Meta's Private Replies)
    quote: bool = True  # WhatsApp and Telegram show the message replied to above it; a survey quotes nothing
    # answers the customer may tap instead of typing (the satisfaction survey's scores): Messenger's and Instagram's
    # quick replies, a WhatsApp list, Telegram's one-time keyboard; a tap comes back as a message with the choice's
    # words. Not on X (its v2 DM API has none): the text alone says what to answer.
    choices: tuple[str, ...] = ()
    # WhatsApp: a template Meta approved, {"name", "language", "parameters"} (`text` is its words, for the record);
    # the only message WhatsApp takes 24 hours after the customer's last one
    template: dict[str, Any] | None = None


MODERATION_ACTIONS = ("hide", "unhide", "delete")


@dataclass(frozen=True)
class OutboundModeration:
    """One moderation action on a customer's message, as the platform needs it (ids are native)."""

    platform: str  # facebook | instagram | x | telegram (chalicelib/domain/moderation.py says which channels)
    channel: str  # comment | reply
    account: str | None  # the brand's account whose token acts: Page id, Instagram account id, X user id, "bot"
    message_id: str  # Facebook or Instagram comment id, X post id, Telegram message_id
    conversation_id: str | None  # Telegram: "telegram:<chat id>" (deleteMessage needs the chat)
    action: str  # one of MODERATION_ACTIONS


BAN_ACTIONS = ("ban", "unban")


@dataclass(frozen=True)
class OutboundBan:
    """One customer banned from the brand's account on the platform, or let back (ids are native): what "blocked"
    means differs by platform (chalicelib/domain/bans.py says what each one does)."""

    platform: str  # facebook | messenger | whatsapp | x | telegram
    account: str  # the brand's account whose token acts: Page id, WhatsApp phone number id, X user id, "bot"
    author_id: str  # the customer: Facebook user id, PSID, wa_id, X user id, Telegram user id
    chat_id: str | None  # Telegram: the group the customer is banned from (banChatMember needs a chat); else None
    action: str  # one of BAN_ACTIONS


@dataclass(frozen=True)
class SendReceipt:
    platform_message_id: str  # comment id, message_id (mid), wamid, tweet id, dm_event_id, Telegram message_id


class SendFailed(Exception):
    """The platform did not take the reply (or may have: `maybe_sent`).

    `message` is for people and logs: it never holds the token nor the reply's text. `platform_code` is the
    platform's own error code ("190/463", "403", "forbidden"...), `retry_after` seconds to wait when known."""

    def __init__(self, kind: str, message: str, *, platform_code: str | None = None,
                 retry_after: int | None = None, maybe_sent: bool = False):
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.platform_code = platform_code
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent

    def __repr__(self) -> str:
        return (f"SendFailed({self.kind!r}, {self.message!r}, platform_code={self.platform_code!r}, "
                f"retry_after={self.retry_after!r}, maybe_sent={self.maybe_sent!r})")


class PlatformSender:
    """Sends replies on one platform family. Stateless: one instance serves every call in a container."""

    platforms: ClassVar[tuple[str, ...]]

    def send(self, reply: OutboundReply, token: str) -> SendReceipt:
        raise NotImplementedError

    def moderate(self, request: OutboundModeration, token: str) -> None:
        """Hide, unhide or delete one customer message on the platform; `SendFailed` when it did not (a delete of a
        message already gone counts as done)."""
        raise SendFailed("rejected", f"{request.platform}: messages cannot be moderated through this API")

    def ban(self, request: OutboundBan, token: str) -> None:
        """Ban one customer from the brand's account on the platform, or let them back; `SendFailed` when it did not
        (a ban of someone banned already, or an unban of someone who is not, counts as done)."""
        raise SendFailed("rejected", f"{request.platform}: nobody can be banned through this API")


def bearer(platform: str, token: str) -> dict[str, str]:
    """The Authorization header; a token that could not be a header value is refused (and never echoed)."""
    if not token or not token.isprintable() or any(c.isspace() for c in token):
        raise SendFailed("token_invalid", f"{platform}: the configured token is empty or has spaces or control "
                                          "characters")
    return {"Authorization": f"Bearer {token}"}


def refuse(what: OutboundReply | OutboundModeration | OutboundBan, why: str) -> SendFailed:
    """A reply, a moderation action or a ban this sender cannot turn into a request (nothing is sent)."""
    if isinstance(what, OutboundBan):
        return SendFailed("rejected", f"cannot {what.action} a {what.platform} user: {why}")
    if isinstance(what, OutboundModeration):
        return SendFailed("rejected", f"cannot {what.action} a {what.platform} {what.channel}: {why}")
    return SendFailed("rejected", f"cannot send a {what.platform} {what.channel} reply: {why}")
