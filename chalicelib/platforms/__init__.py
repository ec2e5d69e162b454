"""Platform adapters, by the `{platform}` segment of /webhooks/{platform}."""

from __future__ import annotations

from ..errors import NotFound
from .base import Batch, PlatformAdapter, WebhookRequest
from .generic import GenericAdapter
from .meta import MetaAdapter
from .telegram import TelegramAdapter
from .x import XAdapter

ADAPTERS: dict[str, PlatformAdapter] = {
    adapter.route: adapter for adapter in (MetaAdapter(), XAdapter(), TelegramAdapter(), GenericAdapter())
}


def get_adapter(route: str) -> PlatformAdapter:
    try:
        return ADAPTERS[route]
    except KeyError:
        raise NotFound(f"unknown platform {route!r}; known: {', '.join(sorted(ADAPTERS))}", code="unknown_platform") from None


__all__ = ["ADAPTERS", "Batch", "PlatformAdapter", "WebhookRequest", "get_adapter"]
