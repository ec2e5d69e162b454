"""The console's routing rules (console/src/rules.js, run by node): the words box read one a line or comma separated,
the rule a form makes and what it refuses before asking the API (a name no other rule has, a condition and an action
needed, a reply alone being one; at most 20 words of 50 characters, 5 tags, a boost of 0 to 50, a reply of 500
characters), the reply's counter (characters, and Instagram's bytes with the longest name), the platform a
rule_reply_too_long refusal names, the body of PUT /routing-rules (the whole list at the revision read), moving a rule
up and down, each rule's conditions and actions (a reply's first words among them) in words in English and Japanese,
a `rule:<name>` priority reason and a message's `triage.rule`; and every word of it in both languages."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

MODULE = (ROOT / "console" / "src" / "rules.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()

RECALL = {"id": "0123456789abcdef", "name": "Product recall", "enabled": True, "words": ["recall", "回収"],
          "platforms": ["facebook", "instagram"], "channels": ["comment"], "languages": [],
          "queue": "customer_service", "tags": ["recall"], "priority_boost": 20, "reply": None}
THANKS = "Thank you {{customer_name}}, we are checking your order and will write back within the hour."


def run(script: str, *args: str):
    """`script`'s JSON output; `rules` and `messages` are the console's modules, `say(lang)` a translator as t()."""
    prelude = (f"const rules = await import({json.dumps(MODULE)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});"
               "const say = (lang) => (key, params = {}) => String(messages[lang][key] ?? key)"
               ".replace(/\\{(\\w+)\\}/g, (whole, name) => (name in params ? String(params[name]) : whole));")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(name: str, *args):
    """rules.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify(rules[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def described(rule: dict, lang: str = "en") -> dict:
    return run("const rule = JSON.parse(process.argv[1]); const lang = process.argv[2];"
               "console.log(JSON.stringify({if: rules.conditionsText(rule, say(lang)),"
               " then: rules.actionsText(rule, say(lang))}));", json.dumps(rule), lang)


def form(**changes) -> dict:
    return {"name": "Product recall", "enabled": True, "words": "recall\n回収", "platforms": [], "channels": [],
            "languages": [], "queue": "customer_service", "tags": "recall", "boost": "20", **changes}


def test_the_words_box_is_read_one_a_line_or_comma_separated_each_once_phrases_kept_whole():
    assert call("parseWords", "recall\n回収\n\n  product recall  ") == ["recall", "回収", "product recall"]
    assert call("parseWords", "recall, boycott,回収、リコール，返品") == ["recall", "boycott", "回収", "リコール", "返品"]
    # the same word twice (case, full width) is kept once, as first typed
    assert call("parseWords", "Recall\nrecall\nＲＥＣＡＬＬ") == ["Recall"]
    assert call("parseWords", " \n , ") == []
    assert call("parseWords", None) == []
    assert call("wordsText", ["recall", "回収"]) == "recall\n回収"


def test_a_form_makes_a_rule_the_queue_left_to_the_model_as_null():
    made = call("ruleFromForm", form(platforms=["facebook", "nope"], tags="Recall, crisis", queue=""))
    assert made["problem"] is None
    assert made["rule"] == {"name": "Product recall", "enabled": True, "words": ["recall", "回収"],
                            "platforms": ["facebook"], "channels": [], "languages": [], "queue": None,
                            "tags": ["recall", "crisis"], "priority_boost": 20, "reply": None}
    # editing keeps the rule's id; a blank boost is 0; only a real tick turns it on
    made = call("ruleFromForm", form(id="0123456789abcdef", boost="", enabled="yes"))
    assert made["rule"]["id"] == "0123456789abcdef"
    assert made["rule"]["priority_boost"] == 0 and made["rule"]["enabled"] is False
    # a reply is sent trimmed; a blank one is none (null), as the API reads it
    assert call("ruleFromForm", form(reply=f"  {THANKS}\n"))["rule"]["reply"] == THANKS
    assert call("ruleFromForm", form(reply=" \n "))["rule"]["reply"] is None


def test_what_the_api_would_refuse_is_named_before_anything_is_sent():
    def problem(**changes):
        return call("ruleFromForm", form(**changes))["problem"]

    assert problem(name="  ") == {"problem": "nameNeeded", "field": "name"}
    assert problem(name="n" * 81) == {"problem": "nameTooLong", "field": "name", "max": 80}
    assert problem(words="\n".join(f"w{n}" for n in range(21))) == {
        "problem": "tooManyWords", "field": "words", "max": 20, "n": 21}
    assert problem(words="x" * 50) is None
    assert problem(words="x" * 51) == {"problem": "wordTooLong", "field": "words", "max": 50, "word": "x" * 51}
    # a name is one rule's only (the rule being edited keeps its own)
    others = [{"id": "0123456789abcdef", "name": "Product recall"}]
    assert call("ruleFromForm", form(), others)["problem"] == {"problem": "nameTaken", "field": "name"}
    assert call("ruleFromForm", form(id="0123456789abcdef"), others)["problem"] is None
    assert problem(tags="a b c d e f") == {"problem": "tooManyTags", "field": "tags", "max": 5}
    assert problem(tags="t" * 33) == {"problem": "badTag", "field": "tags", "tag": "t" * 33}
    for boost in ("51", "-1", "2.5", "lots"):
        assert problem(boost=boost) == {"problem": "boostRange", "field": "boost", "max": 50}, boost
    # a rule needs at least one condition and one action
    assert problem(words="") == {"problem": "conditionNeeded", "field": "words"}
    assert problem(words="", languages=["ja"]) is None
    assert problem(queue="", tags="", boost="0") == {"problem": "actionNeeded", "field": "queue"}
    assert problem(queue="", tags="", boost="5") is None
    # a reply is an action of its own: a rule that only answers is valid
    assert problem(queue="", tags="", boost="", reply=THANKS) is None
    assert problem(queue="", tags="", boost="", reply="   ") == {"problem": "actionNeeded", "field": "queue"}
    assert problem(reply="x" * 500) is None
    assert problem(reply="回" * 501) == {"problem": "replyTooLong", "field": "reply", "max": 500, "over": 1}


def test_the_body_is_the_whole_list_in_order_at_the_revision_read():
    new = {"name": "Boycott", "enabled": False, "words": ["#boycott"], "platforms": [], "channels": [],
           "languages": [], "queue": "stance", "tags": [], "priority_boost": 0, "reply": None}
    answering = {**new, "name": "Tracking", "queue": None, "reply": THANKS}
    body = call("rulesBody", [RECALL, new, answering], 7)
    assert body["rev"] == 7
    assert body["rules"] == [RECALL, new, answering]  # the new ones without an id: the API gives them one
    # a rule read from an older API (no reply) or with a blank one is sent with none
    assert call("rulesBody", [{**new, "reply": "  "}], 1)["rules"][0]["reply"] is None
    del new["reply"]
    assert call("rulesBody", [new], 1)["rules"][0]["reply"] is None
    assert call("rulesBody", [], None) == {"rules": [], "rev": 0}


def test_a_rule_moves_up_and_down_and_is_put_in_place_or_added_or_deleted():
    a, b, c = ({"id": x, "name": x} for x in "abc")
    assert call("moved", [a, b, c], 1, -1) == [b, a, c]
    assert call("moved", [a, b, c], 1, 1) == [a, c, b]
    assert call("moved", [a, b, c], 0, -1) == [a, b, c]  # the first cannot go up, the last down
    assert call("moved", [a, b, c], 2, 1) == [a, b, c]
    assert call("withRule", [a, b], {"id": "b", "name": "B"}) == [a, {"id": "b", "name": "B"}]
    assert call("withRule", [a, b], {"name": "new"}) == [a, b, {"name": "new"}]
    assert call("withoutRule", [a, b, c], "b") == [a, c]


def test_a_rules_conditions_and_actions_read_in_words():
    assert described(RECALL) == {
        "if": "Text has any of: recall, 回収 · on Facebook, Instagram · comments",
        "then": "→ Customer service · tags: recall · priority +20"}
    assert described({**RECALL, "words": [], "platforms": [], "channels": ["direct_message", "mention"],
                      "languages": ["ja", "other"], "queue": None, "tags": [], "priority_boost": 5}) == {
        "if": "mentions, direct messages · in Japanese, other languages", "then": "priority +5"}
    assert described(RECALL, "ja") == {
        "if": "本文に次のいずれかを含む: recall、回収 · Facebook、Instagram · コメント",
        "then": "→ カスタマーサービス · タグ: recall · 優先度 +20"}
    # a reply is said by its first words, cut at a word (in Japanese, at a character)
    assert described({**RECALL, "tags": [], "priority_boost": 0, "reply": THANKS})["then"] == (
        "→ Customer service · replies automatically: “Thank you {{customer_name}}, we are…”")
    assert described({**RECALL, "queue": None, "tags": [], "priority_boost": 0, "reply": "Thanks!"})["then"] == (
        "replies automatically: “Thanks!”")
    japanese = "お問い合わせありがとうございます。配送状況を確認して、一時間以内にご連絡いたします。"
    assert described({**RECALL, "queue": None, "tags": [], "priority_boost": 0, "reply": japanese}, "ja")["then"] == (
        f"自動返信:「{japanese[:40]}…」")


def test_the_reply_counter_counts_characters_and_instagram_bytes_with_the_longest_name():
    assert call("replyCount", "") == {"n": 0, "max": 500, "over": 0, "bytes": 0, "maxBytes": 1000,
                                      "tooManyBytes": False}
    # {{customer_name}} is 17 characters here, and 50 bytes once the longest name is filled in
    counted = call("replyCount", "Hi {{customer_name}}")
    assert counted["n"] == 20 and counted["bytes"] == 53 and not counted["tooManyBytes"]
    # 400 Japanese characters fit 500 characters but not Instagram's 1,000 bytes (3 each)
    counted = call("replyCount", "回" * 400)
    assert counted["over"] == 0 and counted["bytes"] == 1200 and counted["tooManyBytes"]
    assert call("replyCount", "x" * 501)["over"] == 1


def test_a_reply_too_long_for_a_platform_names_the_platform():
    said = ("the text is too long for a direct message on instagram (with a name of 50 characters filled in): "
            "instagram takes 1,000 UTF-8 bytes here; this reply is 1,200")
    assert call("replyRefusalPlatform", said) == "instagram"
    assert call("replyRefusalPlatform", "the reply is too long") is None
    assert call("replyRefusalPlatform", "too long for a direct message on mars") is None


def test_the_form_reads_a_rule_back():
    assert call("formOf", RECALL) == {
        "id": "0123456789abcdef", "name": "Product recall", "enabled": True, "words": "recall\n回収",
        "platforms": ["facebook", "instagram"], "channels": ["comment"], "languages": [], "queue": "customer_service",
        "tags": "recall", "boost": "20", "reply": ""}
    assert call("formOf", {"name": "x", "queue": None, "priority_boost": 0})["queue"] == ""
    assert call("formOf", {**RECALL, "reply": THANKS})["reply"] == THANKS


def test_a_rule_reason_and_the_rule_that_routed_a_message_are_read():
    assert call("ruleReason", "rule:Product recall") == "Product recall"
    assert call("ruleReason", "rule:Crisis: boycott") == "Crisis: boycott"
    assert call("ruleReason", "urgent:outage") is None
    assert call("routedBy", {"category": "customer_service", "rule": {
        "id": "0123456789abcdef", "name": "Product recall", "model_category": "stance"}}) == {
        "id": "0123456789abcdef", "name": "Product recall", "modelCategory": "stance"}
    for triage in ({"category": "stance"}, {"rule": None}, {"rule": {"id": "x"}}, None):
        assert call("routedBy", triage) is None, triage
    assert call("actorName", "manager:Mana (manager) (0a1b63147c8b155f)") == "Mana (manager)"


def test_every_word_of_the_routing_rules_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang])"
              ".filter(([key]) => /^(rules\\.|nav\\.rules$|reason\\.rule$|detail\\.routedBy)/.test(key)))]))));")
    assert set(out["en"]) == set(out["ja"]), set(out["en"]) ^ set(out["ja"])
    assert len(out["en"]) > 60
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip(), (lang, key)
    assert out["en"]["nav.rules"] == "Routing rules" and out["ja"]["nav.rules"] == "振り分けルール"
    assert out["en"]["reason.rule"] == "Rule: {name}"
    assert out["en"]["detail.routedBy"] == "Routed by rule “{name}” (the model said {queue})"
    for lang in ("en", "ja"):
        assert "{name}" in out[lang]["detail.routedBy"] and "{queue}" in out[lang]["detail.routedBy"]
        assert "{message}" in out[lang]["rules.error.invalid"]
        assert "{platform}" in out[lang]["rules.error.replyTooLongFor"] and "{token}" in out[lang]["rules.replyHint"]
        assert "{words}" in out[lang]["rules.action.reply"]
        for platform in ("facebook", "instagram", "messenger", "whatsapp", "x", "telegram", "generic"):
            assert f"rules.platform.{platform}" in out[lang]
