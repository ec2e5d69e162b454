"""Our own webhook format, for every source without a dedicated adapter (POST /webhooks/generic).

LinkedIn, TikTok and YouTube pollers, scrapers and Zapier zaps send messages here.

Signing
-------
Every request carries two headers:

    X-Timestamp: <unix time in seconds, an integer, e.g. 1714555800>
    X-Signature: sha256=<lower-case hex HMAC-SHA256(GENERIC_WEBHOOK_SECRET, "<X-Timestamp>." + raw body)>

The signed bytes are the X-Timestamp value exactly as sent, a ".", then the raw request body.
The timestamp must be within 300 seconds of the server clock, in either direction, so that a
captured request cannot be replayed later. Failures answer 401 with the code
`missing_timestamp` (absent or not an integer), `stale_timestamp`, `missing_signature` or
`invalid_signature`.

Body
----
A JSON object, either `{"messages": [<message>, ...]}` with 1 to 100 messages, or a single
<message> object on its own. Unknown keys are rejected everywhere (400 `invalid_payload`), so a
misspelt field fails loudly instead of being dropped. Invalid JSON is 400 `malformed_json`.

<message> fields:

    source           required  string matching ^[a-z0-9][a-z0-9_-]{0,31}$, e.g. "linkedin";
                               becomes the Message platform. The platforms with their own
                               adapter are reserved (400 invalid_payload): facebook, instagram,
                               whatsapp, messenger, meta, x, twitter, telegram, generic. Their
                               messages come only through their own webhooks and cannot be
                               created, edited or removed here.
    id               required  string, 1-200 characters: the source's own id of the message;
                               the Message id is "<source>:<id>"
    channel          required  "comment" | "reply" | "mention" | "direct_message" | "post"
    author           required  {"id": string 1-200 characters, "handle": string or null (optional),
                                "name": string or null (optional)}
    text             required  string; must contain a non-blank character unless action is "remove", "hide"
                               or "unhide"
    created_at       required  string, ISO 8601 date and time YYYY-MM-DDTHH:MM[:SS[.ffffff]] with
                               offset "Z" or "+HH:MM"/"-HH:MM"; without an offset it is read as UTC
    parent_id        optional  string 1-200 characters: the source's id of the message replied to
    thread_id        optional  string 1-200 characters: the source's id of the post or thread
    conversation_id  optional  string 1-200 characters: the source's id of the DM conversation
    account          optional  string 1-200 characters: the brand's account at the source the message
                               was sent to (a LinkedIn page, a YouTube channel); stored as given, not
                               prefixed; a channel is (source, account)
    action           optional  "new" (default) | "edit" (new text for a message already sent) |
                               "remove" (deleted at the source: it leaves the queues and its text and
                               author's name are erased here, as for a deletion on any platform) |
                               "hide" (hidden at the source, still there: it leaves the queues and keeps
                               its text) | "unhide" (shown again at the source: back where it was)

parent_id, thread_id and conversation_id are native ids; the Message stores them as
"<source>:<value>", like its own id. Messages are grouped by conversation_id, then by their parent_id
chain: a thread_id alone does not make a conversation.

Edits are ordered by their X-Timestamp (then by position in the batch): an edit signed before the
edit already applied to that message is answered "unchanged" and changes nothing, so replaying a
captured older edit inside the 300 s window cannot revert a newer one. Two edits of one message
signed in the same second apply in the order they arrive.

Example:

    {"messages": [{"source": "linkedin", "id": "7191234567890", "channel": "comment",
                   "author": {"id": "urn:li:person:abc123", "name": "Aiko Tanaka"},
                   "text": "Is the spring menu vegan?", "created_at": "2024-05-01T09:30:00+09:00",
                   "thread_id": "urn:li:activity:7190000000000"}]}
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Annotated, Any, Callable, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema,
                      model_validator)

from ..errors import InvalidSignature
from ..language import detect_language
from ..models import Author, Channel, EventKind, InboundEvent, Message
from .base import (RESERVED_SOURCES, Batch, PlatformAdapter, SecretLookup, WebhookRequest, check_signature,
                   parse_json)

SECRET = "GENERIC_WEBHOOK_SECRET"
MAX_SKEW_SECONDS = 300
MAX_MESSAGES = 100

_TIMESTAMP = re.compile(r"[0-9]{1,20}")  # bounded so int() stays cheap; anything that long is stale anyway
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")

NativeId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _not_reserved(value: str) -> str:
    if value in RESERVED_SOURCES:
        raise ValueError(f"source {value!r} is reserved: its messages come only through its own webhook")
    return value


Source = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$"), AfterValidator(_not_reserved)]


def _iso_datetime(value: Any) -> datetime:
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("created_at must be an ISO 8601 date and time, e.g. 2024-05-01T09:30:00+09:00")
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError) as exc:  # OverflowError: an offset pushing year 1 or 9999 out of range
        raise ValueError(f"created_at is not a valid ISO 8601 date and time: {exc}") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenericAuthor(_Strict):
    id: NativeId
    handle: str | None = None
    name: str | None = None


class GenericMessage(_Strict):
    source: Source
    id: NativeId
    channel: Channel
    author: GenericAuthor
    text: str
    created_at: Annotated[datetime, PlainValidator(_iso_datetime), WithJsonSchema({
        "type": "string", "description": "ISO 8601 date and time, e.g. 2024-05-01T09:30:00+09:00 (UTC without an "
                                         "offset)"})]
    parent_id: NativeId | None = None
    thread_id: NativeId | None = None
    conversation_id: NativeId | None = None
    account: NativeId | None = Field(None, description=(
        "the brand's account at the source the message was sent to (e.g. a LinkedIn page id); stored as given"))
    action: Literal["new", "edit", "remove", "hide", "unhide"] = "new"

    @model_validator(mode="after")
    def _text_unless_removed(self) -> GenericMessage:
        if self.action in ("new", "edit") and not self.text.strip():
            raise ValueError("text must not be blank unless action is remove, hide or unhide")
        return self


class GenericBody(_Strict):
    messages: Annotated[list[GenericMessage], Field(min_length=1, max_length=MAX_MESSAGES)]

    @model_validator(mode="before")
    @classmethod
    def _single(cls, data: Any) -> Any:
        # a lone message object is a batch of one
        if isinstance(data, dict) and "messages" not in data:
            return {"messages": [data]}
        return data


class GenericAdapter(PlatformAdapter):
    route = "generic"
    secret_names = (SECRET,)
    payloads = (GenericBody, GenericMessage)  # a batch, or one message alone
    signature_headers = (("X-Timestamp", "unix seconds, within 300 s of the server clock"),
                         ("X-Signature", 'sha256=<hex HMAC-SHA256(GENERIC_WEBHOOK_SECRET, "<X-Timestamp>." + raw body)>'))

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def verify(self, request: WebhookRequest, secret: SecretLookup) -> None:
        timestamp = request.header("X-Timestamp") or ""
        if not _TIMESTAMP.fullmatch(timestamp):
            raise InvalidSignature("X-Timestamp header must be unix seconds (an integer)", code="missing_timestamp")
        if abs(self._clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            raise InvalidSignature(f"X-Timestamp is more than {MAX_SKEW_SECONDS} s from the server clock",
                                   code="stale_timestamp")
        check_signature(request.header("X-Signature"), secret(SECRET), timestamp.encode() + b"." + request.body,
                        header="X-Signature")

    def parse(self, request: WebhookRequest) -> Batch:
        body = parse_json(request.body, GenericBody)
        signed_at = int(request.header("X-Timestamp") or 0)  # verify() has checked it
        batch = Batch()
        for index, item in enumerate(body.messages):
            batch.events.append(_event(item, version=f"{signed_at:020d}.{index:03d}"))
        return batch


# what became of a message at the source: only "remove" (deleted there) erases its text here
_VISIBILITY_ACTIONS = {"remove": EventKind.REMOVE, "hide": EventKind.HIDE, "unhide": EventKind.UNHIDE}


def _event(item: GenericMessage, version: str | None = None) -> InboundEvent:
    def prefixed(native: str | None) -> str | None:
        return f"{item.source}:{native}" if native is not None else None

    message_id = f"{item.source}:{item.id}"
    if item.action in _VISIBILITY_ACTIONS:
        return InboundEvent(kind=_VISIBILITY_ACTIONS[item.action], message_id=message_id)
    message = Message(
        id=message_id,
        platform=item.source,
        channel=item.channel,
        author=Author(id=item.author.id, handle=item.author.handle, name=item.author.name),
        text=item.text,
        created_at=item.created_at,
        language=detect_language(item.text),
        parent_id=prefixed(item.parent_id),
        thread_id=prefixed(item.thread_id),
        conversation_id=prefixed(item.conversation_id),
        account=item.account,
    )
    return InboundEvent(kind=EventKind(item.action), message_id=message_id, message=message, version=version)
