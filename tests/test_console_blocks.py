"""The console's blocking (console/src/blocks.js, run by node): the body it sends to POST /blocks (a reason trimmed
and left out when empty, the days left out for "until unblocked"), whom it offers to block (never `unknown`), how a
block names its customer, which messages it reads as held back, the Blocked view's paging (each customer once); and
every word of it in English and Japanese. Once the API has blocks, its limits are the console's. Banning on the
platform too: the console's table of bans is chalicelib/domain/bans.py's OFFERED, offered only until unblocked, sent
only when ticked, read back from a block's platform_ban, and every refusal said in both languages."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

MODULE = (ROOT / "console" / "src" / "blocks.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()
MODERATION = (ROOT / "console" / "src" / "moderation.js").as_uri()


def run(script: str, *args: str):
    """`script`'s JSON output; `blocks` and `messages` are the console's modules."""
    prelude = (f"const blocks = await import({json.dumps(MODULE)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(name: str, *args):
    """blocks.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify(blocks[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def test_the_body_says_the_reason_trimmed_and_the_days_or_nothing_for_until_unblocked():
    # GIVEN a reason with spaces around it and 7 days THEN both are sent, the reason trimmed
    assert call("blockBody", "facebook", "5551234", "  spam wave  ", 7) == {
        "platform": "facebook", "author_id": "5551234", "reason": "spam wave", "expires_in_days": 7}
    # GIVEN no reason (empty, blank) and "until unblocked" THEN neither key is sent: absent means until unblocked
    for reason in ("", "   ", None):
        assert call("blockBody", "x", "42", reason, None) == {"platform": "x", "author_id": "42"}
    # GIVEN a reason over the API's limit THEN it is cut to it, never refused for its length
    assert len(call("blockBody", "x", "42", "a" * 600, 1)["reason"]) == 500


def test_the_durations_offered_are_one_seven_thirty_days_and_until_unblocked_and_read_back():
    assert run("console.log(JSON.stringify(blocks.DURATIONS));") == [1, 7, 30, None]
    out = run("console.log(JSON.stringify(blocks.DURATIONS.map((d) => blocks.durationDays(blocks.durationValue(d)))));")
    assert out == [1, 7, 30, None]
    assert call("durationValue", None) == "forever"
    # a value the form cannot hold (out of the API's range, not a whole number): until unblocked, never a bad request
    for value in ("0", "3651", "1.5", "abc", ""):
        assert call("durationDays", value) is None, value
    assert call("durationDays", "3650") == 3650


def test_only_a_customers_own_id_is_offered_to_block():
    assert call("blockable", "facebook", "5551234") is True
    assert call("blockable", "facebook", "unknown") is False  # many people under one id: author_not_blockable
    assert call("blockable", "facebook", "") is False
    assert call("blockable", "", "5551234") is False
    assert call("blockable", "facebook", None) is False


def test_a_block_names_its_customer_by_name_then_handle_else_not_at_all():
    assert call("blockedName", {"name": "Rin Sato", "handle": "rin"}) == "Rin Sato"
    assert call("blockedName", {"name": None, "handle": "rin"}) == "@rin"
    assert call("blockedName", {"name": None, "handle": None, "author_id": "42"}) is None


def test_a_message_is_held_back_only_when_its_moderation_says_blocked():
    assert call("isHeldBack", {"status": "removed", "moderation": {"state": "blocked", "by": "manager:Mia"}}) is True
    for message in ({"status": "removed", "moderation": {"state": "hidden"}}, {"status": "removed"}, {}, None):
        assert call("isHeldBack", message) is False, message


def test_the_customer_answer_says_blocked_only_with_a_block_in_it():
    block = {"platform": "facebook", "author_id": "42", "blocked_by": "manager:Mia (0123456789abcdef)"}
    assert call("activeBlock", {"conversations": [], "blocked": block}) == block
    for answer in ({"conversations": [], "blocked": None}, {"conversations": []}, None):
        assert call("activeBlock", answer) is None, answer


def test_the_blocked_list_pages_on_with_the_cursor_and_lists_each_customer_once():
    a, b, c = ({"platform": "facebook", "author_id": n} for n in ("1", "2", "3"))
    out = run("""
        const [first, second] = JSON.parse(process.argv[1]);
        const shown = blocks.addPage(blocks.addPage([], first), second);
        console.log(JSON.stringify({ shown, cursors: [blocks.nextCursor(first), blocks.nextCursor(second)] }));
    """, json.dumps([{"blocks": [a, b], "next_cursor": "c1"}, {"blocks": [b, c, {**a, "platform": "x"}], "next_cursor": None}]))
    # (b came again on the second page: blocked again between the two reads; the same id on X is someone else)
    assert out["shown"] == [a, b, c, {**a, "platform": "x"}]
    assert out["cursors"] == ["c1", None]
    assert call("nextCursor", {"blocks": [], "next_cursor": ""}) is None
    assert call("addPage", [a], {"next_cursor": None}) == [a]


def test_every_word_of_blocking_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang]).filter(([key]) => /^(blocks?\\.|nav\\.blocked|event\\.blocked|"
              "moderation\\.(gone\\.blocked|blockedBy)|error\\.(author_not_blockable|unknown_block))/.test(key)))]))));")
    base = {key.removesuffix(".one") for key in out["en"]}
    assert base == set(out["ja"]), set(out["ja"]) ^ base
    assert len(base) > 40
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip() and "undefined" not in text, (lang, key)
    # natural Japanese, in the words the team uses
    assert out["ja"]["block.start"] == "このお客様をブロック"
    assert out["ja"]["block.unblock"] == "ブロックを解除"
    assert out["ja"]["block.by"].startswith("ブロック中")
    assert out["en"]["block.what"] == ("Their new messages will be kept out of the queues; they are not told, and "
                                       "nothing changes on the platform unless you also ban them there.")


def test_the_consoles_limits_are_the_apis():
    schemas = pytest.importorskip("chalicelib.schemas")
    model = getattr(schemas, "BlockCreate", None)
    if model is None:
        pytest.skip("the blocks API is not in this build yet")
    properties = model.model_json_schema()["properties"]

    def bound(name: str, key: str):
        field = properties[name]
        return next(option[key] for option in field.get("anyOf", [field]) if key in option)

    from chalicelib.models import UNKNOWN_AUTHOR

    out = run("console.log(JSON.stringify([blocks.MAX_REASON, blocks.MIN_DAYS, blocks.MAX_DAYS, blocks.UNKNOWN_AUTHOR]));")
    assert out == [bound("reason", "maxLength"), bound("expires_in_days", "minimum"),
                   bound("expires_in_days", "maximum"), UNKNOWN_AUTHOR]


def test_a_held_back_comment_may_only_be_deleted_and_only_by_a_manager():
    out = run(f"const moderation = await import({json.dumps(MODERATION)});" + """
        const held = { direction: 'inbound', status: 'removed', moderation: { state: 'blocked', by: 'manager:Mia' } };
        const on = (platform, channel) => ({ ...held, platform, channel });
        console.log(JSON.stringify([
          moderation.moderationActions(on('facebook', 'comment'), true),
          moderation.moderationActions(on('facebook', 'comment'), false),
          moderation.moderationActions(on('x', 'reply'), true),
          moderation.moderationActions(on('messenger', 'dm'), true),
        ]));
    """)
    # (never Hide: its Unhide would put it in a queue, which the block keeps it out of; X cannot delete)
    assert out == [["delete"], [], [], []]


# banning on the platform too ---------------------------------------------------------------------------------------

I18N = (ROOT / "console" / "src" / "i18n.js").as_uri()
KINDS = ("page_ban", "block", "mute", "group_ban")


def test_the_consoles_platform_bans_are_the_apis():
    # the console's table (console/src/blocks.js) says what chalicelib/domain/bans.py OFFERED says, platform by
    # platform ("Page ban" -> page_ban): no tick box leads to platform_ban_unsupported, none is missing
    from chalicelib.domain import bans

    table = run("console.log(JSON.stringify(blocks.PLATFORM_BANS));")
    assert table == {platform: kind.lower().replace(" ", "_") for platform, kind in bans.OFFERED.items()}
    assert set(table.values()) == set(KINDS)
    for platform in ("instagram", "linkedin", "tiktok", "youtube", "toString", "constructor", ""):
        assert call("platformBan", platform) is None, platform
    assert call("platformBan", "messenger") == "page_ban"  # a Messenger ban is the Page's ban


def test_a_ban_on_the_platform_is_offered_only_until_unblocked():
    for platform in ("facebook", "messenger", "whatsapp", "x", "telegram"):
        assert call("canBanOnPlatform", platform, None) is True, platform
        for days in (1, 7, 30):  # a ban there does not end by itself (platform_ban_not_timed)
            assert call("canBanOnPlatform", platform, days) is False, (platform, days)
    assert call("canBanOnPlatform", "instagram", None) is False  # Instagram offers none (platform_ban_unsupported)
    assert call("canBanOnPlatform", "linkedin", None) is False


def test_the_body_asks_for_the_ban_only_when_ticked():
    assert call("blockBody", "facebook", "5551234", " spam ", None, True) == {
        "platform": "facebook", "author_id": "5551234", "reason": "spam", "on_platform": True}
    for ticked in (False, None, "yes", 1):  # only a real tick: anything else is no ban
        assert call("blockBody", "facebook", "5551234", "", None, ticked) == {
            "platform": "facebook", "author_id": "5551234"}, ticked
    assert "on_platform" not in call("blockBody", "x", "42")


def test_a_block_says_it_is_banned_on_the_platform_only_with_its_platform_ban():
    ban = {"account": "104857600000001", "at": "2026-12-05T10:00:00Z"}
    assert call("bannedOnPlatform", {"platform": "facebook", "author_id": "1", "platform_ban": ban}) == "page_ban"
    assert call("bannedOnPlatform", {"platform": "x", "author_id": "1", "platform_ban": ban}) == "mute"
    assert call("bannedOnPlatform", {"platform": "telegram", "author_id": "1",
                                     "platform_ban": {**ban, "account": "bot", "chat_id": "-100200"}}) == "group_ban"
    # (a platform the console does not know yet, banned by a newer API: still said, in general words)
    assert call("bannedOnPlatform", {"platform": "bluesky", "author_id": "1", "platform_ban": ban}) == "other"
    for block in ({"platform": "facebook", "author_id": "1", "platform_ban": None}, {"platform": "facebook"},
                  {"platform": "facebook", "platform_ban": {}}, None):
        assert call("bannedOnPlatform", block) is None, block


def test_every_word_of_a_platform_ban_is_said_for_each_kind_in_both_languages():
    out = run("console.log(JSON.stringify(messages));")
    for lang in ("en", "ja"):
        for kind in KINDS:
            for key in ("ban", "banWhat", "banned", "bannedDone", "letBack", "letBackDone", "onPlatform"):
                assert out[lang].get(f"block.{key}.{kind}", "").strip(), (lang, key, kind)
        for key in ("banned", "bannedDone", "letBack", "letBackDone", "onPlatform"):
            assert "{platform}" in out[lang][f"block.{key}.other"], (lang, key)
    en, ja = out["en"], out["ja"]
    # the platform's own word for it
    assert [en[f"block.ban.{kind}"] for kind in KINDS] == [
        "Also ban from the Facebook Page", "Also block on WhatsApp", "Also mute on X", "Also ban from the Telegram group"]
    assert [ja[f"block.ban.{kind}"] for kind in KINDS] == [
        "Facebook ページからも禁止する", "WhatsApp でもブロックする", "X でもミュートする", "Telegram グループからも追放する"]
    # what a mute on X does not do is said: they can still reply
    assert "still lets them reply" in en["block.banWhat.mute"] and "返信" in ja["block.banWhat.mute"]
    assert "24 hours" in en["block.banWhat.block"] and "24 時間" in ja["block.banWhat.block"]
    assert en["block.banned.page_ban"] == "also banned from the Facebook Page"
    assert ja["block.banned.page_ban"] == "Facebook ページからも禁止中"
    assert en["block.letBack.page_ban"] == "Unblocking lets them back on the Facebook Page too."
    assert en["blocks.onPlatform"] == "On the platform" and ja["blocks.onPlatform"] == "プラットフォーム側"


BAN_ERRORS = ("platform_ban_unsupported", "platform_ban_not_timed", "platform_ban_account_unknown", "unknown_author",
              "channel_token_invalid", "channel_permission_denied", "channel_token_missing", "platform_rejected",
              "recipient_unreachable", "platform_rate_limited", "platform_unavailable")


def said(*cases) -> dict:
    """i18n.blockErrorText(error, platform, lifting) in each language, for each (code, platform, lifting, retryAfter)."""
    return run(f"globalThis.navigator = {{ languages: ['en'] }}; const i18n = await import({json.dumps(I18N)});" + """
        const cases = JSON.parse(process.argv[1]);
        const out = {};
        for (const lang of ['en', 'ja']) {
          i18n.setLanguage(lang);
          out[lang] = cases.map(([code, platform, lifting, retryAfter]) =>
            i18n.blockErrorText({ status: 400, code, retryAfter }, platform, lifting));
        }
        console.log(JSON.stringify(out));
    """, json.dumps(list(cases)))


def test_every_refusal_of_a_ban_is_said_in_words_with_what_did_not_happen():
    out = said(*[(code, "facebook", False, None) for code in BAN_ERRORS],
               *[(code, "x", True, None) for code in BAN_ERRORS])
    n = len(BAN_ERRORS)
    for lang, unchanged, blocked in (("en", "nothing was blocked", "nothing changed: they are still blocked"),
                                     ("ja", "ブロックは行っていません", "何も変わっていません(ブロック中のままです)")):
        for code, text in zip(BAN_ERRORS, out[lang][:n]):
            assert unchanged in text and "{" not in text, (lang, code, text)
        for code, text in zip(BAN_ERRORS, out[lang][n:]):
            assert blocked in text and "{" not in text, (lang, code, text)
    assert out["en"][BAN_ERRORS.index("platform_rejected")] == (
        "Facebook refused it, so nothing was blocked. Check the customer there and try again later.")
    # a reply's words would mislead ("it will not be sent twice"): never those
    assert not any("sent twice" in text or "reply" in text for text in out["en"])


def test_a_rate_limited_ban_says_the_seconds_to_wait_and_the_platforms_own_cause():
    out = said(("platform_rate_limited", "facebook", False, 42), ("platform_rate_limited", "whatsapp", True, None),
               ("recipient_unreachable", "whatsapp", False, None), ("recipient_unreachable", "telegram", False, None),
               ("platform_ban_unsupported", "telegram", False, None), ("channel_permission_denied", "x", False, None),
               ("author_not_blockable", "facebook", False, None))
    en, ja = out["en"], out["ja"]
    assert en[0] == ("Facebook asks to slow down, so nothing was blocked. Try again in 42 seconds: doing it twice is "
                     "safe.")
    assert ja[0] == ("Facebook から操作を控えるよう求められたため、ブロックは行っていません。42 秒後にもう一度お試しください"
                     "(二重に実行されることはありません)。")
    assert "in a moment" in en[1] and "42" not in en[1]
    assert "last 24 hours" in en[2] and "24 時間" in ja[2]
    assert "not in the Telegram group" in en[3]
    assert "private chat" in en[4] and "個別チャット" in ja[4]
    assert "mute.write" in en[5]
    # what is not a ban's refusal is said as any other error
    assert en[6].startswith("This author id stands for many people")


def test_sentences_follow_one_another_as_each_language_writes_them():
    out = run(f"globalThis.navigator = {{ languages: ['en'] }}; const i18n = await import({json.dumps(I18N)});" + """
        const en = i18n.sentences('Blocked.', '', 'They are muted on X too.');
        i18n.setLanguage('ja');
        console.log(JSON.stringify([en, i18n.sentences('ブロックしました。', null, 'X でもミュートしました。')]));
    """)
    assert out == ["Blocked. They are muted on X too.", "ブロックしました。X でもミュートしました。"]
