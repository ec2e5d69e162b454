"""The automatic messages in DynamoDB (the away message, the satisfaction survey): one settings item each, replaced
only at the revision its editor read."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TypeVar

from ..domain.automatic_messages import AutomaticMessage
from . import settings

M = TypeVar("M", bound=AutomaticMessage)


def get(kind: type[M], sk: str, consistent: bool = True) -> M:
    """As saved; never saved: off, at rev 0."""
    item = settings.read(sk, consistent)
    if item is None:
        return kind()
    saved = {f.name: item[f.name] for f in fields(kind) if item.get(f.name) is not None}
    # the settings item's numbers come back as Decimal, its maps as dicts of their own
    return kind(**{**saved, "enabled": bool(item.get("enabled")), "rev": int(item.get("rev", 0)),
                   **{name: dict(value) for name, value in saved.items() if isinstance(value, dict)}})


def save(changed: M, sk: str, item_type: str, what: str, read_rev: int) -> M:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    settings.replace_at(sk, item_type, asdict(changed), read_rev,
                        lambda: get(type(changed), sk) == changed, what)
    return changed
