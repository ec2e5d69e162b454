"""Replies on X (API v2): a reply post and a DM, against the local fake; the error table without HTTP."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.platforms.send import OutboundReply, SendFailed, get_sender
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.x import XSender

TOKEN = "x-user-token-s3cr3t"
MENTION = OutboundReply(platform="x", channel="mention", account="1500000000000000001", recipient_id="2244994945",
                        reply_to_id="1460323737035677698", conversation_id=None, text="@customer we are on it")
DM = OutboundReply(platform="x", channel="direct_message", account="1500000000000000001", recipient_id="2244994945",
                   reply_to_id="1582838499983564806", conversation_id="x:dm:1500000000000000001-2244994945",
                   text="Could you send us your order number?")


def test_a_reply_to_a_post_is_a_post_in_reply_to_it(fake_platforms):
    receipt = get_sender("x").send(MENTION, TOKEN)
    request = fake_platforms.requests[-1]
    assert request.path == "/x/2/tweets"
    assert request.body == {"text": MENTION.text, "reply": {"in_reply_to_tweet_id": MENTION.reply_to_id}}
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in request.path
    assert request.status == 201 and receipt.platform_message_id == request.answer["data"]["id"]


def test_a_dm_reply_goes_to_the_conversation_with_the_customer(fake_platforms):
    receipt = get_sender("x").send(DM, TOKEN)
    request = fake_platforms.requests[-1]
    assert request.path == f"/x/2/dm_conversations/with/{DM.recipient_id}/messages"
    assert request.body == {"text": DM.text}
    assert receipt.platform_message_id == request.answer["data"]["dm_event_id"]
    assert fake_platforms.sent("x") == [request]


def test_ids_that_are_not_digits_are_refused_before_sending(fake_platforms):
    for reply in (dataclasses.replace(DM, recipient_id="../../2/tweets"), dataclasses.replace(MENTION, reply_to_id="x"),
                  dataclasses.replace(DM, recipient_id="١٢٣")):
        with pytest.raises(SendFailed) as failed:
            get_sender("x").send(reply, TOKEN)
        assert failed.value.kind == "rejected"
    assert fake_platforms.requests == []


@pytest.mark.parametrize("error, reply, kind", [
    ("x_unauthorized", MENTION, "token_invalid"),
    ("x_forbidden", MENTION, "permission_denied"),
    ("x_dm_not_allowed", DM, "recipient_unreachable"),
    ("x_rate_limited", DM, "rate_limited"),
])
def test_x_errors_are_failures_of_the_right_kind(fake_platforms, error, reply, kind):
    fake_platforms.fail_next(error)
    with pytest.raises(SendFailed) as failed:
        get_sender("x").send(reply, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == (kind, False)
    assert TOKEN not in failed.value.message and reply.text not in failed.value.message
    assert fake_platforms.sent() == []


def test_a_rate_limit_waits_until_the_reset_time():
    # GIVEN X answers 429 with the window's reset time, 90 s after the sender's clock
    sender = XSender(clock=lambda: 1_700_000_000.4)
    answer = Answer(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                          "status": 429}, {"x-rate-limit-reset": "1700000090", "x-rate-limit-remaining": "0"})
    failed = sender.failure(answer)
    assert (failed.kind, failed.retry_after) == ("rate_limited", 90)
    # AND a reset already past still waits a second; no header: unknown
    assert XSender(clock=lambda: 1_800_000_000).failure(answer).retry_after == 1
    assert sender.failure(Answer(429, None, {})).retry_after is None


def test_the_fake_rate_limit_carries_a_reset_time(fake_platforms):
    fake_platforms.fail_next("x_rate_limited")
    with pytest.raises(SendFailed) as failed:
        get_sender("x").send(MENTION, TOKEN)
    assert 1 <= failed.value.retry_after <= 60


def test_a_timeout_after_the_request_went_out_may_have_sent(fake_platforms):
    fake_platforms.fail_next("x_timeout")
    with pytest.raises(SendFailed) as failed:
        get_sender("x").send(DM, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("timeout", True)
    assert len(fake_platforms.sent("x")) == 1


def problem(status: int, detail: str, title: str = "Forbidden", **extra) -> Answer:
    return Answer(status, {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}, {})


@pytest.mark.parametrize("answer, kind", [
    (problem(401, "Unauthorized", "Unauthorized"), "token_invalid"),
    (problem(403, "You are not permitted to perform this action."), "permission_denied"),
    (problem(403, "Forbidden", type="https://api.twitter.com/2/problems/oauth1-permissions"), "permission_denied"),
    (problem(403, "You cannot send messages to this user."), "recipient_unreachable"),
    (problem(403, "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                  "engaged by the author of the post you are replying to."), "recipient_unreachable"),
    (problem(403, "You are not allowed to create a Tweet with duplicate content."), "rejected"),
    (problem(403, "Your Tweet text is too long."), "rejected"),  # not the token's permission: the channel is fine
    (Answer(403, {"errors": [{"code": 186, "message": "Tweet needs to be a bit shorter."}]}, {}), "rejected"),
    (Answer(400, {"errors": [{"message": "The `text` field is required"}], "title": "Invalid Request",
                  "type": "https://api.twitter.com/2/problems/invalid-request"}, {}), "rejected"),
    (Answer(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, {}), "rate_limited"),
    (Answer(503, None, {}), "unavailable"),
])
def test_x_error_table(answer, kind):
    assert XSender().failure(answer).kind == kind


def test_the_platform_code_is_x_s_own():
    assert XSender().failure(Answer(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, {})) \
        .platform_code == "88"
    assert XSender().failure(problem(403, "Forbidden", type="https://api.twitter.com/2/problems/oauth1-permissions")) \
        .platform_code == "oauth1-permissions"
    assert XSender().failure(problem(403, "Forbidden")).platform_code == "403"
