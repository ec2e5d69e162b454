"""Features of a message (chalicelib/classifier/features.py): a mention reads as the kind of account it names."""

from __future__ import annotations

import pytest

from chalicelib.classifier.features import analyze, normalize

STANCE = "your statement on the strike is cowardly, I am done with this brand"


def test_a_run_of_mentions_becomes_the_kinds_of_account_it_names_once_each():
    """GIVEN handles of people, of support accounts, and anonymised ones WHEN normalized THEN each run of them is
    the kinds it names, once each: how deep in a thread a reply sits says nothing of what it is about."""
    assert normalize("@kenji_0412 @Mari.T you caved") == "@user you caved"
    assert normalize("@SkylarkAirHelp where is my bag?") == "@help where is my bag?"
    assert normalize("@SkylarkAirHelp @jen_k @SkylarkAir where is my bag?") == "@help @user where is my bag?"
    assert normalize("@user @USER lol @ana_1") == "@user lol @user"
    assert normalize("thanks @delta.") == "thanks @user ."  # the full stop ends the sentence, not the handle


@pytest.mark.parametrize("prefix", ["@kenji_0412 ", "@mayu88 @dan_w ", "@ringo.tk @nao_1 @sam_lee "])
def test_whom_a_reply_answers_adds_its_kind_and_nothing_of_its_name(prefix):
    """GIVEN one message sent as replies to different people, deeper and deeper in a thread WHEN analyzed THEN the
    features are the same, and differ from the bare message only by the `@user` word and its bigram."""
    assert analyze(prefix + STANCE) == analyze("@someone_else " + STANCE)
    added = set(analyze(prefix + STANCE)) - set(analyze(STANCE))
    assert added == {"w:@user", "w:@user your"}


def test_text_after_an_at_sign_that_is_no_handle_stays_words():
    """X and Instagram handles are ASCII: "@上の人" (to the person above) is read as Japanese text, and a handle
    written against Japanese text ends where the Latin letters do."""
    features = analyze("@上の人 それな")
    assert "c:上の" in features and "c:それな" in features
    assert normalize("@kanata_supportだけ返事がない") == "@support だけ返事がない"
