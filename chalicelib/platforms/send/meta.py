"""Replies through Meta's Graph API: Facebook comment replies, Messenger and Instagram DMs (Send API),
Instagram comment replies, WhatsApp Cloud API text messages; and the moderation of Facebook and Instagram comments.

| reply to | request | answer |
|---|---|---|
| facebook comment, reply, mention, post | `POST /{comment-or-post-id}/comments {"message"}` | `{"id"}` |
| messenger, instagram direct_message | `POST /{page-or-ig-account-id}/messages {"recipient": {"id"}, "messaging_type", "tag"?, "message": {"text"}}` | `{"recipient_id", "message_id"}` |
| instagram comment, reply | `POST /{ig-comment-id}/replies {"message"}` | `{"id"}` |
| facebook, instagram comment, reply, privately | `POST /{page-or-ig-account-id}/messages {"recipient": {"comment_id"}, "message": {"text"}}` | `{"recipient_id", "message_id"}` |
| whatsapp | `POST /{phone-number-id}/messages {"messaging_product": "whatsapp", "recipient_type": "individual", "to", "type": "text", "text": {"body"}, "context": {"message_id"}}`; a template: `"type": "template", "template": {"name", "language": {"policy": "deterministic", "code"}, "components": [{"type": "body", "parameters": [{"type": "text", "text"}]}]}` | `{"messages": [{"id"}]}` |

A customer's comment hidden, shown again or deleted (`moderate`):

| moderate | request | answer |
|---|---|---|
| facebook comment, reply: hide, unhide | `POST /{comment-id} {"is_hidden": true\|false}` | `{"success": true}` |
| instagram comment, reply: hide, unhide | `POST /{ig-comment-id} {"hide": true\|false}` | `{"success": true}` |
| facebook, instagram comment, reply: delete | `DELETE /{comment-id}` | `{"success": true}` |

Facebook needs the Page token with `pages_manage_engagement` (the MODERATE task on the Page), Instagram
`instagram_manage_comments` (with `instagram_basic`, `pages_read_engagement`); a comment can be moderated on the
brand's own posts and media only. A delete answered "does not exist" (100/33, which Graph also says of an object
this token may not delete) is a comment already gone, done, when `GET /{comment-id}?fields=id` cannot read it either;
when it can, the delete was refused.
https://developers.facebook.com/docs/graph-api/reference/comment/ (updating `is_hidden`, deleting),
https://developers.facebook.com/documentation/pages-api/comments-mentions (permissions, MODERATE task),
https://developers.facebook.com/docs/instagram-api/guides/comment-moderation (`POST /{ig-comment-id}` hide/unhide,
`DELETE /{ig-comment-id}`),
https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-comment.md
(permissions).

A customer banned from the brand's account (`ban`), or let back:

| ban | request | answer |
|---|---|---|
| facebook (a commenter): ban, unban | `POST /{page-id}/blocked {"user": ["<id>"]}`, `DELETE /{page-id}/blocked?user=<id>` | `{"<id>": true}`, `{"success": true}` |
| messenger (a PSID): ban, unban | `POST /{page-id}/blocked {"psid": ["<psid>"]}`, `DELETE /{page-id}/blocked?psid=<psid>` | as above |
| whatsapp: ban, unban | `POST` / `DELETE /{phone-number-id}/block_users {"messaging_product": "whatsapp", "block_users": [{"user": "<wa_id>"}]}` | `{"block_users": {"added_users"\|"removed_users": [{"input", "wa_id"}], "failed_users"?: [...]}}` |

A Page ban keeps the person from commenting on, reacting to and messaging the Page (the Page token; the
person who made it may MODERATE the Page); `user` takes the id a comment's `from` names, `psid` a Messenger
sender's page-scoped id: https://developers.facebook.com/docs/graph-api/reference/page/blocked/ (the parameters
are those of the Graph SDK's `Page.create_blocked` / `delete_blocked`). A WhatsApp block needs a message from
the user in the last 24 hours (131047 "Re-engagement required" otherwise) and answers per user, a partial
failure as 400 with error 139100 and `failed_users`:
https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/. Instagram offers no ban.

A private reply (Private Replies) is one DM to the comment's author, within 7 days of the comment; Graph answers a
second one 10900 "Activity already replied to":
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies,
https://developers.facebook.com/docs/instagram-platform/private-replies,
https://developers.facebook.com/docs/graph-api/reference/page/messages (its error table).

The token goes in the `Authorization` header, never in the URL. Graph errors are
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
"""

from __future__ import annotations

import json
from typing import Any

from ...config import get_settings
from .base import (BAN_ACTIONS, MODERATION_ACTIONS, OutboundBan, OutboundModeration, OutboundReply, PlatformSender,
                   SendFailed, SendReceipt, bearer, refuse)
from .http import Answer, post_json, request_json, retry_after_seconds

TOKEN_CODES = frozenset({190, 102})  # expired, revoked or invalid token; API session
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80006, 80008, 80009, 80014,
                              130429, 131048, 131056})  # app, user, page, business use case; WhatsApp throughput
UNREACHABLE_CODES = frozenset({551, 10903, 131026, 131047})  # user unavailable; "can't reply to this activity";
# WhatsApp undeliverable, 24 h passed
UNREACHABLE_SUBCODES = frozenset({2018278, 2018108, 2018001})  # outside the window; unavailable; no such user
TRANSIENT_CODES = frozenset({1, 2})  # unknown, service: Meta's downtime
ALREADY_REPLIED_CODE = 10900  # "Activity already replied to": the comment has its one private reply
OUTSIDE_WINDOW_SUBCODE = 2018278  # "sent outside of allowed window"
GONE_CODE, GONE_SUBCODE = 100, 33  # "Object with ID ... does not exist": on a delete, already deleted
HIDE_FIELD = {"facebook": "is_hidden", "instagram": "hide"}  # the comment field a hide or unhide sets
BAN_PARAMETER = {"facebook": "user", "messenger": "psid"}  # how /{page-id}/blocked names the person
WHATSAPP_UNREACHABLE = 131047  # "Re-engagement required": no message from the user in the last 24 hours


class MetaSender(PlatformSender):
    platforms = ("facebook", "messenger", "instagram", "whatsapp")

    def send(self, reply: OutboundReply, token: str) -> SendReceipt:
        path, payload, receipt = self.request(reply)
        answer = post_json(reply.platform, get_settings().graph_api_base.rstrip("/") + path, payload,
                           bearer(reply.platform, token))
        if not answer.ok:
            raise graph_failure(reply.platform, answer, private=reply.private)
        platform_message_id = receipt(answer.body)
        if not isinstance(platform_message_id, str) or not platform_message_id:
            raise SendFailed("unavailable", f"{reply.platform}: the Graph API accepted the reply but named no id",
                             maybe_sent=True)
        return SendReceipt(platform_message_id)

    def moderate(self, request: OutboundModeration, token: str) -> None:
        method, path, payload = self.moderation_request(request)
        answer = request_json(request.platform, method, get_settings().graph_api_base.rstrip("/") + path, payload,
                              bearer(request.platform, token))
        if not answer.ok:
            if method == "DELETE" and _already_gone(answer):
                # Graph says the same of a comment this token may not delete ("cannot be loaded due to missing
                # permissions, or does not support this operation"): gone only if it cannot be read either
                still = request_json(request.platform, "GET", get_settings().graph_api_base.rstrip("/") + path
                                     + "?fields=id", None, bearer(request.platform, token))
                if not (still.ok and _field(still.body, "id")):
                    return  # deleted before (here, by someone on the Page, or by its author): done
                raise SendFailed("rejected", f"{request.platform}: the Graph API refused to delete the comment, which "
                                             "is still there (Graph 100/33: this token may not delete it)",
                                 platform_code="100/33")
            raise graph_failure(request.platform, answer)
        _confirmed(request.platform, request.action, "the comment", _field(answer.body, "success"))

    def ban(self, request: OutboundBan, token: str) -> None:
        method, path, payload = self.ban_request(request)
        answer = request_json(request.platform, method, get_settings().graph_api_base.rstrip("/") + path, payload,
                              bearer(request.platform, token))
        if request.platform == "whatsapp":
            _whatsapp_ban_outcome(request, answer)
            return
        if not answer.ok:
            raise graph_failure(request.platform, answer)
        # POST answers {"<id>": true} for each id; DELETE answers {"success": true}
        _confirmed(request.platform, request.action, "the person",
                   _field(answer.body, "success" if method == "DELETE" else request.author_id))

    @staticmethod
    def ban_request(request: OutboundBan) -> tuple[str, str, dict | None]:
        """The method, the path (with its query) and the JSON body (None: none) of one ban or unban."""
        if request.action not in BAN_ACTIONS:
            raise refuse(request, f"the actions are {', '.join(BAN_ACTIONS)}")
        account, person = _segment(request, request.account), _segment(request, request.author_id)
        if request.platform == "whatsapp":
            body = {"messaging_product": "whatsapp", "block_users": [{"user": person}]}
            return ("POST" if request.action == "ban" else "DELETE"), f"/{account}/block_users", body
        if request.platform not in BAN_PARAMETER:
            raise refuse(request, "Graph bans people from a Facebook Page and from a WhatsApp number only")
        parameter = BAN_PARAMETER[request.platform]
        if request.action == "ban":
            return "POST", f"/{account}/blocked", {parameter: [person]}
        return "DELETE", f"/{account}/blocked?{parameter}={person}", None

    @staticmethod
    def moderation_request(request: OutboundModeration) -> tuple[str, str, dict | None]:
        """The method, the path and the JSON body (None: none) of one moderation action."""
        if request.platform not in HIDE_FIELD or request.channel not in ("comment", "reply"):
            raise refuse(request, "only Facebook and Instagram comments and replies are moderated through Graph")
        if request.action not in MODERATION_ACTIONS:
            raise refuse(request, f"the actions are {', '.join(MODERATION_ACTIONS)}")
        path = f"/{_segment(request, request.message_id)}"
        if request.action == "delete":
            return "DELETE", path, None
        return "POST", path, {HIDE_FIELD[request.platform]: request.action == "hide"}

    @staticmethod
    def request(reply: OutboundReply) -> tuple[str, dict, Any]:
        """The path, the JSON body, and how to read the sent message's id from the answer."""
        if reply.private:
            if reply.platform not in ("facebook", "instagram") or reply.channel not in ("comment", "reply"):
                raise refuse(reply, "a private reply answers a Facebook or Instagram comment")
            if not reply.reply_to_id:
                raise refuse(reply, "the id of the comment replied to is missing")
            payload = {"recipient": {"comment_id": _segment(reply, reply.reply_to_id)}, "message": {"text": reply.text}}
            account = _segment(reply, reply.account) if reply.account else "me"  # /me: the Page the token is for
            return f"/{account}/messages", payload, lambda body: _field(body, "message_id")
        if reply.platform == "whatsapp":
            if not reply.account:
                raise refuse(reply, "the WhatsApp phone number id (account) is missing")
            payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": reply.recipient_id,
                       **_whatsapp_content(reply)}
            if reply.reply_to_id and reply.quote:
                payload["context"] = {"message_id": reply.reply_to_id}
            return f"/{_segment(reply, reply.account)}/messages", payload, _whatsapp_id
        if reply.channel == "direct_message":
            if reply.platform not in ("messenger", "instagram"):
                raise refuse(reply, "direct messages are sent as messenger or instagram")
            messaging_type = reply.messaging_type or "RESPONSE"
            if messaging_type == "MESSAGE_TAG" and not reply.tag:
                raise refuse(reply, "MESSAGE_TAG needs a tag (HUMAN_AGENT)")
            message: dict[str, Any] = {"text": reply.text}
            if reply.choices:  # up to 13, each title up to 20 characters; a tap sends its title as the message text
                message["quick_replies"] = [{"content_type": "text", "title": choice[:QUICK_REPLY_TITLE],
                                             "payload": f"choice:{n}"} for n, choice in enumerate(reply.choices[:13])]
            payload = {"recipient": {"id": reply.recipient_id}, "messaging_type": messaging_type, "message": message}
            if messaging_type == "MESSAGE_TAG":
                payload["tag"] = reply.tag
            account = _segment(reply, reply.account) if reply.account else "me"
            return f"/{account}/messages", payload, lambda body: _field(body, "message_id")
        if not reply.reply_to_id:
            raise refuse(reply, "the id of the comment or post replied to is missing")
        if reply.platform == "facebook":
            return f"/{_segment(reply, reply.reply_to_id)}/comments", {"message": reply.text}, _id
        if reply.platform == "instagram" and reply.channel in ("comment", "reply"):
            # a reply to a reply lands under its top-level comment (Instagram threads one level deep)
            return f"/{_segment(reply, reply.reply_to_id)}/replies", {"message": reply.text}, _id
        raise refuse(reply, "only comments, replies and direct messages can be answered on "
                            f"{reply.platform} (an Instagram mention is answered on the media it is in)")


# WhatsApp's interactive list: a body of at most 1,024 characters, a button of 20, up to 10 rows of 24
WHATSAPP_LIST_BODY, WHATSAPP_LIST_BUTTON, WHATSAPP_ROW_TITLE, WHATSAPP_ROWS = 1024, 20, 24, 10
QUICK_REPLY_TITLE = 20
CHOOSE = "★ 1-5"  # the list's button: no words, so it reads the same in every language


def _whatsapp_content(reply: OutboundReply) -> dict[str, Any]:
    """A template; a text, or with choices an interactive list (a tap comes back as a `list_reply` naming the row's
    title); a text too long for a list's body goes as a plain text, which says what to answer."""
    if reply.template:
        template: dict[str, Any] = {"name": reply.template["name"],
                                    "language": {"policy": "deterministic", "code": reply.template["language"]}}
        if reply.template.get("parameters"):
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": value} for value in reply.template["parameters"]]}]
        return {"type": "template", "template": template}
    if not reply.choices or len(reply.text) > WHATSAPP_LIST_BODY:
        return {"type": "text", "text": {"body": reply.text}}
    rows = [{"id": f"choice:{n}", "title": choice[:WHATSAPP_ROW_TITLE]}
            for n, choice in enumerate(reply.choices[:WHATSAPP_ROWS])]
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": reply.text}, "action": {
        "button": CHOOSE[:WHATSAPP_LIST_BUTTON], "sections": [{"rows": rows}]}}}


def graph_failure(platform: str, answer: Answer, *, private: bool = False) -> SendFailed:
    """A Graph API error answer as a `SendFailed` of the right kind (`private`: to a private reply)."""
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    if not isinstance(error, dict):
        return _by_status(platform, answer)
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    platform_code = f"{code}/{subcode}" if subcode is not None else str(code)
    said = str(error.get("message") or "no message")[:300]
    message = f"{platform}: Graph API error {platform_code}: {said}"
    if private and code == ALREADY_REPLIED_CODE:
        kind = "already_replied"
    elif private and subcode == OUTSIDE_WINDOW_SUBCODE:
        kind = "outside_window"
    elif code in TOKEN_CODES:
        kind = "token_invalid"
    elif code in RATE_LIMIT_CODES:
        return SendFailed("rate_limited", message, platform_code=platform_code,
                          retry_after=retry_after_seconds(answer.headers) or _usage_retry_after(answer.headers))
    elif code in UNREACHABLE_CODES or subcode in UNREACHABLE_SUBCODES:
        kind = "recipient_unreachable"
    elif code in (3, 10) or (code is not None and 200 <= code <= 299):
        kind = "permission_denied"
    elif code in TRANSIENT_CODES or error.get("is_transient") is True or answer.status >= 500:
        kind = "unavailable"
    else:
        kind = "rejected"
    return SendFailed(kind, message, platform_code=platform_code)


def _whatsapp_ban_outcome(request: OutboundBan, answer: Answer) -> None:
    """A WhatsApp block or unblock is done when its user is in `added_users` (block) or `removed_users` (unblock);
    a user in `failed_users` is refused for the reason its first error gives (131047: no message from them in the
    last 24 hours). Anything else is read as any Graph error."""
    lists = _field(answer.body, "block_users")
    done = "added_users" if request.action == "ban" else "removed_users"
    named = lambda entry: isinstance(entry, dict) and request.author_id in (  # noqa: E731
        str(entry.get("wa_id") or ""), str(entry.get("input") or "").lstrip("+"))
    if isinstance(lists, dict) and any(named(e) for e in lists.get(done) or []):
        return
    failed = [e for e in (lists.get("failed_users") or []) if named(e)] if isinstance(lists, dict) else []
    if failed:
        errors = failed[0].get("errors") if isinstance(failed[0].get("errors"), list) else []
        error = errors[0] if errors and isinstance(errors[0], dict) else {}
        code = _int(error.get("code"))
        said = str(error.get("message") or "no message")[:200]
        details = _field(error.get("error_data"), "details")
        message = f"whatsapp: the user was not {'blocked' if request.action == 'ban' else 'unblocked'}: " \
                  f"{code}: {said}" + (f" ({str(details)[:200]})" if details else "")
        kind = "recipient_unreachable" if code == WHATSAPP_UNREACHABLE else \
            "rate_limited" if code in RATE_LIMIT_CODES else "rejected"
        raise SendFailed(kind, message, platform_code=str(code))
    if not answer.ok:
        raise graph_failure("whatsapp", answer)
    raise SendFailed("unavailable", f"whatsapp: the API answered the {request.action} without naming the user",
                     maybe_sent=True)


def _already_gone(answer: Answer) -> bool:
    """Graph's answer to a request on an object that does not exist (any more)."""
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    if not isinstance(error, dict):
        return False
    return ((_int(error.get("code")), _int(error.get("error_subcode"))) == (GONE_CODE, GONE_SUBCODE)
            or "does not exist" in str(error.get("message") or "").lower())


def _by_status(platform: str, answer: Answer) -> SendFailed:
    kind = {401: "token_invalid", 403: "permission_denied", 429: "rate_limited"}.get(answer.status)
    if kind is None:
        kind = "unavailable" if answer.status >= 500 else "rejected"
    return SendFailed(kind, f"{platform}: the Graph API answered HTTP {answer.status}",
                      platform_code=str(answer.status), retry_after=retry_after_seconds(answer.headers),
                      maybe_sent=answer.status == 504)  # a gateway timeout: Meta may have posted it


def _usage_retry_after(headers) -> int | None:
    """Business use case limits say when access returns (minutes) in X-Business-Use-Case-Usage."""
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        minutes = max((int(limit.get("estimated_time_to_regain_access") or 0)
                       for limits in usage.values() for limit in limits), default=0)
    except (ValueError, TypeError, AttributeError):
        return None
    return minutes * 60 if minutes > 0 else None


def _segment(what: OutboundReply | OutboundModeration | OutboundBan, native_id: str) -> str:
    """A Graph node id as one path segment (ids are digits and underscores; anything else is refused)."""
    if not native_id or not all(c.isascii() and (c.isalnum() or c in "_-") for c in native_id):
        raise refuse(what, f"{native_id!r} is not a Graph API id")
    return native_id


def _confirmed(platform: str, action: str, what: str, done: Any) -> None:
    """A Graph answer's `true` for the action (`done`: the field that says it); false is a refusal, anything else
    leaves it unknown whether it was done."""
    if done is False:
        raise SendFailed("rejected", f"{platform}: the Graph API did not {action} {what} (false)")
    if done is not True:
        raise SendFailed("unavailable", f"{platform}: the Graph API answered the {action} without saying it was done",
                         maybe_sent=True)


def _field(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None


def _id(body: Any) -> Any:
    return _field(body, "id")


def _whatsapp_id(body: Any) -> Any:
    messages = _field(body, "messages")
    return _field(messages[0], "id") if isinstance(messages, list) and messages else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
