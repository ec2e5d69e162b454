"""The canonical message every platform adapter produces, and the shapes around it."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# ids become parts of DynamoDB keys (partition keys up to 2048 bytes, sort keys up to 1024)
MAX_ID_BYTES = 512


def _fits_a_key(value: str) -> str:
    if len(value.encode()) > MAX_ID_BYTES:
        raise ValueError(f"ids are at most {MAX_ID_BYTES} bytes")
    return value


NativeId = Annotated[str, AfterValidator(_fits_a_key)]

QUEUES = ("customer_service", "stance", "community")
Queue = Literal["customer_service", "stance", "community"]


class Channel(str, Enum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    POST = "post"


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: NativeId
    handle: str | None = None
    name: str | None = None


class Message(BaseModel):
    """One message from the public, normalized from any platform."""

    model_config = ConfigDict(frozen=True)

    id: NativeId = Field(description="`{platform}:{native id}`, unique across platforms")
    platform: str
    channel: Channel
    author: Author
    text: str
    created_at: datetime
    received_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    language: str = "other"
    parent_id: NativeId | None = None
    thread_id: NativeId | None = None
    conversation_id: NativeId | None = None

    @field_validator("created_at", "received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EventKind(str, Enum):
    NEW = "new"  # a message to triage (an edit of an unknown message is new too)
    EDIT = "edit"  # new text for a stored message: triage again
    REMOVE = "remove"  # deleted or hidden on the platform


class InboundEvent(BaseModel):
    """What one webhook entry asks of the store."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    message_id: str
    message: Message | None = None  # set for NEW and EDIT


class Skip(BaseModel):
    """An entry acknowledged but not triaged (brand's own posts, receipts, reactions...)."""

    model_config = ConfigDict(frozen=True)

    reason: str
    ref: str | None = None
