"""Bulk actions (Zendesk's bulk update, Chatwoot's bulk resolve): one action on up to MAX_BULK conversations, for
a spam wave, a thread that moved queue, a crisis to tag or to hand to one person. Each conversation goes through the single action's rules and guarded
write, and gets its own outcome: one refused (not yours, already resolved, outside your queues) stops nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .domain.errors import DomainError
from .domain.workflow import Actor
from .errors import StorageRejected, StorageUnavailable
from .store import queue, tags
from .store.messages import on_conversation

MAX_BULK = 50  # one Lambda invocation: a read and a transaction each, far inside its timeout
Action = Literal["resolve", "release", "reroute", "tag", "assign"]
DONE, NOT_ATTEMPTED = "done", "not_attempted"


@dataclass(frozen=True)
class BulkOutcome:
    id: str
    outcome: str  # DONE, a refusal's code, or NOT_ATTEMPTED after storage failed
    status: str | None = None  # the conversation's status after the action
    message: str | None = None  # why it was refused, in words


def apply(principal, action: Action, conversation_ids: list[str], now: datetime, *, note: str | None = None,
          to_queue: str | None = None, reason: str | None = None, add: tuple[str, ...] = (),
          remove: tuple[str, ...] = (), assignee=None, lease_expires: datetime | None = None) -> list[BulkOutcome]:
    """The action on each conversation in order (each once). Storage failing stops the run: the rest are
    NOT_ATTEMPTED, so the caller knows exactly which to send again."""
    actor = Actor(principal.actor, may_override=principal.is_manager)

    def act(stored):
        if action == "resolve":
            return queue.resolve(stored, actor, note, now)
        if action == "release":
            return queue.release(stored, actor, now)
        if action == "tag":
            return tags.retag(stored, actor.id, add, remove, now)
        if action == "assign":
            return queue.assign(stored, assignee, actor, lease_expires, now)
        return queue.reroute(stored, actor, to_queue, reason, now)

    outcomes: list[BulkOutcome] = []
    ids = list(dict.fromkeys(conversation_ids))
    for position, conversation_id in enumerate(ids):
        try:
            done = on_conversation(conversation_id, principal.can_work, act)
            outcomes.append(BulkOutcome(conversation_id, DONE, done.status))
        # refused by the rules, or by DynamoDB for this one request (it would be again): the others go on
        except (DomainError, StorageRejected) as refused:
            outcomes.append(BulkOutcome(conversation_id, refused.code, message=refused.message))
        except StorageUnavailable as failed:
            outcomes.append(BulkOutcome(conversation_id, failed.code, message=failed.message))
            outcomes += [BulkOutcome(rest, NOT_ATTEMPTED) for rest in ids[position + 1:]]
            break
    return outcomes
