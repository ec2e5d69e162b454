"""The away message in DynamoDB: one settings item, replaced only at the revision its editor read."""

from __future__ import annotations

from dataclasses import asdict

from ..domain.away import AwayMessage
from . import settings
from .entities import AwayMessageKeys


def get(consistent: bool = True) -> AwayMessage:
    """As saved; never saved: off, at rev 0."""
    item = settings.read(AwayMessageKeys.SK, consistent)
    if item is None:
        return AwayMessage()
    return AwayMessage(enabled=bool(item.get("enabled")), text=item.get("text", ""),
                       translations=dict(item.get("translations") or {}), updated_by=item.get("updated_by"),
                       updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: AwayMessage, read_rev: int) -> AwayMessage:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    settings.replace_at(AwayMessageKeys.SK, AwayMessageKeys.TYPE, asdict(changed), read_rev,
                        lambda: get() == changed, "away message")
    return changed
