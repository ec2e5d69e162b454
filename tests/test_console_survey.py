"""The console's satisfaction survey (console/src/survey.js and automatic_texts.js, run by node): the body it sends to
PUT /satisfaction-survey, what it refuses before asking the API, the suggested texts a survey never saved starts from,
a conversation's `satisfaction` as it is shown, the stars beside a score, which automatic reply is which; and every
word of it in English and Japanese."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")

SURVEY = (ROOT / "console" / "src" / "survey.js").as_uri()
TEXTS = (ROOT / "console" / "src" / "automatic_texts.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()
SUGGESTED = "How did we do? Reply with a number from 1 (poor) to 5 (great)."
SUGGESTED_JA = "今回の対応はいかがでしたか？1（不満）〜5（満足）の数字で返信してください。"


def run(script: str, *args: str):
    """`script`'s JSON output; `survey`, `texts` and `messages` are the console's modules."""
    prelude = (f"const survey = await import({json.dumps(SURVEY)});"
               f"const texts = await import({json.dumps(TEXTS)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(module: str, name: str, *args):
    """<module>.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify({module}[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def form(enabled=True, text=SUGGESTED, ja="", en=""):
    return {"enabled": enabled, "text": text, "translations": {"ja": ja, "en": en}}


def test_the_body_carries_the_revision_read_and_leaves_a_blank_translation_out():
    assert call("survey", "surveyBody", form(ja=SUGGESTED_JA, en=" "), 2) == {
        "enabled": True, "text": SUGGESTED, "translations": {"ja": SUGGESTED_JA}, "rev": 2}
    assert call("survey", "surveyBody", form(enabled=False, text=""), 0) == {
        "enabled": False, "text": "", "translations": {}, "rev": 0}


def test_a_text_too_long_or_turning_it_on_without_a_default_text_is_refused_before_asking():
    assert call("survey", "surveyProblem", form()) is None
    assert call("survey", "surveyProblem", form(ja="評" * 1001)) == {"problem": "tooLong", "field": "ja", "over": 1}
    assert call("survey", "surveyProblem", form(text=" \n", ja=SUGGESTED_JA)) == {"problem": "textNeeded", "field": "text"}
    assert call("survey", "surveyProblem", form(enabled=False, text="")) is None  # no business hours needed, ever


def test_a_survey_never_saved_starts_from_the_suggested_texts_and_off():
    never = {"enabled": False, "text": "", "translations": {}, "updated_by": None, "updated_at": None, "rev": 0}
    assert call("survey", "surveyFormOf", never) == form(enabled=False, ja=SUGGESTED_JA)
    saved = {"enabled": True, "text": "Rate us", "translations": {"en": "Rate us 1-5"}, "updated_by": "manager:Mana",
             "updated_at": "2026-12-06T01:00:00Z", "rev": 3}
    assert call("survey", "surveyFormOf", saved) == form(text="Rate us", en="Rate us 1-5")
    # saved blank on purpose: kept blank
    assert call("survey", "surveyFormOf", {**saved, "enabled": False, "text": "", "translations": {}}) == form(
        enabled=False, text="")
    # the suggested texts put in on demand leave the English one and the tick as they are
    assert call("survey", "withSuggestedTexts", form(enabled=False, text="x", ja="y", en="z")) == form(
        enabled=False, ja=SUGGESTED_JA, en="z")


def test_a_conversations_satisfaction_is_read_as_sent_or_rated():
    sent = "2026-12-06T01:00:00Z"
    assert call("survey", "ratingOf", {"id": "c"}) is None
    assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent}}) == {
        "score": None, "sentAt": sent, "ratedAt": None, "messageId": None}
    assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent, "score": 4, "rated_at": sent,
                                                        "message_id": "m2"}}) == {
        "score": 4, "sentAt": sent, "ratedAt": sent, "messageId": "m2"}
    for score in (0, 6, "5", 4.5):  # nothing the contract allows: read as not rated
        assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent, "score": score}})["score"] is None


def test_a_score_is_five_stars_filled_and_empty():
    assert call("survey", "stars", 4) == "★★★★☆"
    assert call("survey", "stars", 5) == "★★★★★"
    assert call("survey", "stars", None) == "☆☆☆☆☆"


def test_each_automatic_reply_is_told_apart_by_who_sent_it():
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:survey"}) == "survey"
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:away"}) == "away"
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:rule"}) == "rule"
    assert call("texts", "automaticKind", {"automatic": True}) == "away"  # before replies named their sender
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:later"}) == "other"
    assert call("texts", "automaticKind", {"by": "agent:Aiko (0a1b63147c8b155f)"}) is None


def test_a_survey_text_too_long_refusal_is_read_as_the_away_messages():
    assert call("texts", "tooLongRefusal", "the en text is too long for a direct message on x") == {
        "field": "en", "platform": "x"}


def test_every_word_of_the_survey_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang])"
              ".filter(([key]) => /^(survey\\.|texts\\.|satisfaction\\.|nav\\.survey$|reply\\.automatic|"
              "stats\\.(survey|ratings|rating|satisfied|average|noRatings|byScore|scoreCount)|people\\.rating)/.test(key)))]))));")
    assert set(out["en"]) == set(out["ja"]), set(out["en"]) ^ set(out["ja"])
    assert len(out["en"]) > 40
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip(), (lang, key)
    assert out["en"]["reply.automaticSurvey"] == "Automatic reply (satisfaction survey)"
    assert out["en"]["survey.enabled"] == "Send a satisfaction survey when a direct message conversation is resolved"
    assert out["en"]["satisfaction.rated"] == "Customer rating: {score} / {max}"
    for lang in ("en", "ja"):
        assert "{token}" in out[lang]["survey.textHint"] and "{language}" in out[lang]["survey.translationHint"]
        assert "{platform}" in out[lang]["survey.error.tooLongFor"] and "{field}" in out[lang]["survey.error.tooLong"]
        assert "{at}" in out[lang]["satisfaction.sent"]
