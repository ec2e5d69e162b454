"""The console's away message (console/src/away.js, run by node): the body it sends to PUT /away-message (the revision
read, a blank translation left out), what it refuses before asking the API (a text over 1,000 characters, turning it
on without a text or without business hours), the tick that cannot be turned on without business hours but can be
turned off, an Instagram DM's bytes, the text and platform a too-long refusal names, which replies it reads as
automatic; and every word of it in English and Japanese."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

MODULE = (ROOT / "console" / "src" / "away.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()
HOURS = "mon-sun 00:00-00:01 (UTC)"


def run(script: str, *args: str):
    """`script`'s JSON output; `away` and `messages` are the console's modules."""
    prelude = (f"const away = await import({json.dumps(MODULE)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(name: str, *args):
    """away.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify(away[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def form(enabled=True, text="We are closed, {{customer_name}}: back at 9.", ja="", en=""):
    return {"enabled": enabled, "text": text, "translations": {"ja": ja, "en": en}}


def test_the_body_carries_the_revision_read_and_leaves_a_blank_translation_out():
    # GIVEN a Japanese translation and a blank English one THEN only the Japanese one is sent, the text as typed
    assert call("awayBody", form(ja="ただいま営業時間外です。", en="   "), 4) == {
        "enabled": True, "text": "We are closed, {{customer_name}}: back at 9.",
        "translations": {"ja": "ただいま営業時間外です。"}, "rev": 4}
    # GIVEN it was never saved THEN rev 0, and off is sent as false, never left out
    assert call("awayBody", form(enabled=False, text=""), 0) == {
        "enabled": False, "text": "", "translations": {}, "rev": 0}
    # only a real tick turns it on
    assert call("awayBody", {**form(), "enabled": "yes"}, 1)["enabled"] is False


def test_a_text_is_counted_in_characters_as_the_api_counts_them():
    assert call("characters", "営業時間外です") == 7
    assert call("characters", "👍🏽") == 2  # two code points, as Python's len()
    assert call("characters", None) == 0


def test_a_text_over_a_thousand_characters_is_refused_naming_the_field_and_by_how_much():
    assert call("awayProblem", form(text="a" * 1000), HOURS) is None
    assert call("awayProblem", form(text="a" * 1001), HOURS) == {"problem": "tooLong", "field": "text", "over": 1}
    assert call("awayProblem", form(en="b" * 1005), HOURS) == {"problem": "tooLong", "field": "en", "over": 5}
    assert call("awayProblem", form(ja="閉" * 1002), HOURS) == {"problem": "tooLong", "field": "ja", "over": 2}


def test_turning_it_on_needs_a_default_text_and_business_hours_turning_it_off_needs_neither():
    assert call("awayProblem", form(text="  \n"), HOURS) == {"problem": "textNeeded", "field": "text"}
    assert call("awayProblem", form(), None) == {"problem": "hoursNeeded", "field": "enabled"}
    # (a translation alone is not enough: the default text goes to every other language)
    assert call("awayProblem", form(text="", ja="営業時間外です"), HOURS) == {"problem": "textNeeded", "field": "text"}
    assert call("awayProblem", form(enabled=False, text=""), None) is None


def test_the_tick_cannot_be_turned_on_without_business_hours_but_one_left_on_can_be_turned_off():
    assert call("canToggle", HOURS, False) is True
    assert call("canToggle", None, False) is False
    assert call("canToggle", None, True) is True


def test_the_form_reads_the_answer_with_missing_translations_as_blank():
    answer = {"enabled": True, "text": "Closed", "translations": {"ja": "休業中"}, "business_hours": HOURS,
              "open_now": False, "updated_by": "key:abcd", "updated_at": "2026-12-05T10:00:00Z", "rev": 3}
    assert call("formOf", answer) == {"enabled": True, "text": "Closed", "translations": {"ja": "休業中", "en": ""}}
    assert call("formOf", {"enabled": False, "text": "", "translations": {}, "rev": 0}) == form(enabled=False, text="")
    assert call("formOf", None) == form(enabled=False, text="")


def test_a_too_long_refusal_is_read_for_the_text_and_the_platform_it_names():
    # (chalicelib/domain/away.py's words: "the ja text is too long for a direct message on instagram (...)")
    assert call("tooLongRefusal", "the ja text is too long for a direct message on instagram (with a name of 50 "
                                  "characters filled in): 1,203 bytes") == {"field": "ja", "platform": "instagram"}
    assert call("tooLongRefusal", "the text is too long for a direct message on messenger") == {
        "field": "text", "platform": "messenger"}
    for said in ("too long", None, "the fr text is too long for a direct message on myspace"):
        assert call("tooLongRefusal", said) == {"field": None, "platform": None}, said


def test_an_instagram_dm_is_counted_in_bytes_with_the_longest_name_filled_in():
    assert call("instagramBytes", "営業時間外です") == 21
    assert call("instagramBytes", "Hi {{customer_name}}") == 3 + 50
    assert run("console.log(JSON.stringify(away.INSTAGRAM_DM_BYTES))") == 1000


def test_only_a_reply_marked_automatic_reads_as_the_away_message():
    assert call("isAutomatic", {"id": "r1", "by": "system:away", "automatic": True}) is True
    for reply in ({"id": "r2", "by": "agent:Aiko (0a1b63147c8b155f)"}, {"automatic": "true"}, {}, None):
        assert call("isAutomatic", reply) is False, reply


def test_every_word_of_the_away_message_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang])"
              ".filter(([key]) => /^(away\\.|nav\\.away$|reply\\.automatic$)/.test(key)))]))));")
    assert set(out["en"]) == set(out["ja"]), set(out["en"]) ^ set(out["ja"])
    assert len(out["en"]) > 30
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip(), (lang, key)
    assert out["en"]["reply.automatic"] == "Automatic reply (outside business hours)"
    assert out["ja"]["reply.automatic"] == "自動返信（営業時間外）"
    assert out["en"]["away.enabled"] == "Send the away message outside business hours"
    # the notice without business hours names the setting and where it is explained
    for lang in ("en", "ja"):
        assert "SLA_BUSINESS_HOURS" in out[lang]["away.noHours"] and "README" in out[lang]["away.noHours"]
        assert "{token}" in out[lang]["away.textHint"] and "{language}" in out[lang]["away.translationHint"]
        assert "{platform}" in out[lang]["away.error.tooLongFor"] and "{field}" in out[lang]["away.error.tooLong"]
