"""Facebook and Instagram comments hidden, shown again and deleted through the Graph API, against the local fake;
the already-gone delete and the success flag without HTTP."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chalicelib.platforms.send import SendFailed, get_sender
from chalicelib.platforms.send.base import OutboundModeration
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.meta import MetaSender
from support import graph_unreachable, scripted_failure

PAGE, TOKEN = "104857600000001", "page-token-s3cr3t"
FB_COMMENT = OutboundModeration(platform="facebook", channel="comment", account=PAGE, message_id=f"{PAGE}_1234",
                                conversation_id=None, action="hide")
IG_COMMENT = OutboundModeration(platform="instagram", channel="reply", account="17841400000000001",
                                message_id="17890000000000001", conversation_id=None, action="hide")


def moderate(fake, request: OutboundModeration, token: str = TOKEN):
    assert get_sender(request.platform).moderate(request, token) is None
    return fake.requests[-1]


def test_a_facebook_comment_is_hidden_with_is_hidden(fake_platforms):
    # WHEN a Page comment is hidden
    request = moderate(fake_platforms, FB_COMMENT)
    # THEN the comment node is POSTed is_hidden: true, the token in the header only
    assert request.method == "POST" and request.path == f"/graph/v21.0/{PAGE}_1234"
    assert request.body == {"is_hidden": True} and request.answer == {"success": True}
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in request.path
    # AND the fake shows it hidden, moderated and not sent
    assert fake_platforms.state_of("graph", f"{PAGE}_1234") == "hidden"
    assert fake_platforms.moderated("facebook") == [request] and fake_platforms.sent() == []


def test_a_facebook_comment_is_shown_again_with_is_hidden_false(fake_platforms):
    moderate(fake_platforms, FB_COMMENT)
    request = moderate(fake_platforms, dataclasses.replace(FB_COMMENT, channel="reply", action="unhide"))
    assert (request.method, request.body) == ("POST", {"is_hidden": False})
    assert fake_platforms.state_of("graph", f"{PAGE}_1234") == "visible"


@pytest.mark.parametrize("action, hidden", [("hide", True), ("unhide", False)])
def test_an_instagram_comment_is_hidden_or_shown_with_hide(fake_platforms, action, hidden):
    request = moderate(fake_platforms, dataclasses.replace(IG_COMMENT, action=action))
    assert request.method == "POST" and request.path == "/graph/v21.0/17890000000000001"
    assert request.body == {"hide": hidden} and request.headers["authorization"] == f"Bearer {TOKEN}"
    assert fake_platforms.moderated("instagram") == [request] and fake_platforms.moderated("facebook") == []


@pytest.mark.parametrize("target", [FB_COMMENT, IG_COMMENT], ids=["facebook", "instagram"])
def test_a_delete_is_a_delete_of_the_comment_node_without_a_body(fake_platforms, target):
    request = moderate(fake_platforms, dataclasses.replace(target, action="delete"))
    assert request.method == "DELETE" and request.path == f"/graph/v21.0/{target.message_id}"
    assert request.body is None and "content-type" not in request.headers
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and request.answer == {"success": True}
    assert fake_platforms.state_of("graph", target.message_id) == "deleted"


def test_a_comment_deleted_before_counts_as_deleted(fake_platforms):
    # GIVEN a comment deleted
    delete = dataclasses.replace(FB_COMMENT, action="delete")
    moderate(fake_platforms, delete)
    # WHEN it is deleted again THEN Graph's "does not exist" (100/33) is no failure: it is gone, as asked
    again = moderate(fake_platforms, delete)
    assert again.status == 400 and again.answer["error"]["error_subcode"] == 33
    assert len(fake_platforms.moderated("facebook")) == 1


def test_hiding_a_deleted_comment_is_a_failure(fake_platforms):
    moderate(fake_platforms, dataclasses.replace(FB_COMMENT, action="delete"))
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").moderate(FB_COMMENT, TOKEN)
    assert (failed.value.kind, failed.value.platform_code) == ("rejected", "100/33")


@pytest.mark.parametrize("request_", [
    dataclasses.replace(FB_COMMENT, channel="post"),  # a visitor post: not in the table
    dataclasses.replace(FB_COMMENT, channel="direct_message"),
    dataclasses.replace(IG_COMMENT, channel="mention"),
    dataclasses.replace(FB_COMMENT, platform="messenger"),
    dataclasses.replace(FB_COMMENT, platform="whatsapp", channel="direct_message", action="delete"),
    dataclasses.replace(FB_COMMENT, action="ban"),
    dataclasses.replace(FB_COMMENT, message_id="1/../../me/feed"),
    dataclasses.replace(FB_COMMENT, message_id=""),
    dataclasses.replace(IG_COMMENT, message_id="1?fields=x", action="delete"),
])
def test_what_graph_cannot_moderate_is_refused_without_a_request(fake_platforms, request_):
    with pytest.raises(SendFailed) as failed:
        get_sender(request_.platform).moderate(request_, TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak"])
def test_a_token_that_cannot_be_a_header_is_refused_before_moderating(fake_platforms, token):
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").moderate(FB_COMMENT, token)
    assert failed.value.kind == "token_invalid" and fake_platforms.requests == []


@pytest.mark.parametrize("error, target, kind, code, retry_after", [
    ("graph_expired_token", FB_COMMENT, "token_invalid", "190/463", None),
    ("graph_permission", FB_COMMENT, "permission_denied", "10", None),
    ("graph_permission_200", IG_COMMENT, "permission_denied", "200", None),
    ("graph_rate_limit", IG_COMMENT, "rate_limited", "613", 5 * 60),  # estimated_time_to_regain_access: minutes
    ("graph_unavailable", dataclasses.replace(FB_COMMENT, action="delete"), "unavailable", "2", None),
])
def test_graph_errors_on_moderation_are_failures_of_the_right_kind(fake_platforms, error, target, kind, code,
                                                                    retry_after):
    # GIVEN the Graph API answers the next request with a documented error WHEN moderating
    failed = scripted_failure(fake_platforms, error, lambda: get_sender(target.platform).moderate(target, TOKEN),
                              token=TOKEN)
    # THEN the failure says what happened, when to try again, and the comment is as it was
    assert (failed.kind, failed.platform_code, failed.retry_after, failed.maybe_sent) == (kind, code, retry_after,
                                                                                          False)
    assert fake_platforms.moderated() == [] and fake_platforms.state_of("graph", target.message_id) == "visible"


def test_a_timeout_after_the_request_went_out_may_have_moderated(fake_platforms):
    # GIVEN the Graph API hides the comment but answers only after the client's timeout
    failed = scripted_failure(fake_platforms, "graph_timeout",
                              lambda: get_sender("instagram").moderate(IG_COMMENT, TOKEN), token=TOKEN)
    # THEN the failure is a timeout that may have gone through (and the fake shows it did)
    assert (failed.kind, failed.maybe_sent) == ("timeout", True)
    assert "may have gone through" in failed.message and "reply" not in failed.message
    assert fake_platforms.state_of("graph", IG_COMMENT.message_id) == "hidden"


def test_a_refused_connection_moderated_nothing(fake_platforms, monkeypatch):
    graph_unreachable(monkeypatch)
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").moderate(dataclasses.replace(FB_COMMENT, action="delete"), TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("unavailable", False)


def test_nothing_logs_the_token(fake_platforms, caplog):
    caplog.set_level(logging.DEBUG)
    fake_platforms.fail_next("graph_permission")
    for action in ("hide", "hide", "unhide", "delete", "delete"):
        try:
            get_sender("facebook").moderate(dataclasses.replace(FB_COMMENT, action=action), TOKEN)
        except SendFailed as failed:
            assert TOKEN not in str(failed)
    assert f"{PAGE}_1234" in caplog.text  # urllib3 logged the requests
    assert TOKEN not in caplog.text


# the answers without HTTP -------------------------------------------------------------------------------------

def graph_error(code: int, subcode: int | None, message: str, status: int = 400) -> Answer:
    error = {"message": message, "type": "GraphMethodException", "code": code, "fbtrace_id": "x"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error}, {})


def answering(monkeypatch, answer: Answer) -> list:
    calls = []

    def request_json(platform, method, url, payload, headers=None):
        calls.append((method, url, payload))
        return answer

    monkeypatch.setattr("chalicelib.platforms.send.meta.request_json", request_json)
    return calls


@pytest.mark.parametrize("answer", [
    graph_error(100, 33, "Unsupported delete request. Object with ID '1_2' does not exist, cannot be loaded due to "
                         "missing permissions, or does not support this operation."),
    graph_error(100, 33, "Unsupported delete request."),
    graph_error(100, None, "(#100) Object does not exist"),
    graph_error(100, None, "Object with ID '1_2' does not exist", status=404),
])
def test_a_delete_answered_does_not_exist_is_done_when_the_comment_cannot_be_read_either(monkeypatch, answer):
    calls = answering(monkeypatch, answer)
    assert MetaSender().moderate(dataclasses.replace(FB_COMMENT, action="delete"), TOKEN) is None
    assert [c[0] for c in calls] == ["DELETE", "GET"]
    assert calls[1][1].endswith(f"/{FB_COMMENT.message_id}?fields=id") and calls[1][2] is None


def test_a_delete_answered_does_not_exist_of_a_comment_still_there_is_a_failure(fake_platforms):
    # GIVEN Graph answering the delete as it answers one this token may not make (100/33), the comment still there
    fake_platforms.fail_next("graph_cannot_delete")
    # WHEN it is deleted THEN the comment, read by its id, is still there: the delete failed, nothing is said done
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").moderate(dataclasses.replace(FB_COMMENT, action="delete"), TOKEN)
    assert (failed.value.kind, failed.value.platform_code) == ("rejected", "100/33")
    assert "still there" in failed.value.message and TOKEN not in failed.value.message
    assert [r.method for r in fake_platforms.requests] == ["DELETE", "GET"]


@pytest.mark.parametrize("action", ["hide", "unhide"])
def test_a_hide_answered_does_not_exist_is_a_failure(monkeypatch, action):
    answering(monkeypatch, graph_error(100, 33, "Unsupported post request. Object with ID '1_2' does not exist"))
    with pytest.raises(SendFailed) as failed:
        MetaSender().moderate(dataclasses.replace(FB_COMMENT, action=action), TOKEN)
    assert failed.value.kind == "rejected"


def test_a_delete_refused_otherwise_is_a_failure(monkeypatch):
    answering(monkeypatch, graph_error(10, None, "(#10) Application does not have permission for this action"))
    with pytest.raises(SendFailed) as failed:
        MetaSender().moderate(dataclasses.replace(IG_COMMENT, action="delete"), TOKEN)
    assert failed.value.kind == "permission_denied"


def test_success_false_is_a_rejection(monkeypatch):
    answering(monkeypatch, Answer(200, {"success": False}, {}))
    with pytest.raises(SendFailed) as failed:
        MetaSender().moderate(FB_COMMENT, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("rejected", False)


@pytest.mark.parametrize("body", [None, {}, {"success": "true"}, {"id": "1"}])
def test_an_accepted_request_without_success_may_have_gone_through(monkeypatch, body):
    answering(monkeypatch, Answer(200, body, {}))
    with pytest.raises(SendFailed) as failed:
        MetaSender().moderate(FB_COMMENT, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("unavailable", True)
