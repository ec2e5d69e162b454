"""Telegram Bot API webhooks: one `Update` per POST.

Telegram has no signature; `setWebhook(secret_token=...)` makes it echo that token in the
`X-Telegram-Bot-Api-Secret-Token` header. `message_id` is unique only within a chat, so our ids
carry the chat id too. Every update type we do not triage is skipped, which the route answers
with 200: anything else makes Telegram redeliver it.

One webhook is one bot, so every message's `account` is "bot". A private chat is one conversation
(`telegram:<chat id>`); in groups a message keeps its reply chain (`parent_id`) and forum topic
(`thread_id`) but has no conversation id: a whole group is not one conversation. Telegram does not
send a bot the messages it sent itself, so everything here is inbound.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..language import detect_language
from ..models import Author, Channel, EventKind, InboundEvent, Message
from .base import Batch, PlatformAdapter, SecretLookup, WebhookRequest, check_token, parse_json
from .timeutil import from_unix

SECRET = "TELEGRAM_SECRET_TOKEN"
TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ACCOUNT = "bot"  # the channel: one bot (its token) per deployment

# Telegram dates are unix seconds; the bound keeps from_unix in range and in seconds
UnixSeconds = Annotated[int, Field(ge=0, le=10**11)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class User(_Lenient):
    id: int
    is_bot: bool = False
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None


class Chat(_Lenient):
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class RepliedMessage(_Lenient):
    message_id: int


class TelegramMessage(_Lenient):
    message_id: int
    from_: User | None = Field(default=None, alias="from")
    sender_chat: Chat | None = None  # set when sent on behalf of a channel or group
    chat: Chat
    date: UnixSeconds
    text: str | None = None
    caption: str | None = None  # photos, videos, documents
    reply_to_message: RepliedMessage | None = None
    message_thread_id: int | None = None  # forum topic
    is_automatic_forward: bool = False  # a linked channel's post, mirrored into its discussion group


class Update(_Lenient):
    update_id: int
    message: TelegramMessage | None = None
    edited_message: TelegramMessage | None = None
    channel_post: TelegramMessage | None = None
    edited_channel_post: TelegramMessage | None = None


_KINDS = {
    "message": EventKind.NEW,
    "edited_message": EventKind.EDIT,
    "channel_post": EventKind.NEW,
    "edited_channel_post": EventKind.EDIT,
}


class TelegramAdapter(PlatformAdapter):
    route = "telegram"
    secret_names = (SECRET,)
    payloads = (Update,)
    signature_headers = ((TOKEN_HEADER, "TELEGRAM_SECRET_TOKEN, as given to setWebhook"),)

    def verify(self, request: WebhookRequest, secret: SecretLookup) -> None:
        check_token(request.header(TOKEN_HEADER), secret(SECRET), header=TOKEN_HEADER)

    def parse(self, request: WebhookRequest) -> Batch:
        update = parse_json(request.body, Update)
        batch = Batch()
        present = [field for field in _KINDS if getattr(update, field) is not None]
        if not present:
            # an Update carries exactly one optional field: my_chat_member, callback_query, poll...
            other = next(iter(update.model_extra or {}), "unknown")
            batch.skip(f"unsupported_update:{other}", update.update_id)
        for field in present:
            _message(batch, getattr(update, field), _KINDS[field], is_channel_post="channel_post" in field)
        return batch


def _message(batch: Batch, message: TelegramMessage, kind: EventKind, *, is_channel_post: bool) -> None:
    chat = message.chat
    message_id = f"telegram:{chat.id}:{message.message_id}"
    # Sent on behalf of a chat, `from` is a placeholder bot (Channel_Bot, GroupAnonymousBot): the author is
    # sender_chat. The brand's own voices are not triaged: its channel's posts mirrored into the discussion
    # group, and the group's anonymous admins (sender_chat is the group itself).
    if message.is_automatic_forward:
        batch.skip("automatic_forward", message_id)
        return
    if message.sender_chat is not None and message.sender_chat.id == chat.id and not is_channel_post:
        batch.skip("anonymous_admin", message_id)
        return
    if message.from_ is not None and message.from_.is_bot and message.sender_chat is None:
        batch.skip("bot", message_id)
        return
    text = message.text or message.caption
    if not text:
        batch.skip("no_text", message_id)
        return
    reply_to = message.reply_to_message
    if is_channel_post or chat.type == "channel":
        channel = Channel.POST
    elif chat.type == "private":
        channel = Channel.DIRECT_MESSAGE
    else:  # group, supergroup
        channel = Channel.REPLY if reply_to is not None else Channel.COMMENT
    result = Message(
        id=message_id,
        platform="telegram",
        channel=channel,
        author=_author(message),
        text=text,
        created_at=from_unix(message.date),
        language=detect_language(text),
        parent_id=f"telegram:{chat.id}:{reply_to.message_id}" if reply_to is not None else None,
        thread_id=f"telegram:{chat.id}:{message.message_thread_id}" if message.message_thread_id else None,
        conversation_id=f"telegram:{chat.id}" if chat.type == "private" else None,
        account=ACCOUNT,
    )
    batch.events.append(InboundEvent(kind=kind, message_id=message_id, message=result))


def _author(message: TelegramMessage) -> Author:
    if message.from_ is not None and message.sender_chat is None:
        user = message.from_
        name = " ".join(part for part in (user.first_name, user.last_name) if part) or None
        return Author(id=str(user.id), handle=user.username, name=name)
    # channel posts (and posts "as a channel") are authored by a chat; old channel posts name only the chat
    chat = message.sender_chat or message.chat
    return Author(id=str(chat.id), handle=chat.username, name=chat.title)
