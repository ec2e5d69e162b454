"""training.tools.remap_handles: invented "...ish" handles become the shared brands' handles, people's stay."""

from __future__ import annotations

import json
import re

from training.corpus import load_corpus
from training.tools.remap_handles import PLAIN, SUPPORT, is_brand, remap, target

INVENTED = re.compile(r"@\w+ish\b")


def test_invented_handles_map_to_shared_ones_keeping_kind_and_language():
    text = "@AmazonHelpish where is my parcel? cc @Spotifyish"
    out = remap(text, "en")
    first, second = re.findall(r"@\w+", out)
    assert first in SUPPORT["en"] and second in PLAIN["en"]
    assert out == f"{first} where is my parcel? cc {second}"
    assert remap("@RakutenHelpish 返金まだ？", "ja").split()[0] in SUPPORT["ja"]
    assert remap(text, "en") == out == remap(out, "en")  # deterministic and idempotent


def test_people_and_real_brand_handles_are_left_alone_by_default():
    text = "@jen_k @user @gavin.r.holt @Karen_K_Lopez @DirkHolloway @kim_88 @JetBlue ok"
    assert remap(text, "en") == text
    assert not any(is_brand(h) for h in ("jen_k", "user", "gavin.r.holt", "Karen_K_Lopez", "DirkHolloway", "kim_88"))
    assert remap("@JetBlue ok", "en", all_brands=True).split()[0] in PLAIN["en"]


def test_a_shared_handle_maps_to_itself():
    for lang in ("en", "ja"):
        for handle in SUPPORT[lang] + PLAIN[lang]:
            assert remap(f"{handle} hi", lang, all_brands=True) == f"{handle} hi"
    assert target("AmazonHelpish", "en") == target("amazonhelpish", "en")


def test_the_corpus_has_no_invented_ish_handles():
    found = sorted({m for e in load_corpus() for m in INVENTED.findall(e.text) if is_brand(m[1:])})
    assert not found, f"run python -m training.tools.remap_handles on the corpus: {found[:20]}"


def test_the_command_rewrites_files_in_place(tmp_path):
    from training.tools.remap_handles import main

    path = tmp_path / "rows.jsonl"
    rows = [{"text": "@Netflixish app crashes", "label": "customer_service", "lang": "en"},
            {"text": "@jen_k lol same", "label": "community", "lang": "en"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main([str(path)]) == 0
    out = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert out[0]["text"].split()[0] in PLAIN["en"] and out[1] == rows[1]
    assert [r["label"] for r in out] == [r["label"] for r in rows]
