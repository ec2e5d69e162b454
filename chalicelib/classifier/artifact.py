"""The exported model: labels, intercepts, and per term its idf and one weight per label.

The artifact (format 2) is a dict that keeps the terms as one newline-joined string and the numbers as
base64 of little-endian float64 arrays; its version is a hash of that content.

On disk it is a binary container of the same content, which the Lambda loads without decoding it:

    MAGIC (8 bytes)  header length H (uint32 LE)  header (H bytes of JSON, space-padded to 8-byte alignment)
    idf      float64 LE x count
    weights  float64 LE x count x len(labels)   (row-major: one row of len(labels) per term)
    terms    UTF-8, newline-joined, sorted       (terms_bytes bytes)

The header holds every other field of the artifact (format, version, labels, intercept, sublinear_tf,
review_threshold) plus count and terms_bytes. The scorer maps the file and reads idf and weights in place
(no gzip, JSON or base64 pass over megabytes of numbers on a cold start); `to_bytes` / `from_bytes`
convert between the dict and the container exactly (the round trip keeps the version's hash).
"""

from __future__ import annotations

import array
import base64
import hashlib
import json
import struct
import sys
from typing import Any

FORMAT = 2
MAGIC = b"TRIAGEB1"
_ARRAYS = ("terms", "idf", "weights")


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


# --- the binary container --------------------------------------------------------------------------

def to_bytes(artifact: dict[str, Any]) -> bytes:
    """The artifact as the binary container (deterministic: same artifact, same bytes)."""
    names, idf, weights = unpack_artifact(artifact)
    terms = artifact["terms"].encode("utf-8")
    header = {k: v for k, v in artifact.items() if k not in _ARRAYS}
    header.update(count=len(names), terms_bytes=len(terms))
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-(len(MAGIC) + 4 + len(encoded)) % 8)  # the arrays start 8-byte aligned
    if sys.byteorder != "little":
        idf.byteswap()
        weights.byteswap()
    return b"".join((MAGIC, struct.pack("<I", len(encoded)), encoded, idf.tobytes(), weights.tobytes(), terms))


def open_container(buffer) -> tuple[dict[str, Any], list[str], Any, Any]:
    """Header, term names, idf and weights of a container in `buffer` (bytes, mmap): the two arrays are
    float64 views into the buffer itself (copies only on a big-endian machine)."""
    view = memoryview(buffer)
    if bytes(view[:len(MAGIC)]) != MAGIC:
        raise ValueError("not a triage model container")
    start = len(MAGIC) + 4
    (header_length,) = struct.unpack_from("<I", view, len(MAGIC))
    header = json.loads(bytes(view[start:start + header_length]))
    if header.get("format") != FORMAT:
        raise ValueError(f"unsupported model format {header.get('format')!r}")
    count, labels, terms_bytes = header["count"], header["labels"], header["terms_bytes"]
    idf_at = start + header_length
    weights_at = idf_at + 8 * count
    terms_at = weights_at + 8 * count * len(labels)
    if terms_at + terms_bytes != len(view):
        raise ValueError("model artifact is inconsistent: its size does not match its header")
    idf, weights = view[idf_at:weights_at].cast("d"), view[weights_at:terms_at].cast("d")
    if sys.byteorder != "little":
        idf, weights = array.array("d", idf.tobytes()), array.array("d", weights.tobytes())
        idf.byteswap()
        weights.byteswap()
    names = str(view[terms_at:], "utf-8").split("\n") if terms_bytes else []
    if len(names) != count:
        raise ValueError("model artifact is inconsistent: term, idf and weight counts differ")
    return header, names, idf, weights


def from_bytes(data: bytes) -> dict[str, Any]:
    """The artifact dict a container holds (for training, tests and tools; the scorer reads it in place)."""
    header, names, idf, weights = open_container(data)
    artifact = {k: v for k, v in header.items() if k not in ("count", "terms_bytes")}
    artifact.update(terms="\n".join(names), idf=_pack_doubles(list(idf)), weights=_pack_doubles(list(weights)))
    return artifact


def read_artifact(raw: bytes) -> dict[str, Any]:
    """The artifact dict from a file's bytes: the binary container, or (older exports, tests) gzip JSON or JSON."""
    if raw[:len(MAGIC)] == MAGIC:
        return from_bytes(raw)
    if raw[:2] == b"\x1f\x8b":
        import gzip

        raw = gzip.decompress(raw)
    return json.loads(raw)
