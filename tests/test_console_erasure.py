"""The console's erasure (console/src/erasure.js, run by node): it sends POST /erasures again until the API says
done, adding up the counts the API gives per request, and stops with what it erased when a request fails or when
the API never says done; every reason an erased item may carry (the API's, chalicelib/domain/privacy.py) has its words,
in English and Japanese."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

MODULE = (ROOT / "console" / "src" / "erasure.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()


def run(script: str, *args: str):
    """`script`'s JSON output; `erasure` and `messages` are the console's modules."""
    prelude = (f"const erasure = await import({json.dumps(MODULE)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def erase(answers: list[dict | str], rounds: int | None = None) -> dict:
    """eraseAll against a fake API that gives `answers` in turn (a string: that error code, thrown)."""
    script = """
        const answers = JSON.parse(process.argv[1]);
        const sent = [];
        const progress = [];
        const post = async (body) => {
          sent.push(body);
          const answer = answers.shift();
          if (typeof answer === 'string') throw Object.assign(new Error(answer), { code: answer });
          return answer;
        };
        const rounds = JSON.parse(process.argv[2]);
        const body = { platform: 'facebook', author_id: '123', reason: 'asked by email' };
        let result;
        try {
          result = await erasure.eraseAll(body, post, (total) => progress.push(total), ...(rounds ? [rounds] : []));
        } catch (error) {
          result = { error: error.code, erasedSoFar: error.erasedSoFar };
        }
        console.log(JSON.stringify({ result, sent, progress }));
    """
    return run(script, json.dumps(answers), json.dumps(rounds))


def answer(done: bool, messages: int, conversations: int) -> dict:
    return {"platform": "facebook", "author_id": "123", "done": done, "messages_erased": messages,
            "conversations_erased": conversations}


def test_it_sends_the_same_request_again_until_done_and_adds_up_the_counts():
    out = erase([answer(False, 40, 3), answer(False, 25, 1), answer(True, 2, 0)])
    assert out["result"] == {"messages": 67, "conversations": 4, "done": True}
    assert out["sent"] == [{"platform": "facebook", "author_id": "123", "reason": "asked by email"}] * 3
    # the running count after each round that was not the last: "Erased N messages so far…"
    assert out["progress"] == [{"messages": 40, "conversations": 3, "done": False},
                               {"messages": 65, "conversations": 4, "done": False}]


def test_done_at_once_sends_one_request_and_nothing_erased_is_zero():
    out = erase([answer(True, 0, 0)])
    assert out["result"] == {"messages": 0, "conversations": 0, "done": True}
    assert len(out["sent"]) == 1 and out["progress"] == []


def test_a_refusal_midway_comes_back_with_what_was_erased_before_it():
    out = erase([answer(False, 10, 2), "service_unavailable"])
    assert out["result"] == {"error": "service_unavailable",
                             "erasedSoFar": {"messages": 10, "conversations": 2, "done": False}}


def test_an_api_that_never_says_done_is_not_asked_for_ever():
    out = erase([answer(False, 1, 0)] * 5, rounds=3)
    assert out["result"] == {"messages": 3, "conversations": 0, "done": False}
    assert len(out["sent"]) == 3


def test_every_reason_has_its_words_in_both_languages():
    out = run("""
        const reasons = [...erasure.REASONS, 'something_new', undefined];
        console.log(JSON.stringify(reasons.map((reason) => {
          const key = erasure.erasedKey(reason === undefined ? undefined : { reason });
          return [key, key in messages.en, key in messages.ja];
        })));
    """)
    assert [key for key, _, _ in out] == ["erasure.shown.customer_request", "erasure.shown.deleted_on_platform",
                                          "erasure.shown.retention", "erasure.shown.other", "erasure.shown.other"]
    assert all(en and ja for _, en, ja in out), out


def test_what_an_erased_item_shows_never_is_empty_or_undefined():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.entries("
              "messages[lang]).filter(([key]) => key.startsWith('erasure.'))]))));")
    for lang, entries in out.items():
        assert entries, lang
        for key, text in entries:
            assert text.strip() and "undefined" not in text, (lang, key)


def test_the_consoles_reasons_and_unknown_author_are_the_apis():
    from chalicelib.domain import privacy
    from chalicelib.models import UNKNOWN_AUTHOR

    from chalicelib.schemas import ErasureCreate

    reason = ErasureCreate.model_json_schema()["properties"]["reason"]
    longest = next(option["maxLength"] for option in reason.get("anyOf", [reason]) if "maxLength" in option)
    out = run("console.log(JSON.stringify([erasure.REASONS, erasure.UNKNOWN_AUTHOR, erasure.MAX_REASON]));")
    assert out == [list(privacy.REASONS), UNKNOWN_AUTHOR, longest]


def test_every_reason_is_named_in_an_erased_history_entry_in_both_languages():
    out = run("""
        console.log(JSON.stringify(erasure.REASONS.map((reason) => {
          const key = `erasure.reasonName.${reason}`;
          return [reason, key in messages.en, key in messages.ja];
        })));
    """)
    assert out and all(en and ja for _, en, ja in out), out
