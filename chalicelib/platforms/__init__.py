"""Platform adapters, by the `{platform}` segment of /webhooks/{platform}.

Adding a platform is one module with a `PlatformAdapter` subclass and one line here. Adapters are
imported on first use, so a cold start pays only for the platform that called.
"""

from __future__ import annotations

import importlib

from ..errors import NotFound
from .base import Batch, PlatformAdapter, WebhookRequest

REGISTRY: dict[str, str] = {
    "meta": "chalicelib.platforms.meta:MetaAdapter",
    "x": "chalicelib.platforms.x:XAdapter",
    "telegram": "chalicelib.platforms.telegram:TelegramAdapter",
    "generic": "chalicelib.platforms.generic:GenericAdapter",
}
HANDSHAKES = ("meta", "x")  # platforms that GET their webhook URL before posting to it
_loaded: dict[str, PlatformAdapter] = {}


def get_adapter(route: str) -> PlatformAdapter:
    if route not in REGISTRY:
        raise NotFound(f"unknown platform {route!r}; known: {', '.join(sorted(REGISTRY))}", code="unknown_platform")
    if route not in _loaded:
        module, _, name = REGISTRY[route].partition(":")
        _loaded[route] = getattr(importlib.import_module(module), name)()
    return _loaded[route]


__all__ = ["HANDSHAKES", "REGISTRY", "Batch", "PlatformAdapter", "WebhookRequest", "get_adapter"]
