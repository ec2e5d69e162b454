"""The interface every platform adapter implements, and helpers they share.

An adapter turns one verified webhook POST into `InboundEvent`s (messages to triage, edits,
removals) and `Skip`s (acknowledged, not triaged). Adding a platform is adding one module that
subclasses `PlatformAdapter` and registering it in `chalicelib/platforms/__init__.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from ..errors import Forbidden, InvalidSignature
from ..models import InboundEvent, Skip
from ..validation import parse_json

__all__ = ["Batch", "PlatformAdapter", "WebhookRequest", "HandshakeResponse", "SecretLookup", "check_signature",
           "check_token", "hmac_sha256", "parse_json", "NATIVE_PLATFORMS", "RESERVED_SOURCES", "owning_route"]

# Id spaces: a message id is "<platform>:<native id>", and each platform's ids belong to one adapter. Only
# that adapter (holding that platform's secret) may create, edit or remove them; every other platform name
# is a generic source. The generic webhook may not use these names (nor their aliases).
NATIVE_PLATFORMS: dict[str, str] = {
    "facebook": "meta", "messenger": "meta", "instagram": "meta", "whatsapp": "meta", "x": "x", "telegram": "telegram",
}
RESERVED_SOURCES = frozenset(NATIVE_PLATFORMS) | {"meta", "twitter", "generic"}


def owning_route(platform: str) -> str:
    """The webhook route (adapter) whose secret vouches for messages of `platform`."""
    return NATIVE_PLATFORMS.get(platform, "generic")



@dataclass(frozen=True)
class WebhookRequest:
    """A webhook call as received: raw bytes, lower-cased header names, query parameters."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Batch:
    events: list[InboundEvent] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def skip(self, reason: str, ref: Any = None) -> None:
        self.skipped.append(Skip(reason=reason, ref=None if ref is None else str(ref)))


@dataclass(frozen=True)
class HandshakeResponse:
    body: str | dict
    content_type: str = "application/json"


SecretLookup = Callable[[str], str]


class PlatformAdapter:
    """One platform's webhook: optional handshake (GET), signature check and normalization (POST)."""

    route: str  # the `{platform}` in /webhooks/{platform}
    secret_names: tuple[str, ...] = ()  # configuration names this adapter reads
    # the contract (the OpenAPI document): the bodies this platform posts, the headers that sign them
    # (name, what it holds), and the handshake's query string model when the platform has one
    payloads: ClassVar[tuple[type, ...]] = ()
    signature_headers: ClassVar[tuple[tuple[str, str], ...]] = ()
    handshake_query: ClassVar[type | None] = None

    def handshake(self, request: WebhookRequest, secret: SecretLookup) -> HandshakeResponse:
        raise Forbidden(f"{self.route} webhooks have no GET handshake", code="no_handshake")

    def verify(self, request: WebhookRequest, secret: SecretLookup) -> None:
        raise NotImplementedError

    def parse(self, request: WebhookRequest) -> Batch:
        raise NotImplementedError


# Shared helpers -------------------------------------------------------------------------


def hmac_sha256(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def check_signature(provided: str | None, secret: str, payload: bytes, *, prefix: str = "sha256=",
                    encoding: str = "hex", header: str) -> None:
    """Constant-time check of `prefix + encoding(HMAC-SHA256(secret, payload))`."""
    if not provided:
        raise InvalidSignature(f"missing {header} header", code="missing_signature")
    digest = hmac_sha256(secret, payload)
    expected = prefix + (digest.hex() if encoding == "hex" else base64.b64encode(digest).decode())
    if not hmac.compare_digest(provided.strip().encode(), expected.encode()):
        raise InvalidSignature(f"{header} does not match the request body")


def check_token(provided: str | None, expected: str, *, header: str) -> None:
    if not provided:
        raise InvalidSignature(f"missing {header} header", code="missing_signature")
    if not hmac.compare_digest(provided.encode(), expected.encode()):
        raise InvalidSignature(f"{header} is not the configured secret")
