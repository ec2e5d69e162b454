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


# reading what is kept of a customer (GET /customer-data): every page, following next_cursor -------------------------

def read(answers: list[dict | str], pages: int | None = None) -> dict:
    """readAll against a fake API that gives `answers` in turn (a string: that error code, thrown)."""
    script = """
        const answers = JSON.parse(process.argv[1]);
        const cursors = [];
        const progress = [];
        const get = async (cursor) => {
          cursors.push(cursor);
          const answer = answers.shift();
          if (typeof answer === 'string') throw Object.assign(new Error(answer), { code: answer });
          return answer;
        };
        const pages = JSON.parse(process.argv[2]);
        let result;
        try {
          result = await erasure.readAll(get, (n) => progress.push(n), ...(pages ? [pages] : []));
        } catch (error) {
          result = { error: error.code, readSoFar: error.readSoFar };
        }
        console.log(JSON.stringify({ result, cursors, progress }));
    """
    return run(script, json.dumps(answers), json.dumps(pages))


def page(ids: list[str], cursor: str | None) -> dict:
    return {"platform": "facebook", "author_id": "123", "messages": [{"id": i} for i in ids], "next_cursor": cursor}


def test_it_reads_every_page_following_the_cursor_in_order():
    out = read([page(["a", "b"], "c1"), page([], "c2"), page(["c"], None)])
    assert out["result"] == {"messages": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "done": True}
    assert out["cursors"] == [None, "c1", "c2"]  # an empty page with a cursor is not the end
    assert out["progress"] == [2, 2]  # "Read N messages…" after each page that was not the last


def test_one_page_is_one_request_and_a_customer_with_nothing_kept_is_an_empty_list():
    out = read([page([], None)])
    assert out["result"] == {"messages": [], "done": True} and out["cursors"] == [None] and out["progress"] == []


def test_a_refusal_midway_comes_back_with_the_number_read_before_it():
    out = read([page(["a", "b"], "c1"), "service_unavailable"])
    assert out["result"] == {"error": "service_unavailable", "readSoFar": 2}
    assert read(["forbidden"])["result"] == {"error": "forbidden", "readSoFar": 0}


def test_an_api_whose_cursor_never_ends_is_not_read_for_ever():
    out = read([page(["a"], "again")] * 5, pages=3)
    assert out["result"] == {"messages": [{"id": "a"}] * 3, "done": False}
    assert len(out["cursors"]) == 3
    assert run("console.log(JSON.stringify(erasure.MAX_PAGES));") == 200


def test_the_file_is_named_by_platform_and_author_id_made_safe_for_a_file_name():
    names = run("""
        const ids = ['123456', '../../etc/passwd', 'a b/c\\\\d:e*f?"<>|', '.hidden', '', 'x'.repeat(300), 'ユーザー'];
        console.log(JSON.stringify(ids.map((id) => erasure.dataFileName('facebook', id))));
    """)
    assert names[:5] == ["customer-data-facebook-123456.json", "customer-data-facebook-etc_passwd.json",
                         "customer-data-facebook-a_b_c_d_e_f_.json", "customer-data-facebook-hidden.json",
                         "customer-data-facebook-author.json"]
    assert names[5] == f"customer-data-facebook-{'x' * 100}.json"
    assert names[6] == "customer-data-facebook-author.json"  # nothing left of it: still a name
    assert all("/" not in name and "\\" not in name for name in names)


def test_the_file_holds_who_when_and_the_messages():
    out = run("""
        const file = erasure.dataDocument('facebook', '123', [{ id: 'a' }], new Date('2026-12-05T08:00:00Z'));
        console.log(JSON.stringify(file));
    """)
    assert out == {"platform": "facebook", "author_id": "123", "exported_at": "2026-12-05T08:00:00.000Z",
                   "messages": [{"id": "a"}]}


def test_the_downloads_words_are_in_both_languages():
    out = run("""
        const keys = Object.keys(messages.en).filter((key) => key.startsWith('customerData.') && !key.endsWith('.one'));
        console.log(JSON.stringify(keys.map((key) => [key, key in messages.ja])));
    """)
    assert len(out) >= 5 and all(ja for _, ja in out), out
