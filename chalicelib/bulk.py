"""Bulk actions (Zendesk's bulk update and macros, Chatwoot's bulk resolve, Sprout's hide in bulk): one action on up to
MAX_BULK conversations, for a spam wave to hide, a thread that moved queue, a crisis to tag, to hand to one person or
to answer with one statement (and resolve: direct messages only, as a public reply in bulk is spam). Each conversation goes through the single action's rules and guarded
write, and gets its own outcome: one refused (not yours, already resolved, outside your queues) stops nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .config import get_settings
from .domain.automatic_messages import customer_name, is_direct_message, with_name
from .domain.errors import DomainError, PublicBulkReply, UnknownMessage
from .domain.workflow import RESOLVED, Actor
from .errors import StorageRejected, StorageUnavailable
from .store import queue, tags
from .store.messages import get_message, on_conversation

MAX_BULK = 50  # one Lambda invocation: a read and a transaction each, far inside its timeout
Action = Literal["resolve", "release", "reroute", "tag", "assign", "reopen", "hide", "unhide", "reply"]
ON_THE_PLATFORM = frozenset({"hide", "unhide", "reply"})  # each calls the platform: within the time budget below
MODERATION = frozenset({"hide", "unhide"})
DONE, NOT_ATTEMPTED = "done", "not_attempted"
# A hide, unhide or reply calls the platform once per conversation: no call after the first starts later than this many
# seconds into the request minus one call's timeout (settings.send_timeout_seconds), so the last one ends inside the
# function's 20 s; the rest are NOT_ATTEMPTED, to send again (the first is always made, as the single action makes it,
# so sending the rest again gets them done whatever the timeout).
PLATFORM_SECONDS = 17.0
STOPS_THE_RUN = frozenset({"platform_rate_limited"})  # the next calls would be refused too
clock = time.monotonic  # seconds, for the time budget (a test replaces it)


@dataclass(frozen=True)
class BulkOutcome:
    id: str
    outcome: str  # DONE, a refusal's code, or NOT_ATTEMPTED after storage failed
    status: str | None = None  # the conversation's status after the action
    message: str | None = None  # why it was refused, in words


def apply(principal, action: Action, conversation_ids: list[str], now: datetime, *, note: str | None = None,
          to_queue: str | None = None, reason: str | None = None, add: tuple[str, ...] = (),
          remove: tuple[str, ...] = (), assignee=None, lease_expires: datetime | None = None,
          text: str | None = None, idempotency_key: str | None = None, then_resolve: bool = False) -> list[BulkOutcome]:
    """The action on each conversation in order (each once). Storage failing stops the run, as do the platform
    asking to slow down and the time for platform calls running out: the rest are NOT_ATTEMPTED, so the caller
    knows exactly which to send again (a reply sent before is not sent twice: its idempotency key holds)."""
    actor = Actor(principal.actor, may_override=principal.is_manager)
    last_call = clock() + PLATFORM_SECONDS - get_settings().send_timeout_seconds

    def act(stored):
        if action == "resolve":
            return queue.resolve(stored, actor, note, now)
        if action == "release":
            return queue.release(stored, actor, now)
        if action == "tag":
            return tags.retag(stored, actor.id, add, remove, now)
        if action == "assign":
            return queue.assign(stored, assignee, actor, lease_expires, now)
        if action == "reopen":
            return queue.reopen(stored, actor, reason, now)
        if action == "reply":
            return answer(stored)
        return queue.reroute(stored, actor, to_queue, reason, now)

    def answer(head):
        """The reply, once per conversation and key (a repeat of the request finds it sent), then the resolve."""
        from . import replies  # the platforms' senders load only for a bulk reply
        from .store import replies as reply_store

        assert text is not None and idempotency_key is not None
        if not is_direct_message(head.platform, head.channel):
            raise PublicBulkReply(f"{head.id} is a public {head.channel} on {head.platform}: a bulk reply goes to "
                                  "direct messages only (the same words under many public posts read as spam); "
                                  "answer it on its own")
        earlier = reply_store.get(head.id, idempotency_key)
        if earlier is None or earlier.status != reply_store.SENT:
            replies.send(head, actor, with_name(text, customer_name(head.author)), None, idempotency_key, now)
        current = get_message(head.id) or head  # as the send left it (its reply times)
        return queue.resolve(current, actor, None, now) if then_resolve and current.status != RESOLVED else current

    def moderate(conversation_id: str):
        from . import moderation  # the platforms' senders load only for a bulk hide or unhide

        head = get_message(conversation_id)  # a hidden one too: hiding it again is done, with nothing called
        if head is None or head.is_member or not principal.can_work(head.queue):
            raise UnknownMessage(f"no conversation {conversation_id!r}", code="unknown_conversation")
        return moderation.moderate(head, action, actor, reason, now)

    outcomes: list[BulkOutcome] = []
    ids = list(dict.fromkeys(conversation_ids))
    for position, conversation_id in enumerate(ids):
        if action in ON_THE_PLATFORM and clock() > last_call and position:
            outcomes += [BulkOutcome(rest, NOT_ATTEMPTED, message="out of time for platform calls: send these again")
                         for rest in ids[position:]]
            break
        try:
            done = (moderate(conversation_id) if action in MODERATION
                    else on_conversation(conversation_id, principal.can_work, act))
            outcomes.append(BulkOutcome(conversation_id, DONE, done.status))
        # refused by the rules, or by DynamoDB for this one request (it would be again): the others go on
        except (DomainError, StorageRejected) as refused:
            outcomes.append(BulkOutcome(conversation_id, refused.code, message=refused.message))
            if refused.code in STOPS_THE_RUN:
                outcomes += [BulkOutcome(rest, NOT_ATTEMPTED) for rest in ids[position + 1:]]
                break
        except StorageUnavailable as failed:
            outcomes.append(BulkOutcome(conversation_id, failed.code, message=failed.message))
            outcomes += [BulkOutcome(rest, NOT_ATTEMPTED) for rest in ids[position + 1:]]
            break
    return outcomes
