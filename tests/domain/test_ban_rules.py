"""domain.bans: which platforms ban, and the bans refused before anything is called."""

from __future__ import annotations

import pytest

from chalicelib.domain import bans
from chalicelib.domain.errors import BanUnsupported, UnknownAuthor


def test_every_platform_that_bans_has_a_sender_and_instagram_has_none():
    from chalicelib.platforms.send import REGISTRY

    assert set(bans.OFFERED) <= set(REGISTRY) and "instagram" not in bans.OFFERED


@pytest.mark.parametrize("platform, written, account, chat, ends, refusal, code", [
    ("facebook", False, None, None, False, UnknownAuthor, "unknown_author"),
    ("instagram", True, "17841400000000001", None, False, BanUnsupported, "platform_ban_unsupported"),
    ("linkedin", True, None, None, False, BanUnsupported, "platform_ban_unsupported"),
    ("facebook", True, "104857600000001", None, True, BanUnsupported, "platform_ban_not_timed"),
    ("facebook", True, None, None, False, BanUnsupported, "platform_ban_account_unknown"),
    ("telegram", True, "bot", "700001", False, BanUnsupported, "platform_ban_unsupported"),  # a private chat
    ("telegram", True, "bot", None, False, BanUnsupported, "platform_ban_unsupported"),
])
def test_a_ban_that_cannot_be_made_is_refused_with_its_code(platform, written, account, chat, ends, refusal, code):
    with pytest.raises(refusal) as refused:
        bans.check_can_ban(platform, written, account, chat, ends)
    assert refused.value.code == code


@pytest.mark.parametrize("platform, account, chat", [
    ("facebook", "104857600000001", None), ("messenger", "104857600000001", None),
    ("whatsapp", "106540352242922", None), ("x", "2244994945", None), ("telegram", "bot", "-1001234567890"),
])
def test_a_ban_each_platform_offers_passes(platform, account, chat):
    bans.check_can_ban(platform, True, account, chat, False)


@pytest.mark.parametrize("message_id, chat", [
    ("telegram:-1001234567890:4242", "-1001234567890"), ("telegram:700001:5", "700001"),
    ("facebook:1_2", None), (None, None), ("telegram:5", None),
])
def test_the_chat_of_a_telegram_message_is_in_its_id(message_id, chat):
    assert bans.telegram_chat(message_id) == chat
