"""Pure-Python scorer for the exported triage model (TF-IDF + multinomial logistic regression).

The artifact is loaded once per container, on first use, so importing this module costs nothing.
Loading maps the binary container (artifact.py) and reads idf and weights in place; the term index is
one dict that fills bucket by bucket as messages need them (a feature missing from it has its bucket
read once, then the dict answers alone).
"""

from __future__ import annotations

import _thread
import heapq
import math
import mmap
import os
from collections import namedtuple

TYPE_CHECKING = False  # importing typing costs a cold start several milliseconds
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Sequence

from .artifact import MAGIC, Container, bucket_of, read_artifact, unpack_artifact
from .features import NOT_FROM_TEXT, analyze

# a cold start imports as little as it can (no pathlib, dataclasses or threading): DEFAULT_MODEL_PATH, a Path, is
# built on first access (module __getattr__), the scorer opens the plain string
_DEFAULT_MODEL_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                   "models", "triage-model.bin")
TOP_TERMS = 5


TermWeight = namedtuple("TermWeight", "term weight")
Triage = namedtuple("Triage", "category confidence scores top_terms model_version needs_review")


def __getattr__(name: str):
    if name == "DEFAULT_MODEL_PATH":
        from pathlib import Path

        return Path(_DEFAULT_MODEL_FILE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


class TriageModel:
    """An exported model (see artifact.py), scored in one pass over the message's known features."""

    def __init__(self, artifact: dict, *, _container: Container | None = None):
        decoded = None if _container is not None else unpack_artifact(artifact)  # refuses other formats first
        self.labels: list[str] = artifact["labels"]
        self.intercept: list[float] = artifact["intercept"]
        self.sublinear_tf: bool = artifact["sublinear_tf"]
        self.version: str = artifact["version"]
        self.review_threshold: float = artifact["review_threshold"]
        self._container = _container
        if decoded is not None:  # a decoded artifact: the whole index at once
            names, self._idf, self._weights = decoded
            self._index: dict[str, int] = dict(zip(names, range(len(names))))
            self._name = names.__getitem__
            self._unread = 0
        else:
            self._idf, self._weights = _container.idf, _container.weights
            self._index = {}
            self._name = _container.name
            self._buckets = _container.header["buckets"]
            self._read = bytearray(self._buckets)
            self._reading = _thread.allocate_lock()
            self._unread = self._buckets  # buckets not yet in the index

    def _resolve(self, feature: str) -> int | None:
        """A feature the index does not have: read its bucket into the index, once, and look again."""
        bucket = bucket_of(feature.encode("utf-8", "surrogatepass"), self._buckets)
        if not self._read[bucket]:
            with self._reading:  # threads (the local server) read a bucket once; the flag is set after its terms
                if not self._read[bucket]:
                    container, index = self._container, self._index
                    for j in container.members[container.starts[bucket]:container.starts[bucket + 1]]:
                        index[container.name(j)] = j
                    self._read[bucket] = 1
                    self._unread -= 1
        return self._index.get(feature)

    @classmethod
    def load(cls, path: Path | str) -> "TriageModel":
        """From the binary container (mapped, read in place) or, for tools and tests, gzip JSON or JSON."""
        with open(path, "rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                file.seek(0)
                return cls(read_artifact(file.read()))
            buffer = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)  # stays mapped while the model lives
        container = Container(buffer)
        return cls(container.header, _container=container)

    def _features(self, text: str) -> dict[int, float]:
        """Known features and their (unnormalized) tf-idf values."""
        counts: dict[int, int] = {}
        index, resolve = self._index, self._resolve
        for feature in analyze(text):
            j = index.get(feature)
            if j is None and self._unread:
                j = resolve(feature)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        idf, log = self._idf, math.log
        if self.sublinear_tf:
            return {j: (1.0 + log(c)) * idf[j] for j, c in counts.items()}
        return {j: c * idf[j] for j, c in counts.items()}

    def _logits(self, values: dict[int, float]) -> tuple[list[float], float]:
        """Per label: intercept + the l2-normalized tf-idf vector times the label's weights; and the norm."""
        k, weights = len(self.labels), self._weights
        sums = [0.0] * k
        squares = 0.0
        for j, v in values.items():
            squares += v * v
            row = j * k
            for label in range(k):
                sums[label] += v * weights[row + label]
        norm = math.sqrt(squares)
        return [b + (z / norm if norm else 0.0) for b, z in zip(self.intercept, sums)], norm

    def logits(self, text: str) -> list[float]:
        """Unnormalized label scores in `labels` order (a model that adds other features adds to these)."""
        return self._logits(self._features(text))[0]

    def probabilities(self, text: str) -> list[float]:
        """Class probabilities in `labels` order (what scikit-learn's predict_proba gives)."""
        return softmax(self.logits(text))

    def classify(self, text: str, review_threshold: float | None = None, *,
                 added_logits: Sequence[float] | None = None, version: str | None = None) -> Triage:
        """The verdict; a model that adds other features to these (second_opinion/) passes their `added_logits`
        per label and its own `version`."""
        values = self._features(text)
        logits, norm = self._logits(values)
        if added_logits is not None:
            logits = [z + a for z, a in zip(logits, added_logits)]
        probs = softmax(logits)
        best = max(range(len(probs)), key=probs.__getitem__)
        threshold = self.review_threshold if review_threshold is None else review_threshold
        return Triage(
            category=self.labels[best],
            confidence=probs[best],
            scores=dict(zip(self.labels, probs)),
            top_terms=self._deciding_terms(values, norm, best),
            model_version=version or self.version,
            # nothing the model knows: the prior decided, so a person should look
            needs_review=probs[best] < threshold or not values,
        )

    def _deciding_terms(self, values: dict[int, float], norm: float, label: int) -> list[TermWeight]:
        """Terms that pushed the chosen label above the others (weight relative to the label mean)."""
        k, weights = len(self.labels), self._weights
        contributions = []
        for j, value in values.items():
            row = j * k
            total = 0.0
            for other in range(k):
                total += weights[row + other]
            margin = weights[row + label] - total / k
            if margin > 0:
                contributions.append((value * margin, j))
        chosen: list[TermWeight] = []
        # overlapping character n-grams say the same thing twice, so look a little past TOP_TERMS
        for contribution, j in heapq.nlargest(TOP_TERMS * 6, contributions):
            name = self._name(j)
            if name.startswith(NOT_FROM_TEXT):
                continue
            shown = name[2:].strip()
            if not shown or any(shown in c.term or c.term in shown for c in chosen):
                continue
            chosen.append(TermWeight(shown, round(contribution / norm, 4)))
            if len(chosen) == TOP_TERMS:
                break
        return chosen


_model: TriageModel | None = None
_lock = _thread.allocate_lock()


def get_model(path: Path | str | None = None) -> TriageModel:
    """The container's model, loaded once on first use (from `path`, else models/); later paths are ignored.

    The classifier reads no settings, so a cold process classifies without importing them; the webhook path
    passes TRIAGE_MODEL_PATH and TRIAGE_REVIEW_THRESHOLD from the settings (ingest.classify_message).
    """
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = TriageModel.load(path or _DEFAULT_MODEL_FILE)
    return _model


def classify(text: str, review_threshold: float | None = None, model_path: Path | str | None = None) -> Triage:
    """Triage one text; `review_threshold` None is the artifact's own."""
    return get_model(model_path).classify(text, review_threshold)
