"""Customers' messages deleted from Telegram groups (Bot API deleteMessage), against the local fake."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chalicelib.platforms.send import SendFailed, get_sender
from chalicelib.platforms.send.base import OutboundModeration
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.telegram import TelegramSender
from support import scripted_failure

TOKEN = "7012345678:AAFakeBotTokenS3cr3t_-x"
CHAT = "-1001234567890"
MESSAGE = OutboundModeration(platform="telegram", channel="reply", account="bot", message_id="77",
                             conversation_id=f"telegram:{CHAT}", action="delete")


def delete(fake, request: OutboundModeration = MESSAGE, token: str = TOKEN):
    assert get_sender("telegram").moderate(request, token) is None
    return fake.requests[-1]


def test_a_message_is_deleted_in_its_chat(fake_platforms):
    # WHEN a customer's message in a group is deleted
    request = delete(fake_platforms)
    # THEN deleteMessage is POSTed with the chat and the message, the token in the path only
    assert request.method == "POST" and request.path == f"/telegram/bot{TOKEN}/deleteMessage"
    assert request.body == {"chat_id": int(CHAT), "message_id": 77} and "authorization" not in request.headers
    assert request.answer == {"ok": True, "result": True}
    assert fake_platforms.moderated("telegram") == [request] and fake_platforms.sent() == []
    assert fake_platforms.state_of("telegram", f"{CHAT}:77") == "deleted"


def test_the_adapters_chat_and_message_ids_are_accepted(fake_platforms):
    # GIVEN the message's native id as the adapter keeps it, "<chat id>:<message_id>", and no conversation
    request = delete(fake_platforms, dataclasses.replace(MESSAGE, message_id=f"{CHAT}:78", conversation_id=None,
                                                         channel="comment"))
    assert request.body == {"chat_id": int(CHAT), "message_id": 78}


def test_a_message_deleted_before_counts_as_deleted(fake_platforms):
    # GIVEN a message deleted
    delete(fake_platforms)
    # WHEN it is deleted again THEN Telegram's "message to delete not found" is no failure
    again = delete(fake_platforms)
    assert again.status == 400 and again.answer["description"] == "Bad Request: message to delete not found"
    assert len(fake_platforms.moderated("telegram")) == 1


@pytest.mark.parametrize("request_", [
    dataclasses.replace(MESSAGE, action="hide"),  # Telegram cannot hide a message
    dataclasses.replace(MESSAGE, action="unhide"),
    dataclasses.replace(MESSAGE, channel="direct_message"),
    dataclasses.replace(MESSAGE, platform="x"),
    dataclasses.replace(MESSAGE, conversation_id=None),  # no chat to delete it from
    dataclasses.replace(MESSAGE, conversation_id="telegram:abc/def"),
    dataclasses.replace(MESSAGE, message_id="1:x"),
    dataclasses.replace(MESSAGE, message_id="abc"),
    dataclasses.replace(MESSAGE, message_id=f"{CHAT}:"),
])
def test_what_telegram_cannot_delete_is_refused_without_a_request(fake_platforms, request_):
    with pytest.raises(SendFailed) as failed:
        get_sender("telegram").moderate(request_, TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


def test_a_token_that_is_not_a_bot_token_is_never_put_in_a_url(fake_platforms):
    for token in ("123:abc/../../other", "not a token", ""):
        with pytest.raises(SendFailed) as failed:
            get_sender("telegram").moderate(MESSAGE, token)
        assert failed.value.kind == "token_invalid" and "other" not in failed.value.message
    assert fake_platforms.requests == []


@pytest.mark.parametrize("error, kind, retry_after", [
    ("telegram_unauthorized", "token_invalid", None),
    ("telegram_rate_limited", "rate_limited", 7),
    ("telegram_timeout", "timeout", None),
])
def test_telegram_errors_on_a_delete_are_failures_of_the_right_kind(fake_platforms, error, kind, retry_after):
    # GIVEN the Bot API answers the next request with a documented error (or too late) WHEN deleting
    failed = scripted_failure(fake_platforms, error, lambda: get_sender("telegram").moderate(MESSAGE, TOKEN),
                              token=TOKEN)
    # THEN the failure says what happened; only a timeout may have deleted it (and the fake shows it did)
    assert (failed.kind, failed.retry_after, failed.maybe_sent) == (kind, retry_after, kind == "timeout")
    assert fake_platforms.state_of("telegram", f"{CHAT}:77") == ("deleted" if kind == "timeout" else "visible")


def test_the_token_in_the_path_never_reaches_a_log_line(fake_platforms, caplog):
    # GIVEN every logger at DEBUG (urllib3 logs each request's path there)
    caplog.set_level(logging.DEBUG)
    delete(fake_platforms)
    delete(fake_platforms)  # already gone
    fake_platforms.fail_next("telegram_unauthorized")
    with pytest.raises(SendFailed):
        get_sender("telegram").moderate(MESSAGE, TOKEN)
    # THEN the requests were logged, without the token
    assert "deleteMessage" in caplog.text and TOKEN not in caplog.text


# the answers without HTTP -------------------------------------------------------------------------------------

def telegram_answer(code: int, description: str, **parameters) -> Answer:
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body, {})


def answering(monkeypatch, answer: Answer) -> None:
    monkeypatch.setattr("chalicelib.platforms.send.telegram.post_json", lambda *args, **kwargs: answer)


@pytest.mark.parametrize("answer, kind", [
    (telegram_answer(400, "Bad Request: message can't be deleted"), "rejected"),
    (telegram_answer(400, "Bad Request: not enough rights to delete a message"), "permission_denied"),
    (telegram_answer(403, "Forbidden: bot was kicked from the supergroup chat"), "recipient_unreachable"),
    (telegram_answer(429, "Too Many Requests: retry after 3", retry_after=3), "rate_limited"),
    (Answer(502, None, {}), "unavailable"),
    (Answer(200, {"ok": True, "result": False}, {}), "rejected"),
])
def test_telegram_refusals_of_a_delete(monkeypatch, answer, kind):
    answering(monkeypatch, answer)
    with pytest.raises(SendFailed) as failed:
        TelegramSender().moderate(MESSAGE, TOKEN)
    assert failed.value.kind == kind


def test_not_found_is_done_only_for_the_message_to_delete(monkeypatch):
    answering(monkeypatch, telegram_answer(400, "Bad Request: message to delete not found"))
    assert TelegramSender().moderate(MESSAGE, TOKEN) is None
    answering(monkeypatch, telegram_answer(400, "Bad Request: chat not found"))
    with pytest.raises(SendFailed):
        TelegramSender().moderate(MESSAGE, TOKEN)
