"""The committed model reads what a message says, not whom it answers: replies on X and Instagram start with the
handles of the thread (`@author @other ...`), so a stance reply in a crisis thread must stay stance."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TriageModel
from training.corpus import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = sorted((ROOT / "training" / "heldout").glob("*.jsonl"))  # written for the project, never trained on
REPLIES = ["@kenji_0412 ", "@mayu88 @dan_w ", "@ringo.tk @nao_1 @sam_lee "]
MOST_MOVED = 0.05  # share of held-out messages whose label a reply's handles may change


@pytest.fixture(scope="module")
def scored():
    model = TriageModel.load(DEFAULT_MODEL_PATH)
    rows = [row for path in HELD_OUT for row in read_jsonl(path)]
    return model, rows, [model.classify(row.text).category for row in rows]


@pytest.mark.parametrize("reply", REPLIES)
def test_the_handles_a_reply_starts_with_rarely_change_its_label(scored, reply):
    """GIVEN held-out messages in English and Japanese WHEN each is sent as a reply in a thread THEN at most a few
    change label (the model before mentions were read as their kind moved a third of them, most to community)."""
    model, rows, alone = scored
    moved = sum(model.classify(reply + row.text).category != label for row, label in zip(rows, alone))
    assert len(rows) > 1000 and moved <= MOST_MOVED * len(rows), f"{moved} of {len(rows)} changed label"


# Noise real Japanese posts carry around what they say; none of these strings is among training/augment.py's.
JAPANESE_NOISE = {
    "laughter": lambda text: text + "ｗｗｗｗｗ",
    "emoji": lambda text: text + "😆",
    "kaomoji": lambda text: text + "(；´Д｀)",
    "link": lambda text: text + " https://t.co/Zx81LmQp0a",
    "exclamations": lambda text: text + "！！！！",
    "hashtag after": lambda text: text + " #拡散求む",
    "hashtag before": lambda text: "#ひとりごと " + text,
}
MOST_MOVED_BY_NOISE = 0.05  # of the held-out Japanese messages


@pytest.fixture(scope="module")
def japanese(scored):
    """(model, [(held-out Japanese row, its label as written)])"""
    model, rows, alone = scored
    return model, [(row, label) for row, label in zip(rows, alone) if row.lang == "ja"]


@pytest.mark.parametrize("edit", JAPANESE_NOISE.values(), ids=JAPANESE_NOISE.keys())
def test_noise_around_a_japanese_message_rarely_changes_its_label(japanese, edit):
    """GIVEN held-out Japanese messages WHEN laughter, an emoji, a link, "!!!!" or a hashtag that names no issue is
    added THEN at most a few change label (before training/augment.py, a laugh moved 11% of them, most to community,
    so a stance post in a mocking thread read as fan chatter)."""
    model, rows = japanese
    moved = sum(model.classify(edit(row.text)).category != label for row, label in rows)
    assert len(rows) > 800 and moved <= MOST_MOVED_BY_NOISE * len(rows), f"{moved} of {len(rows)} moved"


def test_a_diary_hashtag_moves_fewer_japanese_messages_than_before_the_diary_rows(japanese):
    """GIVEN held-out Japanese messages WHEN a hashtag about the poster's day is added (words, not just noise: the
    corpus's community rows talked about their day far more often than its stance rows) THEN fewer than one in
    ten change label (before training/data's version 8 rows and the surface variants, 15% did, nearly all to
    community). Not yet as few as noise moves: the next corpus round's target."""
    model, rows = japanese
    moved = sum(model.classify(row.text + " #今日のできごと").category != label for row, label in rows)
    assert moved <= 0.10 * len(rows), f"{moved} of {len(rows)} moved"
