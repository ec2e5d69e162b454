"""The console's satisfaction survey (console/src/survey.js and automatic_texts.js, run by node): the body it sends to
PUT /satisfaction-survey (with the follow-up question asked after a rating of 1 to 3), what it refuses before asking the
API, the suggested texts a survey never saved starts from, a conversation's `satisfaction` as it is shown (with the
customer's comment), the stars beside a score, which automatic reply is which; and every word of it in English and
Japanese."""

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
FOLLOW_UP = "Sorry we let you down. What could we have done better?"
FOLLOW_UP_JA = "ご期待に沿えず申し訳ありません。改善すべき点があれば教えてください。"


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


def form(enabled=True, text=SUGGESTED, ja="", en="", follow_up="", follow_up_ja="", follow_up_en=""):
    return {"enabled": enabled, "text": text, "translations": {"ja": ja, "en": en},
            "followUp": {"text": follow_up, "translations": {"ja": follow_up_ja, "en": follow_up_en}}}


def test_the_body_carries_the_revision_read_and_leaves_a_blank_translation_out():
    assert call("survey", "surveyBody", form(ja=SUGGESTED_JA, en=" "), 2) == {
        "enabled": True, "text": SUGGESTED, "translations": {"ja": SUGGESTED_JA}, "rev": 2,
        "follow_up": "", "follow_up_translations": {}}
    assert call("survey", "surveyBody", form(enabled=False, text=""), 0) == {
        "enabled": False, "text": "", "translations": {}, "rev": 0, "follow_up": "", "follow_up_translations": {}}


def test_the_body_carries_the_follow_up_question_its_blank_translations_left_out():
    assert call("survey", "surveyBody", form(follow_up=FOLLOW_UP, follow_up_ja=FOLLOW_UP_JA, follow_up_en="  "), 4) == {
        "enabled": True, "text": SUGGESTED, "translations": {}, "rev": 4,
        "follow_up": FOLLOW_UP, "follow_up_translations": {"ja": FOLLOW_UP_JA}}
    # a translation without a default is sent as it is (the API takes it)
    assert call("survey", "surveyBody", form(follow_up_en="What went wrong?"), 1)["follow_up_translations"] == {
        "en": "What went wrong?"}
    # a form without one (an API from before the follow-up question, which would refuse the fields) sends none
    assert call("survey", "surveyBody", {"enabled": True, "text": "Rate us", "translations": {}, "followUp": None},
                1) == {"enabled": True, "text": "Rate us", "translations": {}, "rev": 1}


def test_a_text_too_long_or_turning_it_on_without_a_default_text_is_refused_before_asking():
    assert call("survey", "surveyProblem", form()) is None
    assert call("survey", "surveyProblem", form(ja="評" * 1001)) == {"problem": "tooLong", "field": "ja", "over": 1}
    assert call("survey", "surveyProblem", form(text=" \n", ja=SUGGESTED_JA)) == {"problem": "textNeeded", "field": "text"}
    assert call("survey", "surveyProblem", form(enabled=False, text="")) is None  # no business hours needed, ever


def test_a_follow_up_too_long_is_refused_before_asking_and_an_empty_one_is_not():
    assert call("survey", "surveyProblem", form(follow_up="")) is None  # empty: no follow-up is asked
    assert call("survey", "surveyProblem", form(follow_up="x" * 1001)) == {
        "problem": "tooLong", "field": "followUp", "over": 1}
    assert call("survey", "surveyProblem", form(follow_up=FOLLOW_UP, follow_up_ja="評" * 1002)) == {
        "problem": "tooLong", "field": "followUpJa", "over": 2}
    assert call("survey", "surveyProblem", form(follow_up_en="w" * 1003)) == {
        "problem": "tooLong", "field": "followUpEn", "over": 3}
    # the survey's own texts are looked at first, and one turned on without its text is still asked for
    assert call("survey", "surveyProblem", form(en="e" * 1001, follow_up="x" * 1001))["field"] == "en"
    assert call("survey", "surveyProblem", form(text="", follow_up=FOLLOW_UP)) == {"problem": "textNeeded", "field": "text"}
    # the away message's check is the same, never reading a follow-up
    assert call("texts", "tooLongProblem", form(ja="評" * 1001)) == {"problem": "tooLong", "field": "ja", "over": 1}
    assert call("texts", "tooLongProblem", form(follow_up="x" * 1001)) is None


def test_a_survey_never_saved_starts_from_the_suggested_texts_and_off():
    never = {"enabled": False, "text": "", "translations": {}, "follow_up": "", "follow_up_translations": {},
             "updated_by": None, "updated_at": None, "rev": 0}
    assert call("survey", "surveyFormOf", never) == form(enabled=False, ja=SUGGESTED_JA, follow_up=FOLLOW_UP,
                                                         follow_up_ja=FOLLOW_UP_JA)
    saved = {"enabled": True, "text": "Rate us", "translations": {"en": "Rate us 1-5"}, "updated_by": "manager:Mana",
             "follow_up": "What went wrong?", "follow_up_translations": {"ja": "何が問題でしたか？"},
             "updated_at": "2026-12-06T01:00:00Z", "rev": 3}
    assert call("survey", "surveyFormOf", saved) == form(text="Rate us", en="Rate us 1-5", follow_up="What went wrong?",
                                                         follow_up_ja="何が問題でしたか？")
    # saved blank on purpose: kept blank (no follow-up asked)
    assert call("survey", "surveyFormOf", {**saved, "enabled": False, "text": "", "translations": {}, "follow_up": "",
                                           "follow_up_translations": {}}) == form(enabled=False, text="")
    # an API from before the follow-up question: read as one with none
    assert call("survey", "surveyFormOf", {k: v for k, v in saved.items() if not k.startswith("follow_up")}) == form(
        text="Rate us", en="Rate us 1-5")
    # the suggested texts put in on demand, the follow-up's too, leave the English ones and the tick as they are
    assert call("survey", "withSuggestedTexts", form(enabled=False, text="x", ja="y", en="z", follow_up="f",
                                                     follow_up_ja="g", follow_up_en="h")) == form(
        enabled=False, ja=SUGGESTED_JA, en="z", follow_up=FOLLOW_UP, follow_up_ja=FOLLOW_UP_JA, follow_up_en="h")


def test_a_conversations_satisfaction_is_read_as_sent_or_rated():
    sent = "2026-12-06T01:00:00Z"
    assert call("survey", "ratingOf", {"id": "c"}) is None
    nothing_after = {"followUpSentAt": None, "comment": None, "commentedAt": None, "commentMessageId": None}
    assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent}}) == {
        "score": None, "sentAt": sent, "ratedAt": None, "messageId": None, **nothing_after}
    assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent, "score": 4, "rated_at": sent,
                                                        "message_id": "m2"}}) == {
        "score": 4, "sentAt": sent, "ratedAt": sent, "messageId": "m2", **nothing_after}
    for score in (0, 6, "5", 4.5):  # nothing the contract allows: read as not rated
        assert call("survey", "ratingOf", {"satisfaction": {"survey_sent_at": sent, "score": score}})["score"] is None


def test_a_low_rating_is_read_with_its_follow_up_and_the_customers_comment():
    sent, rated, asked, commented = ("2026-12-06T01:00:00Z", "2026-12-06T01:05:00Z", "2026-12-06T01:05:01Z",
                                     "2026-12-06T01:09:00Z")
    asked_only = {"survey_sent_at": sent, "score": 2, "rated_at": rated, "message_id": "m2", "follow_up_sent_at": asked}
    assert call("survey", "ratingOf", {"satisfaction": asked_only}) == {
        "score": 2, "sentAt": sent, "ratedAt": rated, "messageId": "m2", "followUpSentAt": asked, "comment": None,
        "commentedAt": None, "commentMessageId": None}
    comment = "The parcel came <b>broken</b> & late"
    answered = {**asked_only, "comment": comment, "commented_at": commented, "comment_message_id": "m3"}
    assert call("survey", "ratingOf", {"satisfaction": answered}) == {
        "score": 2, "sentAt": sent, "ratedAt": rated, "messageId": "m2", "followUpSentAt": asked, "comment": comment,
        "commentedAt": commented, "commentMessageId": "m3"}
    # the words only where the API gives them (erased, or the message not among those read): that it came is kept
    assert call("survey", "ratingOf", {"satisfaction": {**answered, "comment": None}}) == {
        "score": 2, "sentAt": sent, "ratedAt": rated, "messageId": "m2", "followUpSentAt": asked, "comment": None,
        "commentedAt": commented, "commentMessageId": "m3"}
    assert call("survey", "ratingOf", {"satisfaction": {**answered, "comment": 7}})["comment"] is None
    # nothing after a rating is read before one, and no words without the message they came in
    assert call("survey", "ratingOf", {"satisfaction": {**answered, "score": None}})["commentMessageId"] is None
    assert call("survey", "ratingOf", {"satisfaction": {**answered, "comment_message_id": None}})["comment"] is None


def test_a_score_is_five_stars_filled_and_empty():
    assert call("survey", "stars", 4) == "★★★★☆"
    assert call("survey", "stars", 5) == "★★★★★"
    assert call("survey", "stars", None) == "☆☆☆☆☆"


def test_each_automatic_reply_is_told_apart_by_who_sent_it():
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:survey"}) == "survey"
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:survey_follow_up"}) == "followUp"
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:away"}) == "away"
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:rule"}) == "rule"
    assert call("texts", "automaticKind", {"automatic": True}) == "away"  # before replies named their sender
    assert call("texts", "automaticKind", {"automatic": True, "by": "system:later"}) == "other"
    assert call("texts", "automaticKind", {"by": "agent:Aiko (0a1b63147c8b155f)"}) is None


def test_a_survey_text_too_long_refusal_is_read_as_the_away_messages():
    assert call("texts", "tooLongRefusal", "the en text is too long for a direct message on x") == {
        "field": "en", "platform": "x"}
    assert call("texts", "tooLongRefusal", "the text is too long for a direct message on telegram") == {
        "field": "text", "platform": "telegram"}


def test_a_follow_up_too_long_refusal_points_at_the_follow_ups_text():
    said = ("the follow-up's ja text is too long for a direct message on instagram (with a name of 50 characters "
            "filled in): 1200 bytes of 1000")
    assert call("texts", "tooLongRefusal", said) == {"field": "followUpJa", "platform": "instagram"}
    assert call("texts", "tooLongRefusal", "the follow-up's en text is too long for a direct message on x") == {
        "field": "followUpEn", "platform": "x"}
    assert call("texts", "tooLongRefusal", "the follow-up's text is too long for a direct message on whatsapp") == {
        "field": "followUp", "platform": "whatsapp"}
    assert call("texts", "tooLongRefusal", "The follow-up is too long") == {"field": "followUp", "platform": None}


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
    assert out["en"]["reply.automaticFollowUp"] == "Automatic reply (follow-up question)"
    assert out["en"]["survey.followUpTitle"] == "Follow-up question (after a rating of 1–3)"
    assert out["en"]["satisfaction.commentBadge"] == "Rating comment"
    assert out["en"]["satisfaction.followUpSent"] == "Asked what went wrong {at}"
    for lang in ("en", "ja"):
        assert "{token}" in out[lang]["survey.textHint"] and "{language}" in out[lang]["survey.translationHint"]
        assert "{platform}" in out[lang]["survey.error.tooLongFor"] and "{field}" in out[lang]["survey.error.tooLong"]
        assert "{at}" in out[lang]["satisfaction.sent"]
        assert "{at}" in out[lang]["satisfaction.followUpSent"] and "{comment}" in out[lang]["satisfaction.comment"]
        assert "{token}" in out[lang]["survey.followUpHint"]
        # a follow-up field named in a refusal (tooLongRefusal, surveyProblem) has its words
        for field in ("followUp", "followUpJa", "followUpEn"):
            assert out[lang][f"texts.field.{field}"].strip()
        for key in ("survey.followUp.ja", "survey.followUp.en", "survey.followUpIntro"):
            assert out[lang][key].strip()
