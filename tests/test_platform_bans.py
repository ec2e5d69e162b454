"""POST /blocks with on_platform (Sprout Social's and Hootsuite's "hide and ban"): the author is banned from the brand's
account on their platform first, as the account their latest message came to, and the block is stored only once the
platform did it; lifting such a block lets them back there first. The requests are checked against the fake platforms
(local/fake_platforms.py), which keep who is banned as the platforms do."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

import payloads
from support import call, dumps, post_webhook, snapshot

pytestmark = pytest.mark.usefixtures("fake_platforms")

SPAMMER = "5550009"  # a Facebook commenter
GROUP = -1001234567890  # a Telegram supergroup the bot moderates
TROLL = 700777  # a Telegram user writing in it


def webhook(api, route: str, payload: dict) -> None:
    response = post_webhook(api, route, dumps(payload))
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["stored"] >= 1, response.body


def telegram_group_message(message_id: int, text: str, *, chat_id: int = GROUP, user_id: int = TROLL) -> dict:
    return {"update_id": 810000 + message_id, "message": {
        "message_id": message_id, "date": int(time.time()),
        "from": {"id": user_id, "is_bot": False, "first_name": "Troll", "username": "troll_k"},
        "chat": {"id": chat_id, "type": "supergroup", "title": "Brand fans"}, "text": text}}


# one author per platform that bans, written to the brand by webhook: (platform, author id, route, payload)
AUTHORS = {
    "facebook": (SPAMMER, "meta", lambda: payloads.page_comment("b1", "Earn $500 a day!!!", author_id=SPAMMER)),
    "messenger": (payloads.MESSENGER_CUSTOMER, "meta", lambda: payloads.messenger_dm("m_b1", "you people are useless")),
    "whatsapp": ("819012345678", "meta", lambda: payloads.whatsapp_text("wamid.B1", "spam spam spam")),
    "x": ("9000001", "x", lambda: payloads.x_tweet("1700000000000000091", "@brand you scammers")),
    "telegram": (str(TROLL), "telegram", lambda: telegram_group_message(91, "buy followers here")),
    "instagram": ("17800000000099", "meta", lambda: payloads.instagram_comment("17890000000000091", "spam")),
}


def written_by(api, platform: str) -> str:
    author, route, payload = AUTHORS[platform]
    webhook(api, route, payload())
    return author


def block(api, keys, platform: str, author: str, who: str = "manager", **extra):
    return call(api, "POST", "/blocks", keys[who], {"platform": platform, "author_id": author, "on_platform": True,
                                                     **extra})


def unblock(api, keys, platform: str, author: str, who: str = "manager"):
    return call(api, "DELETE", f"/blocks?{urlencode({'platform': platform, 'author_id': author})}", keys[who])


def listed(api, keys) -> list[dict]:
    status, page = call(api, "GET", "/blocks", keys["manager"])
    assert status == 200, page
    return page["blocks"]


def but_channels(items: list[str]) -> list[str]:
    """The table but the channels' health (a token the platform calls expired marks its channel, as a send does)."""
    return [i for i in items if '"pk": {"S": "CHANNEL"}' not in i]


def query_of(request) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}


# each platform asked as it documents it ---------------------------------------------------------------------------

@pytest.mark.parametrize("platform, method, tail, body, query, where, account", [
    ("facebook", "POST", f"/{payloads.PAGE_ID}/blocked", {"user": [SPAMMER]}, {}, "page", payloads.PAGE_ID),
    ("messenger", "POST", f"/{payloads.PAGE_ID}/blocked", {"psid": [payloads.MESSENGER_CUSTOMER]}, {}, "page",
     payloads.PAGE_ID),
    ("whatsapp", "POST", f"/{payloads.WHATSAPP_PHONE_NUMBER_ID}/block_users",
     {"messaging_product": "whatsapp", "block_users": [{"user": "819012345678"}]}, {}, "whatsapp",
     payloads.WHATSAPP_PHONE_NUMBER_ID),
    ("x", "POST", f"/2/users/{payloads.BRAND_X_ID}/muting", {"target_user_id": "9000001"}, {}, "x",
     payloads.BRAND_X_ID),
    ("telegram", "POST", "/banChatMember", {"chat_id": GROUP, "user_id": TROLL}, {}, "telegram", str(GROUP)),
])
def test_each_platform_is_asked_to_ban_as_it_documents_it_then_the_block_records_it(
        api, keys, table, fake_platforms, platform, method, tail, body, query, where, account):
    # GIVEN an author who wrote to the brand on the platform
    author = written_by(api, platform)
    # WHEN a manager blocks them on the platform too
    status, made = block(api, keys, platform, author, reason="harassment")
    # THEN the platform was asked once, as it documents it, with the brand account's token
    assert status == 201, made
    [request] = fake_platforms.bans()
    assert (request.method, request.path.split("?")[0].endswith(tail)) == (method, True), request.path
    assert request.body == body and request.ban == "ban"
    if platform != "telegram":  # Telegram's token is in its path
        assert request.headers["authorization"].startswith("Bearer dev-")
    # AND the platform holds the ban
    assert fake_platforms.is_banned(where, account, author)
    # AND the block says it was made there, as which account, when
    ban = made["platform_ban"]
    assert ban["account"] == (payloads.PAGE_ID if platform in ("facebook", "messenger") else
                              "bot" if platform == "telegram" else account)
    assert ban["at"] == made["blocked_at"]
    assert ban.get("chat_id") == (str(GROUP) if platform == "telegram" else None)
    # AND the listing shows it
    [listed_block] = listed(api, keys)
    assert listed_block["platform_ban"] == ban and listed_block["reason"] == "harassment"


@pytest.mark.parametrize("platform, method, tail, body, query, where, account", [
    ("facebook", "DELETE", f"/{payloads.PAGE_ID}/blocked", None, {"user": SPAMMER}, "page", payloads.PAGE_ID),
    ("messenger", "DELETE", f"/{payloads.PAGE_ID}/blocked", None, {"psid": payloads.MESSENGER_CUSTOMER}, "page",
     payloads.PAGE_ID),
    ("whatsapp", "DELETE", f"/{payloads.WHATSAPP_PHONE_NUMBER_ID}/block_users",
     {"messaging_product": "whatsapp", "block_users": [{"user": "819012345678"}]}, {}, "whatsapp",
     payloads.WHATSAPP_PHONE_NUMBER_ID),
    ("x", "DELETE", f"/2/users/{payloads.BRAND_X_ID}/muting/9000001", None, {}, "x", payloads.BRAND_X_ID),
    ("telegram", "POST", "/unbanChatMember", {"chat_id": GROUP, "user_id": TROLL, "only_if_banned": True}, {},
     "telegram", str(GROUP)),
])
def test_lifting_a_block_made_on_the_platform_unbans_there_first(api, keys, table, fake_platforms, platform, method,
                                                                 tail, body, query, where, account):
    # GIVEN an author blocked on the platform too
    author = written_by(api, platform)
    assert block(api, keys, platform, author)[0] == 201
    # WHEN a manager lifts the block
    status, lifted = unblock(api, keys, platform, author)
    # THEN the platform was asked to let them back, as it documents it
    assert status == 200, lifted
    ban, unban = fake_platforms.bans()
    assert (ban.ban, unban.ban) == ("ban", "unban")
    assert unban.method == method and unban.path.split("?")[0].endswith(tail), unban.path
    if body is not None:
        assert unban.body == body
    assert query_of(unban) == query
    assert not fake_platforms.is_banned(where, account, author)
    # AND the block is lifted, saying who lifted it and what the platform had done
    assert lifted["unblocked"]["unblocked_by"] and lifted["unblocked"]["platform_ban"]["account"]
    assert listed(api, keys) == []


def test_a_block_without_on_platform_calls_nothing_and_is_lifted_without_calling(api, keys, table, fake_platforms):
    # GIVEN a Facebook commenter blocked as before (no on_platform)
    author = written_by(api, "facebook")
    status, made = call(api, "POST", "/blocks", keys["manager"], {"platform": "facebook", "author_id": author})
    assert status == 201 and made.get("platform_ban") is None, made
    # WHEN it is lifted
    assert unblock(api, keys, "facebook", author)[0] == 200
    # THEN the platform was never asked anything
    assert fake_platforms.requests == []


# refused before anything is called ------------------------------------------------------------------------------

def test_instagram_offers_no_ban_a_422_before_any_call_and_nothing_stored(api, keys, table, fake_platforms):
    author = written_by(api, "instagram")
    before = snapshot(table)
    status, body = block(api, keys, "instagram", author)
    assert status == 422 and body["error"]["code"] == "platform_ban_unsupported", body
    assert snapshot(table) == before and fake_platforms.requests == []


@pytest.mark.parametrize("platform, setup, extra, status, code", [
    ("facebook", "written", {"expires_in_days": 7}, 422, "platform_ban_not_timed"),  # a ban never ends by itself
    ("facebook", "nothing", {}, 404, "unknown_author"),  # no stored message says which Page they wrote to
    ("telegram", "private", {}, 422, "platform_ban_unsupported"),  # nobody is banned from a private chat
    ("linkedin", "generic", {}, 422, "platform_ban_unsupported"),  # a generic source: no sender at all
])
def test_a_ban_that_cannot_be_made_as_asked_is_refused_before_any_call(api, keys, table, fake_platforms, platform,
                                                                       setup, extra, status, code):
    author = {"facebook": SPAMMER, "telegram": "700001", "linkedin": "li-778"}[platform]
    if setup == "written":
        written_by(api, platform)
    elif setup == "private":
        webhook(api, "telegram", payloads.telegram_message(5, "hello bot"))
    elif setup == "generic":
        webhook(api, "generic", payloads.generic_message("g1", "spam from a generic source"))
    before = snapshot(table)
    got, body = block(api, keys, platform, author, **extra)
    assert (got, body["error"]["code"]) == (status, code), body
    assert snapshot(table) == before and fake_platforms.requests == []


# the platform refusing: nothing stored, nothing changed -----------------------------------------------------------

@pytest.mark.parametrize("platform, failure, status, code", [
    ("facebook", "graph_expired_token", 424, "channel_token_invalid"),
    ("facebook", "graph_permission", 424, "channel_permission_denied"),
    ("messenger", "graph_rate_limit", 429, "platform_rate_limited"),
    ("facebook", "graph_unavailable", 502, "platform_unavailable"),
    ("whatsapp", "whatsapp_reengagement", 422, "recipient_unreachable"),
    ("x", "x_unauthorized", 424, "channel_token_invalid"),
    ("x", "x_rate_limited", 429, "platform_rate_limited"),
    ("telegram", "telegram_not_enough_rights", 424, "channel_permission_denied"),
    ("telegram", "telegram_blocked", 422, "recipient_unreachable"),
])
def test_when_the_platform_refuses_the_ban_nothing_is_stored_and_it_can_be_tried_again(
        api, keys, table, fake_platforms, platform, failure, status, code):
    # GIVEN an author, and the platform refusing the next call
    author = written_by(api, platform)
    fake_platforms.fail_next(failure)
    before = snapshot(table)
    # WHEN a manager blocks them on the platform too
    got, body = block(api, keys, platform, author)
    # THEN the answer says why, as a moderation's would, and nothing is stored (no block: their next message is
    # triaged as anyone's)
    assert (got, body["error"]["code"]) == (status, code), body
    assert but_channels(snapshot(table)) == but_channels(before)
    assert listed(api, keys) == []
    # AND trying again bans them and stores the block
    got, made = block(api, keys, platform, author)
    assert got == 201 and made["platform_ban"], made


@pytest.mark.parametrize("failure, status, code", [
    ("graph_expired_token", 424, "channel_token_invalid"),
    ("graph_rate_limit", 429, "platform_rate_limited"),
    ("graph_unavailable", 502, "platform_unavailable"),
])
def test_when_the_platform_refuses_the_unban_the_block_still_holds(api, keys, table, fake_platforms, failure, status,
                                                                   code):
    # GIVEN a commenter blocked on Facebook too, and Facebook refusing the next call
    author = written_by(api, "facebook")
    assert block(api, keys, "facebook", author)[0] == 201
    fake_platforms.fail_next(failure)
    before = snapshot(table)
    # WHEN the block is lifted
    got, body = unblock(api, keys, "facebook", author)
    # THEN the answer says why, and nothing changed: the block holds, and so does the ban
    assert (got, body["error"]["code"]) == (status, code), body
    assert but_channels(snapshot(table)) == but_channels(before)
    assert [b["author_id"] for b in listed(api, keys)] == [author]
    assert fake_platforms.is_banned("page", payloads.PAGE_ID, author)
    # AND trying again lifts it there and here
    assert unblock(api, keys, "facebook", author)[0] == 200
    assert listed(api, keys) == [] and not fake_platforms.is_banned("page", payloads.PAGE_ID, author)


# idempotence -----------------------------------------------------------------------------------------------------

def test_blocking_again_on_the_platform_calls_nothing_and_answers_the_block_that_holds(api, keys, table,
                                                                                     fake_platforms):
    author = written_by(api, "facebook")
    status, first = block(api, keys, "facebook", author)
    assert status == 201
    before = snapshot(table)
    status, again = block(api, keys, "facebook", author, who="admin")
    assert status == 201 and again == first
    assert snapshot(table) == before and len(fake_platforms.bans()) == 1


def test_a_block_made_here_only_gains_the_ban_when_blocked_again_on_the_platform(api, keys, table, fake_platforms):
    # GIVEN a commenter blocked here only
    author = written_by(api, "facebook")
    status, first = call(api, "POST", "/blocks", keys["manager"], {"platform": "facebook", "author_id": author,
                                                                   "reason": "spam"})
    assert status == 201 and first.get("platform_ban") is None
    # WHEN an admin blocks them again, on the platform too
    status, again = block(api, keys, "facebook", author, who="admin", reason="ignored: the block holds")
    # THEN Facebook bans them, and the block that holds records it, otherwise as it was
    assert status == 201, again
    assert fake_platforms.is_banned("page", payloads.PAGE_ID, author)
    assert again["platform_ban"]["account"] == payloads.PAGE_ID
    assert {k: v for k, v in again.items() if k != "platform_ban"} == \
        {k: v for k, v in first.items() if k != "platform_ban"}
    # AND lifting it unbans them there
    assert unblock(api, keys, "facebook", author)[0] == 200
    assert not fake_platforms.is_banned("page", payloads.PAGE_ID, author)


def test_a_timed_block_made_here_is_not_also_made_on_the_platform(api, keys, table, fake_platforms):
    author = written_by(api, "facebook")
    assert call(api, "POST", "/blocks", keys["manager"], {"platform": "facebook", "author_id": author,
                                                          "expires_in_days": 3})[0] == 201
    before = snapshot(table)
    status, body = block(api, keys, "facebook", author)
    assert status == 422 and body["error"]["code"] == "platform_ban_not_timed", body
    assert snapshot(table) == before and fake_platforms.requests == []


def test_the_ban_is_made_as_the_account_of_the_authors_latest_message(api, keys, table, fake_platforms):
    # GIVEN a Telegram troll who wrote in one group, then in another
    webhook(api, "telegram", telegram_group_message(101, "first", chat_id=-100111))
    webhook(api, "telegram", telegram_group_message(102, "then here", chat_id=-100222))
    # WHEN a manager blocks them on Telegram too
    status, made = block(api, keys, "telegram", str(TROLL))
    # THEN the bot bans them from the group of their latest message
    assert status == 201, made
    [request] = fake_platforms.bans()
    assert request.body["chat_id"] == -100222 and made["platform_ban"]["chat_id"] == "-100222"


def test_a_blocked_author_on_the_platform_is_still_held_back_here(api, keys, table, fake_platforms):
    author = written_by(api, "facebook")
    assert block(api, keys, "facebook", author)[0] == 201
    webhook(api, "meta", payloads.page_comment("b2", "again", author_id=author))
    status, held = call(api, "GET", "/messages/facebook:b2", keys["admin"])
    assert status == 200 and held["status"] == "removed" and held["moderation"]["state"] == "blocked", held
