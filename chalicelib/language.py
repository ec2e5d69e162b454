"""Cheap language detection: `ja`, `en` or `other`, by script and a few English function words."""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z']+")
_URL_OR_HANDLE = re.compile(r"https?://\S+|[@#]\w+")
_ENGLISH = frozenset(
    "the a an and or but to of in on for with is are was were be been it this that my your you i we they he she "
    "not no do does did have has had can will would just me our at from so what why how when where please thanks "
    "thank hi hello hey". split()
)


def detect_language(text: str) -> str:
    text = _URL_OR_HANDLE.sub(" ", text)
    if _KANA.search(text):
        return "ja"
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    han = len(_HAN.findall(text))
    if han and han >= len(words):
        return "ja"  # kanji-only snippets from a Japanese audience; Chinese is rarer in this inbox
    if words and (sum(w in _ENGLISH for w in words) / len(words) >= 0.15 or len(words) <= 3):
        return "en"
    return "other"
