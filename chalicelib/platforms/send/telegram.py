"""Replies through the Telegram Bot API.

`POST /bot{token}/sendMessage {"chat_id", "text", "reply_parameters": {"message_id", "allow_sending_without_reply":
true}}` answers `{"ok": true, "result": {"message_id", ...}}`; errors are `{"ok": false, "error_code",
"description", "parameters"?: {"retry_after"}}`. The token is in the URL path, as Telegram documents it:
http.py keeps that path out of every log line.
"""

from __future__ import annotations

import re
from typing import Any

from ...config import get_settings
from .base import OutboundReply, PlatformSender, SendFailed, SendReceipt, refuse
from .http import Answer, post_json, retry_after_seconds

BOT_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")  # <bot id>:<secret>, as BotFather issues it
_CHAT_ID = re.compile(r"-?[0-9]+|@[A-Za-z0-9_]{4,}")


class TelegramSender(PlatformSender):
    platforms = ("telegram",)

    def send(self, reply: OutboundReply, token: str) -> SendReceipt:
        if not BOT_TOKEN.fullmatch(token):
            # anything else could change the URL's path; the real token never appears in the message
            raise SendFailed("token_invalid", "telegram: the bot token is not in BotFather's <bot id>:<secret> form")
        chat_id, message_id = chat_and_message(reply)
        payload: dict[str, Any] = {"chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                                   "text": reply.text}
        if message_id is not None:
            payload["reply_parameters"] = {"message_id": message_id, "allow_sending_without_reply": True}
        url = f"{get_settings().telegram_api_base.rstrip('/')}/bot{token}/sendMessage"
        answer = post_json("telegram", url, payload)
        result = answer.body.get("result") if isinstance(answer.body, dict) and answer.body.get("ok") else None
        if not answer.ok or not isinstance(result, dict):
            raise failure(answer)
        sent = result.get("message_id")
        if not isinstance(sent, int) or isinstance(sent, bool):
            raise SendFailed("unavailable", "telegram: the API accepted the reply but named no message_id",
                             maybe_sent=True)
        return SendReceipt(str(sent))


def chat_and_message(reply: OutboundReply) -> tuple[str, int | None]:
    """The chat (from `conversation_id` "telegram:<chat id>", else the user's private chat) and the message
    replied to: `reply_to_id` is the message_id, or "<chat id>:<message_id>" as the adapter's ids are."""
    chat, _, message = reply.reply_to_id.rpartition(":")
    if reply.conversation_id and reply.conversation_id.startswith("telegram:"):
        chat = reply.conversation_id.removeprefix("telegram:")
    chat = chat or reply.recipient_id
    if not _CHAT_ID.fullmatch(chat or ""):
        raise refuse(reply, f"{chat!r} is not a Telegram chat id")
    if message and not re.fullmatch(r"[0-9]{1,10}", message):
        raise refuse(reply, f"{reply.reply_to_id!r} is not a Telegram message id")
    return chat, int(message) if message else None


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
