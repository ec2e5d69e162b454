"""Replies through the Telegram Bot API, and customers' messages deleted from groups.

`POST /bot{token}/sendMessage {"chat_id", "text", "reply_parameters": {"message_id", "allow_sending_without_reply":
true}}` answers `{"ok": true, "result": {"message_id", ...}}`; `POST /bot{token}/deleteMessage {"chat_id",
"message_id"}` answers `{"ok": true, "result": true}` (the bot must be an admin allowed to delete messages, and the
message under 48 hours old; Telegram cannot hide one). A delete answered "Bad Request: message to delete not found"
is a message already gone: done. https://core.telegram.org/bots/api#deletemessage

A customer banned from a group (`ban`): `POST /bot{token}/banChatMember {"chat_id", "user_id"}`, and let back with
`POST /bot{token}/unbanChatMember {"chat_id", "user_id", "only_if_banned": true}` (without `only_if_banned` an
unban removes a member who is not banned); both answer `{"ok": true, "result": true}`. The bot must be an
administrator of the group allowed to restrict members (can_restrict_members); nobody can be banned from a private
chat. https://core.telegram.org/bots/api#banchatmember, https://core.telegram.org/bots/api#unbanchatmember

Errors are `{"ok": false, "error_code", "description", "parameters"?: {"retry_after"}}`. The token is in the URL
path, as Telegram documents it: http.py keeps that path out of every log line.
"""

from __future__ import annotations

import re
from typing import Any

from ...config import get_settings
from .base import BAN_ACTIONS, OutboundBan, OutboundModeration, OutboundReply, PlatformSender, SendFailed, SendReceipt, refuse
from .http import Answer, post_json, retry_after_seconds

BOT_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")  # <bot id>:<secret>, as BotFather issues it
_CHAT_ID = re.compile(r"-?[0-9]+|@[A-Za-z0-9_]{4,}")
ALREADY_DELETED = "message to delete not found"


class TelegramSender(PlatformSender):
    platforms = ("telegram",)

    def send(self, reply: OutboundReply, token: str) -> SendReceipt:
        _check_token(token)
        chat_id, message_id = chat_and_message(reply)
        payload: dict[str, Any] = {"chat_id": _chat(chat_id), "text": reply.text}
        if message_id is not None and reply.quote:
            payload["reply_parameters"] = {"message_id": message_id, "allow_sending_without_reply": True}
        if reply.choices:  # a keyboard that sends the tapped choice as the customer's message, then hides itself
            payload["reply_markup"] = {"keyboard": [[{"text": choice}] for choice in reply.choices],
                                       "one_time_keyboard": True, "resize_keyboard": True}
        answer = post_json("telegram", _url(token, "sendMessage"), payload)
        result = answer.body.get("result") if isinstance(answer.body, dict) and answer.body.get("ok") else None
        if not answer.ok or not isinstance(result, dict):
            raise failure(answer)
        sent = result.get("message_id")
        if not isinstance(sent, int) or isinstance(sent, bool):
            raise SendFailed("unavailable", "telegram: the API accepted the reply but named no message_id",
                             maybe_sent=True)
        return SendReceipt(str(sent))


    def moderate(self, request: OutboundModeration, token: str) -> None:
        if request.platform != "telegram" or request.channel not in ("comment", "reply") or request.action != "delete":
            raise refuse(request, "on Telegram only messages in groups (comments, replies) are moderated, by a "
                                 "delete: nothing can be hidden")
        _check_token(token)
        chat_id, message_id = chat_and_message(request)
        if message_id is None:
            raise refuse(request, "the id of the message to delete is missing")
        answer = post_json("telegram", _url(token, "deleteMessage"), {"chat_id": _chat(chat_id),
                                                                     "message_id": message_id})
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.ok and body.get("ok") and body.get("result") is True:
            return
        if not answer.ok and ALREADY_DELETED in str(body.get("description") or "").lower():
            return  # deleted before (by an admin, by its author, or by us): done
        raise failure(answer)

    def ban(self, request: OutboundBan, token: str) -> None:
        if request.platform != "telegram" or request.action not in BAN_ACTIONS:
            raise refuse(request, f"the actions are {', '.join(BAN_ACTIONS)}")
        chat = request.chat_id or ""
        if not _CHAT_ID.fullmatch(chat) or not chat.startswith(("-", "@")):
            raise refuse(request, f"{chat!r} is not a Telegram group (nobody is banned from a private chat)")
        if not re.fullmatch(r"[0-9]{1,15}", request.author_id):
            raise refuse(request, f"{request.author_id!r} is not a Telegram user id")
        _check_token(token)
        payload: dict[str, Any] = {"chat_id": _chat(chat), "user_id": int(request.author_id)}
        if request.action == "unban":
            payload["only_if_banned"] = True  # an unban never removes someone who is in the group
        answer = post_json("telegram", _url(token, "banChatMember" if request.action == "ban" else "unbanChatMember"),
                           payload)
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.ok and body.get("ok") and body.get("result") is True:
            return
        raise failure(answer)


def chat_and_message(what: OutboundReply | OutboundModeration) -> tuple[str, int | None]:
    """The chat (from `conversation_id` "telegram:<chat id>", else the user's private chat for a reply) and the
    message (replied to, or to delete): its message_id, or "<chat id>:<message_id>" as the adapter's ids are."""
    ref, fallback = (what.message_id, None) if isinstance(what, OutboundModeration) else \
        (what.reply_to_id, what.recipient_id)
    chat, _, message = ref.rpartition(":")
    if what.conversation_id and what.conversation_id.startswith("telegram:"):
        chat = what.conversation_id.removeprefix("telegram:")
    chat = chat or fallback
    if not _CHAT_ID.fullmatch(chat or ""):
        raise refuse(what, f"{chat!r} is not a Telegram chat id")
    if message and not re.fullmatch(r"[0-9]{1,10}", message):
        raise refuse(what, f"{ref!r} is not a Telegram message id")
    return chat, int(message) if message else None


def _check_token(token: str) -> None:
    if not BOT_TOKEN.fullmatch(token):
        # anything else could change the URL's path; the real token never appears in the message
        raise SendFailed("token_invalid", "telegram: the bot token is not in BotFather's <bot id>:<secret> form")


def _url(token: str, method: str) -> str:
    return f"{get_settings().telegram_api_base.rstrip('/')}/bot{token}/{method}"


def _chat(chat_id: str) -> int | str:
    """A numeric chat id as the number Telegram expects, an @username as it is."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def failure(answer: Answer) -> SendFailed:
    body = answer.body if isinstance(answer.body, dict) else {}
    status = body.get("error_code") if isinstance(body.get("error_code"), int) else answer.status
    description = str(body.get("description") or f"HTTP {answer.status}")[:300]
    message, code = f"telegram: {description}", str(status)
    lowered = description.lower()
    if status == 429:
        parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        wait = parameters.get("retry_after")
        retry_after = max(1, wait) if isinstance(wait, int) and not isinstance(wait, bool) else None
        return SendFailed("rate_limited", message, platform_code=code,
                          retry_after=retry_after or retry_after_seconds(answer.headers))
    if status in (401, 404):  # 404: Telegram's answer to a token it does not know in the path
        kind = "token_invalid"
    elif status == 403:  # blocked by the user, kicked from the group, user deactivated
        kind = "recipient_unreachable"
    elif status == 400 and "not enough rights" in lowered:
        kind = "permission_denied"
    elif status == 400 and "chat not found" in lowered:
        kind = "recipient_unreachable"
    elif status >= 500:
        kind = "unavailable"
    else:
        kind = "rejected"
    return SendFailed(kind, message, platform_code=code, maybe_sent=status == 504)
