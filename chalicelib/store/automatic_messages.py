"""The automatic messages in DynamoDB (the away message, the satisfaction survey): one settings item each, replaced
only at the revision its editor read."""

from __future__ import annotations

from dataclasses import asdict
from typing import TypeVar

from ..domain.automatic_messages import AutomaticMessage
from . import settings

M = TypeVar("M", bound=AutomaticMessage)


def get(kind: type[M], sk: str, consistent: bool = True) -> M:
    """As saved; never saved: off, at rev 0."""
    item = settings.read(sk, consistent)
    if item is None:
        return kind()
    return kind(enabled=bool(item.get("enabled")), text=item.get("text", ""),
                translations=dict(item.get("translations") or {}), updated_by=item.get("updated_by"),
                updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: M, sk: str, item_type: str, what: str, read_rev: int) -> M:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    settings.replace_at(sk, item_type, asdict(changed), read_rev,
                        lambda: get(type(changed), sk) == changed, what)
    return changed
