"""Replies on X (API v2, OAuth 2.0 user-context bearer token with tweet.write / dm.write), and replies to the
brand's posts hidden or shown again (tweet.moderate.write).

| reply to | request | answer |
|---|---|---|
| a post (comment, reply, mention, post) | `POST /2/tweets {"text", "reply": {"in_reply_to_tweet_id"}}` | `{"data": {"id", "text"}}` |
| a direct_message | `POST /2/dm_conversations/with/{participant_id}/messages {"text"}` | `{"data": {"dm_conversation_id", "dm_event_id"}}` |

| moderate | request | answer |
|---|---|---|
| a reply: hide, unhide | `PUT /2/tweets/{id}/hidden {"hidden": true\|false}` | `{"data": {"hidden": true\|false}}` |

Only replies in a conversation the brand's account started can be hidden (scopes `tweet.read`, `users.read`,
`tweet.moderate.write`); hiding a hidden reply, or showing a visible one, succeeds. X cannot delete someone else's
post: https://developer.x.com/en/docs/twitter-api/tweets/hide-replies/api-reference,
https://docs.x.com/x-api/posts/hide-replies/introduction.

A customer kept out of the brand's sight (`ban`): X offers blocks (`POST /2/users/{id}/blocking`) on its Enterprise
plan only (https://docs.x.com/x-api/users/blocks/migrate), so a ban here is a mute, which any plan offers:

| ban | request | answer |
|---|---|---|
| ban | `POST /2/users/{brand-user-id}/muting {"target_user_id"}` | `{"data": {"muting": true}}` |
| unban | `DELETE /2/users/{brand-user-id}/muting/{target-user-id}` | `{"data": {"muting": false}}` |

Scopes `tweet.read`, `users.read`, `mute.write` (50 requests per 15 minutes per user). A muted account can still
reply to, mention and message the brand; the brand's account no longer sees its posts and notifications (the
author is not told): https://docs.x.com/x-api/users/mutes/quickstart/manage-mutes-quickstart.

Errors are problem documents (`{"title", "detail", "type", "status"}`, sometimes `{"errors": [...]}`);
429 carries `x-rate-limit-reset` (Unix seconds).
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from ...config import get_settings
from .base import (BAN_ACTIONS, OutboundBan, OutboundModeration, OutboundReply, PlatformSender, SendFailed, SendReceipt,
                   bearer, refuse)
from .http import Answer, post_json, request_json, retry_after_seconds

_ID = re.compile(r"[0-9]{1,19}")  # X user and post ids
# 403s that are about the other person or the post, not about the token's permissions
_UNREACHABLE = ("cannot send messages", "not permitted to send messages", "not allowed to send messages",
                "reply to this conversation is not allowed", "not allowed to reply", "blocked")
# 403s about this post itself (a repeat, too long for the account: X's 186 "needs to be a bit shorter"), not the token
_REJECTED = ("duplicate content", "too long", "shorter")


class XSender(PlatformSender):
    platforms = ("x",)

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock  # turns x-rate-limit-reset (a time) into seconds to wait

    def send(self, reply: OutboundReply, token: str) -> SendReceipt:
        if not _ID.fullmatch(reply.recipient_id) or (reply.channel != "direct_message"
                                                      and not _ID.fullmatch(reply.reply_to_id)):
            raise refuse(reply, "X user and post ids are digits")
        base = get_settings().x_api_base.rstrip("/")
        if reply.channel == "direct_message":
            url, payload, field = f"{base}/2/dm_conversations/with/{reply.recipient_id}/messages", \
                {"text": reply.text}, "dm_event_id"
        else:
            url, payload, field = f"{base}/2/tweets", \
                {"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.reply_to_id}}, "id"
        answer = post_json("x", url, payload, bearer("x", token))
        if not answer.ok:
            raise self.failure(answer)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        sent = data.get(field) if isinstance(data, dict) else None
        if not isinstance(sent, str) or not sent:
            raise SendFailed("unavailable", "x: the API accepted the reply but named no id", maybe_sent=True)
        return SendReceipt(sent)

    def moderate(self, request: OutboundModeration, token: str) -> None:
        if request.platform != "x" or request.channel != "reply" or request.action not in ("hide", "unhide"):
            raise refuse(request, "X hides and shows again replies to the brand's posts; it deletes nothing")
        if not _ID.fullmatch(request.message_id):
            raise refuse(request, "X post ids are digits")
        hidden = request.action == "hide"
        url = f"{get_settings().x_api_base.rstrip('/')}/2/tweets/{request.message_id}/hidden"
        answer = request_json("x", "PUT", url, {"hidden": hidden}, bearer("x", token))
        if not answer.ok:
            raise self.failure(answer)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        if not isinstance(data, dict) or data.get("hidden") is not hidden:
            raise SendFailed("unavailable", f"x: the API answered the {request.action} without the reply's hidden "
                                            "state", maybe_sent=True)

    def ban(self, request: OutboundBan, token: str) -> None:
        if request.platform != "x" or request.action not in BAN_ACTIONS:
            raise refuse(request, f"X mutes (the actions are {', '.join(BAN_ACTIONS)})")
        if not _ID.fullmatch(request.account or "") or not _ID.fullmatch(request.author_id):
            raise refuse(request, "X user ids are digits")
        base = f"{get_settings().x_api_base.rstrip('/')}/2/users/{request.account}/muting"
        if request.action == "ban":
            answer = request_json("x", "POST", base, {"target_user_id": request.author_id}, bearer("x", token))
        else:
            answer = request_json("x", "DELETE", f"{base}/{request.author_id}", None, bearer("x", token))
        if not answer.ok:
            raise self.failure(answer)
        data = answer.body.get("data") if isinstance(answer.body, dict) else None
        muting = request.action == "ban"
        if not isinstance(data, dict) or data.get("muting") is not muting:
            raise SendFailed("unavailable", f"x: the API answered the {'mute' if muting else 'unmute'} without the "
                                            "muting state", maybe_sent=True)

    def failure(self, answer: Answer) -> SendFailed:
        said = _said(answer.body)
        message = f"x: HTTP {answer.status}: {said[:300] or 'no detail'}"
        code = _code(answer.body) or str(answer.status)
        status, lowered = answer.status, said.lower()
        if status == 401:
            kind = "token_invalid"
        elif status == 429:
            return SendFailed("rate_limited", message, platform_code=code,
                              retry_after=retry_after_seconds(answer.headers) or self._until_reset(answer.headers))
        elif status == 403 and any(s in lowered for s in _UNREACHABLE):
            kind = "recipient_unreachable"
        elif status == 403 and not any(s in lowered for s in _REJECTED):
            kind = "permission_denied"
        elif status >= 500:
            kind = "unavailable"
        else:
            kind = "rejected"
        return SendFailed(kind, message, platform_code=code, maybe_sent=status == 504)

    def _until_reset(self, headers) -> int | None:
        reset = (headers.get("x-rate-limit-reset") or "").strip()
        return max(1, int(reset) - int(self.clock())) if reset.isdigit() else None


def _said(body: Any) -> str:
    """The problem's detail and title, and each error's message, as one line."""
    if not isinstance(body, dict):
        return ""
    parts = [body.get("detail"), body.get("title")]
    errors = body.get("errors")
    if isinstance(errors, list):
        parts += [e.get("message") or e.get("detail") for e in errors if isinstance(e, dict)]
    return "; ".join(dict.fromkeys(p for p in parts if isinstance(p, str) and p))


def _code(body: Any) -> str | None:
    """X's error code (v1.1 style `errors[].code`) or the problem type's last segment."""
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and isinstance(errors[0].get("code"), int):
        return str(errors[0]["code"])
    kind = body.get("type")
    return kind.rstrip("/").rsplit("/", 1)[-1] if isinstance(kind, str) and kind != "about:blank" else None
