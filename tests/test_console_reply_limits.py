"""The reply box counts a draft as the API does: console/src/reply_limits.js, run by node, gives the same length as
chalicelib/domain/reply_limits.py for the same texts in each unit (so the console never says "fits" of a reply the
API would refuse as text_too_long, nor the other way round)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from chalicelib.domain import reply_limits
from support import ROOT

SAMPLES = [
    "", "Thanks, we are on it", "a" * 281, "ご注文の件、確認いたします", "ｱｲｳｴｵ", "“quoted” — ok…",
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
