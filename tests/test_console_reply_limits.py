"""The reply box counts a draft as the API does: console/src/reply_limits.js, run by node, gives the same length as
chalicelib/domain/reply_limits.py for the same texts in each unit (so the console never says "fits" of a reply the
API would refuse as text_too_long, nor the other way round); and X's weighted count is X's, checked against the
official twitter-text library (a console dev dependency: node_modules holds it once `make console` has run)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from chalicelib.domain import reply_limits
from support import ROOT

SAMPLES = [
    "", "Thanks, we are on it", "1\u20e3 1\ufe0f\u20e3 keycaps", "\u00a9\ufe0f \u00ae\ufe0f", "\u0915\u094d\u200d\u0937",
    "\U0001f3fd alone", "a\u200db", "see https://x.com/a. and https://otters.uk, ok", "http://otters",
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "﻿zero width no-break", "ｶﾞｷﾞｸﾞ" * 20,
    "返信が遅くなり申し訳ございません。ご注文番号を DM でお知らせください🙇‍♀️ https://example.co.jp/help?q=1", "a" * 281, "ご注文の件、確認いたします", "ｱｲｳｴｵ", "“quoted” — ok…",
    "see https://example.com/a/very/long/path?with=query and http://x.co", "👍", "👍🏽 thanks", "👩‍👩‍👧‍👦",
    "🇯🇵🇺🇸 flags", "❤️", "e\u0301", "café", "한국어 답변", "中文回复", "😀" * 3, "tab\tand\nnewline",
    "1️⃣ keycap", "mixed ASCII と日本語 https://t.co/abc 🎉",
]
UNITS = ["characters", "bytes", "utf16", "weighted"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node builds the console; without it there is no console")
def test_the_console_counts_every_unit_as_the_api_does():
    script = (
        "const m = await import(process.argv[1]);"
        "const [samples, units] = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(samples.map((s) => units.map((u) => m.measure(s, u)))));")
    module = (ROOT / "console" / "src" / "reply_limits.js").as_uri()
    result = subprocess.run(["node", "--input-type=module", "-e", script, module, json.dumps([SAMPLES, UNITS])],
                            capture_output=True, text=True, timeout=60, check=True)
    counted = json.loads(result.stdout)
    expected = [[reply_limits.TextLimit(1, unit).measure(sample) for unit in UNITS] for sample in SAMPLES]
    assert counted == expected


# texts with no link lacking https:// (X counts such a link 23; here it counts as typed, never more than X)
X_ORACLE = [s for s in SAMPLES if s] + ["🙇‍♀️" * 70, "x" * 280 + "🎉", "日本語" * 47]
BARE_LINKS = ["ab.cd", "visit example.com now", "file.py and node.js", "readme.md", "t.co/abc", "www.flutter.dev!"]
ORACLE = ROOT / "console" / "node_modules" / "twitter-text"


@pytest.mark.skipif(shutil.which("node") is None or not ORACLE.exists(),
                    reason="the official twitter-text comes with the console's dev dependencies (make console)")
def test_xs_weighted_count_is_the_official_twitter_texts():
    script = (
        "const { default: tt } = await import('twitter-text');"  # found from console/, where node runs
        "console.log(JSON.stringify(JSON.parse(process.argv[1]).map((s) => tt.parseTweet(s).weightedLength)));")
    official = json.loads(subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(X_ORACLE + BARE_LINKS)], cwd=ROOT / "console",
        capture_output=True, text=True, timeout=60, check=True).stdout)
    ours = [reply_limits.x_weighted_length(s) for s in X_ORACLE + BARE_LINKS]
    assert ours[:len(X_ORACLE)] == official[:len(X_ORACLE)]
    # a link without https:// counts as typed: never more than X says, so the API refuses only what X would
    assert all(mine <= theirs for mine, theirs in zip(ours[len(X_ORACLE):], official[len(X_ORACLE):]))
