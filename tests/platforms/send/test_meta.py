"""Replies through the Graph API (Facebook, Messenger, Instagram, WhatsApp), against the local fake."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from chalicelib.platforms.send import OutboundReply, SendFailed, get_sender
from chalicelib.platforms.send.http import Answer
from chalicelib.platforms.send.meta import MetaSender, graph_failure
from support import graph_unreachable

PAGE, TOKEN = "104857600000001", "page-token-s3cr3t"
COMMENT = OutboundReply(platform="facebook", channel="comment", account=PAGE, recipient_id="5550001",
                        reply_to_id=f"{PAGE}_1234", conversation_id=None, text="Sorry about that, we are on it")
DM = OutboundReply(platform="messenger", channel="direct_message", account=PAGE, recipient_id="24000000000000001",
                   reply_to_id="m_abc", conversation_id=f"messenger:24000000000000001-{PAGE}", text="Hello from us",
                   messaging_type="RESPONSE")
IG_COMMENT = dataclasses.replace(COMMENT, platform="instagram", account="17841400000000001",
                                 reply_to_id="17890000000000001")
IG_DM = dataclasses.replace(DM, platform="instagram", account="17841400000000001", recipient_id="6000000000000001")
WHATSAPP = OutboundReply(platform="whatsapp", channel="direct_message", account="106540352242922",
                         recipient_id="16505551234", reply_to_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                         conversation_id="whatsapp:16505551234", text="Your order ships today")


def send(fake, reply: OutboundReply):
    receipt = get_sender(reply.platform).send(reply, TOKEN)
    return receipt, fake.requests[-1]


def test_a_facebook_comment_reply_is_a_comment_on_the_comment(fake_platforms):
    # WHEN replying to a Page comment
    receipt, request = send(fake_platforms, COMMENT)
    # THEN the reply is POSTed to /{comment-id}/comments with the message, the token in the header only
    assert request.method == "POST" and request.path == f"/graph/v21.0/{PAGE}_1234/comments"
    assert request.body == {"message": COMMENT.text}
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in request.path
    # AND the receipt is the new comment's id
    assert receipt.platform_message_id == request.answer["id"] and fake_platforms.sent("facebook") == [request]


@pytest.mark.parametrize("channel", ["reply", "mention", "post"])
def test_facebook_replies_mentions_and_posts_are_answered_the_same_way(fake_platforms, channel):
    _, request = send(fake_platforms, dataclasses.replace(COMMENT, channel=channel))
    assert request.path.endswith(f"/{PAGE}_1234/comments") and request.accepted


def test_a_messenger_reply_within_24_hours_is_a_response(fake_platforms):
    receipt, request = send(fake_platforms, DM)
    assert request.path == f"/graph/v21.0/{PAGE}/messages"
    assert request.body == {"recipient": {"id": DM.recipient_id}, "messaging_type": "RESPONSE",
                            "message": {"text": DM.text}}
    assert receipt.platform_message_id == request.answer["message_id"]


def test_a_messenger_reply_after_24_hours_carries_the_human_agent_tag(fake_platforms):
    _, request = send(fake_platforms, dataclasses.replace(DM, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT"))
    assert request.body["messaging_type"] == "MESSAGE_TAG" and request.body["tag"] == "HUMAN_AGENT"
    assert request.accepted


def test_a_messenger_reply_without_a_page_goes_to_me(fake_platforms):
    _, request = send(fake_platforms, dataclasses.replace(DM, account=None))
    assert request.path == "/graph/v21.0/me/messages" and request.accepted


def test_a_message_tag_without_a_tag_is_refused_before_sending(fake_platforms):
    with pytest.raises(SendFailed) as failed:
        get_sender("messenger").send(dataclasses.replace(DM, messaging_type="MESSAGE_TAG"), TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


def test_an_instagram_comment_reply_goes_to_replies(fake_platforms):
    receipt, request = send(fake_platforms, IG_COMMENT)
    assert request.path == "/graph/v21.0/17890000000000001/replies" and request.body == {"message": IG_COMMENT.text}
    assert receipt.platform_message_id == request.answer["id"] and fake_platforms.sent("instagram") == [request]


def test_an_instagram_dm_uses_the_send_api_of_the_instagram_account(fake_platforms):
    _, request = send(fake_platforms, dataclasses.replace(IG_DM, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT"))
    assert request.path == "/graph/v21.0/17841400000000001/messages"
    assert request.body["recipient"] == {"id": IG_DM.recipient_id} and request.body["tag"] == "HUMAN_AGENT"


def test_an_instagram_mention_is_refused_rather_than_posted_on_the_wrong_media(fake_platforms):
    with pytest.raises(SendFailed) as failed:
        get_sender("instagram").send(dataclasses.replace(IG_COMMENT, channel="mention"), TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


def test_a_whatsapp_reply_is_a_text_message_in_context(fake_platforms):
    receipt, request = send(fake_platforms, WHATSAPP)
    assert request.path == f"/graph/v21.0/{WHATSAPP.account}/messages"
    assert request.body == {"messaging_product": "whatsapp", "recipient_type": "individual",
                            "to": WHATSAPP.recipient_id, "type": "text", "text": {"body": WHATSAPP.text},
                            "context": {"message_id": WHATSAPP.reply_to_id}}
    assert receipt.platform_message_id == request.answer["messages"][0]["id"]
    assert receipt.platform_message_id.startswith("wamid.")


CHOICES = ("5 ★★★★★", "4 ★★★★", "3 ★★★", "2 ★★", "1 ★")


@pytest.mark.parametrize("reply", [DM, IG_DM], ids=["messenger", "instagram"])
def test_choices_in_a_dm_are_quick_replies_whose_tap_sends_their_title(fake_platforms, reply):
    _, request = send(fake_platforms, dataclasses.replace(reply, choices=CHOICES))
    assert request.body["message"] == {"text": reply.text, "quick_replies": [
        {"content_type": "text", "title": title, "payload": f"choice:{n}"} for n, title in enumerate(CHOICES)]}


def test_choices_on_whatsapp_are_a_list_quoting_nothing_and_a_long_text_goes_plain(fake_platforms):
    survey = dataclasses.replace(WHATSAPP, text="How did we do?", choices=CHOICES, quote=False)
    _, request = send(fake_platforms, survey)
    assert request.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WHATSAPP.recipient_id,
                            "type": "interactive", "interactive": {
                                "type": "list", "body": {"text": "How did we do?"}, "action": {
                                    "button": "★ 1-5", "sections": [{"rows": [
                                        {"id": f"choice:{n}", "title": title} for n, title in enumerate(CHOICES)]}]}}}
    # a body longer than a list takes (1,024 characters) goes as a text, which says what to answer
    _, request = send(fake_platforms, dataclasses.replace(survey, text="x" * 1025))
    assert request.body["type"] == "text" and "context" not in request.body


def test_a_whatsapp_reply_needs_the_phone_number_id(fake_platforms):
    with pytest.raises(SendFailed) as failed:
        get_sender("whatsapp").send(dataclasses.replace(WHATSAPP, account=None), TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


def test_an_id_that_would_change_the_path_is_refused(fake_platforms):
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").send(dataclasses.replace(COMMENT, reply_to_id="1/../../me/feed"), TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


@pytest.mark.parametrize("error, reply, kind, code", [
    ("graph_expired_token", COMMENT, "token_invalid", "190/463"),
    ("graph_permission", DM, "permission_denied", "10"),
    ("graph_permission_200", DM, "permission_denied", "200"),
    ("graph_user_unavailable", DM, "recipient_unreachable", "551/1545041"),
    ("graph_outside_window", DM, "recipient_unreachable", "10/2018278"),
    ("graph_rate_limit", IG_DM, "rate_limited", "613"),
    ("graph_unavailable", WHATSAPP, "unavailable", "2"),
])
def test_graph_errors_are_failures_of_the_right_kind(fake_platforms, error, reply, kind, code):
    # GIVEN the Graph API answers the next request with a documented error
    fake_platforms.fail_next(error)
    # WHEN replying THEN the failure says what happened, the platform's code, and nothing was sent
    with pytest.raises(SendFailed) as failed:
        get_sender(reply.platform).send(reply, TOKEN)
    assert (failed.value.kind, failed.value.platform_code, failed.value.maybe_sent) == (kind, code, False)
    assert TOKEN not in failed.value.message and reply.text not in failed.value.message
    assert fake_platforms.sent() == []


def test_a_rate_limit_says_when_to_retry_from_the_business_use_case_header(fake_platforms):
    fake_platforms.fail_next("graph_rate_limit")
    with pytest.raises(SendFailed) as failed:
        get_sender("messenger").send(DM, TOKEN)
    assert failed.value.retry_after == 5 * 60  # estimated_time_to_regain_access is in minutes


def test_the_next_send_after_a_scripted_error_goes_through(fake_platforms):
    fake_platforms.fail_next("graph_expired_token", times=2)
    for _ in range(2):
        with pytest.raises(SendFailed):
            get_sender("facebook").send(COMMENT, TOKEN)
    assert get_sender("facebook").send(COMMENT, TOKEN).platform_message_id


def test_a_timeout_after_the_request_went_out_may_have_sent(fake_platforms):
    # GIVEN the Graph API posts the reply but answers only after the client's timeout
    fake_platforms.fail_next("graph_timeout")
    with pytest.raises(SendFailed) as failed:
        get_sender("messenger").send(DM, TOKEN)
    # THEN the failure is a timeout that may have sent (and the fake shows it did)
    assert (failed.value.kind, failed.value.maybe_sent) == ("timeout", True)
    assert len(fake_platforms.sent("messenger")) == 1


def test_a_refused_connection_sent_nothing(fake_platforms, monkeypatch):
    graph_unreachable(monkeypatch)
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").send(COMMENT, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("unavailable", False)


def test_nothing_logs_the_token_or_the_text(fake_platforms, caplog):
    caplog.set_level(logging.DEBUG)
    fake_platforms.fail_next("graph_permission")
    for reply in (COMMENT, DM, WHATSAPP):
        try:
            get_sender(reply.platform).send(reply, TOKEN)
        except SendFailed:
            pass
    assert TOKEN not in caplog.text and DM.text not in caplog.text and COMMENT.text not in caplog.text


# the error table without HTTP: every code the Graph API documents for these calls --------------------

def answer(status: int, code: int | None = None, subcode: int | None = None, **headers) -> Answer:
    error = {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "x"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error} if code is not None else None, headers)


@pytest.mark.parametrize("code, subcode, kind", [
    (190, None, "token_invalid"), (190, 460, "token_invalid"), (102, None, "token_invalid"),
    (10, None, "permission_denied"), (200, None, "permission_denied"), (230, None, "permission_denied"),
    (299, None, "permission_denied"), (3, None, "permission_denied"),
    (4, None, "rate_limited"), (17, None, "rate_limited"), (32, None, "rate_limited"), (613, None, "rate_limited"),
    (80006, None, "rate_limited"), (130429, None, "rate_limited"),
    (551, None, "recipient_unreachable"), (10, 2018278, "recipient_unreachable"),
    (10, 2018108, "recipient_unreachable"), (100, 2018001, "recipient_unreachable"),
    (131047, None, "recipient_unreachable"),
    (1, None, "unavailable"), (2, None, "unavailable"),
    (100, None, "rejected"), (368, None, "rejected"), (506, None, "rejected"),
])
def test_graph_error_codes(code, subcode, kind):
    assert graph_failure("messenger", answer(400, code, subcode)).kind == kind


@pytest.mark.parametrize("status, kind, maybe_sent", [
    (401, "token_invalid", False), (403, "permission_denied", False), (429, "rate_limited", False),
    (404, "rejected", False), (500, "unavailable", False), (502, "unavailable", False), (504, "unavailable", True)])
def test_graph_answers_without_an_error_body_go_by_status(status, kind, maybe_sent):
    failed = graph_failure("facebook", answer(status))
    assert (failed.kind, failed.maybe_sent, failed.platform_code) == (kind, maybe_sent, str(status))


def test_retry_after_header_wins():
    assert graph_failure("facebook", answer(400, 4, **{"Retry-After": "42"})).retry_after == 42
    assert graph_failure("facebook", answer(400, 4)).retry_after is None


def test_an_accepted_reply_without_an_id_may_have_been_sent(fake_platforms, monkeypatch):
    monkeypatch.setattr(MetaSender, "request", staticmethod(lambda reply: ("/1/comments", {"message": "x"},
                                                                           lambda body: None)))
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").send(COMMENT, TOKEN)
    assert (failed.value.kind, failed.value.maybe_sent) == ("unavailable", True)


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak", "tab\t"])
def test_a_token_that_cannot_be_a_header_is_refused_before_sending(fake_platforms, token):
    with pytest.raises(SendFailed) as failed:
        get_sender("facebook").send(COMMENT, token)
    assert failed.value.kind == "token_invalid" and fake_platforms.requests == []


@pytest.mark.parametrize("bad_id", ["..", "1.2", "1/2", "١٢٣", "1?fields=x"])
def test_ids_are_one_plain_path_segment(fake_platforms, bad_id):
    with pytest.raises(SendFailed):
        get_sender("facebook").send(dataclasses.replace(COMMENT, reply_to_id=bad_id), TOKEN)
    assert fake_platforms.requests == []


def test_any_unicode_text_arrives_as_written(fake_platforms):
    text = "Désolé 🙏 — 注文を確認します"
    send(fake_platforms, dataclasses.replace(DM, text=text))
    assert fake_platforms.requests[-1].body["message"]["text"] == text


# private replies: a DM to a comment's author (Meta's Private Replies) -----------------------------------------

PRIVATE = dataclasses.replace(COMMENT, private=True)
IG_PRIVATE = dataclasses.replace(IG_COMMENT, private=True)


def test_a_facebook_private_reply_is_a_send_api_message_to_the_comment(fake_platforms):
    # WHEN a Page comment is answered privately
    receipt, request = send(fake_platforms, PRIVATE)
    # THEN it is POSTed to the Page's messages with recipient.comment_id and the text, nothing else
    assert request.method == "POST" and request.path == f"/graph/v21.0/{PAGE}/messages"
    assert request.body == {"recipient": {"comment_id": f"{PAGE}_1234"}, "message": {"text": PRIVATE.text}}
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in request.path
    # AND the receipt is the message's id (its Messenger echo and delivery reports name it)
    assert receipt.platform_message_id == request.answer["message_id"]


def test_an_instagram_private_reply_goes_to_the_instagram_accounts_messages(fake_platforms):
    receipt, request = send(fake_platforms, IG_PRIVATE)
    assert request.path == "/graph/v21.0/17841400000000001/messages"
    assert request.body == {"recipient": {"comment_id": "17890000000000001"}, "message": {"text": IG_PRIVATE.text}}
    assert receipt.platform_message_id == request.answer["message_id"]


def test_a_private_reply_without_an_account_goes_to_me(fake_platforms):
    _, request = send(fake_platforms, dataclasses.replace(PRIVATE, account=None))
    assert request.path == "/graph/v21.0/me/messages"


def test_a_second_private_reply_to_a_comment_is_refused_as_already_replied(fake_platforms):
    # GIVEN a comment with its private reply
    send(fake_platforms, PRIVATE)
    # WHEN another is sent to it THEN Graph's 10900 is the failure kind already_replied
    with pytest.raises(SendFailed) as failed:
        send(fake_platforms, dataclasses.replace(PRIVATE, text="Another one"))
    assert (failed.value.kind, failed.value.platform_code) == ("already_replied", "10900")
    assert len(fake_platforms.sent("facebook")) == 1


@pytest.mark.parametrize("reply", [dataclasses.replace(DM, private=True), dataclasses.replace(PRIVATE, channel="post"),
                                   dataclasses.replace(PRIVATE, platform="whatsapp")])
def test_a_private_reply_to_anything_but_a_comment_is_refused_before_sending(fake_platforms, reply):
    with pytest.raises(SendFailed) as failed:
        get_sender(reply.platform).send(reply, TOKEN)
    assert failed.value.kind == "rejected" and fake_platforms.requests == []


@pytest.mark.parametrize("code, subcode, private, kind", [
    (10900, None, True, "already_replied"), (10, 2018278, True, "outside_window"),
    (10903, None, True, "recipient_unreachable"), (190, None, True, "token_invalid"),
    (10900, None, False, "rejected"), (10, 2018278, False, "recipient_unreachable"),  # a DM: as before
])
def test_graph_errors_on_a_private_reply(code, subcode, private, kind):
    assert graph_failure("facebook", answer(400, code, subcode), private=private).kind == kind
