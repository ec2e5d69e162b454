"""The exported model: labels, intercepts, and per term its idf and one weight per label.

The artifact (format 2) is a dict that keeps the terms as one newline-joined string and the numbers as
base64 of little-endian float64 arrays; its version is a hash of that content.

On disk it is a binary container of the same content, which the Lambda maps without decoding it:

    MAGIC (8 bytes)  header length H (uint32 LE)  header (H bytes of JSON, space-padded to 8-byte alignment)
    idf       float64 LE x count
    weights   float64 LE x count x len(labels)   (row-major: one row of len(labels) per term)
    offsets   uint32 LE x (count + 1)            term j is terms[offsets[j]:offsets[j + 1]]
    starts    uint32 LE x (buckets + 1)          bucket b holds members[starts[b]:starts[b + 1]]
    members   uint32 LE x count                  term numbers, grouped by bucket_of(term bytes)
    terms     UTF-8, sorted, concatenated        (terms_bytes bytes)

The header holds every other field of the artifact (format, version, labels, intercept, sublinear_tf,
review_threshold) plus count, terms_bytes and buckets (a power of two). The scorer reads idf and weights
in place and decodes the vocabulary one bucket at a time, when a message first needs it: a cold start
decodes a few hundred terms, not 81,000 (building that dict cost ~15-20 ms). `to_bytes` / `from_bytes`
convert between the dict and the container exactly (the round trip keeps the version's hash).
"""

from __future__ import annotations

import array
import json
import struct
import sys
import zlib

TYPE_CHECKING = False  # importing typing costs a cold start several milliseconds
if TYPE_CHECKING:
    from typing import Any

FORMAT = 2
MAGIC = b"TRIAGEB2"
TERMS_PER_BUCKET = 4  # the vocabulary is read bucket by bucket, on first use
_ARRAYS = ("terms", "idf", "weights")


def _pack_doubles(values: list[float]) -> str:
    data = array.array("d", values)
    if sys.byteorder != "little":
        data.byteswap()
    import base64  # export and tools only: a cold start maps the container

    return base64.b64encode(data.tobytes()).decode("ascii")


def _unpack_doubles(text: str) -> array.array:
    data = array.array("d")
    import base64

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
    import hashlib

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

def bucket_of(term: bytes, buckets: int) -> int:
    """The vocabulary bucket of a term's UTF-8 bytes (stable across processes, unlike hash())."""
    return zlib.crc32(term) & (buckets - 1)


def _buckets_for(count: int) -> int:
    buckets = 1
    while buckets * TERMS_PER_BUCKET < count:
        buckets *= 2
    return buckets


def _u32(values) -> bytes:
    data = array.array("I", values)
    if data.itemsize != 4:  # pragma: no cover - every platform Lambda runs on has a 4-byte unsigned int
        raise RuntimeError("array('I') is not 32-bit here")
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


def to_bytes(artifact: dict[str, Any]) -> bytes:
    """The artifact as the binary container (deterministic: same artifact, same bytes)."""
    names, idf, weights = unpack_artifact(artifact)
    encoded_terms = [name.encode("utf-8") for name in names]
    offsets = [0]
    for term in encoded_terms:
        offsets.append(offsets[-1] + len(term))
    buckets = _buckets_for(len(names))
    members: list[list[int]] = [[] for _ in range(buckets)]
    for j, term in enumerate(encoded_terms):
        members[bucket_of(term, buckets)].append(j)
    starts = [0]
    for bucket in members:
        starts.append(starts[-1] + len(bucket))
    header = {k: v for k, v in artifact.items() if k not in _ARRAYS}
    header.update(count=len(names), terms_bytes=offsets[-1], buckets=buckets)
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-(len(MAGIC) + 4 + len(encoded)) % 8)  # the arrays start 8-byte aligned
    if sys.byteorder != "little":
        idf.byteswap()
        weights.byteswap()
    return b"".join((MAGIC, struct.pack("<I", len(encoded)), encoded, idf.tobytes(), weights.tobytes(),
                     _u32(offsets), _u32(starts), _u32(j for bucket in members for j in bucket),
                     b"".join(encoded_terms)))


class Container:
    """A container read in place from a buffer (bytes or mmap): the header, float64 views of idf and weights,
    and the vocabulary as stored (term j's bytes, and the terms of each bucket) without decoding it."""

    def __init__(self, buffer):
        view = memoryview(buffer)
        if bytes(view[:len(MAGIC)]) != MAGIC:
            raise ValueError("not a triage model container")
        at = len(MAGIC) + 4
        (header_length,) = struct.unpack_from("<I", view, len(MAGIC))
        header = json.loads(bytes(view[at:at + header_length]))
        if header.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {header.get('format')!r}")
        self.header = header
        count, buckets, k = header["count"], header["buckets"], len(header["labels"])
        if buckets < 1 or buckets & (buckets - 1):
            raise ValueError("model artifact is inconsistent: the bucket count is not a power of two")
        at += header_length
        parts = []
        for kind, length in (("d", count), ("d", count * k), ("I", count + 1), ("I", buckets + 1), ("I", count)):
            size = length * (8 if kind == "d" else 4)
            parts.append(self._array(view[at:at + size], kind))
            at += size
        self.idf, self.weights, self.offsets, self.starts, self.members = parts
        self.terms = view[at:]
        if len(self.terms) != header["terms_bytes"] or self.offsets[count] != len(self.terms) or \
                self.starts[buckets] != count:
            raise ValueError("model artifact is inconsistent: its size does not match its header")

    @staticmethod
    def _array(view: memoryview, kind: str):
        if sys.byteorder == "little":
            return view.cast(kind)
        data = array.array(kind, view.tobytes())  # pragma: no cover - big-endian hosts copy
        data.byteswap()
        return data

    def name(self, j: int) -> str:
        return str(self.terms[self.offsets[j]:self.offsets[j + 1]], "utf-8")

    def names(self) -> list[str]:
        return [self.name(j) for j in range(self.header["count"])]


def from_bytes(data: bytes) -> dict[str, Any]:
    """The artifact dict a container holds (for training, tests and tools; the scorer reads it in place)."""
    container = Container(data)
    artifact = {k: v for k, v in container.header.items() if k not in ("count", "terms_bytes", "buckets")}
    artifact.update(terms="\n".join(container.names()), idf=_pack_doubles(list(container.idf)),
                    weights=_pack_doubles(list(container.weights)))
    return artifact


def read_artifact(raw: bytes) -> dict[str, Any]:
    """The artifact dict from a file's bytes: the binary container, or (older exports, tests) gzip JSON or JSON."""
    if raw[:len(MAGIC)] == MAGIC:
        return from_bytes(raw)
    if raw[:2] == b"\x1f\x8b":
        import gzip

        raw = gzip.decompress(raw)
    return json.loads(raw)
