"""The console's blocking (console/src/blocks.js, run by node): the body it sends to POST /blocks (a reason trimmed
and left out when empty, the days left out for "until unblocked"), whom it offers to block (never `unknown`), how a
block names its customer, which messages it reads as held back, the Blocked view's paging (each customer once); and
every word of it in English and Japanese. Once the API has blocks, its limits are the console's."""

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
    assert out["en"]["block.what"] == ("Their new messages will be kept out of the queues; nothing is sent to them or "
                                       "to the platform.")


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
