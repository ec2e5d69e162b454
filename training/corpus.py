"""Reading labelled JSONL: the project's corpus, agents' corrections and evaluation files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

LABELS = ("customer_service", "stance", "community")
CORPUS_DIR = Path(__file__).resolve().parent / "data"
# Written and audited like the corpus, never trained on (training/heldout/README.md): files measured as training
# data and not adopted, and probes written only to be scored, as writers the models never saw.
HELDOUT_DIR = Path(__file__).resolve().parent / "heldout"


class CorpusError(ValueError):
    """A labelled file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    lang: str


def read_jsonl(path: Path | str, skip_labels: frozenset[str] = frozenset({"exclude"})) -> list[Example]:
    """Rows with `text` and `label` (and optional `lang`); rows labelled in `skip_labels` are left out."""
    examples = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise CorpusError(f"{where}: expected a JSON object")
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str):
            raise CorpusError(f"{where}: 'text' must be a string")
        if label in skip_labels:
            continue
        if label not in LABELS:
            raise CorpusError(f"{where}: 'label' must be one of {', '.join(LABELS)}, got {label!r}")
        examples.append(Example(text, label, str(row.get("lang") or "")))
    return examples


def load_corpus(extra: list[Path] | None = None) -> list[Example]:
    """The project's hand-written corpus, in a stable order, plus any extra labelled files."""
    examples: list[Example] = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        examples.extend(read_jsonl(path))
    for path in extra or []:
        examples.extend(read_jsonl(path))
    return examples


def corpus_fingerprint(examples: list[Example]) -> str:
    """A hash of the rows a model was trained on: a model trained on another corpus has another."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(json.dumps([e.text, e.label], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]
