"""A customer banned from the brand's account, or let back (`PlatformSender.ban`): the request each sender makes
against the local fake, what it makes of the platforms' answers, and what it refuses before sending."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.platforms.send import SendFailed, get_sender
from chalicelib.platforms.send.base import OutboundBan
from chalicelib.platforms.send.http import Answer

PAGE, PHONE, BRAND_X, TOKEN = "104857600000001", "106540352242922", "2244994945", "page-token-s3cr3t"
FB = OutboundBan(platform="facebook", account=PAGE, author_id="5550009", chat_id=None, action="ban")
WA = OutboundBan(platform="whatsapp", account=PHONE, author_id="819012345678", chat_id=None, action="ban")
X = OutboundBan(platform="x", account=BRAND_X, author_id="9000001", chat_id=None, action="ban")
TG = OutboundBan(platform="telegram", account="bot", author_id="700777", chat_id="-1001234567890", action="ban")
TG_TOKEN = "123456789:dev-telegram-bot-token"


def ban(fake, request: OutboundBan, token: str = TOKEN):
    assert get_sender(request.platform).ban(request, token) is None
    return fake.requests[-1]


def test_a_page_ban_and_unban_name_the_person_by_the_id_their_channel_gives(fake_platforms):
    # WHEN a commenter is banned, then let back, and a Messenger customer banned
    banned = ban(fake_platforms, FB)
    lifted = ban(fake_platforms, dataclasses.replace(FB, action="unban"))
    psid = ban(fake_platforms, dataclasses.replace(FB, platform="messenger", author_id="6100000000001"))
    # THEN the Page's blocked edge is POSTed a list, and DELETEd one id in the query, the token in the header only
    assert (banned.method, banned.path, banned.body) == ("POST", f"/graph/v21.0/{PAGE}/blocked", {"user": ["5550009"]})
    assert banned.answer == {"5550009": True} and banned.headers["authorization"] == f"Bearer {TOKEN}"
    assert (lifted.method, lifted.path) == ("DELETE", f"/graph/v21.0/{PAGE}/blocked?user=5550009")
    assert "content-type" not in lifted.headers and lifted.answer == {"success": True}
    assert psid.body == {"psid": ["6100000000001"]}
    # AND the fake holds the Messenger customer banned, the commenter not (let back); none of it is a reply
    assert fake_platforms.is_banned("page", PAGE, "6100000000001")
    assert not fake_platforms.is_banned("page", PAGE, "5550009")
    assert fake_platforms.sent() == [] and fake_platforms.moderated() == []


def test_a_whatsapp_block_and_unblock_are_the_same_body_posted_and_deleted(fake_platforms):
    blocked = ban(fake_platforms, WA)
    unblocked = ban(fake_platforms, dataclasses.replace(WA, action="unban"))
    body = {"messaging_product": "whatsapp", "block_users": [{"user": "819012345678"}]}
    assert (blocked.method, blocked.path, blocked.body) == ("POST", f"/graph/v21.0/{PHONE}/block_users", body)
    assert (unblocked.method, unblocked.path, unblocked.body) == ("DELETE", f"/graph/v21.0/{PHONE}/block_users", body)
    assert unblocked.answer["block_users"]["removed_users"] == [{"input": "819012345678", "wa_id": "819012345678"}]


def test_a_whatsapp_user_who_has_not_written_for_24_hours_cannot_be_blocked(fake_platforms):
    fake_platforms.fail_next("whatsapp_reengagement")
    with pytest.raises(SendFailed) as failed:
        get_sender("whatsapp").ban(WA, TOKEN)
    assert failed.value.kind == "recipient_unreachable" and failed.value.platform_code == "131047"
    assert "Re-engagement required" in failed.value.message


def test_an_x_ban_is_a_mute_by_the_brands_account(fake_platforms):
    muted = ban(fake_platforms, X)
    unmuted = ban(fake_platforms, dataclasses.replace(X, action="unban"))
    assert (muted.method, muted.path, muted.body) == ("POST", f"/x/2/users/{BRAND_X}/muting",
                                                      {"target_user_id": "9000001"})
    assert (unmuted.method, unmuted.path) == ("DELETE", f"/x/2/users/{BRAND_X}/muting/9000001")
    assert (muted.answer, unmuted.answer) == ({"data": {"muting": True}}, {"data": {"muting": False}})


def test_a_telegram_ban_is_from_the_group_and_an_unban_never_removes_a_member(fake_platforms):
    banned = ban(fake_platforms, TG, TG_TOKEN)
    lifted = ban(fake_platforms, dataclasses.replace(TG, action="unban"), TG_TOKEN)
    assert banned.path.endswith("/banChatMember") and banned.body == {"chat_id": -1001234567890, "user_id": 700777}
    assert lifted.path.endswith("/unbanChatMember")
    assert lifted.body == {"chat_id": -1001234567890, "user_id": 700777, "only_if_banned": True}


@pytest.mark.parametrize("request_", [
    dataclasses.replace(FB, platform="instagram"),  # Instagram offers no ban
    dataclasses.replace(FB, author_id="../me"),  # an id that would change the path
    dataclasses.replace(FB, action="mute"),
    dataclasses.replace(WA, author_id="81 90"),
    dataclasses.replace(X, author_id="alexp"),  # X user ids are digits
    dataclasses.replace(TG, chat_id="700777"),  # a private chat: nobody is banned from it
    dataclasses.replace(TG, chat_id=None),
], ids=["instagram", "path", "action", "wa-id", "x-handle", "tg-private", "tg-no-chat"])
def test_what_cannot_be_a_ban_is_refused_before_sending(fake_platforms, request_):
    token = TG_TOKEN if request_.platform == "telegram" else TOKEN
    with pytest.raises(SendFailed) as failed:
        get_sender(request_.platform).ban(request_, token)
    assert failed.value.kind == "rejected"
    assert fake_platforms.requests == []


@pytest.mark.parametrize("request_, status, body, kind", [
    (FB, 200, {"5550009": False}, "rejected"),  # Graph said no
    (FB, 200, {}, "unavailable"),  # an answer that does not say: it may have been done
    (dataclasses.replace(FB, action="unban"), 200, {"success": False}, "rejected"),
    (WA, 200, {"messaging_product": "whatsapp", "block_users": {"added_users": []}}, "unavailable"),
    (WA, 400, {"block_users": {"failed_users": [{"input": "819012345678", "errors": [
        {"code": 139101, "message": "Blocklist limit reached"}]}]},
               "error": {"code": 139100, "message": "(#139100) Failed to block/unblock users"}}, "rejected"),
    (WA, 400, {"error": {"code": 190, "message": "expired"}}, "token_invalid"),
    (X, 200, {"data": {"muting": False}}, "unavailable"),
])
def test_answers_that_do_not_say_it_was_done_are_failures(monkeypatch, request_, status, body, kind):
    import chalicelib.platforms.send.meta as meta
    import chalicelib.platforms.send.x as x

    module = x if request_.platform == "x" else meta
    monkeypatch.setattr(module, "request_json", lambda *a, **k: Answer(status, body, {}))
    with pytest.raises(SendFailed) as failed:
        get_sender(request_.platform).ban(request_, TOKEN)
    assert failed.value.kind == kind, failed.value
    assert failed.value.maybe_sent == (kind == "unavailable" and status == 200)
