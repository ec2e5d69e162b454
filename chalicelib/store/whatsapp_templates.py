"""The WhatsApp templates in DynamoDB: one settings item (at most 100 templates), replaced only at the revision its
editor read."""

from __future__ import annotations

from ..domain.whatsapp_templates import Template, Templates
from . import settings
from .entities import WhatsAppTemplatesKeys


def get(consistent: bool = True) -> Templates:
    """As saved; never saved: none, at rev 0."""
    item = settings.read(WhatsAppTemplatesKeys.SK, consistent)
    if item is None:
        return Templates()
    return Templates(templates=tuple(Template(name=t["name"], language=t["language"], body=t["body"])
                                     for t in item.get("templates") or ()),
                     updated_by=item.get("updated_by"), updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: Templates, read_rev: int) -> Templates:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    attributes = {"templates": [{"name": t.name, "language": t.language, "body": t.body} for t in changed.templates],
                  "updated_by": changed.updated_by, "updated_at": changed.updated_at, "rev": changed.rev}
    settings.replace_at(WhatsAppTemplatesKeys.SK, WhatsAppTemplatesKeys.TYPE, attributes, read_rev,
                        lambda: get() == changed, "WhatsApp templates")
    return changed
