"""Label-free surface variants of Japanese corpus rows: copies that carry the noise real posts carry and say
nothing about what a message is for (a hashtag that names no issue, laughter, an emoji or kaomoji, a link,
a run of exclamation marks), added to the same share of each label's rows, so no label owns that noise.

The corpus writers put it mostly in community rows, and the model learned it: with `#拡散希望` after each held-out
Japanese message, stance accuracy fell from 0.88 to 0.58, the rest going to community. Real controversy threads
on X are written in exactly that noise. English rows are left as written: on real English messages the noise does
lean away from stance (a stance comment rarely carries a link or a hashtag), so there it is evidence.

Variants are made inside each training set (each fold's too), never in a set a model is scored on, so
cross-validation does not score a row against its own copy.
"""

from __future__ import annotations

import hashlib
import random
import string

from training.corpus import Example

SHARE = 0.2  # about this share of each label's Japanese rows gets one variant
SEED = 0
LANGUAGES = ("ja",)

# Kept apart from the edits tests/classifier/test_robustness.py applies: those show the model generalizes.
HASHTAGS = ("#拡散希望", "#拡散お願いします", "#RT希望", "#拡散", "#日常", "#つぶやき", "#独り言", "#本音", "#悲報",
            "#速報", "#朗報", "#どうでもいい話", "#話題", "#トレンド", "#今日の一言", "#雑談", "#愚痴", "#急募")
LAUGHTER = ("ｗ", "ｗｗ", "ｗｗｗｗ", "www", "笑", "（笑）", "草", "草生える", "ワロタ", "大草原")
EMOJI = ("😂", "🤣", "😭", "😅", "🙏", "✨", "💢", "😡", "🥺", "👀", "🔥", "💦", "🤔", "😇", "🙄")
KAOMOJI = ("(´・ω・｀)", "(^^;", "(・∀・)", "( ˘ω˘ )", "(*´艸`)", "┐(´д`)┌", "orz", "(´Д`)", "(￣▽￣)", "(>_<)")
EXCLAMATIONS = ("！！", "!!", "！？", "!!!", "！！！")


def _link(rng: random.Random) -> str:
    slug = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))
    return rng.choice(("https://t.co/", "https://x.com/i/status/", "https://bit.ly/")) + slug


def noisy(text: str, rng: random.Random) -> str:
    """The text with one or two pieces of label-free noise, where posts put them (mostly at the end)."""
    edits = rng.sample(("hashtag", "laughter", "emoji", "kaomoji", "link", "exclamation"), rng.choice((1, 1, 2)))
    for edit in edits:
        if edit == "hashtag":
            tag = rng.choice(HASHTAGS)
            text = f"{tag} {text}" if rng.random() < 0.2 else f"{text} {tag}"
        elif edit == "link":
            text = f"{text} {_link(rng)}"
        else:
            pool = {"laughter": LAUGHTER, "emoji": EMOJI, "kaomoji": KAOMOJI, "exclamation": EXCLAMATIONS}[edit]
            text = text + rng.choice(pool)
    return text


def surface_variants(examples: list[Example], share: float | None = None, seed: int = SEED) -> list[Example]:
    """A noisy copy of about `share` of the rows in LANGUAGES, in their order. Whether a row gets one, and which,
    depends only on its text: a fold's variants are the variants of its rows (and share one embedding cache)."""
    share = SHARE if share is None else share
    variants = []
    for row in examples:
        if row.lang not in LANGUAGES:
            continue
        digest = hashlib.sha256(f"{seed}\0{row.text}".encode()).digest()
        if int.from_bytes(digest[:8], "big") < share * 2**64:
            variants.append(Example(noisy(row.text, random.Random(digest)), row.label, row.lang))
    return variants


def with_surface_variants(examples: list[Example], share: float | None = None) -> list[Example]:
    """The rows, then their variants: what a model is fitted on."""
    return list(examples) + surface_variants(examples, share)
