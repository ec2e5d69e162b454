"""Message states, the transitions between them, and who may make each one.

    open ──claim──▶ claimed ──release──▶ open
      │               ├──snooze──▶ snoozed ──(time passes: claimable, then reopened)──▶ open
      │               ├──resolve──▶ resolved ──reopen──▶ open (unclaimed, by hand)
      └──reroute◀─────┴──reroute──▶ open (in the other queue)
    open ──(older than the queue's window)──▶ resolved (reason `auto_resolved`)
    any ──(deleted on the platform)──▶ removed

A manager may also assign a conversation (open, snoozed, or claimed by anyone) to a person who works its queue: it
is then claimed for them, with a lease like any claim.
A person may also take one conversation they chose: an open one, a snoozed one (woken early) or one whose lease
has run out; never one another person still holds. A claim is a lease: only its holder, while it lasts, may
release, snooze, resolve or re-route the message;
managers may act on any message (and resolve or re-route open ones). A resolved conversation has no holder:
whoever works its queue may reopen it (a resolve made by mistake). Nothing here reads or writes storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..models import QUEUES
from .errors import InvalidAssignee, InvalidRequest, NotClaimHolder, SameQueue, UnknownMessage, WrongStatus

OPEN, CLAIMED, SNOOZED, RESOLVED, REMOVED = "open", "claimed", "snoozed", "resolved", "removed"
STATUSES = (OPEN, CLAIMED, SNOOZED, RESOLVED, REMOVED)
ACTIVE = (OPEN, CLAIMED, SNOOZED)  # counted in the queue overview

MIN_SNOOZE, MAX_SNOOZE = timedelta(minutes=1), timedelta(days=30)

# Open messages nobody picked up within their queue's window (settings: AUTO_RESOLVE_<QUEUE>) are resolved
# by the sweep with this reason. Claimed and snoozed messages are a person's decision and are never touched.
AUTO_RESOLVE_REASON = "auto_resolved"
# A conversation whose customer was erased on request (domain.privacy) has nothing left to answer: it leaves the
# queues, resolved with this reason, counted in no response time.
ERASED_REASON = "erased"


@dataclass(frozen=True)
class Actor:
    """Who acts: their id for history, and whether they may override claims (managers, admins)."""

    id: str
    may_override: bool = False


def holds_claim(status: str, claimed_by: str | None, lease_expires_at: datetime | None, actor: Actor,
                now: datetime) -> bool:
    return status == CLAIMED and claimed_by == actor.id and lease_expires_at is not None and lease_expires_at > now


def check_can_act(message_id: str, status: str, claimed_by: str | None, lease_expires_at: datetime | None,
                  actor: Actor, now: datetime, allowed: tuple[str, ...] = (CLAIMED,)) -> None:
    """Refuse unless the message is in one of `allowed` states and the actor holds its claim (or overrides)."""
    if status == REMOVED:
        raise UnknownMessage(f"no message {message_id!r}")
    if status not in allowed:
        raise WrongStatus(f"message is {status}; this needs it {' or '.join(allowed)}")
    if not (holds_claim(status, claimed_by, lease_expires_at, actor, now) or actor.may_override):
        raise NotClaimHolder("only the agent holding the claim (or a manager) can do this")


def resolvable_from(actor: Actor) -> tuple[str, ...]:
    return (CLAIMED, OPEN) if actor.may_override else (CLAIMED,)


def check_can_reopen(message_id: str, status: str) -> None:
    """Refuse unless the conversation is resolved. Whoever works its queue may reopen it (the caller's scope is
    checked where the conversation is read): a resolved conversation has no claim holder to ask."""
    if status == REMOVED:
        raise UnknownMessage(f"no message {message_id!r}")
    if status != RESOLVED:
        raise WrongStatus(f"conversation is {status}; only a resolved one can be reopened")


def idle_since(last_inbound_at: str, reopened_at: str | None) -> str:
    """From when an open conversation's auto-resolve window runs (ISO 8601 UTC, so the strings compare as times):
    the customer's latest message, or a later reopen, so that the sweep does not close again at once what a
    person just reopened."""
    return max(last_inbound_at, reopened_at or "")


def check_reroute(from_queue: str, to_queue: str) -> None:
    if to_queue not in QUEUES:
        raise InvalidRequest(f"queue must be one of {', '.join(QUEUES)}", code="invalid_queue")
    if to_queue == from_queue:
        raise SameQueue(f"message is already in {to_queue}")


def check_snooze(until: datetime, now: datetime) -> None:
    if not now + MIN_SNOOZE <= until <= now + MAX_SNOOZE:
        raise InvalidRequest("snooze until a time between 1 minute and 30 days from now", code="invalid_snooze")


def check_can_take(message_id: str, status: str, claimed_by: str | None, lease_expires_at: datetime | None,
                   actor: Actor, now: datetime) -> bool:
    """Whether taking this conversation claims it (False: the actor holds it already). Refused when someone
    else holds its lease (managers too: they release it first), or it is resolved."""
    if status == REMOVED:
        raise UnknownMessage(f"no message {message_id!r}")
    if status == CLAIMED and lease_expires_at is not None and lease_expires_at > now:
        if claimed_by == actor.id:
            return False
        raise WrongStatus(f"{claimed_by} holds this conversation until {lease_expires_at.isoformat()}",
                          code="claimed_by_another")
    if status not in (OPEN, CLAIMED, SNOOZED):
        raise WrongStatus(f"message is {status}; only an open, snoozed or expired conversation can be taken")
    return True


def check_can_assign(message_id: str, status: str, assignee: Any, queue: str, actor: Actor) -> None:
    """Refuse unless a manager assigns an open, snoozed or claimed conversation to someone who works its queue.
    `assignee` is the person (their key: `.can_work(queue)`), None when no live key has that id."""
    if not actor.may_override:
        raise NotClaimHolder("only a manager or an admin assigns conversations", code="forbidden_role")
    if status == REMOVED:
        raise UnknownMessage(f"no message {message_id!r}")
    if status not in (OPEN, CLAIMED, SNOOZED):
        raise WrongStatus(f"message is {status}; only an open, snoozed or claimed conversation can be assigned")
    if assignee is None:
        raise InvalidAssignee("no active API key has that id", code="unknown_assignee")
    if not assignee.can_work(queue):
        raise InvalidAssignee(f"that person does not work the {queue} queue", code="assignee_outside_queue")
