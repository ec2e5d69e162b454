"""A local fake of the platforms' send APIs (Graph API, X API v2, Telegram Bot API) on one loopback port.

It accepts the request shapes the platforms document (replies; the moderation of a customer's comment: hidden,
shown again, deleted; and a customer banned from the brand's account or let back: a Page ban, a WhatsApp block, an
X mute, a Telegram group ban), answers with their documented bodies and fresh ids, keeps each moderated message's
state (a second delete is answered as the platform answers it: already gone) and who is banned, records every
request, and answers scripted errors on demand. Tests start it (tests/conftest.py `fake_platforms`); `make run`
starts one and points the settings at it, so replies, moderation and bans from a local inbox are recorded here
instead of being made.

    fake = FakePlatforms().start()
    fake.base_urls         # {"graph": ".../graph/v21.0", "x": ".../x", "telegram": ".../telegram"}
    fake.fail_next("graph_expired_token", times=1)
    fake.sent("messenger") # the replies it accepted, oldest first
    fake.moderated("x")    # the moderation requests it accepted (hide, unhide, delete), oldest first
    fake.state_of("graph", "104857600000001_1234")  # "visible", "hidden" or "deleted"
    fake.bans("whatsapp")  # the ban and unban requests it accepted, oldest first
    fake.is_banned("page", "104857600000001", "5550009")  # page | whatsapp | x | telegram, account or chat, user
    fake.stop()

Over HTTP (for a running `make run` and browser tests):
    POST /_fake/fail {"error": "telegram_blocked", "times": 1}    GET /_fake/requests    POST /_fake/reset
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ERRORS", "FakePlatforms", "FakeRequest", "DEV_TOKENS", "start_for_local_run"]

GRAPH_VERSION = "v21.0"
FAKE_X_USER_ID = "1500000000000000001"  # the brand's X account, as the fake's bearer tokens act for it
SEND_API_TAGS = ("HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE")
TELEGRAM_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# the dummy tokens `make run` configures (TRIAGE_TOKEN_<PLATFORM>); the fake accepts any well-formed token
DEV_TOKENS = {
    "TRIAGE_TOKEN_FACEBOOK": "dev-facebook-page-token",
    "TRIAGE_TOKEN_MESSENGER": "dev-messenger-page-token",
    "TRIAGE_TOKEN_INSTAGRAM": "dev-instagram-token",
    "TRIAGE_TOKEN_WHATSAPP": "dev-whatsapp-token",
    "TRIAGE_TOKEN_X": "dev-x-user-token",
    "TRIAGE_TOKEN_TELEGRAM": "123456789:dev-telegram-bot-token",
}


def _whatsapp_template_problem(template: Any) -> str | None:
    """What the Cloud API would refuse in a template message (None: nothing): a name, a language code, and text
    parameters of a body component that hold no new line, tab or more than four spaces in a row."""
    if not isinstance(template, dict) or not re.fullmatch(r"[a-z0-9_]{1,512}", str(template.get("name", ""))):
        return "template.name is the approved template's name"
    language = template.get("language")
    if not isinstance(language, dict) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", str(language.get("code", ""))):
        return "template.language.code is a language code"
    for component in template.get("components", []):
        if not isinstance(component, dict) or component.get("type") != "body":
            return "the fake accepts body components only"
        for parameter in component.get("parameters", []):
            text = parameter.get("text") if isinstance(parameter, dict) and parameter.get("type") == "text" else None
            if not isinstance(text, str) or not text.strip() or re.search(r"[\n\t]| {5,}", text):
                return "a text parameter is words without new lines, tabs or more than 4 consecutive spaces"
    return None


def _whatsapp_list_problem(interactive: Any) -> str | None:
    """What the Cloud API would refuse in an interactive list (None: nothing): a body of 1 to 1,024 characters, a button
    of 1 to 20, 1 to 10 rows in all, each with a unique id and a title of 1 to 24."""
    if not isinstance(interactive, dict) or interactive.get("type") != "list":
        return "the fake accepts interactive lists only"
    body, action = interactive.get("body"), interactive.get("action")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not 0 < len(body["text"]) <= 1024:
        return "interactive.body.text is 1 to 1024 characters"
    if not isinstance(action, dict) or not isinstance(action.get("button"), str) or not 0 < len(action["button"]) <= 20:
        return "interactive.action.button is 1 to 20 characters"
    sections = action.get("sections")
    rows = [row for section in sections for row in section.get("rows", [])] \
        if isinstance(sections, list) and all(isinstance(x, dict) for x in sections) else None
    if not rows or len(rows) > 10 or not all(isinstance(r, dict) and isinstance(r.get("title"), str)
                                             and 0 < len(r["title"]) <= 24 and isinstance(r.get("id"), str)
                                             for r in rows):
        return "interactive.action.sections hold 1 to 10 rows, each an id and a title of 1 to 24 characters"
    if len({r["id"] for r in rows}) != len(rows):
        return "row ids must be unique"
    return None


def _graph_error(status: int, code: int, message: str, subcode: int | None = None, kind: str = "OAuthException",
                 headers: dict | None = None) -> tuple[int, dict, dict]:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AFakeTraceId0"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}, headers or {}


def _x_problem(status: int, title: str, detail: str, kind: str = "about:blank",
               headers: dict | None = None) -> tuple[int, dict, dict]:
    return status, {"title": title, "detail": detail, "type": kind, "status": status}, headers or {}


def _telegram_error(code: int, description: str, parameters: dict | None = None) -> tuple[int, dict, dict]:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body, {}


# Scripted errors, by name: (API, answer). An answer is (status, body, headers), or a callable making one.
ERRORS: dict[str, tuple[str, Any]] = {
    "graph_expired_token": ("graph", lambda: _graph_error(
        400, 190, "Error validating access token: Session has expired on Monday, 01-Jan-24 00:00:00 PST.", 463)),
    "graph_permission": ("graph", lambda: _graph_error(
        403, 10, "(#10) Application does not have permission for this action")),
    "graph_permission_200": ("graph", lambda: _graph_error(
        403, 200, "(#200) Requires pages_messaging permission to manage the object")),
    "graph_user_unavailable": ("graph", lambda: _graph_error(
        400, 551, "This person isn't available right now.", 1545041)),
    "graph_rate_limit": ("graph", lambda: _graph_error(
        400, 613, "Calls to this api have exceeded the rate limit.", headers={
            "X-Business-Use-Case-Usage": json.dumps({"104857600000001": [{
                "type": "messenger", "call_count": 100, "total_cputime": 10, "total_time": 10,
                "estimated_time_to_regain_access": 5}]})})),
    "graph_outside_window": ("graph", lambda: _graph_error(
        400, 10, "(#10) This message is sent outside of allowed window.", 2018278)),
    "graph_already_replied": ("graph", lambda: _graph_error(400, 10900, "(#10900) Activity already replied to")),
    # what Graph answers a delete this token may not make, of a comment that is still there
    "graph_cannot_delete": ("graph", lambda: _graph_unsupported("DELETE", "the comment")),
    "graph_unavailable": ("graph", lambda: _graph_error(
        500, 2, "An unexpected error has occurred. Please retry your request later.")),
    # a WhatsApp block of a user who has not written in the last 24 hours: refused for that user
    "whatsapp_reengagement": ("graph", "whatsapp_reengagement"),
    "x_unauthorized": ("x", lambda: _x_problem(401, "Unauthorized", "Unauthorized")),
    "x_forbidden": ("x", lambda: _x_problem(403, "Forbidden", "You are not permitted to perform this action.")),
    "x_dm_not_allowed": ("x", lambda: _x_problem(403, "Forbidden", "You cannot send messages to this user.")),
    "x_rate_limited": ("x", lambda: _x_problem(429, "Too Many Requests", "Too Many Requests", headers={
        "x-rate-limit-limit": "15", "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(time.time()) + 60)})),
    "telegram_unauthorized": ("telegram", lambda: _telegram_error(401, "Unauthorized")),
    "telegram_blocked": ("telegram", lambda: _telegram_error(403, "Forbidden: bot was blocked by the user")),
    "telegram_rate_limited": ("telegram", lambda: _telegram_error(
        429, "Too Many Requests: retry after 7", {"retry_after": 7})),
    "telegram_not_enough_rights": ("telegram", lambda: _telegram_error(
        400, "Bad Request: not enough rights to restrict/ban chat member")),
    # the request is accepted (recorded, in sent()) but answered only after `hang_seconds`: a client timeout
    # after the reply was posted
    "graph_timeout": ("graph", "hang"),
    "x_timeout": ("x", "hang"),
    "telegram_timeout": ("telegram", "hang"),
}


@dataclass
class FakeRequest:
    method: str
    path: str  # with the query string, as sent
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON or form; None when empty or unreadable
    api: str  # graph | x | telegram
    platforms: tuple[str, ...] = ()  # which platforms' replies this request sends, or whose message it moderates
    moderation: str | None = None  # hide | unhide | delete, when it moderates a message (then not in sent())
    ban: str | None = None  # ban | unban, when it bans a customer or lets them back (then not in sent())
    status: int = 0  # what the fake answered
    answer: Any = None

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _State:
    requests: list[FakeRequest] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=lambda: {"graph": [], "x": [], "telegram": []})
    privately_replied: set[str] = field(default_factory=set)  # comment ids with their one private reply
    moderated: dict[tuple[str, str], str] = field(default_factory=dict)  # (api, message id): "hidden" | "deleted"
    banned: set[tuple[str, str, str]] = field(default_factory=set)  # (page | whatsapp | x | telegram, account, user)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakePlatforms:
    """The fake servers (one port, three path prefixes). `hang_seconds`: how long a scripted *_timeout waits."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, hang_seconds: float = 5.0):
        self.host, self.port, self.hang_seconds = host, port, hang_seconds
        self._state = _State()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> "FakePlatforms":
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = self._server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-platforms", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging answers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakePlatforms":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_urls(self) -> dict[str, str]:
        return {"graph": f"{self.url}/graph/{GRAPH_VERSION}", "x": f"{self.url}/x", "telegram": f"{self.url}/telegram"}

    # scripting and inspection ------------------------------------------------------------------------
    def fail_next(self, error: str, times: int = 1) -> None:
        """Answer the next `times` requests to the error's API (graph, x, telegram) with the named error."""
        if error not in ERRORS:
            raise ValueError(f"unknown error {error!r}; known: {', '.join(sorted(ERRORS))}")
        if not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive integer")
        with self._state.lock:
            self._state.failures[ERRORS[error][0]].extend([error] * times)

    def reset(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.privately_replied.clear()
            self._state.moderated.clear()
            self._state.banned.clear()
            for queue in self._state.failures.values():
                queue.clear()

    @property
    def requests(self) -> list[FakeRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def sent(self, platform: str | None = None) -> list[FakeRequest]:
        """The replies the fake accepted (a reply posted), oldest first; `platform` filters by platform
        (facebook, messenger, instagram, whatsapp, x, telegram) or API (graph, x, telegram). A Send API call
        is both messenger and instagram: the fake cannot tell a Page from an Instagram account."""
        return self._accepted(platform, moderation=False)

    def moderated(self, platform: str | None = None) -> list[FakeRequest]:
        """The moderation requests the fake accepted (hidden, shown again, deleted; a delete of a message already
        gone is not accepted), oldest first, filtered as `sent`. A Graph delete is both facebook and instagram."""
        return self._accepted(platform, moderation=True)

    def state_of(self, api: str, message_id: str) -> str:
        """What moderation left of a message: "visible", "hidden" or "deleted". Telegram's ids are
        "<chat id>:<message_id>"."""
        with self._state.lock:
            return self._state.moderated.get((api, message_id), "visible")

    def bans(self, platform: str | None = None) -> list[FakeRequest]:
        """The ban and unban requests the fake accepted, oldest first, filtered as `sent`. A Page ban is both
        facebook and messenger."""
        return [r for r in self.requests if r.accepted and r.ban is not None
                and (platform is None or platform == r.api or platform in r.platforms)]

    def is_banned(self, where: str, account: str, user: str) -> bool:
        """Whether `user` is banned: `where` is page (account: the Page id), whatsapp (the phone number id), x (the
        brand's user id) or telegram (the chat id)."""
        with self._state.lock:
            return (where, str(account), str(user)) in self._state.banned

    def _accepted(self, platform: str | None, *, moderation: bool) -> list[FakeRequest]:
        return [r for r in self.requests if r.accepted and r.platforms and r.ban is None
                and (r.moderation is not None) == moderation
                and (platform is None or platform == r.api or platform in r.platforms)]

    # internals ---------------------------------------------------------------------------------------
    def _fresh(self) -> int:
        return next(self._ids)

    def _scripted(self, api: str) -> str | None:
        with self._state.lock:
            queue = self._state.failures[api]
            return queue.pop(0) if queue else None

    def _record(self, request: FakeRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)

    def _moderate(self, api: str, message_id: str, action: str) -> str | None:
        """Apply a moderation action to a message's state; the state it was in when it is already deleted (the
        request is then refused as the platform refuses it), else None."""
        key = (api, message_id)
        with self._state.lock:
            if self._state.moderated.get(key) == "deleted":
                return "deleted"
            if action == "unhide":
                self._state.moderated.pop(key, None)
            else:
                self._state.moderated[key] = "hidden" if action == "hide" else "deleted"
            return None

    def _ban(self, request: FakeRequest, where: str, account: str, user: str, action: str,
             platforms: tuple[str, ...]) -> None:
        with self._state.lock:
            if action == "ban":
                self._state.banned.add((where, str(account), str(user)))
            else:
                self._state.banned.discard((where, str(account), str(user)))
        request.platforms, request.ban = platforms, action

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> tuple[int, Any, dict]:
        """One request: (status, JSON body, extra headers)."""
        path = urlsplit(raw_path).path
        if path.startswith("/_fake/"):
            return self._control(method, path, raw_body)
        api = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        if api not in ("graph", "x", "telegram"):
            return 404, {"error": {"code": "unknown_route", "message": f"the fake serves /graph, /x, /telegram, "
                                                                        f"/_fake; not {path!r}"}}, {}
        body = _parse_body(headers, raw_body, raw_path if api in ("graph", "telegram") else None)
        request = FakeRequest(method, raw_path, headers, body, api)
        self._record(request)
        scripted = self._scripted(api)
        if scripted == "whatsapp_reengagement":
            status, answer, extra = _whatsapp_reengagement(request.body)
        elif scripted is not None and ERRORS[scripted][1] != "hang":
            status, answer, extra = ERRORS[scripted][1]()
        else:
            status, answer, extra = getattr(self, f"_{api}")(request, method, path)
        request.status, request.answer = status, answer
        if scripted is not None and ERRORS[scripted][1] == "hang":  # posted, then no answer in time
            self._stopping.wait(self.hang_seconds)
        return status, answer, extra

    def _control(self, method: str, path: str, raw_body: bytes) -> tuple[int, Any, dict]:
        if method == "GET" and path == "/_fake/requests":
            return 200, {"requests": [asdict(r) for r in self.requests]}, {}
        if method == "POST" and path == "/_fake/reset":
            self.reset()
            return 200, {"reset": True}, {}
        if method == "POST" and path == "/_fake/fail":
            try:
                spec = json.loads(raw_body or b"{}")
                self.fail_next(spec.get("error"), spec.get("times", 1))
            except (ValueError, AttributeError, TypeError) as exc:
                return 400, {"error": {"code": "bad_request", "message": str(exc)}}, {}
            return 200, {"queued": spec["error"], "times": spec.get("times", 1)}, {}
        return 404, {"error": {"code": "unknown_route", "message": f"{method} {path}: the control endpoints are "
                               "POST /_fake/fail, GET /_fake/requests, POST /_fake/reset"}}, {}

    # Graph API ---------------------------------------------------------------------------------------
    def _graph(self, request: FakeRequest, method: str, path: str) -> tuple[int, Any, dict]:
        parts = path.strip("/").split("/")  # graph, version, node, edge (none: the node itself)
        known = (method == "POST" and len(parts) in (3, 4)) or (method in ("DELETE", "GET") and len(parts) == 3) \
            or (method == "DELETE" and len(parts) == 4 and parts[3] in ("blocked", "block_users"))
        if not known or not re.fullmatch(r"v\d+\.\d+", parts[1]):
            return _graph_unsupported(method, parts[2] if len(parts) > 2 else "")
        token = _bearer(request.headers) or _form_value(request.body, "access_token")
        if not token:
            return _graph_error(400, 104, "An access token is required to request this resource.")
        body = request.body if isinstance(request.body, dict) else {}
        if len(parts) == 3 and method == "GET":  # a comment read by its id: there until it is deleted
            with self._state.lock:
                gone = self._state.moderated.get(("graph", parts[2])) == "deleted"
            return _graph_unsupported(method, parts[2]) if gone else (200, {"id": parts[2]}, {})
        if len(parts) == 3:
            return self._graph_moderation(request, method, parts[2], body)
        node, edge = parts[2], parts[3]
        if edge == "blocked":
            return self._page_ban(request, method, node, body)
        if edge == "block_users":
            return self._whatsapp_block(request, method, node, body)
        if edge in ("comments", "replies"):
            message = body.get("message")
            if not isinstance(message, str) or not message.strip():
                return _graph_error(400, 100, "(#100) Missing message or attachment", kind="GraphMethodException")
            request.platforms = ("facebook",) if edge == "comments" else ("instagram",)
            fresh = self._fresh()
            new_id = f"{node.split('_')[0]}_{9000000000 + fresh}" if edge == "comments" else str(18000000000000000 + fresh)
            return 200, {"id": new_id}, {}
        if edge == "messages" and body.get("messaging_product") == "whatsapp":
            return self._whatsapp(request, body)
        if edge == "messages":
            return self._send_api(request, body)
        return _graph_error(400, 100, f"(#100) Unknown edge {edge!r} on this node", kind="GraphMethodException")

    def _graph_moderation(self, request: FakeRequest, method: str, node: str, body: dict) -> tuple[int, Any, dict]:
        """A comment hidden or shown again (Facebook `is_hidden`, Instagram `hide`), or deleted. The fake cannot
        tell a Facebook comment from an Instagram one on a delete, so it records both platforms."""
        if method == "DELETE":
            action, platforms = "delete", ("facebook", "instagram")
        else:
            fields = [name for name in ("is_hidden", "hide") if name in body]
            raw = body[fields[0]] if len(fields) == 1 else None
            value = raw if isinstance(raw, bool) else {"true": True, "false": False}.get(raw) \
                if isinstance(raw, str) else None  # JSON, or a form's text
            if value is None:
                return _graph_error(400, 100, "(#100) Set is_hidden (a Facebook comment) or hide (an Instagram "
                                              "comment) to true or false", kind="GraphMethodException")
            action = "hide" if value else "unhide"
            platforms = ("facebook",) if fields[0] == "is_hidden" else ("instagram",)
        if self._moderate("graph", node, action) == "deleted":
            return _graph_unsupported(method, node)
        request.platforms, request.moderation = platforms, action
        return 200, {"success": True}, {}

    def _page_ban(self, request: FakeRequest, method: str, page: str, body: dict) -> tuple[int, Any, dict]:
        """A person banned from a Page (`POST /{page-id}/blocked`, a list of ids in `user`, `psid`, `asid` or `uid`),
        or let back (`DELETE`, one id). A ban of someone banned already, and an unban of someone who is not, succeed."""
        given = [name for name in ("user", "psid", "asid", "uid") if name in body]
        if len(given) != 1:
            return _graph_error(400, 100, "(#100) Exactly one of user, psid, asid or uid must be specified",
                                kind="GraphMethodException")
        raw = body[given[0]]
        ids = raw if isinstance(raw, list) else [raw]
        if method == "DELETE" and isinstance(raw, list):
            return _graph_error(400, 100, f"(#100) Param {given[0]} must be a single id", kind="GraphMethodException")
        if not ids or not all(isinstance(i, (str, int)) and str(i).isdigit() for i in ids):
            return _graph_error(400, 100, f"(#100) Param {given[0]} must be ids", kind="GraphMethodException")
        platforms = ("messenger",) if given[0] == "psid" else ("facebook",)
        for person in ids:
            self._ban(request, "page", page, str(person), "ban" if method == "POST" else "unban", platforms)
        if method == "POST":
            return 200, {str(person): True for person in ids}, {}
        return 200, {"success": True}, {}

    def _whatsapp_block(self, request: FakeRequest, method: str, phone: str, body: dict) -> tuple[int, Any, dict]:
        """Block Users: `POST` blocks, `DELETE` unblocks, each user answered in added_users or removed_users."""
        users = body.get("block_users")
        if body.get("messaging_product") != "whatsapp" or not isinstance(users, list) or not users \
                or not all(isinstance(u, dict) and isinstance(u.get("user"), str) for u in users):
            status, answer, headers = _graph_error(400, 100, "(#100) Invalid parameter")
            answer["error"]["error_data"] = {"messaging_product": "whatsapp",
                                             "details": "messaging_product and block_users [{user}] are required"}
            return status, answer, headers
        done = []
        for entry in users:
            wa_id = entry["user"].lstrip("+")
            self._ban(request, "whatsapp", phone, wa_id, "ban" if method == "POST" else "unban", ("whatsapp",))
            done.append({"input": entry["user"], "wa_id": wa_id})
        listed = "added_users" if method == "POST" else "removed_users"
        return 200, {"messaging_product": "whatsapp", "block_users": {listed: done}}, {}

    def _private_reply(self, request: FakeRequest, body: dict) -> tuple[int, Any, dict]:
        """Private Replies: one DM to a comment's author, once per comment (a second: 10900). The fake cannot
        tell a Page from an Instagram account, so it records both platforms, as for the Send API."""
        comment, message = body["recipient"]["comment_id"], body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(comment, str) or not comment:
            return _graph_error(400, 100, "(#100) Param recipient[comment_id] must be a comment id")
        if not isinstance(text, str) or not text.strip():
            return _graph_error(400, 100, "(#100) Param message must be a JSON object with text or attachment")
        if len(text) > 2000:
            return _graph_error(400, 100, "(#100) Length of param message[text] must be less than or equal to 2000")
        with self._state.lock:
            if comment in self._state.privately_replied:
                return _graph_error(400, 10900, "(#10900) Activity already replied to")
            self._state.privately_replied.add(comment)
        request.platforms = ("facebook", "instagram")
        return 200, {"recipient_id": f"{7100000000000000 + self._fresh()}", "message_id": f"m_fake{self._fresh():012d}"}, {}

    def _send_api(self, request: FakeRequest, body: dict) -> tuple[int, Any, dict]:
        recipient, message = body.get("recipient"), body.get("message")
        if isinstance(recipient, dict) and "comment_id" in recipient:
            return self._private_reply(request, body)
        messaging_type, tag = body.get("messaging_type"), body.get("tag")
        if not isinstance(recipient, dict) or not isinstance(recipient.get("id"), str) or not recipient["id"]:
            return _graph_error(400, 100, "(#100) The parameter recipient is required")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return _graph_error(400, 100, "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        if (messaging_type == "MESSAGE_TAG") != (tag is not None):
            return _graph_error(400, 100, "(#100) A tag is sent with messaging_type MESSAGE_TAG, and only then")
        if tag is not None and tag not in SEND_API_TAGS:
            return _graph_error(400, 100, f"(#100) Param tag must be one of {{{', '.join(SEND_API_TAGS)}}}")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _graph_error(400, 100, "(#100) Param message must be a JSON object with text or attachment")
        if len(text) > 2000:
            return _graph_error(400, 100, "(#100) Length of param message[text] must be less than or equal to 2000")
        quick = message.get("quick_replies")
        if quick is not None and (not isinstance(quick, list) or not 1 <= len(quick) <= 13 or not all(
                isinstance(q, dict) and q.get("content_type") == "text" and isinstance(q.get("title"), str)
                and 0 < len(q["title"]) <= 20 and isinstance(q.get("payload"), str) and len(q["payload"]) <= 1000
                for q in quick)):
            return _graph_error(400, 100, "(#100) Param message[quick_replies] must be 1 to 13 text quick replies, "
                                          "each a title of at most 20 characters and a payload")
        request.platforms = ("messenger", "instagram")
        return 200, {"recipient_id": recipient["id"], "message_id": f"m_fake{self._fresh():012d}"}, {}

    def _whatsapp(self, request: FakeRequest, body: dict) -> tuple[int, Any, dict]:
        def invalid(details: str):
            status, answer, headers = _graph_error(400, 100, "(#100) Invalid parameter")
            answer["error"]["error_data"] = {"messaging_product": "whatsapp", "details": details}
            return status, answer, headers

        to, text, context = body.get("to"), body.get("text"), body.get("context")
        if body.get("recipient_type", "individual") != "individual":
            return invalid("recipient_type must be individual")
        if not isinstance(to, str) or not re.fullmatch(r"\+?[0-9]{5,20}", to):
            return invalid("to must be the WhatsApp user's phone number or wa_id")
        if body.get("type") == "interactive":
            problem = _whatsapp_list_problem(body.get("interactive"))
            if problem:
                return invalid(problem)
        elif body.get("type") == "template":
            problem = _whatsapp_template_problem(body.get("template"))
            if problem:
                return invalid(problem)
        elif body.get("type", "text") != "text":
            return invalid("the fake accepts text messages, interactive lists and templates only")
        elif not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"].strip():
            return invalid("text.body is required")
        elif len(text["body"]) > 4096:
            return invalid("text.body is at most 4096 characters")
        if context is not None and (not isinstance(context, dict) or not isinstance(context.get("message_id"), str)):
            return invalid("context.message_id must be a wamid")
        request.platforms = ("whatsapp",)
        wamid = f"wamid.FAKE{self._fresh():020d}"
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                     "messages": [{"id": wamid}]}, {}

    # X API v2 ----------------------------------------------------------------------------------------
    def _x(self, request: FakeRequest, method: str, path: str) -> tuple[int, Any, dict]:
        if not _bearer(request.headers):
            return _x_problem(401, "Unauthorized", "Unauthorized")
        body = request.body if isinstance(request.body, dict) else None
        hidden = re.fullmatch(r"/x/2/tweets/([^/]+)/hidden", path)
        if method == "PUT" and hidden is not None:
            return self._x_hide(request, hidden.group(1), body)
        muting = re.fullmatch(r"/x/2/users/([^/]+)/muting(?:/([^/]+))?", path)
        if muting is not None and ((method == "POST" and muting.group(2) is None)
                                   or (method == "DELETE" and muting.group(2) is not None)):
            return self._x_mute(request, muting.group(1), muting.group(2) or (body or {}).get("target_user_id"))
        dm = re.fullmatch(r"/x/2/dm_conversations/with/([^/]+)/messages", path)
        if method != "POST" or (path != "/x/2/tweets" and dm is None):
            return _x_problem(404, "Not Found Error", f"no route {method} {path.removeprefix('/x')}",
                              "https://api.twitter.com/2/problems/resource-not-found")
        if body is None or not isinstance(body.get("text"), str) or not body["text"].strip():
            return _x_invalid("text", "The `text` field is required and must be a non-empty string")
        if dm is not None:
            participant = dm.group(1)
            if not participant.isdigit():
                return _x_invalid("participant_id", f"The `participant_id` query parameter value [{participant}] "
                                                    "is not valid")
            request.platforms = ("x",)
            conversation = "-".join(sorted((participant, FAKE_X_USER_ID), key=int))
            return 201, {"data": {"dm_conversation_id": conversation, "dm_event_id": str(1900000000000000000
                                                                                        + self._fresh())}}, {}
        reply = body.get("reply")
        if reply is not None and (not isinstance(reply, dict)
                                  or not str(reply.get("in_reply_to_tweet_id") or "").isdigit()):
            return _x_invalid("reply.in_reply_to_tweet_id", "reply.in_reply_to_tweet_id must be a post id (digits)")
        request.platforms = ("x",)
        return 201, {"data": {"id": str(1800000000000000000 + self._fresh()), "text": body["text"]}}, {}

    def _x_hide(self, request: FakeRequest, tweet_id: str, body: dict | None) -> tuple[int, Any, dict]:
        """Hide replies: hiding a hidden reply (or showing a visible one) succeeds, as X documents."""
        if not tweet_id.isdigit():
            return _x_invalid("id", f"The `id` query parameter value [{tweet_id}] is not valid")
        if body is None or not isinstance(body.get("hidden"), bool):
            return _x_invalid("hidden", "The `hidden` field is required and must be a boolean")
        self._moderate("x", tweet_id, "hide" if body["hidden"] else "unhide")  # the fake deletes no X post
        request.platforms, request.moderation = ("x",), "hide" if body["hidden"] else "unhide"
        return 200, {"data": {"hidden": body["hidden"]}}, {}

    def _x_mute(self, request: FakeRequest, source: str, target: Any) -> tuple[int, Any, dict]:
        """Mute (`POST /2/users/{id}/muting {"target_user_id"}`) or unmute (`DELETE .../muting/{target}`); muting a
        muted account, or unmuting one that is not, succeeds."""
        if not source.isdigit():
            return _x_invalid("id", f"The `id` query parameter value [{source}] is not valid")
        if not isinstance(target, str) or not target.isdigit():
            return _x_invalid("target_user_id", "The `target_user_id` field is required and must be a user id")
        muting = request.method == "POST"
        self._ban(request, "x", source, target, "ban" if muting else "unban", ("x",))
        return 200, {"data": {"muting": muting}}, {}

    # Telegram Bot API --------------------------------------------------------------------------------
    def _telegram(self, request: FakeRequest, method: str, path: str) -> tuple[int, Any, dict]:
        match = re.fullmatch(r"/telegram/bot([^/]*)/([A-Za-z]+)", path)
        if match is None:
            return _telegram_error(404, "Not Found")
        if not TELEGRAM_TOKEN.fullmatch(match.group(1)):
            return _telegram_error(401, "Unauthorized")
        body = request.body if isinstance(request.body, dict) else {}
        if match.group(2) == "deleteMessage":
            return self._telegram_delete(request, body)
        if match.group(2) in ("banChatMember", "unbanChatMember"):
            return self._telegram_ban(request, match.group(2), body)
        if match.group(2) != "sendMessage":
            return _telegram_error(404, "Not Found")
        chat_id, text, reply = body.get("chat_id"), body.get("text"), body.get("reply_parameters")
        if chat_id is None or chat_id == "":
            return _telegram_error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _telegram_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _telegram_error(400, "Bad Request: message is too long")
        if reply is not None and (not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int)):
            return _telegram_error(400, "Bad Request: can't parse reply parameters JSON object")
        markup = body.get("reply_markup")
        keyboard = markup.get("keyboard") if isinstance(markup, dict) else None
        if markup is not None and not (isinstance(keyboard, list) and keyboard and all(
                isinstance(row, list) and row and all(isinstance(b, dict) and isinstance(b.get("text"), str)
                                                      and b["text"] for b in row) for row in keyboard)):
            return _telegram_error(400, "Bad Request: can't parse reply keyboard markup JSON object")
        request.platforms = ("telegram",)
        chat = {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"}
        result = {"message_id": 1000 + self._fresh(), "date": int(time.time()), "chat": chat, "text": text,
                  "from": {"id": 123456789, "is_bot": True, "first_name": "Dev bot", "username": "dev_triage_bot"}}
        if reply is not None:
            result["reply_to_message"] = {"message_id": reply["message_id"], "chat": chat}
        return 200, {"ok": True, "result": result}, {}

    def _telegram_delete(self, request: FakeRequest, body: dict) -> tuple[int, Any, dict]:
        """deleteMessage: a second delete of one message is "message to delete not found", as Telegram answers."""
        chat_id, message_id = body.get("chat_id"), body.get("message_id")
        if chat_id is None or chat_id == "":
            return _telegram_error(400, "Bad Request: chat_id is empty")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            return _telegram_error(400, "Bad Request: message identifier is not specified")
        if self._moderate("telegram", f"{chat_id}:{message_id}", "delete") == "deleted":
            return _telegram_error(400, "Bad Request: message to delete not found")
        request.platforms, request.moderation = ("telegram",), "delete"
        return 200, {"ok": True, "result": True}, {}

    def _telegram_ban(self, request: FakeRequest, method: str, body: dict) -> tuple[int, Any, dict]:
        """banChatMember / unbanChatMember in a group (a negative chat id or an @username); a private chat is
        refused as Telegram refuses it."""
        chat_id, user_id = body.get("chat_id"), body.get("user_id")
        if chat_id is None or chat_id == "":
            return _telegram_error(400, "Bad Request: chat_id is empty")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return _telegram_error(400, "Bad Request: invalid user_id specified")
        if isinstance(chat_id, int) and chat_id > 0:
            return _telegram_error(400, "Bad Request: can't remove chat owner")
        self._ban(request, "telegram", str(chat_id), str(user_id), "ban" if method == "banChatMember" else "unban",
                  ("telegram",))
        return 200, {"ok": True, "result": True}, {}


def _whatsapp_reengagement(body: Any) -> tuple[int, dict, dict]:
    """Block Users' answer for users who have not written in the last 24 hours: each one in failed_users (131047),
    and the request's error 139100."""
    users = body.get("block_users") if isinstance(body, dict) else None
    failed = [{"input": u.get("user"), "wa_id": str(u.get("user") or "").lstrip("+"),
               "errors": [{"message": "Re-engagement required", "code": 131047,
                           "error_data": {"details": "User has not messaged in the last 24 hours"}}]}
              for u in (users or []) if isinstance(u, dict)]
    status, answer, headers = _graph_error(400, 139100, "(#139100) Failed to block/unblock users")
    answer["error"]["error_data"] = {"details": "Failed to block some users, see the block_users response list for "
                                                "details"}
    return status, {"messaging_product": "whatsapp", "block_users": {"added_users": [], "failed_users": failed},
                    **answer}, headers


def _graph_unsupported(method: str, node: str) -> tuple[int, dict, dict]:
    """Graph's answer to a path it does not serve, or to an object that does not exist (any more)."""
    return _graph_error(400, 100, f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, "
                                  "cannot be loaded due to missing permissions, or does not support this operation.",
                        33, "GraphMethodException")


def _x_invalid(parameter: str, message: str) -> tuple[int, dict, dict]:
    return 400, {"errors": [{"parameters": {parameter: []}, "message": message}], "title": "Invalid Request",
                 "detail": "One or more parameters to your request was invalid.",
                 "type": "https://api.twitter.com/2/problems/invalid-request"}, {}


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    return value[7:].strip() or None if value.lower().startswith("bearer ") else None


def _form_value(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None


def _parse_body(headers: dict[str, str], raw: bytes, raw_path: str | None) -> Any:
    """JSON, or a form (Graph and Telegram also take parameters in the query string and as form fields)."""
    if headers.get("content-type", "").startswith("application/json"):
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None
    fields: dict[str, Any] = {}
    sources = [raw.decode("utf-8", "replace")] + ([urlsplit(raw_path).query] if raw_path else [])
    for source in sources:
        for name, values in parse_qs(source).items():
            value = values[-1]
            try:  # Graph's form fields carry JSON objects: recipient={"id": "..."}
                fields[name] = json.loads(value) if value[:1] in "{[" else value
            except ValueError:
                fields[name] = value
    return fields or None


def _handler(fake: FakePlatforms) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = fake.handle(self.command, self.path, headers, raw)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args) -> None:  # quiet: the paths carry Telegram bot tokens
            pass

    return Handler


def start_for_local_run(environ) -> FakePlatforms | None:
    """`make run`: a fake on FAKE_PLATFORMS_PORT (default: any free port) with the settings' API roots and dummy
    TRIAGE_TOKEN_* pointing at it, unless an API root is configured (then the real platforms are called)."""
    if any(environ.get(name) for name in ("GRAPH_API_BASE", "X_API_BASE", "TELEGRAM_API_BASE")):
        return None
    fake = FakePlatforms(port=int(environ.get("FAKE_PLATFORMS_PORT") or 0)).start()
    environ.update({"GRAPH_API_BASE": fake.base_urls["graph"], "X_API_BASE": fake.base_urls["x"],
                    "TELEGRAM_API_BASE": fake.base_urls["telegram"]})
    for name, value in DEV_TOKENS.items():
        environ.setdefault(name, value)
    return fake
