"""The outbound direction of the platform adapters: replies sent through each platform's API.

`get_sender(platform).send(reply, token_for(platform, account))` sends one `OutboundReply` and answers a
`SendReceipt`, or raises `SendFailed` whose `kind` says what went wrong; `.moderate(request, token)` hides, shows
again or deletes one customer message (`OutboundModeration`) and answers None, or raises `SendFailed` the same
way; `.ban(request, token)` bans one customer from the brand's account (`OutboundBan`, chalicelib/domain/bans.py)
or lets them back, the same way. One sender per platform family, imported on first use; reply windows are domain rules
(chalicelib/domain/reply_windows.py), checked before.
"""

from __future__ import annotations

import importlib

from ...domain.errors import NoSender
from .base import (BAN_ACTIONS, FAILURE_KINDS, MODERATION_ACTIONS, OutboundBan, OutboundModeration, OutboundReply,
                   PlatformSender, SendFailed, SendReceipt)
from .tokens import token_for

REGISTRY: dict[str, str] = {
    "facebook": "chalicelib.platforms.send.meta:MetaSender",
    "messenger": "chalicelib.platforms.send.meta:MetaSender",
    "instagram": "chalicelib.platforms.send.meta:MetaSender",
    "whatsapp": "chalicelib.platforms.send.meta:MetaSender",
    "x": "chalicelib.platforms.send.x:XSender",
    "telegram": "chalicelib.platforms.send.telegram:TelegramSender",
}
_loaded: dict[str, PlatformSender] = {}


def get_sender(platform: str) -> PlatformSender:
    """The sender for `platform`; `NoSender` (a closed reply window, 422) for platforms we cannot send on."""
    if platform not in REGISTRY:
        raise NoSender(f"replies cannot be sent on {platform!r}: this API sends only on {', '.join(sorted(REGISTRY))}")
    target = REGISTRY[platform]
    if target not in _loaded:
        module, _, name = target.partition(":")
        _loaded[target] = getattr(importlib.import_module(module), name)()
    return _loaded[target]


def has_sender(platform: str) -> bool:
    return platform in REGISTRY


__all__ = ["BAN_ACTIONS", "FAILURE_KINDS", "MODERATION_ACTIONS", "REGISTRY", "OutboundBan", "OutboundModeration",
           "OutboundReply", "PlatformSender", "SendFailed", "SendReceipt", "get_sender", "has_sender", "token_for"]
