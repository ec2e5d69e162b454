"""WhatsApp templates: managers keep the ones Meta approved (`GET`/`PUT /whatsapp-templates`); whoever may answer a
WhatsApp conversation sends one (`POST /conversations/{id}/template-replies`), also after the 24 hours in which only
templates may be sent (domain.whatsapp_templates)."""

from __future__ import annotations

from datetime import datetime

from .domain import whatsapp_templates as rules
from .domain.workflow import Actor
from .store import whatsapp_templates as store
from .store.entities import StoredMessage, iso


def current() -> rules.Templates:
    return store.get()


def change(actor: Actor, templates: list[rules.Template], rev: int, now: datetime) -> rules.Templates:
    """Save the templates at the revision read."""
    rules.check_templates(templates)
    return store.save(rules.Templates(templates=tuple(templates), updated_by=actor.id, updated_at=iso(now),
                                      rev=rev + 1), rev)


def send(head: StoredMessage, actor: Actor, name: str, language: str, parameters: list[str], idempotency_key: str,
         now: datetime):
    """Send a saved template, its parameters filled in, to the conversation's customer, once per idempotency key."""
    from . import replies  # the platforms' senders load only to send

    return replies.send_template(head, actor, store.get(consistent=False), name, language, parameters,
                                 idempotency_key, now)
