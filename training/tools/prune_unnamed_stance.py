"""Drop short English stance rows that name no issue.

    python -m training.tools.prune_unnamed_stance FILE.jsonl [FILE.jsonl ...]   (rewrites the files in place)

The rule: an English row labelled stance, under 60 characters, with no word from ISSUE (the social, political or
cultural issue, or the act of taking a side on one: DEI, Pride, climate, a war, a boycott, a statement ...) and no
hashtag, is deleted. Half of the short stance rows written for the corpus were bare reactions ("Cowards.",
"Never again.") that teach the model that any curt complaint is stance; without the brand's post beside them a
reader cannot tell them from a service complaint or fan talk either. Rows are deleted, never rewritten.
Standard library only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

MAX_CHARS = 60
ISSUE = re.compile(
    r"(?i)\b(dei|d\.e\.i|diversity|divers|equity|inclusi\w*|woke|pride|lgbt\w*|gay|trans\w*|queer|rainbow|"
    r"rac(e|ism|ist\w*)|black|blm|white|civil rights|equal\w*|discriminat\w*|bigot\w*|hate|politic\w*|trump|maga|"
    r"elon|musk|conservative|liberal|left|right-wing|democrat\w*|republican\w*|government|administration|president|"
    r"election|vote|war|gaza|israel\w*|palestin\w*|ukrain\w*|russia\w*|immigra\w*|migrant\w*|refugee\w*|climate|"
    r"environment\w*|green|planet|plastic|carbon|union\w*|workers?|labor|labour|wages?|strike|sweatshop\w*|abortion|"
    r"gun\w*|women|feminis\w*|gender|juneteenth|gulf|america|mexico|censor\w*|free speech|privacy|boycott\w*|buycott|"
    r"values|stance|statement|allyship|ally|performative|christian\w*|faith|religio\w*|muslim\w*|jew\w*|antisemit\w*|"
    r"islamophob\w*|pronoun\w*|drag|bud light|rights|justice|inclusion|history month)\b"
)


def names_no_issue(text: str) -> bool:
    return len(text) < MAX_CHARS and "#" not in text and not ISSUE.search(text)


def should_drop(row: dict) -> bool:
    return row.get("label") == "stance" and row.get("lang") == "en" and names_no_issue(row["text"])


def main(paths: list[str]) -> int:
    dropped = 0
    for name in paths:
        path = Path(name)
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        kept = [line for line in lines if not should_drop(json.loads(line))]
        dropped += len(lines) - len(kept)
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    print(f"rows dropped={dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
