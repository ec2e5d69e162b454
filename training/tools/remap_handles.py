"""Replace brand handles in corpus rows with the shared fictional brands' handles, deterministically.

    python -m training.tools.remap_handles [--all-brands] FILE.jsonl [...]   (rewrites the files in place)

Writers invented handles with a made-up "...ish" ending (@AmazonHelpish) that no real account has. Each is mapped
to one of the shared brands' handles (corpus_out/BRANDS.md, listed below) by a hash of the handle, within the
row's language and keeping its kind (a help/support/care account stays one), so the shared handles end up under
every label. With --all-brands every brand-like handle is mapped, the real brands' too (@JetBlue); measured on
dev_real that costs more than it gains (real messages are addressed to real handles), so it is not the default.
People's handles (@jen_k, @user, @gavin.r.holt, handles with digits, First_Last) are never touched, nor is anything
else in the text. Idempotent: a shared handle maps to itself. Standard library only.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from pathlib import Path

SUPPORT = {
    "en": ["@SkylarkAirHelp", "@AskNorthpeak", "@KitemarkCare", "@BrightcartHelp", "@VeloSupport", "@LoomlyCare",
           "@OrbitStreamHelp", "@PixelForgeSupport", "@MeridianHelp"],
    "ja": ["@sakura_mobile_support", "@pocketpay_help", "@kanata_support"],
}
PLAIN = {
    "en": ["@SkylarkAir", "@NorthpeakBank", "@KitemarkMobile", "@Brightcart", "@HarborCoffee", "@VeloRide",
           "@LoomlyFashion", "@OrbitStream", "@PixelForge", "@GreenleafFoods", "@JuniperBeauty", "@CastlerockOutdoors",
           "@TesseraHQ", "@BoltBurger", "@MeridianEnergy", "@AtlasClub"],
    "ja": ["@sakura_mobile", "@hikaribank_official", "@morino_coffee", "@tsubame_air", "@tsubame_air_info",
           "@maruyamart_jp", "@pocketpay_jp", "@fukurou_books", "@minato_food", "@kotoha_cosme", "@hayate_delivery",
           "@lumina_jp", "@kanata_game", "@hoshizora_tv", "@tamago_denki"],
}
SHARED = {h[1:].lower() for pool in (*SUPPORT.values(), *PLAIN.values()) for h in pool}
_HANDLE = re.compile(r"@(\w[\w.]*\w|\w)")  # with inner dots: @gavin.r.holt is a person
_SUPPORT_CUE = re.compile(r"(help|support|care|cares|service|_cs|cs$|^ask)", re.I)
_BRAND_SUFFIX = re.compile(r"(official|_jp|jp$|hq$|ish$|_info|status$|news$|tv$|app$|_uk$|uk$|us$|usa$)", re.I)
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]+|[a-z]+")
SECTOR = frozenset("""air airways airlines airline jet fly flyte wings wing skies bank mobile telecom tel net fibre
fiber energy power grid coffee burger pizza taco donut cafe mart market mkt grocer basket foods food beer lager games
game play station box stream tv news media maps rail line bus cab ride lift pay cash coin home outlet stores store shop
club wear apparel cosme beauty denki delivery ship express post tech labs software co inc group motors auto insurance
health pharmacy fitness gym hotel hotels travel kitchen books music conveni jewelry fashion water serve link
mall connect cola airlink house transit""".split())


def is_brand(handle: str) -> bool:
    """A handle (without @) that names a company account rather than a person: a support cue, a company-ish
    ending, a sector word among the parts of a mixed-case handle, or one capitalized word (@Quorra, @Delta). @jen_k, @user, handles
    with digits and multi-part names without a sector word (@DirkHolloway, @Karen_K_Lopez) are people."""
    if handle.lower() in SHARED or any(ch.isdigit() or ch == "." for ch in handle) or not handle.isascii():
        return False
    if _SUPPORT_CUE.search(handle) or _BRAND_SUFFIX.search(handle):
        return True
    parts = [p.lower() for p in _PART.findall(handle)]
    if not handle.islower() and any(p in SECTOR for p in parts):  # mixed case: @CoralAirways, @Kurenai_Games
        return True
    return handle[0].isupper() and len(parts) == 1  # one capitalized word: @Quorra, @Delta, @USPS


def target(handle: str, lang: str) -> str:
    pools = SUPPORT if _SUPPORT_CUE.search(handle) else PLAIN
    pool = pools["ja" if lang == "ja" else "en"]
    return pool[zlib.crc32(handle.lower().encode()) % len(pool)]


def remap(text: str, lang: str, all_brands: bool = False) -> str:
    def replace(match: re.Match) -> str:
        handle = match.group(1)
        wanted = is_brand(handle) and (all_brands or handle.lower().endswith("ish"))
        return target(handle, lang) if wanted else match.group(0)

    return _HANDLE.sub(replace, text)


def main(argv: list[str]) -> int:
    all_brands = "--all-brands" in argv
    paths = [a for a in argv if a != "--all-brands"]
    changed = 0
    for name in paths:
        path = Path(name)
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            text = remap(row["text"], row.get("lang", "en"), all_brands)
            changed += text != row["text"]
            out.append(json.dumps({**row, "text": text}, ensure_ascii=False))
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"rows changed={changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
