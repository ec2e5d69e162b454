"""Text normalization and feature extraction shared by training and the Lambda runtime.

scikit-learn's vectorizer is given `analyze` as its analyzer, so the runtime scorer and the
training pipeline see exactly the same features by construction (pure Python, no numpy).
"""

from __future__ import annotations

import html
import re
import unicodedata

# Word n-grams make explanations readable; character n-grams carry typos, hashtags and Japanese
# (no spaces). Short n-grams of Latin text only learn a writer's style, so those start at 3.
CHAR_NGRAM_RANGE = (3, 5)
CJK_CHAR_NGRAM_RANGE = (1, 3)
WORD_NGRAM_RANGE = (1, 2)
MAX_TEXT_CHARS = 2_000  # a 20k-character rant decides no more than its first screenful
# Japanese text also gets this feature: its own bias, so the label mix of the Japanese rows does not move the
# English decisions through the shared intercept. Not a piece of the text, so never shown as a deciding term.
JAPANESE_FEATURE = "l:ja"
NOT_FROM_TEXT = "l:"

_URL = re.compile(r"(?:https?://|www\.)\S+")
# X and Instagram handles are ASCII (Instagram's may hold dots); "@上の人" is words, not a handle.
MENTION = re.compile(r"@[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
MENTIONS = re.compile(rf"{MENTION.pattern}(?:\s+{MENTION.pattern})*")  # a run of them: a reply's thread
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z'’]*[a-z]|[a-z]|[#@][\w]+")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


def normalize(text: str) -> str:
    """Fold the surface noise of social text: HTML entities, widths, case, links, numbers, and each run of
    mentions to the kinds of account it names, once each (`@user`, `@support`...): whom a reply answers, and how
    deep in a thread, says nothing of what it is about, and a thread's handles outweighed a short reply's words."""
    text = html.unescape(text[:MAX_TEXT_CHARS])
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).lower()
    text = _URL.sub(" http ", text)
    text = MENTIONS.sub(_kinds, text)
    text = _DIGITS.sub("0", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def has_cjk(token: str) -> bool:
    """Whether the token has kana, a CJK ideograph (or extension A), a compatibility ideograph or half-width
    katakana: it then gets the short character n-grams. Checked by code point rather than with a regex
    character class, which `re` compiles by visiting each of its ~45,000 code points (~3 ms per cold start)."""
    if token.isascii():
        return False
    for ch in token:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF66 <= code <= 0xFF9F:
            return True
    return False


_ACCOUNT_CUES = ("support", "help", "care", "service", "ask")
_MENTION_MARKERS = frozenset(f"@{kind}" for kind in (*_ACCOUNT_CUES, "user"))


def _kinds(run: re.Match) -> str:
    kinds = dict.fromkeys(_handle_kind(handle) for handle in MENTION.findall(run.group(0)))
    return " " + " ".join(f"@{kind}" for kind in kinds) + " "


def _handle_kind(handle: str) -> str:
    """What kind of account a handle names (support accounts are telling); it stands in for the handle."""
    for cue in _ACCOUNT_CUES:
        if cue in handle:
            return cue
    return "user"


def analyze(text: str) -> list[str]:
    """Features of one message: `w:` word uni/bi-grams, `c:` in-token character n-grams, and `l:ja` for Japanese."""
    norm = normalize(text)
    feats: list[str] = []
    words = _WORD.findall(norm)
    lo, hi = WORD_NGRAM_RANGE
    for n in range(lo, hi + 1):
        for i in range(len(words) - n + 1):
            feats.append("w:" + " ".join(words[i:i + n]))
    japanese = False
    for token in norm.split():
        if token in _MENTION_MARKERS:  # a mention's kind is one word feature, not a run of character n-grams
            continue
        cjk = has_cjk(token)
        japanese = japanese or cjk
        lo, hi = CJK_CHAR_NGRAM_RANGE if cjk else CHAR_NGRAM_RANGE
        padded = f" {token} "
        size = len(padded)
        for n in range(lo, min(hi, size) + 1):
            for i in range(size - n + 1):
                feats.append("c:" + padded[i:i + n])
    if japanese:
        feats.append(JAPANESE_FEATURE)
    return feats
