"""Blocking on the platform too (Sprout Social's and Hootsuite's "hide and ban"): a block from the inbox
(domain.blocks) that also asks the platform to keep the author away from the brand's account.

What each platform offers a brand through its API (verified against the platforms' documentation, December 2026):

| platform | what a ban does there | ban / unban request (chalicelib/platforms/send/) | the brand's token needs |
|---|---|---|---|
| facebook (comments) | the person can no longer comment on, react to, message or post to the Page | Graph `POST /{page-id}/blocked {"user": ["<id>"]}` / `DELETE /{page-id}/blocked?user=<id>` | a Page token of someone who may MODERATE the Page (`pages_manage_engagement`) |
| messenger | as facebook (one Page ban) | Graph `POST /{page-id}/blocked {"psid": ["<psid>"]}` / `DELETE /{page-id}/blocked?psid=<psid>` | as facebook |
| whatsapp | the user cannot message the number nor see it online; the brand cannot message them | Cloud API `POST` / `DELETE /{phone-number-id}/block_users {"messaging_product": "whatsapp", "block_users": [{"user": "<wa_id>"}]}` | a system-user or business token with `whatsapp_business_messaging`; only users who wrote in the last 24 hours |
| x | a mute: the brand's account no longer sees their posts (they can still reply, mention and DM) | API v2 `POST /2/users/{brand-id}/muting {"target_user_id"}` / `DELETE /2/users/{brand-id}/muting/{target-id}` | user-context OAuth 2.0 with `tweet.read`, `users.read`, `mute.write` |
| telegram (groups) | banned from the group of the author's latest message (they cannot rejoin by link) | Bot API `banChatMember {"chat_id", "user_id"}` / `unbanChatMember {..., "only_if_banned": true}` | the bot is an admin of the group with `can_restrict_members` |
| instagram | nothing: the Instagram Platform offers no ban, block or restrict | none: 422 `platform_ban_unsupported`, nothing called | |

Sources: https://developers.facebook.com/docs/graph-api/reference/page/blocked/ (and the Graph SDK's
`Page.create_blocked` / `delete_blocked`: `asid`, `psid`, `uid`, `user`),
https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/,
https://docs.x.com/x-api/users/blocks/migrate (X's blocks endpoints are Enterprise-only, hence the mute),
https://docs.x.com/x-api/users/mutes/quickstart/manage-mutes-quickstart,
https://core.telegram.org/bots/api#banchatmember.

The ban is made as the brand account the author last wrote to (the `account` of their latest stored message), so a
brand with several Pages bans from the one the trouble came to. A ban on the platform does not end by itself: a
block given `expires_in_days` is not also made on the platform. Nobody can be banned from a Telegram private chat.
"""

from __future__ import annotations

from .errors import BanUnsupported, UnknownAuthor

BAN, UNBAN = "ban", "unban"

# what a ban is on each platform that offers one (the README's words)
OFFERED: dict[str, str] = {
    "facebook": "Page ban",
    "messenger": "Page ban",
    "whatsapp": "block",
    "x": "mute",
    "telegram": "group ban",
}


def check_can_ban(platform: str, written: bool, account: str | None, chat_id: str | None,
                  ends_by_itself: bool) -> None:
    """Refuse, before anything is called, a ban of an author who never wrote to the brand (`written`: a message of
    theirs is stored), a ban the platform does not offer, or one that could not be made as asked (`account`: that of
    their latest message; `ends_by_itself`: the block was given days)."""
    if not written:
        raise UnknownAuthor(f"no stored message of this {platform} author says which brand account to ban them from: "
                            "block without on_platform")
    if platform not in OFFERED:
        offered = ", ".join(sorted(OFFERED))
        raise BanUnsupported(f"{platform} offers no ban through its API: block without on_platform (bans: {offered})")
    if ends_by_itself:
        raise BanUnsupported("a ban on the platform does not end by itself: block until lifted to ban on the platform "
                             "too, or block for some days without on_platform", code="platform_ban_not_timed")
    if not account:
        raise BanUnsupported(f"the latest message of this {platform} author does not name the brand account it came "
                             "to", code="platform_ban_account_unknown")
    if platform == "telegram" and not (chat_id or "").startswith(("-", "@")):
        raise BanUnsupported("the author's latest message is in a private chat with the bot: a Telegram ban is from "
                             "a group")


def telegram_chat(message_id: str | None) -> str | None:
    """The chat a Telegram message was written in: its id is "telegram:<chat id>:<message_id>"; None without one."""
    chat, _, message = (message_id or "").removeprefix("telegram:").rpartition(":")
    return chat if message_id and message_id.startswith("telegram:") and chat and message else None
