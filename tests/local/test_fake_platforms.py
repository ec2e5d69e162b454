"""The local fake of the platforms' send APIs: documented shapes accepted, others refused as the platform
refuses them, scripted errors, the control endpoints."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import urllib3

from local.fake_platforms import ERRORS, FakePlatforms

HTTP = urllib3.PoolManager(retries=False, timeout=5)


def post(url: str, body=None, *, token: str | None = "tok", form: bool = False, headers=None):
    sent_headers = {"Authorization": f"Bearer {token}"} if token else {}
    if form:
        data, sent_headers["Content-Type"] = urlencode(body).encode(), "application/x-www-form-urlencoded"
    else:
        data, sent_headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    response = HTTP.request("POST", url, body=data, headers={**sent_headers, **(headers or {})})
    return response.status, json.loads(response.data), response.headers


@pytest.fixture
def fake(fake_platforms):
    return fake_platforms


def graph(fake, path: str) -> str:
    return fake.base_urls["graph"] + path


# Graph API ---------------------------------------------------------------------------------------------

def test_graph_comment_replies_need_a_message_and_a_token(fake):
    assert post(graph(fake, "/1_2/comments"), {"message": "hi"})[0] == 200
    status, body, _ = post(graph(fake, "/1_2/comments"), {})
    assert (status, body["error"]["code"]) == (400, 100)
    status, body, _ = post(graph(fake, "/1_2/comments"), {"message": "hi"}, token=None)
    assert (status, body["error"]["code"], body["error"]["type"]) == (400, 104, "OAuthException")
    # AND a form body is accepted as the Graph API accepts it
    assert post(graph(fake, "/1_2/comments"), {"message": "hi"}, form=True)[0] == 200


def test_graph_ids_are_fresh(fake):
    first = post(graph(fake, "/17890000000000001/replies"), {"message": "a"})[1]["id"]
    second = post(graph(fake, "/17890000000000001/replies"), {"message": "a"})[1]["id"]
    assert first != second


@pytest.mark.parametrize("body", [
    {"messaging_type": "RESPONSE", "message": {"text": "hi"}},  # no recipient
    {"recipient": {"id": "1"}, "message": {"text": "hi"}},  # no messaging_type
    {"recipient": {"id": "1"}, "messaging_type": "MESSAGE_TAG", "message": {"text": "hi"}},  # no tag
    {"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "tag": "HUMAN_AGENT", "message": {"text": "hi"}},
    {"recipient": {"id": "1"}, "messaging_type": "MESSAGE_TAG", "tag": "WHATEVER", "message": {"text": "hi"}},
    {"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": ""}},
    {"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": "x" * 2001}},
    {"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": "hi", "quick_replies": [
        {"content_type": "text", "title": "x" * 21, "payload": "p"}]}},  # a title over 20 characters
    {"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": "hi", "quick_replies": [
        {"content_type": "text", "title": str(n), "payload": "p"} for n in range(14)]}},  # over 13
])
def test_the_send_api_refuses_what_meta_refuses(fake, body):
    status, answer, _ = post(graph(fake, "/104857600000001/messages"), body)
    assert (status, answer["error"]["code"]) == (400, 100)
    assert fake.sent() == []


def test_the_send_api_answers_recipient_and_message_id(fake):
    status, answer, _ = post(graph(fake, "/104857600000001/messages"), {
        "recipient": {"id": "24000000000000001"}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
        "message": {"text": "hi"}})
    assert status == 200 and answer["recipient_id"] == "24000000000000001" and answer["message_id"]
    assert [r.path for r in fake.sent("instagram")] == [r.path for r in fake.sent("messenger")]


LIST = {"type": "list", "body": {"text": "Rate us"}, "action": {
    "button": "★ 1-5", "sections": [{"rows": [{"id": "a", "title": "5 ★★★★★"}, {"id": "b", "title": "1 ★"}]}]}}


@pytest.mark.parametrize("change", [{"to": None}, {"to": "not-a-number"}, {"type": "image"},
                                    {"text": {"body": ""}}, {"recipient_type": "group"}, {"context": {"id": "x"}},
                                    {"type": "interactive", "interactive": {**LIST, "body": {"text": "x" * 1025}}},
                                    {"type": "interactive", "interactive": {**LIST, "action": {
                                        **LIST["action"], "button": "x" * 21}}},
                                    {"type": "interactive", "interactive": {**LIST, "action": {**LIST["action"], "sections": [
                                        {"rows": [{"id": str(n), "title": "ok"} for n in range(11)]}]}}},
                                    {"type": "interactive", "interactive": {**LIST, "action": {**LIST["action"], "sections": [
                                        {"rows": [{"id": "a", "title": "ok"}, {"id": "a", "title": "again"}]}]}}}])
def test_whatsapp_refuses_what_the_cloud_api_refuses(fake, change):
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "text",
            "text": {"body": "hi"}, "context": {"message_id": "wamid.X"}}
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    status, answer, _ = post(graph(fake, "/106540352242922/messages"), body)
    assert (status, answer["error"]["code"]) == (400, 100)
    assert answer["error"]["error_data"]["messaging_product"] == "whatsapp"


def test_whatsapp_takes_an_interactive_list(fake):
    status, answer, _ = post(graph(fake, "/106540352242922/messages"), {
        "messaging_product": "whatsapp", "to": "16505551234", "type": "interactive", "interactive": LIST})
    assert status == 200 and answer["messages"][0]["id"].startswith("wamid.")


def test_whatsapp_answers_the_wamid(fake):
    status, answer, _ = post(graph(fake, "/106540352242922/messages"), {
        "messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hi"}})
    assert status == 200 and answer["messages"][0]["id"].startswith("wamid.")
    assert answer["contacts"] == [{"input": "16505551234", "wa_id": "16505551234"}]
    assert len(fake.sent("whatsapp")) == 1 and fake.sent("messenger") == []


def test_an_unknown_graph_path_is_graphs_unsupported_request(fake):
    status, answer, _ = post(graph(fake, "/1/feed/extra"), {"message": "hi"})
    assert (status, answer["error"]["code"], answer["error"]["error_subcode"]) == (400, 100, 33)


# X API v2 ----------------------------------------------------------------------------------------------

def test_x_posts_need_a_bearer_token_and_text(fake):
    url = fake.base_urls["x"] + "/2/tweets"
    assert post(url, {"text": "hi"}, token=None)[0] == 401
    status, answer, _ = post(url, {"reply": {"in_reply_to_tweet_id": "1"}})
    assert (status, answer["title"]) == (400, "Invalid Request")
    assert post(url, {"text": "hi", "reply": {"in_reply_to_tweet_id": "abc"}})[0] == 400
    status, answer, _ = post(url, {"text": "hi", "reply": {"in_reply_to_tweet_id": "1460323737035677698"}})
    assert status == 201 and answer["data"]["text"] == "hi" and answer["data"]["id"].isdigit()


def test_x_dms_answer_the_conversation_and_event(fake):
    status, answer, _ = post(fake.base_urls["x"] + "/2/dm_conversations/with/2244994945/messages", {"text": "hi"})
    assert status == 201 and answer["data"]["dm_event_id"].isdigit()
    assert "2244994945" in answer["data"]["dm_conversation_id"].split("-")
    assert post(fake.base_urls["x"] + "/2/dm_conversations/with/someone/messages", {"text": "hi"})[0] == 400


# Telegram Bot API --------------------------------------------------------------------------------------

def test_telegram_checks_the_token_the_method_and_the_text(fake):
    base = fake.base_urls["telegram"]
    ok = {"chat_id": 42, "text": "hi", "reply_parameters": {"message_id": 7, "allow_sending_without_reply": True}}
    status, answer, _ = post(f"{base}/bot123:abc/sendMessage", ok, token=None)
    assert status == 200 and answer["ok"] and answer["result"]["reply_to_message"]["message_id"] == 7
    assert post(f"{base}/botnot-a-token/sendMessage", ok, token=None)[1] == {
        "ok": False, "error_code": 401, "description": "Unauthorized"}
    assert post(f"{base}/bot123:abc/sendPigeon", ok, token=None)[0] == 404
    assert post(f"{base}/bot123:abc/sendMessage", {**ok, "text": ""}, token=None)[1]["description"] == \
        "Bad Request: message text is empty"
    assert post(f"{base}/bot123:abc/sendMessage", {**ok, "reply_parameters": {"message_id": "7"}}, token=None)[0] == 400
    keyboard = {"keyboard": [[{"text": "5 ★★★★★"}]], "one_time_keyboard": True}
    assert post(f"{base}/bot123:abc/sendMessage", {**ok, "reply_markup": keyboard}, token=None)[0] == 200
    assert post(f"{base}/bot123:abc/sendMessage", {**ok, "reply_markup": {"keyboard": [[]]}}, token=None)[0] == 400


# scripted errors and control ---------------------------------------------------------------------------

def a_request_to(fake, api: str):
    if api == "graph":
        return post(graph(fake, "/1_2/comments"), {"message": "hi"})
    if api == "x":
        return post(fake.base_urls["x"] + "/2/tweets", {"text": "hi"})
    return post(fake.base_urls["telegram"] + "/bot123:abc/sendMessage", {"chat_id": 1, "text": "hi"}, token=None)


@pytest.mark.parametrize("name", sorted(n for n, (_, answer) in ERRORS.items() if answer != "hang"))
def test_each_scripted_error_answers_once_in_the_platforms_shape(fake, name):
    api = ERRORS[name][0]
    fake.fail_next(name)
    status, answer, headers = a_request_to(fake, api)
    assert status >= 400
    if api == "graph":
        assert {"message", "type", "code", "fbtrace_id"} <= set(answer["error"])
    elif api == "x":
        assert answer["status"] == status and answer["detail"]
    else:
        assert answer["ok"] is False and answer["error_code"] == status
    if name == "x_rate_limited":
        assert headers["x-rate-limit-reset"].isdigit()
    if name == "telegram_rate_limited":
        assert answer["parameters"]["retry_after"] == 7
    # AND the next request is answered normally
    assert a_request_to(fake, api)[0] in (200, 201)


def test_scripted_errors_wait_for_their_api_and_count(fake):
    fake.fail_next("telegram_blocked", times=2)
    assert a_request_to(fake, "graph")[0] == 200  # another API: not affected
    assert [a_request_to(fake, "telegram")[0] for _ in range(3)] == [403, 403, 200]
    with pytest.raises(ValueError):
        fake.fail_next("graph_meteor_strike")


def test_the_control_endpoints_script_and_show(fake):
    status, answer, _ = post(f"{fake.url}/_fake/fail", {"error": "graph_permission", "times": 1}, token=None)
    assert (status, answer) == (200, {"queued": "graph_permission", "times": 1})
    assert a_request_to(fake, "graph")[1]["error"]["code"] == 10
    requests = json.loads(HTTP.request("GET", f"{fake.url}/_fake/requests").data)["requests"]
    assert [(r["path"], r["status"]) for r in requests] == [("/graph/v21.0/1_2/comments", 403)]
    assert requests[0]["body"] == {"message": "hi"}
    assert post(f"{fake.url}/_fake/fail", {"error": "nope"}, token=None)[0] == 400
    assert post(f"{fake.url}/_fake/reset", {}, token=None)[0] == 200 and fake.requests == []


def test_a_timeout_error_posts_then_answers_late():
    with FakePlatforms(hang_seconds=0.2) as fake:
        fake.fail_next("x_timeout")
        slow = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=0.05))
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            slow.request("POST", fake.base_urls["x"] + "/2/tweets", body=b'{"text": "hi"}',
                         headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
        assert [r.status for r in fake.sent("x")] == [201]


def test_sent_filters_by_platform_and_api(fake):
    a_request_to(fake, "graph")
    a_request_to(fake, "telegram")
    assert [r.api for r in fake.sent()] == ["graph", "telegram"]
    assert len(fake.sent("facebook")) == len(fake.sent("graph")) == 1 and fake.sent("x") == []


# moderation: comments hidden, shown again, deleted -------------------------------------------------------------

def call(method: str, url: str, body=None, *, token: str | None = "tok"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    response = HTTP.request(method, url, body=data, headers=headers)
    return response.status, json.loads(response.data)


def test_graph_hides_and_shows_a_comment_by_its_field(fake):
    # GIVEN a Facebook comment hidden with is_hidden and an Instagram one with hide
    assert post(graph(fake, "/1_2"), {"is_hidden": True})[:2] == (200, {"success": True})
    assert post(graph(fake, "/17890000000000001"), {"hide": True})[:2] == (200, {"success": True})
    # THEN the fake keeps their state, and records them by platform as moderation, not as replies
    assert fake.state_of("graph", "1_2") == fake.state_of("graph", "17890000000000001") == "hidden"
    assert [r.moderation for r in fake.moderated("facebook")] == ["hide"]
    assert [r.path for r in fake.moderated("instagram")] == ["/graph/v21.0/17890000000000001"]
    assert fake.sent() == []
    # AND false shows it again, a form's "false" too
    assert post(graph(fake, "/1_2"), {"is_hidden": "false"}, form=True)[0] == 200
    assert fake.state_of("graph", "1_2") == "visible"


@pytest.mark.parametrize("body", [{}, {"is_hidden": "yes"}, {"hide": 1}, {"is_hidden": True, "hide": True},
                                  {"message": "hi"}])
def test_graph_refuses_a_comment_update_it_cannot_read(fake, body):
    status, answer, _ = post(graph(fake, "/1_2"), body)
    assert (status, answer["error"]["code"]) == (400, 100) and fake.moderated() == []


def test_graph_deletes_a_comment_once(fake):
    assert call("DELETE", graph(fake, "/1_2")) == (200, {"success": True})
    # WHEN it is deleted again, or hidden THEN Graph's "does not exist" (100/33)
    for method, body in (("DELETE", None), ("POST", {"is_hidden": True})):
        status, answer = call(method, graph(fake, "/1_2"), body)
        assert (status, answer["error"]["code"], answer["error"]["error_subcode"]) == (400, 100, 33)
        assert "does not exist" in answer["error"]["message"]
    assert [r.method for r in fake.moderated("graph")] == ["DELETE"] and fake.state_of("graph", "1_2") == "deleted"
    # AND a delete needs a token, and only deletes a node
    assert call("DELETE", graph(fake, "/3_4"), token=None)[1]["error"]["code"] == 104
    assert call("DELETE", graph(fake, "/3_4/comments"))[1]["error"]["error_subcode"] == 33


def test_x_hides_and_shows_a_reply(fake):
    url = fake.base_urls["x"] + "/2/tweets/1460323737035677698/hidden"
    assert call("PUT", url, {"hidden": True}) == (200, {"data": {"hidden": True}})
    assert call("PUT", url, {"hidden": True}) == (200, {"data": {"hidden": True}})  # already hidden: fine
    assert fake.state_of("x", "1460323737035677698") == "hidden"
    assert call("PUT", url, {"hidden": False}) == (200, {"data": {"hidden": False}})
    assert fake.state_of("x", "1460323737035677698") == "visible"
    assert [r.moderation for r in fake.moderated("x")] == ["hide", "hide", "unhide"] and fake.sent("x") == []


def test_x_refuses_a_hide_without_a_token_a_post_id_or_a_boolean(fake):
    base = fake.base_urls["x"] + "/2/tweets"
    assert call("PUT", f"{base}/1/hidden", {"hidden": True}, token=None)[0] == 401
    assert call("PUT", f"{base}/abc/hidden", {"hidden": True})[1]["title"] == "Invalid Request"
    assert call("PUT", f"{base}/1/hidden", {"hidden": "yes"})[0] == 400
    assert call("POST", f"{base}/1/hidden", {"hidden": True})[0] == 404
    assert fake.moderated() == []


def test_telegram_deletes_a_message_once(fake):
    url = fake.base_urls["telegram"] + "/bot123:abc/deleteMessage"
    assert call("POST", url, {"chat_id": -100123, "message_id": 7}, token=None) == (200, {"ok": True, "result": True})
    assert call("POST", url, {"chat_id": -100123, "message_id": 7}, token=None) == (400, {
        "ok": False, "error_code": 400, "description": "Bad Request: message to delete not found"})
    assert fake.state_of("telegram", "-100123:7") == "deleted" and len(fake.moderated("telegram")) == 1
    # AND it checks the token, the chat and the message id as sendMessage does
    bad_token = fake.base_urls["telegram"] + "/botnot-a-token/deleteMessage"
    assert call("POST", bad_token, {"chat_id": 1, "message_id": 1}, token=None)[0] == 401
    assert call("POST", url, {"message_id": 8}, token=None)[1]["description"] == "Bad Request: chat_id is empty"
    assert call("POST", url, {"chat_id": 1, "message_id": "8"}, token=None)[0] == 400


def test_scripted_errors_answer_moderation_too(fake):
    fake.fail_next("graph_permission")
    fake.fail_next("telegram_unauthorized")
    assert call("DELETE", graph(fake, "/1_2"))[1]["error"]["code"] == 10
    assert call("POST", fake.base_urls["telegram"] + "/bot123:abc/deleteMessage",
                {"chat_id": 1, "message_id": 1}, token=None)[0] == 401
    assert fake.moderated() == [] and fake.state_of("graph", "1_2") == "visible"


def test_reset_forgets_the_moderated_states_and_requests_show_them(fake):
    post(graph(fake, "/1_2"), {"is_hidden": True})
    requests = json.loads(HTTP.request("GET", f"{fake.url}/_fake/requests").data)["requests"]
    assert [(r["moderation"], r["platforms"]) for r in requests] == [("hide", ["facebook"])]
    fake.reset()
    assert fake.state_of("graph", "1_2") == "visible" and fake.requests == []


# bans ------------------------------------------------------------------------------------------------------

def test_a_page_ban_names_one_kind_of_id_and_is_kept_until_lifted(fake):
    status, body, _ = post(graph(fake, "/104857600000001/blocked"), {"user": ["5550009"], "psid": ["61"]})
    assert status == 400 and body["error"]["code"] == 100
    assert post(graph(fake, "/104857600000001/blocked"), {"psid": ["61"]})[:2] == (200, {"61": True})
    assert fake.is_banned("page", "104857600000001", "61") and fake.sent() == []
    response = HTTP.request("DELETE", graph(fake, "/104857600000001/blocked?psid=61"),
                            headers={"Authorization": "Bearer tok"})
    assert (response.status, json.loads(response.data)) == (200, {"success": True})
    assert not fake.is_banned("page", "104857600000001", "61")
    assert [r.ban for r in fake.bans("messenger")] == ["ban", "unban"] and fake.bans("facebook") == []


def test_a_whatsapp_block_needs_its_product_and_users(fake):
    status, body, _ = post(graph(fake, "/106540352242922/block_users"), {"block_users": [{"user": "8190"}]})
    assert status == 400 and body["error"]["error_data"]["messaging_product"] == "whatsapp"
    status, body, _ = post(graph(fake, "/106540352242922/block_users"),
                           {"messaging_product": "whatsapp", "block_users": [{"user": "+8190"}]})
    assert status == 200 and body["block_users"]["added_users"] == [{"input": "+8190", "wa_id": "8190"}]
    assert fake.is_banned("whatsapp", "106540352242922", "8190")


def test_telegram_bans_nobody_from_a_private_chat(fake):
    url = f"{fake.base_urls['telegram']}/bot123:abc/banChatMember"
    status, body, _ = post(url, {"chat_id": 700001, "user_id": 700001}, token=None)
    assert status == 400 and body["ok"] is False and fake.bans() == []
    assert post(url, {"chat_id": -100, "user_id": 7}, token=None)[:2] == (200, {"ok": True, "result": True})
