"""Blocking on the platform too: the author is banned from the brand's account on their platform (rules and what
each platform offers: domain.bans), then blocked in the inbox (store.blocks); lifting such a block lets them back
there first.

As with moderation, the platform is asked first and the block stored only once it did it, so the inbox never says
banned who is not: a refusal stores nothing, and it may be tried again (a ban of someone banned already, or an
unban of someone who is not, counts as done on every platform). A block without `on_platform` calls nothing.
"""

from __future__ import annotations

from datetime import datetime

from .domain import bans as rules
from .domain import blocks as block_rules
from .domain.errors import BanNotDone
from .moderation import NOT_DONE as MODERATION_NOT_DONE
from .moderation import refusal
from .platforms.send import get_sender
from .platforms.send.base import OutboundBan, SendFailed
from .platforms.send.tokens import token_for
from .store import blocks as store
from .store.entities import StoredBlock, iso

# SendFailed.kind -> (the answer's code, why, in words): moderation's, with a ban's permissions and reach
NOT_DONE = {
    **MODERATION_NOT_DONE,
    "permission_denied": ("channel_permission_denied", "the channel's token may not ban (a Facebook Page token of "
                                                       "someone who may MODERATE the Page, WhatsApp "
                                                       "whatsapp_business_messaging, X mute.write, a Telegram admin "
                                                       "allowed to restrict members)"),
    "recipient_unreachable": ("recipient_unreachable", "the platform cannot reach this person from the brand's "
                                                       "account (WhatsApp: no message from them in the last 24 "
                                                       "hours; Telegram: the bot is not in the group)"),
}


def _on_platform(request: OutboundBan, now: datetime) -> None:
    try:
        get_sender(request.platform).ban(request, token_for(request.platform, request.account))
    except SendFailed as failed:
        raise refusal(failed, request.platform, request.account, now, NOT_DONE, BanNotDone,
                      f"not {request.action}ned on {request.platform}") from failed


def block(platform: str, author_id: str, actor: str, reason: str | None, days: int | None, on_platform: bool,
          now: datetime) -> tuple[StoredBlock, bool]:
    """Block the author (store.blocks.block), and with `on_platform` ban them on the platform first, as the brand
    account their latest message came to. A block that holds already is answered as it is, having gained the ban
    when it had none."""
    if not on_platform:
        return store.block(platform, author_id, actor, reason, days, now)
    block_rules.check_blockable(author_id)
    existing = store.get(platform, author_id, now)
    if existing is not None and existing.platform_ban is not None:
        return existing, False  # banned there already: nothing to call
    latest = store.latest_message(platform, author_id)
    account = latest.get("account")
    chat = rules.telegram_chat(latest.get("id")) if platform == "telegram" else None
    ends = days is not None if existing is None else existing.until is not None
    rules.check_can_ban(platform, bool(latest), account, chat, ends)
    _on_platform(OutboundBan(platform=platform, account=account, author_id=author_id, chat_id=chat,
                             action=rules.BAN), now)
    record = {"account": account, "at": iso(now), **({"chat_id": chat} if chat else {})}
    return store.block(platform, author_id, actor, reason, days, now, platform_ban=record, latest=latest)


def unblock(platform: str, author_id: str, actor: str, now: datetime) -> StoredBlock:
    """Lift the author's block; one banned on the platform is first lifted there (nothing changes when that fails)."""
    def let_back(held: StoredBlock) -> None:
        ban = held.platform_ban or {}
        _on_platform(OutboundBan(platform=held.platform, account=ban["account"], author_id=held.author_id,
                                 chat_id=ban.get("chat_id"), action=rules.UNBAN), now)

    return store.unblock(platform, author_id, actor, now, before_lift=let_back)
