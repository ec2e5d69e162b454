"""Pure-Python scorer for the exported triage model (TF-IDF + multinomial logistic regression).

The artifact is loaded once per container, on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .features import analyze

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "triage-model.json.gz"
TOP_TERMS = 5


@dataclass(frozen=True)
class TermWeight:
    term: str
    weight: float


@dataclass(frozen=True)
class Triage:
    category: str
    confidence: float
    scores: dict[str, float]
    top_terms: list[TermWeight]
    model_version: str
    needs_review: bool


class TriageModel:
    """An exported model: labels, intercepts and, per term, its idf and one weight per label."""

    def __init__(self, artifact: dict):
        if artifact.get("format") != 1:
            raise ValueError(f"unsupported model format {artifact.get('format')!r}")
        self.labels: list[str] = artifact["labels"]
        self.intercept: list[float] = artifact["intercept"]
        self.sublinear_tf: bool = artifact["sublinear_tf"]
        self.version: str = artifact["version"]
        self.review_threshold: float = artifact["review_threshold"]
        # term -> (idf, weights per label)
        self.terms: dict[str, tuple[float, list[float]]] = {
            term: (row[0], row[1:]) for term, row in artifact["terms"].items()
        }

    @classmethod
    def load(cls, path: Path | str) -> "TriageModel":
        raw = Path(path).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return cls(json.loads(raw))

    def probabilities(self, text: str) -> tuple[list[float], dict[str, float]]:
        """Class probabilities, and each present term's tf-idf value after l2 normalization."""
        counts = Counter(f for f in analyze(text) if f in self.terms)
        values: dict[str, float] = {}
        for term, count in counts.items():
            tf = 1.0 + math.log(count) if self.sublinear_tf else float(count)
            values[term] = tf * self.terms[term][0]
        norm = math.sqrt(sum(v * v for v in values.values()))
        if norm > 0:
            values = {t: v / norm for t, v in values.items()}
        logits = list(self.intercept)
        for term, value in values.items():
            weights = self.terms[term][1]
            for k in range(len(logits)):
                logits[k] += value * weights[k]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return [e / total for e in exps], values

    def classify(self, text: str, review_threshold: float | None = None) -> Triage:
        probs, values = self.probabilities(text)
        best = max(range(len(probs)), key=probs.__getitem__)
        threshold = self.review_threshold if review_threshold is None else review_threshold
        return Triage(
            category=self.labels[best],
            confidence=probs[best],
            scores=dict(zip(self.labels, probs)),
            top_terms=self._deciding_terms(values, best),
            model_version=self.version,
            needs_review=probs[best] < threshold,
        )

    def _deciding_terms(self, values: dict[str, float], label: int) -> list[TermWeight]:
        """Terms that pushed the chosen label above the others (weight relative to the label mean)."""
        n = len(self.labels)
        contributions = []
        for term, value in values.items():
            weights = self.terms[term][1]
            margin = weights[label] - sum(weights) / n
            if margin > 0:
                contributions.append((value * margin, term))
        contributions.sort(reverse=True)
        chosen: list[TermWeight] = []
        for contribution, term in contributions:
            shown = term[2:].strip()
            if not shown or any(shown in c.term or c.term in shown for c in chosen):
                continue  # overlapping character n-grams say the same thing twice
            chosen.append(TermWeight(shown, round(contribution, 4)))
            if len(chosen) == TOP_TERMS:
                break
        return chosen


_model: TriageModel | None = None
_lock = threading.Lock()


def get_model() -> TriageModel:
    """The container's model, loaded on first use from TRIAGE_MODEL_PATH or models/."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = TriageModel.load(os.environ.get("TRIAGE_MODEL_PATH") or DEFAULT_MODEL_PATH)
    return _model


def classify(text: str) -> Triage:
    threshold = os.environ.get("TRIAGE_REVIEW_THRESHOLD")
    return get_model().classify(text, float(threshold) if threshold else None)
