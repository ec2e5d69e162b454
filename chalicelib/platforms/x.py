"""X (Twitter) Account Activity API webhooks: mentions, replies, DMs and tweet deletions.

GET is the CRC challenge: X sends `crc_token` and expects it signed with the consumer secret.
POSTs carry `x-twitter-webhooks-signature`, the same HMAC over the raw body. `for_user_id` is the
subscribed (brand) account: every message's `account`, and anything it authored is the brand's own
activity. Its replies to others and its outgoing DMs are outbound messages in the customer's thread (the
tweet replied to; the DM conversation, the sorted pair of user ids); its other tweets (posts, retweets,
threads continuing its own tweets) are skipped as `own_post`.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Annotated, Any, cast

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, StringConstraints, ValidationError,
                      WithJsonSchema, model_validator)

from ..errors import BadRequest
from ..language import detect_language
from ..models import INBOUND, OUTBOUND, Author, Channel, EventKind, InboundEvent, Message
from .base import (Batch, HandshakeResponse, PlatformAdapter, SecretLookup, WebhookRequest, check_signature,
                   hmac_sha256, parse_json)
from .timeutil import from_unix

SECRET = "X_CONSUMER_SECRET"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# X's crc_token is a short base64 string. The CRC answer is the HMAC a POST of the same bytes would carry,
# so anything else (a JSON body above all) must never be signed: the token's alphabet has no "{", "[" or
# quote, and no body made of it is a payload we accept (X's own docs sign the example "test token").
CRC_TOKEN_PATTERN = r"^[A-Za-z0-9+/_= -]{1,256}$"


def _id(value: Any) -> Any:
    # X sends ids both as JSON numbers and as `*_str` strings; bool is not an id
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_id), StringConstraints(min_length=1)]
# bounded so from_unix can never overflow; values below 1e11 are read as seconds
UnixTime = Annotated[int, Field(ge=0, le=10**14)]


def _tweet_time(value: Any) -> datetime:
    """v1.1 `created_at`, e.g. "Thu Dec 19 11:27:49 +0000 2019", as UTC."""
    if not isinstance(value, str):
        raise ValueError("created_at must be a string")
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(timezone.utc)
    except OverflowError as exc:  # year 1 or 9999 shifted out of range
        raise ValueError(f"created_at out of range: {value!r}") from exc


TweetTime = Annotated[datetime, PlainValidator(_tweet_time),
                      WithJsonSchema({"type": "string", "description": "e.g. Thu Dec 19 11:27:49 +0000 2019"})]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class TweetUser(_Lenient):
    id_str: Id | None = None
    id: Id | None = None
    screen_name: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _has_id(self) -> TweetUser:
        if not (self.id_str or self.id):
            raise ValueError("user has neither id_str nor id")
        return self

    @property
    def native_id(self) -> str:
        return self.id_str or self.id or ""


class ExtendedTweet(_Lenient):
    full_text: str


class Tweet(_Lenient):
    id_str: Id | None = None
    id: Id | None = None
    text: str | None = None
    full_text: str | None = None  # tweets fetched in extended mode
    truncated: bool = False
    extended_tweet: ExtendedTweet | None = None
    user: TweetUser
    in_reply_to_status_id_str: Id | None = None
    in_reply_to_user_id_str: Id | None = None
    retweeted_status: dict[str, Any] | None = None
    timestamp_ms: UnixTime | None = None
    created_at: TweetTime | None = None

    @model_validator(mode="after")
    def _check(self) -> Tweet:
        if not (self.id_str or self.id):
            raise ValueError("tweet has neither id_str nor id")
        if self.timestamp_ms is None and self.created_at is None:
            raise ValueError("tweet has neither timestamp_ms nor created_at")
        return self

    @property
    def native_id(self) -> str:
        return self.id_str or self.id or ""

    @property
    def created(self) -> datetime:
        if self.timestamp_ms is not None:
            return from_unix(self.timestamp_ms)
        return cast(datetime, self.created_at)  # _check guarantees one of the two

    @property
    def full(self) -> str:
        if self.truncated and self.extended_tweet is not None:
            return self.extended_tweet.full_text
        return self.text if self.text is not None else (self.full_text or "")


class DMMedia(_Lenient):
    url: str | None = None  # the t.co link X appends to the text


class DMAttachment(_Lenient):
    media: DMMedia | None = None


class DMData(_Lenient):
    text: str = ""
    attachment: DMAttachment | None = None


class DMTarget(_Lenient):
    recipient_id: Id


class MessageCreate(_Lenient):
    target: DMTarget
    sender_id: Id
    message_data: DMData


class DMEvent(_Lenient):
    type: str
    id: Id
    created_timestamp: UnixTime
    message_create: MessageCreate | None = None


class DeletedStatus(_Lenient):
    id: Id
    user_id: Id | None = None


class TweetDelete(_Lenient):
    status: DeletedStatus


class DMUser(_Lenient):
    screen_name: str | None = None
    name: str | None = None


class XPayload(_Lenient):
    for_user_id: Id | None = None
    tweet_create_events: list[Tweet] = []
    direct_message_events: list[DMEvent] = []
    tweet_delete_events: list[TweetDelete] = []
    users: dict[str, DMUser] = {}


_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def unescape(text: str) -> str:
    # X escapes only these three in text; one pass so "&amp;lt;" stays a literal "&lt;"
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


class CrcQuery(BaseModel):
    """The CRC check's query string."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    crc_token: str = Field(pattern=CRC_TOKEN_PATTERN, description="the challenge X asks to have signed")


class XAdapter(PlatformAdapter):
    route = "x"
    secret_names = (SECRET,)
    payloads = (XPayload,)
    signature_headers = ((SIGNATURE_HEADER, "sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, raw body)>"),)
    handshake_query = CrcQuery

    def handshake(self, request: WebhookRequest, secret: SecretLookup) -> HandshakeResponse:
        if not request.query.get("crc_token"):
            raise BadRequest("crc_token query parameter is required", code="missing_crc_token")
        try:
            token = CrcQuery.model_validate(dict(request.query)).crc_token
        except ValidationError:
            raise BadRequest("crc_token must be 1-256 base64 characters (A-Z a-z 0-9 + / _ - = and space)",
                             code="invalid_crc_token") from None
        digest = hmac_sha256(secret(SECRET), token.encode())
        return HandshakeResponse({"response_token": "sha256=" + base64.b64encode(digest).decode()})

    def verify(self, request: WebhookRequest, secret: SecretLookup) -> None:
        check_signature(request.header(SIGNATURE_HEADER), secret(SECRET), request.body, encoding="base64",
                        header=SIGNATURE_HEADER)

    def parse(self, request: WebhookRequest) -> Batch:
        payload = parse_json(request.body, XPayload)
        batch = Batch()
        for tweet in payload.tweet_create_events:
            _tweet(batch, payload, tweet)
        for event in payload.direct_message_events:
            _direct_message(batch, payload, event)
        for deleted in payload.tweet_delete_events:
            batch.events.append(InboundEvent(kind=EventKind.REMOVE, message_id=f"x:{deleted.status.id}"))
        for name in payload.model_extra or {}:
            if name.endswith("_events"):  # favorites, follows, typing, read receipts, blocks...
                batch.skip(f"unsupported_event:{name}")
        return batch


def _new(batch: Batch, payload: XPayload, **fields: Any) -> None:
    message = Message(platform="x", language=detect_language(fields["text"]), account=payload.for_user_id, **fields)
    batch.events.append(InboundEvent(kind=EventKind.NEW, message_id=message.id, message=message))


def _tweet(batch: Batch, payload: XPayload, tweet: Tweet) -> None:
    native = tweet.native_id
    parent = tweet.in_reply_to_status_id_str
    outbound = bool(payload.for_user_id) and tweet.user.native_id == payload.for_user_id
    if outbound and (not parent or tweet.in_reply_to_user_id_str == payload.for_user_id):
        batch.skip("own_post", native)  # the brand's own tweet, retweet or thread of its own: it answers no one
        return
    if tweet.retweeted_status is not None:
        batch.skip("retweet", native)  # the text is someone else's, already seen or not ours
        return
    _new(
        batch,
        payload,
        id=f"x:{native}",
        channel=Channel.REPLY if parent else Channel.MENTION,
        author=Author(id=tweet.user.native_id, handle=tweet.user.screen_name, name=tweet.user.name),
        text=unescape(tweet.full),
        created_at=tweet.created,
        parent_id=f"x:{parent}" if parent else None,
        direction=OUTBOUND if outbound else INBOUND,
    )


def _direct_message(batch: Batch, payload: XPayload, event: DMEvent) -> None:
    create = event.message_create
    if event.type != "message_create" or create is None:
        batch.skip(f"unsupported_dm:{event.type[:64]}", event.id)
        return
    sender, recipient = create.sender_id, create.target.recipient_id
    outbound = bool(payload.for_user_id) and sender == payload.for_user_id
    text = create.message_data.text
    media = create.message_data.attachment.media if create.message_data.attachment else None
    if media is not None and media.url:
        text = text.replace(media.url, "")  # the link only points at the attachment, which we do not triage
    text = unescape(text).strip()
    if not text:
        batch.skip("no_text", event.id)
        return
    user = payload.users.get(sender) or DMUser()
    _new(
        batch,
        payload,
        id=f"x:{event.id}",
        channel=Channel.DIRECT_MESSAGE,
        author=Author(id=sender, handle=user.screen_name, name=user.name),
        text=text,
        created_at=from_unix(event.created_timestamp),
        conversation_id="x:dm:" + "-".join(sorted((sender, recipient))),  # the same whoever sends
        direction=OUTBOUND if outbound else INBOUND,
    )
