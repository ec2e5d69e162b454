"""Groups for cross-validation that does not flatter: rows about one brand (or, naming none, one topic) share a fold.

Stratified folds scatter a brand's rows over train and test, so a model that learned "this brand is a
customer_service brand" scores well on its test rows without reading them. Grouping keeps every row of a brand on
one side. A row's group is the first brand it names: a brand-like handle (training.tools.remap_handles.is_brand)
without its support-account ending (@SkylarkAirHelp and @SkylarkAir are one brand), else a capitalized word the
corpus never writes in lower case (a proper noun: Fernhill, Costhaven), else one of the shared Japanese brand
names; a row that names no brand is grouped by its issue word (training.tools.prune_unnamed_stance.ISSUE, a few
Japanese ones) or, naming none, stands alone.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from training.corpus import Example
from training.tools.prune_unnamed_stance import ISSUE
from training.tools.remap_handles import SHARED, is_brand

_HANDLE = re.compile(r"@(\w[\w.]*\w|\w)")
_ACCOUNT_ENDING = re.compile(r"(_?(help|support|care|cares|cs|service|official|info|jp|pr|status|hq|uk|us|usa|ish))+$")
_ASK = re.compile(r"^ask_?")
_WORD = re.compile(r"[A-Za-z][a-z]+(?:[A-Z][a-z]+)*")
JA_BRANDS = ("さくらモバイル", "ひかり銀行", "モリノ珈琲", "ツバメ航空", "まるやマート", "ポケットペイ", "フクロウ書店",
             "ミナトフード", "コトハ化粧品", "ハヤテ配送", "ルミナ", "カナタ", "ほしぞらTV", "タマゴ電気")
JA_TOPICS = ("LGBT", "ジェンダー", "不買", "炎上", "差別", "政治", "戦争", "環境", "値上げ", "人権", "ボイコット", "フェミ")


def brand_stem(handle: str) -> str:
    stem = _ACCOUNT_ENDING.sub("", _ASK.sub("", handle.lower()))
    return stem.replace("_", "") or handle.lower()


def groups(examples: Sequence[Example]) -> list[str]:
    lower_words = Counter(w for e in examples for w in re.findall(r"\b[a-z]+\b", e.text))
    out = []
    for i, e in enumerate(examples):
        out.append(_group(e.text, lower_words) or f"row:{i}")
    return out


def _group(text: str, lower_words: Counter) -> str | None:
    for handle in _HANDLE.findall(text):
        if handle.lower() in SHARED or is_brand(handle):
            return "brand:" + brand_stem(handle)
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word[0].isupper() and len(word) > 3 and not lower_words[word.lower()]:
            return "brand:" + word.lower()
    for name in JA_BRANDS:
        if name in text:
            return "brand:" + name
    issue = ISSUE.search(text)
    if issue:
        return "topic:" + issue.group(0).lower()
    for topic in JA_TOPICS:
        if topic in text:
            return "topic:" + topic
    return None
