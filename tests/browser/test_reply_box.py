"""The reply box, against a stand-in for the conversation API as the issue describes it (GET/POST
/conversations/{id}..., reply windows, 429 with Retry-After, 409 when the lease is lost), served with the real
console build on a loopback port: what the console sends and shows, before the API's own routes exist.

GIVEN a claimed conversation whose reply window is open
WHEN the agent replies (double clicks, retries after a 429, refreshes mid-way)
THEN each reply attempt carries one idempotency key until it is accepted, and the window and errors are shown.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest

from chalicelib.schemas import ReplyOut

from .conftest import REQUIRED, Console

try:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

AGENT_KEY = "st_0123456789abcdef_" + "k" * 40
NOW = datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def conversation(conversation_id: str, window_open: bool) -> dict:
    return {
        "id": conversation_id, "platform": "messenger", "channel": "direct_message",
        "author": {"id": "6100000000001", "name": "Sato Yui"}, "text": "Where is my parcel?", "language": "en",
        "created_at": iso(NOW - timedelta(hours=2)), "received_at": iso(NOW - timedelta(hours=2)),
        "queue": "customer_service", "status": "claimed", "priority": 40, "priority_reasons": ["channel:direct_message"],
        "needs_review": False, "claimed_by": "agent:Aiko (0123456789abcdef)",
        "lease_expires_at": iso(NOW + timedelta(minutes=14)),
        "triage": {"category": "customer_service", "confidence": 0.9, "scores": {}, "top_terms": [],
                   "model_version": "triage-test", "needs_review": False},
        "conversation": {"id": conversation_id}, "message_count": 2, "last_inbound_at": iso(NOW - timedelta(hours=1)),
        "first_reply_at": None, "history": [], "corrections": [],
        "messages": [
            {"id": conversation_id, "direction": "inbound", "platform": "messenger", "channel": "direct_message",
             "author": {"id": "6100000000001", "name": "Sato Yui"}, "text": "Where is my parcel?",
             "created_at": iso(NOW - timedelta(hours=2)), "received_at": iso(NOW - timedelta(hours=2))},
            {"id": conversation_id + "-2", "direction": "inbound", "platform": "messenger", "channel": "direct_message",
             "author": {"id": "6100000000001", "name": "Sato Yui"}, "text": "Hello? Still waiting.",
             "created_at": iso(NOW - timedelta(hours=1)), "received_at": iso(NOW - timedelta(hours=1))},
        ],
        "replies": [],
        "reply_window": ({"open": True, "closes_at": iso(NOW + timedelta(hours=23)), "reason": None,
                          "messaging_type": "RESPONSE"} if window_open else
                         {"open": False, "closes_at": iso(NOW - timedelta(hours=1)), "reason": "expired",
                          "messaging_type": None}),
    }


def reply(conversation_id: str, text: str, minutes: int) -> dict:
    """A reply sent from the inbox `minutes` ago, as the API answers it."""
    at = iso(NOW - timedelta(minutes=minutes))
    return ReplyOut(id=f"key-{minutes:04d}", conversation=conversation_id, text=text, reply_to=conversation_id,
                    by="agent:Aiko (0123456789abcdef)", platform="messenger", created_at=at, sent_at=at, status="sent",
                    attempts=1, platform_message_id=f"m_{minutes}").model_dump()


class FakeApi:
    """The routes the console calls, answering as the conversation API will; `answers` queues the status of
    the next POSTs to .../replies (201 when empty)."""

    def __init__(self):
        self.conversations = {"messenger:c1": conversation("messenger:c1", True),
                              "messenger:c2": conversation("messenger:c2", False),
                              "messenger:c3": {**conversation("messenger:c3", True), "earlier_cursor": "cGFnZTI"},
                              "messenger:c4": {**conversation("messenger:c4", True), "earlier_replies": 2,
                                               "earlier_replies_cursor": "cmVwbGllcw",
                                               "replies": [reply("messenger:c4", "Latest reply", minutes=30)]}}
        # what GET /conversations/messenger:c4/replies?cursor=cmVwbGllcw answers: the replies before the latest
        self.earlier_replies = [reply("messenger:c4", "Earlier reply 1", minutes=110),
                                reply("messenger:c4", "Earlier reply 2", minutes=50)]
        # what GET /conversations/messenger:c3/messages?cursor=cGFnZTI answers: the messages left out between
        self.earlier = [{**conversation("messenger:c3", True)["messages"][1], "id": f"messenger:c3-e{i}",
                         "text": f"Earlier message {i}"} for i in (1, 2)]
        self.posts: list[dict] = []
        self.answers: list[tuple[int, dict, dict]] = []
        self.left_out = 0  # what GET /me/conversations says it did not list
        self.lock = threading.Lock()

    def handle(self, method: str, path: str, body: dict | None) -> tuple[int, dict, object]:
        from chalicelib import console

        if path in ("/console", "/console/"):
            page = console.index(path)
            return 200, {"Content-Type": page.content_type, "Content-Security-Policy": console.CSP}, page.body
        if path.startswith("/console/"):
            try:
                asset = console.asset(path.rsplit("/", 1)[1])
            except Exception:
                return 404, {}, {"error": {"code": "unknown_asset", "message": "no"}}
            return 200, {"Content-Type": asset.content_type, "Content-Security-Policy": console.CSP}, asset.body
        if path == "/openapi.json":
            return 200, {}, {"paths": {"/conversations/{conversation_id}": {},
                                       "/conversations/{conversation_id}/replies": {"get": {}, "post": {}},
                                       "/conversations/{conversation_id}/messages": {}, "/me/conversations": {}}}
        if path in ("/admin/keys", "/stats"):
            return 403, {}, {"error": {"code": "forbidden_role", "message": "agent"}}
        if path == "/queues":
            return 200, {}, {"queues": [{"queue": "customer_service", "open": 0, "claimed": 2, "snoozed": 0,
                                         "needs_review": 0, "oldest_open_age_seconds": None}]}
        if path == "/queues/customer_service/messages":
            items = [{k: v for k, v in c.items() if k not in ("messages", "replies", "reply_window")}
                     for c in self.conversations.values()]
            return 200, {}, {"messages": items, "next_cursor": None}
        if path == "/me/conversations":
            items = [{k: v for k, v in c.items() if k not in ("messages", "replies", "reply_window")}
                     for c in self.conversations.values()]
            return 200, {}, {"conversations": items, "next_cursor": None, **({"left_out": self.left_out}
                                                                             if self.left_out else {})}
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "conversations" and parts[2] in self.conversations:
            found = self.conversations[parts[2]]
            if method == "GET" and len(parts) == 3:
                return 200, {}, found
            if method == "GET" and parts[3:] == ["messages"] and found.get("earlier_cursor"):
                return 200, {}, {"messages": self.earlier, "next_cursor": None}
            if method == "GET" and parts[3:] == ["replies"] and found.get("earlier_replies_cursor"):
                return 200, {}, {"replies": self.earlier_replies, "next_cursor": None}
            if method == "POST" and parts[3:] == ["replies"]:
                with self.lock:
                    self.posts.append(body)
                    status, headers, payload = self.answers.pop(0) if self.answers else (201, {}, None)
                if status != 201:
                    return status, headers, payload
                now = iso(datetime.now(timezone.utc))
                reply = ReplyOut(id=body["idempotency_key"], conversation=parts[2], text=body["text"],
                                 reply_to=found["messages"][-1]["id"], by=found["claimed_by"],
                                 platform=found["platform"], created_at=now, sent_at=now, status="sent", attempts=1,
                                 platform_message_id="m_1").model_dump()  # the real API's shape
                if not any(r["idempotency_key"] == body["idempotency_key"] for r in found.setdefault("_keys", [])):
                    found["_keys"].append({"idempotency_key": body["idempotency_key"]})
                    found["replies"].append(reply)
                return 201, {}, reply
        return 404, {}, {"error": {"code": "unknown_route", "message": path}}


@pytest.fixture
def fake_api():
    api = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            path = unquote(urlsplit(self.path).path)
            if not path.startswith("/console") and path != "/openapi.json" and \
                    self.headers.get("Authorization") != f"Bearer {AGENT_KEY}":
                status, headers, payload = 401, {}, {"error": {"code": "invalid_key", "message": "no"}}
            else:
                status, headers, payload = api.handle(self.command, path, body)
            raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    api.keys = {"agent": AGENT_KEY}
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(driver, fake_api):
    console = Console(driver, fake_api)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.set_window_size(1280, 800)
    driver.get(console.url)
    driver.execute_script("localStorage.clear(); sessionStorage.clear();")
    driver.get_log("browser")
    yield console
    assert not console.console_problems()


def test_one_key_per_reply_attempt_until_accepted_and_the_window_shown(page, fake_api, screenshot):
    # GIVEN the agent on a claimed conversation whose window is open, and an API that first answers 429
    page.sign_in("agent")
    page.driver.get(page.url + "#/work/customer_service/messenger%3Ac1")
    page.text_in("#reply-window", "The reply window is open until")
    page.text_in(".thread", "Hello? Still waiting.")
    fake_api.answers.append((429, {"Retry-After": "3"}, {"error": {"code": "rate_limited", "message": "slow down"}}))
    # WHEN she types, refreshes (the draft survives), and double clicks Send
    page.find("#reply-text").send_keys("Your parcel left our warehouse today.")
    page.driver.refresh()
    page.text_in("#reply-window", "The reply window is open until")  # the conversation is drawn again, then clicked
    page.text_in(".thread", "Hello? Still waiting.")
    box = page.find("#reply-text")
    assert box.get_attribute("value") == "Your parcel left our warehouse today."
    send = page.find("#send-reply")
    page.driver.execute_script("window.__clickedAt = performance.now()")
    ActionChains(page.driver).double_click(send).perform()
    # THEN one request went out, refused for now, and she is told when to retry: Send waits that long (a second
    # click that lands after the refusal sends nothing either)
    page.text_in("#reply-status", "Try again in 3 seconds.")
    # judged on the page's clock: a loaded machine may look after the 3 s, when Send is rightly back
    disabled, waited = page.driver.execute_script(
        "return [document.getElementById('send-reply').disabled, performance.now() - window.__clickedAt]")
    assert disabled or waited >= 3000, waited
    assert len(fake_api.posts) == 1
    # WHEN she sends again once Send is back THEN the same key goes with the same text, and the reply is shown once
    page.wait(lambda d: page.find("#send-reply").is_enabled(), "Send never came back after the Retry-After")
    assert len(fake_api.posts) == 1
    page.find("#send-reply").click()
    page.text_in("#notice", "Reply sent.")
    page.text_in(".thread .reply", "Your parcel left our warehouse today.")
    assert [p["idempotency_key"] for p in fake_api.posts][0] == fake_api.posts[1]["idempotency_key"]
    assert len(fake_api.posts) == 2 and len(fake_api.conversations["messenger:c1"]["replies"]) == 1
    assert page.find("#reply-text").get_attribute("value") == ""
    sent_at = fake_api.conversations["messenger:c1"]["replies"][0]["sent_at"]
    assert page.find(".thread .reply time").get_attribute("datetime") == sent_at  # when it went out, not "—"
    screenshot("agent-reply-box")
    # WHEN she sends another reply THEN it gets a key of its own
    page.find("#reply-text").send_keys("Tracking: 1Z999")
    page.find("#send-reply").click()
    page.text_in(".thread .reply", "Tracking: 1Z999")
    assert len(fake_api.conversations["messenger:c1"]["replies"]) == 2
    assert fake_api.posts[2]["idempotency_key"] != fake_api.posts[0]["idempotency_key"]
    # WHEN the lease is lost meanwhile THEN she is told so, and her text stays
    fake_api.answers.append((409, {}, {"error": {"code": "lease_lost", "message": "lease lost"}}))
    page.find("#reply-text").send_keys("One more thing")
    page.find("#send-reply").click()
    page.text_in("#lease-lost", "You no longer hold this conversation.")
    assert page.find("#reply-text").get_attribute("value") == "One more thing"


def test_a_closed_window_disables_sending_and_says_why_in_japanese(page, fake_api):
    page.sign_in("agent")
    page.find("#language")
    page.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    page.driver.get(page.url + "#/work/customer_service/messenger%3Ac2")
    page.driver.refresh()
    page.text_in("#reply-window", "返信期限を過ぎています。")
    page.text_in("#reply-window", "時間が経ちすぎた")
    assert not page.find("#send-reply").is_enabled()
    # AND the API's refusal, should the window close while she types, is in words
    fake_api.answers.append((422, {}, {"error": {"code": "outside_reply_window", "message": "closed"}}))
    page.driver.get(page.url + "#/work/customer_service/messenger%3Ac1")
    page.find("#reply-text").send_keys("遅くなりすみません")
    page.find("#send-reply").click()
    page.text_in("#reply-status", "返信期限を過ぎたため")


def test_a_long_conversation_shows_its_earlier_messages_on_request(page, fake_api):
    # GIVEN a conversation whose answer leaves out the messages between its first and its latest
    page.sign_in("agent")
    page.find("#language")
    page.driver.get(page.url + "#/work/customer_service/messenger%3Ac3")
    page.driver.refresh()
    page.text_in(".thread", "Hello? Still waiting.")
    assert "Earlier message" not in page.find(".thread").text
    # WHEN she asks for them THEN they appear between the first and the latest, in order, and the button goes
    page.find("#earlier").click()
    page.text_in(".thread", "Earlier message 2")
    texts = [m.text for m in page.all(".thread .message .text")]
    assert texts == ["Where is my parcel?", "Earlier message 1", "Earlier message 2", "Hello? Still waiting."]
    assert not page.all("#earlier")


def test_a_long_conversation_shows_its_earlier_replies_where_they_were_sent(page, fake_api):
    # GIVEN a conversation whose answer holds only its latest reply and says two earlier ones are left out
    page.sign_in("agent")
    page.find("#language")
    page.driver.get(page.url + "#/work/customer_service/messenger%3Ac4")
    page.driver.refresh()
    page.text_in(".thread", "Latest reply")
    assert "Earlier reply" not in page.find(".thread").text
    assert "2" in page.find("#earlier-replies").text
    # WHEN she asks for them THEN each takes its place in time among the messages, and the button goes
    page.find("#earlier-replies").click()
    page.text_in(".thread", "Earlier reply 2")
    texts = [m.text for m in page.all(".thread .message .text")]
    assert texts == ["Where is my parcel?", "Earlier reply 1", "Hello? Still waiting.", "Earlier reply 2",
                     "Latest reply"]
    assert not page.all("#earlier-replies")


def test_the_list_of_what_she_holds_says_how_many_more_it_leaves_out(page, fake_api):
    # GIVEN an agent who holds more conversations than GET /me/conversations lists at once
    fake_api.left_out = 120
    page.sign_in("agent")
    page.find(".messages .row")
    assert not any(e.is_displayed() for e in page.all("#list-left-out"))
    # WHEN she shows what she holds
    Select(page.find("#list-status")).select_by_value("mine")
    # THEN the list says how many more she holds and how to see them, in words
    page.text_in("#list-left-out", "120 more conversations you hold are not shown: narrow the list with a filter.")
    assert len(page.all("#message-list .row")) == len(fake_api.conversations)
    # AND one is said as one, in English and in Japanese
    fake_api.left_out = 1
    page.find("#refresh").click()
    page.text_in("#list-left-out", "1 more conversation you hold is not shown")
    Select(page.find("#language")).select_by_value("ja")
    page.text_in("#list-left-out", "担当中の会話がほかに 1 件ありますが、表示していません。")
    # AND when none is left out the line goes
    fake_api.left_out = 0
    page.find("#refresh").click()
    page.wait(lambda d: not page.all("#list-left-out")[0].is_displayed(), "the line is hidden")
    # AND a queue's list never shows it
    Select(page.find("#list-status")).select_by_value("open")
    page.find(".messages .row")
    assert not page.all("#list-left-out")[0].is_displayed()
