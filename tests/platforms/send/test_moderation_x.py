"""Replies to the brand's posts hidden and shown again on X (API v2 hide replies), against the local fake."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chalicelib.platforms.send import SendFailed, get_sender
from chalicelib.platforms.send.base import OutboundModeration
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.x import XSender
from support import scripted_failure

TOKEN = "x-user-token-s3cr3t"
REPLY = OutboundModeration(platform="x", channel="reply", account="1500000000000000001",
                           message_id="1460323737035677698", conversation_id=None, action="hide")


def moderate(fake, request: OutboundModeration):
    assert get_sender("x").moderate(request, TOKEN) is None
    return fake.requests[-1]


@pytest.mark.parametrize("action, hidden", [("hide", True), ("unhide", False)])
def test_a_reply_is_hidden_or_shown_with_a_put_to_hidden(fake_platforms, action, hidden):
    # WHEN a reply to the brand's post is hidden (or shown again)
    request = moderate(fake_platforms, dataclasses.replace(REPLY, action=action))
    # THEN it is a PUT of {"hidden"} to the post's hidden, the token in the header only
    assert request.method == "PUT" and request.path == f"/x/2/tweets/{REPLY.message_id}/hidden"
    assert request.body == {"hidden": hidden} and request.answer == {"data": {"hidden": hidden}}
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in request.path
    # AND the fake records it as moderated, not as a reply sent
    assert fake_platforms.moderated("x") == [request] and fake_platforms.sent() == []
    assert fake_platforms.state_of("x", REPLY.message_id) == ("hidden" if hidden else "visible")


def test_hiding_a_hidden_reply_succeeds_as_x_documents(fake_platforms):
    moderate(fake_platforms, REPLY)
    moderate(fake_platforms, REPLY)
    assert [r.status for r in fake_platforms.moderated("x")] == [200, 200]


@pytest.mark.parametrize("request_", [
    dataclasses.replace(REPLY, action="delete"),  # X cannot delete someone else's post
    dataclasses.replace(REPLY, channel="mention"),
    dataclasses.replace(REPLY, channel="direct_message"),
    dataclasses.replace(REPLY, message_id="../../2/tweets"),
    dataclasses.replace(REPLY, message_id="١٢٣"),
    dataclasses.replace(REPLY, message_id=""),
    dataclasses.replace(REPLY, message_id="1" * 20),
])
def test_what_x_cannot_moderate_is_refused_without_a_request(fake_platforms, request_):
    with pytest.raises(SendFailed) as failed:
        get_sender("x").moderate(request_, TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


@pytest.mark.parametrize("error, kind", [
    ("x_unauthorized", "token_invalid"),
    ("x_forbidden", "permission_denied"),
    ("x_rate_limited", "rate_limited"),
    ("x_timeout", "timeout"),
])
def test_x_errors_on_moderation_are_failures_of_the_right_kind(fake_platforms, error, kind):
    # GIVEN X answers the next request with a documented error (or too late) WHEN hiding a reply
    failed = scripted_failure(fake_platforms, error, lambda: get_sender("x").moderate(REPLY, TOKEN), token=TOKEN)
    # THEN the failure says what happened; only a timeout may have hidden it (and the fake shows it did)
    assert (failed.kind, failed.maybe_sent) == (kind, kind == "timeout")
    assert (failed.retry_after is not None and 1 <= failed.retry_after <= 60) == (kind == "rate_limited")
    assert fake_platforms.state_of("x", REPLY.message_id) == ("hidden" if kind == "timeout" else "visible")


def test_nothing_logs_the_token(fake_platforms, caplog):
    caplog.set_level(logging.DEBUG)
    moderate(fake_platforms, REPLY)
    fake_platforms.fail_next("x_forbidden")
    with pytest.raises(SendFailed):
        get_sender("x").moderate(REPLY, TOKEN)
    assert "/hidden" in caplog.text and TOKEN not in caplog.text


# the answers without HTTP -------------------------------------------------------------------------------------

def answering(monkeypatch, answer: Answer) -> None:
    monkeypatch.setattr("chalicelib.platforms.send.x.request_json", lambda *args, **kwargs: answer)


@pytest.mark.parametrize("answer, kind", [
    (Answer(403, {"title": "Forbidden", "detail": "You are not permitted to perform this action.",
                  "type": "about:blank", "status": 403}, {}), "permission_denied"),
    (Answer(404, {"title": "Not Found Error", "detail": "Could not find tweet with id: [1].",
                  "type": "https://api.twitter.com/2/problems/resource-not-found"}, {}), "rejected"),
    (Answer(503, None, {}), "unavailable"),
])
def test_x_refusals_of_a_hide(monkeypatch, answer, kind):
    answering(monkeypatch, answer)
    with pytest.raises(SendFailed) as failed:
        XSender().moderate(REPLY, TOKEN)
    assert failed.value.kind == kind


@pytest.mark.parametrize("body", [None, {"data": {}}, {"data": {"hidden": False}}, {"data": {"hidden": "true"}}])
def test_an_answer_without_the_asked_state_may_have_gone_through(monkeypatch, body):
    answering(monkeypatch, Answer(200, body, {}))
    with pytest.raises(SendFailed) as failed:
        XSender().moderate(REPLY, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("unavailable", True)
