"""The exported model file: labels, intercepts, and per term its idf and one weight per label.

Format 2 keeps the terms as one newline-joined string and the numbers as base64 of little-endian
float64 arrays: exact (no decimal round trip), and about four times faster to load than JSON numbers.
"""

from __future__ import annotations

import array
import base64
import hashlib
import json
import sys
from typing import Any

FORMAT = 2


def _pack_doubles(values: list[float]) -> str:
    data = array.array("d", values)
    if sys.byteorder != "little":
        data.byteswap()
    return base64.b64encode(data.tobytes()).decode("ascii")


def _unpack_doubles(text: str) -> array.array:
    data = array.array("d")
    data.frombytes(base64.b64decode(text))
    if sys.byteorder != "little":
        data.byteswap()
    return data


def pack_artifact(terms: dict[str, list[float]], labels: list[str], intercept: list[float],
                  review_threshold: float, sublinear_tf: bool = True) -> dict[str, Any]:
    """`terms` maps a feature to [idf, weight per label]; the version is a hash of the content."""
    names = sorted(terms)
    if any("\n" in name for name in names):
        raise ValueError("feature names cannot contain newlines")
    body = {
        "format": FORMAT,
        "labels": list(labels),
        "intercept": [float(b) for b in intercept],
        "sublinear_tf": sublinear_tf,
        "review_threshold": review_threshold,
        "terms": "\n".join(names),
        "idf": _pack_doubles([float(terms[n][0]) for n in names]),
        "weights": _pack_doubles([float(w) for n in names for w in terms[n][1:]]),
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"version": f"triage-{digest[:12]}", **body}


def unpack_artifact(artifact: dict[str, Any]) -> tuple[list[str], array.array, array.array]:
    """Term names, their idf values, and the weights (row-major: one row of len(labels) per term)."""
    if artifact.get("format") != FORMAT:
        raise ValueError(f"unsupported model format {artifact.get('format')!r}")
    names = artifact["terms"].split("\n") if artifact["terms"] else []
    idf, weights = _unpack_doubles(artifact["idf"]), _unpack_doubles(artifact["weights"])
    if len(idf) != len(names) or len(weights) != len(names) * len(artifact["labels"]):
        raise ValueError("model artifact is inconsistent: term, idf and weight counts differ")
    return names, idf, weights
