"""Replies through the Telegram Bot API, against the local fake; the error table without HTTP."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chalicelib.platforms.send import OutboundReply, SendFailed, get_sender
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.telegram import failure

TOKEN = "7012345678:AAFakeBotTokenS3cr3t_-x"
PRIVATE = OutboundReply(platform="telegram", channel="direct_message", account="bot", recipient_id="111222333",
                        reply_to_id="42", conversation_id="telegram:111222333", text="Thanks, checking now")
GROUP = OutboundReply(platform="telegram", channel="reply", account="bot", recipient_id="111222333",
                      reply_to_id="-1001234567890:77", conversation_id="telegram:-1001234567890", text="Noted")


def test_a_reply_in_a_private_chat_replies_to_the_message(fake_platforms):
    receipt = get_sender("telegram").send(PRIVATE, TOKEN)
    request = fake_platforms.requests[-1]
    # THEN the token is in the path, where Telegram documents it, and nowhere else
    assert request.path == f"/telegram/bot{TOKEN}/sendMessage" and "authorization" not in request.headers
    assert request.body == {"chat_id": 111222333, "text": PRIVATE.text,
                            "reply_parameters": {"message_id": 42, "allow_sending_without_reply": True}}
    assert receipt.platform_message_id == str(request.answer["result"]["message_id"])


def test_a_group_reply_takes_the_chat_from_the_conversation_and_accepts_the_adapters_ids(fake_platforms):
    get_sender("telegram").send(GROUP, TOKEN)
    body = fake_platforms.requests[-1].body
    assert body["chat_id"] == -1001234567890 and body["reply_parameters"]["message_id"] == 77


def test_without_a_conversation_the_chat_is_the_users_private_chat(fake_platforms):
    get_sender("telegram").send(dataclasses.replace(PRIVATE, conversation_id=None), TOKEN)
    assert fake_platforms.requests[-1].body["chat_id"] == 111222333


def test_a_token_that_is_not_a_bot_token_is_never_put_in_a_url(fake_platforms):
    for token in ("123:abc/../../other", "not a token", ""):
        with pytest.raises(SendFailed) as failed:
            get_sender("telegram").send(PRIVATE, token)
        assert failed.value.kind == "token_invalid"
    assert fake_platforms.requests == []


def test_bad_ids_are_refused_before_sending(fake_platforms):
    for reply in (dataclasses.replace(PRIVATE, conversation_id="telegram:abc/def"),
                  dataclasses.replace(PRIVATE, reply_to_id="1:x")):
        with pytest.raises(SendFailed) as failed:
            get_sender("telegram").send(reply, TOKEN)
        assert failed.value.kind == "rejected"
    assert fake_platforms.requests == []


@pytest.mark.parametrize("error, kind, retry_after", [
    ("telegram_blocked", "recipient_unreachable", None),
    ("telegram_rate_limited", "rate_limited", 7),
    ("telegram_unauthorized", "token_invalid", None),
])
def test_telegram_errors_are_failures_of_the_right_kind(fake_platforms, error, kind, retry_after):
    fake_platforms.fail_next(error)
    with pytest.raises(SendFailed) as failed:
        get_sender("telegram").send(PRIVATE, TOKEN)
    assert (failed.value.kind, failed.value.retry_after, failed.value.maybe_sent) == (kind, retry_after, False)
    assert TOKEN not in failed.value.message and fake_platforms.sent() == []


def test_a_timeout_after_the_request_went_out_may_have_sent(fake_platforms):
    fake_platforms.fail_next("telegram_timeout")
    with pytest.raises(SendFailed) as failed:
        get_sender("telegram").send(PRIVATE, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("timeout", True)
    assert TOKEN not in str(failed.value) and len(fake_platforms.sent("telegram")) == 1


def test_the_token_in_the_path_never_reaches_a_log_line(fake_platforms, caplog):
    # GIVEN every logger at DEBUG (urllib3 logs each request's path there)
    caplog.set_level(logging.DEBUG)
    get_sender("telegram").send(PRIVATE, TOKEN)
    fake_platforms.fail_next("telegram_blocked")
    with pytest.raises(SendFailed):
        get_sender("telegram").send(PRIVATE, TOKEN)
    # THEN the requests were logged, without the token or the text
    assert "sendMessage" in caplog.text
    assert TOKEN not in caplog.text and PRIVATE.text not in caplog.text


def telegram_answer(code: int, description: str, **parameters) -> Answer:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body, {})


@pytest.mark.parametrize("answer, kind", [
    (telegram_answer(401, "Unauthorized"), "token_invalid"),
    (telegram_answer(404, "Not Found"), "token_invalid"),
    (telegram_answer(403, "Forbidden: bot was blocked by the user"), "recipient_unreachable"),
    (telegram_answer(403, "Forbidden: user is deactivated"), "recipient_unreachable"),
    (telegram_answer(403, "Forbidden: bot was kicked from the supergroup chat"), "recipient_unreachable"),
    (telegram_answer(400, "Bad Request: chat not found"), "recipient_unreachable"),
    (telegram_answer(400, "Bad Request: not enough rights to send text messages to the chat"), "permission_denied"),
    (telegram_answer(400, "Bad Request: message is too long"), "rejected"),
    (telegram_answer(400, "Bad Request: group chat was upgraded to a supergroup chat",
                     migrate_to_chat_id=-1001234567890), "rejected"),
    (telegram_answer(429, "Too Many Requests: retry after 3", retry_after=3), "rate_limited"),
    (Answer(502, None, {}), "unavailable"),
])
def test_telegram_error_table(answer, kind):
    assert failure(answer).kind == kind


def test_retry_after_comes_from_the_parameters():
    assert failure(telegram_answer(429, "Too Many Requests: retry after 3", retry_after=3)).retry_after == 3
    assert failure(Answer(429, None, {"Retry-After": "9"})).retry_after == 9


def test_choices_are_a_one_time_keyboard_and_a_survey_quotes_nothing(fake_platforms):
    choices = ("5 ★★★★★", "1 ★")
    get_sender("telegram").send(dataclasses.replace(PRIVATE, choices=choices, quote=False), TOKEN)
    assert fake_platforms.requests[-1].body == {
        "chat_id": 111222333, "text": PRIVATE.text,
        "reply_markup": {"keyboard": [[{"text": "5 ★★★★★"}], [{"text": "1 ★"}]], "one_time_keyboard": True,
                         "resize_keyboard": True}}
