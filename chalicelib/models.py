"""The canonical message every platform adapter produces, and the shapes around it.

Plain frozen dataclasses: pydantic checks the untrusted payloads at the edge (platforms/*), and these
are built only from values it has checked. They keep the invariants the store relies on: ids fit a
DynamoDB key, and datetimes are in UTC.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

# ids become parts of DynamoDB keys (partition keys up to 2048 bytes, sort keys up to 1024)
MAX_ID_BYTES = 512
# a message item must stay well under DynamoDB's 400 KB: longer text is cut (on a character boundary) and
# flagged `text_truncated`; author names and handles are cut without a flag
MAX_TEXT_BYTES = 64 * 1024
MAX_NAME_BYTES = 512

QUEUES = ("customer_service", "stance", "community")
# the author id of a message whose payload names no author (it is never counted as repeated contact)
UNKNOWN_AUTHOR = "unknown"
Queue = Literal["customer_service", "stance", "community"]
# who wrote a message: the public (triaged, queued) or the brand itself (echoes, page replies, outgoing DMs:
# stored in their conversation, never triaged)
INBOUND, OUTBOUND = "inbound", "outbound"
Direction = Literal["inbound", "outbound"]
# what the platforms report of a message the brand sent (WhatsApp statuses, Messenger delivery/read, echoes)
DELIVERY_STATES = ("sent", "delivered", "read", "failed")
DeliveryState = Literal["sent", "delivered", "read", "failed"]


class InvalidMessage(ValueError):
    """A payload that passed its platform's schema but cannot make a canonical message."""


def _check_id(where: str, value: str | None) -> None:
    if value is None:
        return
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"): no key can hold it
        raise InvalidMessage(f"{where}: ids must be valid Unicode text") from None
    if size > MAX_ID_BYTES:
        raise InvalidMessage(f"{where}: ids are at most {MAX_ID_BYTES} bytes")


def _valid_text(where: str, value: str | None) -> bytes | None:
    """The UTF-8 bytes of a text field; a lone surrogate (JSON allows "\\ud800") is not text anything can store."""
    if value is None:
        return None
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidMessage(f"{where}: must be valid Unicode text (it has an unpaired surrogate)") from None


def _cut(encoded: bytes, limit: int) -> str:
    return encoded[:limit].decode("utf-8", "ignore")  # "ignore" drops a character split at the limit


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def without_none(shape: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, leaving out those that are None."""
    return {k: v for k, v in asdict(shape).items() if v is not None}


class Channel(str, Enum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    POST = "post"


@dataclass(frozen=True)
class Author:
    id: str
    handle: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        _check_id("author.id", self.id)
        for name in ("handle", "name"):
            encoded = _valid_text(f"author.{name}", getattr(self, name))
            if encoded is not None and len(encoded) > MAX_NAME_BYTES:
                object.__setattr__(self, name, _cut(encoded, MAX_NAME_BYTES))


@dataclass(frozen=True)
class Message:
    """One message from the public, normalized from any platform."""

    id: str  # `{platform}:{native id}`, unique across platforms
    platform: str
    channel: Channel
    author: Author
    text: str
    created_at: datetime
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    language: str = "other"
    parent_id: str | None = None
    thread_id: str | None = None
    conversation_id: str | None = None
    text_truncated: bool = False  # set when the text was longer than MAX_TEXT_BYTES
    # the brand's account the message was sent to (outbound: sent from): Facebook Page id, Instagram account id,
    # WhatsApp phone number id, X user id (for_user_id), Telegram bot ("bot"); a channel is (platform, account)
    account: str | None = None
    direction: Direction = INBOUND

    def __post_init__(self) -> None:
        for name in ("id", "parent_id", "thread_id", "conversation_id", "account"):
            _check_id(name, getattr(self, name))
        encoded = _valid_text("text", self.text)
        if encoded is not None and len(encoded) > MAX_TEXT_BYTES:
            object.__setattr__(self, "text", _cut(encoded, MAX_TEXT_BYTES))
            object.__setattr__(self, "text_truncated", True)
        if not self.id.startswith(f"{self.platform}:"):  # the id space is the platform's (see platforms.base)
            raise InvalidMessage(f"id: must start with the platform {self.platform!r} and a colon")
        # frozen: normalizing in place goes through object.__setattr__
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "created_at", _utc(self.created_at))
        object.__setattr__(self, "received_at", _utc(self.received_at))


class EventKind(str, Enum):
    NEW = "new"  # a message to triage (an edit of an unknown message is new too); outbound ones are stored only
    EDIT = "edit"  # new text for a stored message: triage again
    REMOVE = "remove"  # deleted on the platform
    HIDE = "hide"  # hidden on the platform (Facebook's feed verb): out of the queues, as a removal, until shown again
    UNHIDE = "unhide"  # shown again on the platform
    STATUS = "status"  # what became of a message the brand sent (delivered, read, failed)


@dataclass(frozen=True)
class DeliveryStatus:
    """A platform's report on a message the brand sent.

    `platform_message_id` names one sent message (WhatsApp wamid, Messenger mid); a Messenger `read` (and a
    `delivery` without mids) carries only a `watermark`: every message sent to `recipient_id` on `account` at or
    before it has reached that state.
    """

    platform: str
    state: DeliveryState
    at: datetime
    account: str | None = None
    recipient_id: str | None = None
    platform_message_id: str | None = None
    watermark: datetime | None = None
    error: str | None = None  # the platform's error code and title, for `failed`

    def __post_init__(self) -> None:
        for name in ("platform_message_id", "recipient_id", "account"):
            _check_id(name, getattr(self, name))
        if self.state not in DELIVERY_STATES:
            raise InvalidMessage(f"state: must be one of {', '.join(DELIVERY_STATES)}")
        object.__setattr__(self, "at", _utc(self.at))
        if self.watermark is not None:
            object.__setattr__(self, "watermark", _utc(self.watermark))


@dataclass(frozen=True)
class InboundEvent:
    """What one webhook entry asks of the store."""

    kind: EventKind
    message_id: str
    message: Message | None = None  # set for NEW and EDIT
    status: DeliveryStatus | None = None  # set for STATUS; message_id is then "<platform>:<platform message id>"
    # orders the edits of one message where the platform's signature covers a time (generic: X-Timestamp);
    # an edit whose version sorts before the one applied is ignored, so a replayed older edit cannot revert
    version: str | None = None

    def __post_init__(self) -> None:
        # a removal names only an id: held to the key limit here, so a batch is refused before any of it is stored
        _check_id("message id", self.message_id)


@dataclass(frozen=True)
class Skip:
    """An entry acknowledged but not triaged (brand's own posts, receipts, reactions...)."""

    reason: str
    ref: str | None = None
