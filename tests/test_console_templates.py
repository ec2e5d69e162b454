"""The console's WhatsApp templates (console/src/templates.js, run by node): a body's placeholders and how many parameters
it takes, the words the customer reads, what the managers' view refuses before asking the API (the API's own rules:
chalicelib/domain/whatsapp_templates.py), the bodies it sends to PUT /whatsapp-templates and POST
/conversations/{id}/template-replies, one idempotency key per attempt; and every word of it in English and Japanese."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

TEMPLATES = (ROOT / "console" / "src" / "templates.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()
ORDER = "Hi {{1}}, your order {{2}} has shipped."
KEY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def run(script: str, *args: str):
    """`script`'s JSON output; `templates` and `messages` are the console's modules."""
    prelude = (f"const templates = await import({json.dumps(TEMPLATES)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(name: str, *args):
    """templates.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify(templates[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def row(name="order_update", language="en_US", body=ORDER):
    return {"name": name, "language": language, "body": body}


def test_a_body_takes_as_many_parameters_as_its_highest_placeholder():
    assert call("placeholders", "Hi {{2}} {{1}} and {{2}} again") == [1, 2]
    assert call("parameterCount", ORDER) == 2
    assert call("parameterCount", "Thanks for waiting.") == 0
    assert call("parameterCount", "Hi {{ 1 }}") == 1  # the API reads {{ 1 }} as {{1}} too
    assert call("placeholders", "{{name}} and {1} and {{{3}}}") == [3]  # only numbered ones are placeholders


def test_the_customer_reads_the_body_with_its_parameters_filled_in():
    assert call("renderTemplate", ORDER, ["Aya", "A-1001"]) == "Hi Aya, your order A-1001 has shipped."
    assert call("renderTemplate", "{{1}}, {{1}}!", [" Aya "]) == "Aya, Aya!"  # trimmed as sent, each {{1}} alike
    # while she types, a parameter not given yet stays a placeholder
    assert call("renderTemplate", ORDER, ["Aya"]) == "Hi Aya, your order {{2}} has shipped."
    assert call("previewParts", ORDER, ["Aya", " "]) == [
        {"text": "Hi "}, {"parameter": 1, "value": "Aya"}, {"text": ", your order "}, {"parameter": 2, "value": None},
        {"text": " has shipped."}]


def test_blank_rows_are_dropped_and_names_and_languages_trimmed_before_saving():
    rows = [row(name=" order_update ", language=" en_US"), row(name="", language="", body="  \n"),
            row(name="welcome", language="ja", body="ようこそ {{1}} さん ")]
    assert call("filledRows", rows) == [row(), row(name="welcome", language="ja", body="ようこそ {{1}} さん ")]
    assert call("templatesBody", [row()], 3) == {"templates": [row()], "rev": 3}
    answer = {"templates": [{**row(), "parameters": 2}], "updated_by": None, "updated_at": None, "rev": 1}
    assert call("rowsOf", answer) == [row()]
    assert call("rowsOf", {"templates": None}) == []


@pytest.mark.parametrize(("rows", "problem"), [
    ([row(name="")], {"problem": "nameNeeded", "row": 0, "field": "name"}),
    ([row(), row(name="Order-Update")], {"problem": "badName", "row": 1, "field": "name"}),
    ([row(name="x" * 513)], {"problem": "badName", "row": 0, "field": "name"}),
    ([row(language="")], {"problem": "languageNeeded", "row": 0, "field": "language"}),
    ([row(language="en-US")], {"problem": "badLanguage", "row": 0, "field": "language"}),
    ([row(language="english")], {"problem": "badLanguage", "row": 0, "field": "language"}),
    ([row(), row(body="Other words")], {"problem": "twice", "row": 1, "field": "name", "first": 0}),
    ([row(body=" ")], {"problem": "bodyNeeded", "row": 0, "field": "body"}),
    ([row(body="評" * 1025)], {"problem": "bodyTooLong", "row": 0, "field": "body", "over": 1, "max": 1024}),
    ([row(body="Hi {{1}}, order {{3}}")], {"problem": "skipped", "row": 0, "field": "body", "missing": [2]}),
    ([row(body="Hi {{2}}")], {"problem": "skipped", "row": 0, "field": "body", "missing": [1]}),
    ([row(body="Hi {{0}}")], {"problem": "placeholderZero", "row": 0, "field": "body"}),
])
def test_what_the_api_refuses_is_refused_before_asking_it_naming_the_row_and_field(rows, problem):
    assert call("templatesProblem", rows) == problem


def test_rows_as_the_api_takes_them_pass():
    assert call("templatesProblem", []) is None
    assert call("templatesProblem", [row(), row(language="ja", body="{{1}}様、ご注文 {{2}} を発送しました。"),
                                     row(name="thanks", language="pt_BR", body="Obrigado!"),
                                     row(name="x" * 512, language="fil", body="評" * 1024)]) is None
    # the same name in another language is another template
    assert call("templatesProblem", [row(), row(language="en")]) is None
    too_many = [row(name=f"t{n}") for n in range(101)]
    assert call("templatesProblem", too_many)["problem"] == "tooMany"


def test_the_apis_refusal_names_the_template_it_refused():
    # 400 invalid_templates' message, as chalicelib/domain/whatsapp_templates.py words it
    message = "template 'order_update' (en_US): its parameters are {{1}} to {{n}}, none skipped (it has {{1}}, {{3}})"
    assert call("refusedTemplate", message) == {"name": "order_update", "language": "en_US"}
    assert call("refusedTemplate", "at most 100 templates") is None


def test_the_templates_in_the_conversations_language_come_first():
    saved = [{**row(name="welcome", language="en"), "parameters": 2}, {**row(language="ja"), "parameters": 2},
             {**row(), "parameters": 2}, {**row(name="delay", language="ja_JP"), "parameters": 2}]
    picked = call("choices", saved, "ja")
    assert [(t["name"], t["language"]) for t in picked] == [
        ("delay", "ja_JP"), ("order_update", "ja"), ("order_update", "en_US"), ("welcome", "en")]
    assert call("chosenTemplate", saved, "order_update|en_US") == {**row(), "parameters": 2}
    assert call("chosenTemplate", saved, "order_update|fr") is None
    # a template from an older answer without its count: counted here
    assert call("normalTemplate", row())["parameters"] == 2


@pytest.mark.parametrize(("values", "problem"), [
    (["Aya"], {"problem": "blank", "n": 2}),
    (["Aya", "   "], {"problem": "blank", "n": 2}),
    (["Aya", "A-1\t001"], {"problem": "lineBreak", "n": 2}),
    (["Aya\nSato", "A-1001"], {"problem": "lineBreak", "n": 1}),
    (["Aya     Sato", "A-1001"], {"problem": "spaces", "n": 1}),
    (["Aya", "x" * 1025], {"problem": "tooLong", "n": 2, "over": 1, "max": 1024}),
])
def test_parameters_whatsapp_refuses_are_refused_before_sending(values, problem):
    assert call("parametersProblem", {**row(), "parameters": 2}, values) == problem


def test_parameters_whatsapp_takes_pass_and_are_sent_trimmed_with_the_key():
    template = {**row(), "parameters": 2}
    assert call("parametersProblem", template, ["Aya    Sato", " A-1001 "]) is None  # four spaces in a row are fine
    assert call("parametersProblem", {**row(body="Thanks!"), "parameters": 0}, []) is None
    assert call("templateReplyBody", template, [" Aya ", "A-1001", "left over"], KEY) == {
        "name": "order_update", "language": "en_US", "parameters": ["Aya", "A-1001"], "idempotency_key": KEY}


def test_the_same_template_and_parameters_asked_again_carry_the_same_key():
    template = {**row(), "parameters": 2}
    first = call("pendingTemplateAttempt", None, template, ["Aya", "A-1001"], KEY)
    assert first == {"name": "order_update", "language": "en_US", "parameters": ["Aya", "A-1001"], "key": KEY}
    # a double click, a retry, a refresh: the key kept is sent again (a space more or less is the same attempt)
    assert call("pendingTemplateAttempt", first, template, ["Aya ", "A-1001"], "another-key-1")["key"] == KEY
    # other parameters, or another template: another attempt, another key
    assert call("pendingTemplateAttempt", first, template, ["Ken", "A-1001"], "another-key-1")["key"] == "another-key-1"
    assert call("pendingTemplateAttempt", first, {**template, "language": "ja"}, ["Aya", "A-1001"],
                "another-key-1")["key"] == "another-key-1"
    # a damaged entry is no attempt
    assert call("pendingTemplateAttempt", {**first, "key": "x"}, template, ["Aya", "A-1001"],
                "another-key-1")["key"] == "another-key-1"


def test_only_a_whatsapp_conversation_past_24_hours_is_only_templates():
    closed = {"open": False, "reason": "whatsapp_window_closed"}
    assert call("onlyTemplates", {"platform": "whatsapp", "reply_window": closed}) is True
    assert call("onlyTemplates", {"platform": "whatsapp", "reply_window": {"open": True}}) is False
    assert call("onlyTemplates", {"platform": "messenger", "reply_window": {
        "open": False, "reason": "human_agent_window_closed"}}) is False
    assert call("templateOf", {"text": "Hi", "template": {"name": "order_update", "language": "en_US"}}) == {
        "name": "order_update", "language": "en_US"}
    assert call("templateOf", {"text": "Hi"}) is None


def test_every_word_of_the_templates_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang])"
              ".filter(([key]) => /^(templates\\.|templateReply\\.|nav\\.templates$|reply\\.templateBadge$|"
              "error\\.(template_unsupported|unknown_template|invalid_template_parameters|invalid_templates)$)/.test(key)))]))));")
    base = {key.removesuffix(".one") for key in out["en"]}
    assert base == set(out["ja"]), base ^ set(out["ja"])
    assert len(out["en"]) > 60
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip(), (lang, key)
    assert out["en"]["nav.templates"] == "WhatsApp templates"
    assert out["en"]["templateReply.title"] == "Send a template"
    for lang in ("en", "ja"):
        assert "{example}" in out[lang]["templates.bodyHint"] and "{missing}" in out[lang]["templates.problem.skipped"]
        assert "{{1}}" in out[lang]["templates.exactHint"]
        for key in ("templates.problem.badName", "templates.problem.twice", "templateReply.problem.blank"):
            assert "{n}" in out[lang][key], (lang, key)
