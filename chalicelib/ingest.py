"""The webhook path: check the request, verify its signature, normalize, triage and store each message.

Everything is checked and parsed before the first write, so a rejected request stores nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from . import observability
from .classifier import Triage, classify
from .config import get_secret, get_settings
from .domain import blocks as block_rules
from .domain import privacy, routing_rules
from .domain.moderation import BY_THE_PLATFORM
from .errors import InvalidPayload, InvalidSignature, StorageUnavailable
from .models import OUTBOUND, UNKNOWN_AUTHOR, EventKind, InboundEvent, InvalidMessage, Skip, without_none
from .platforms import WebhookRequest, get_adapter
from .platforms.base import HandshakeResponse, owning_route
from .priority import Priority, compute_priority
from .store import blocks, conversations, erasure, replies
from .store import channels as channel_store
from .store import messages as store
from .store import routing_rules as rules_store
from .store.entities import iso, parse_iso
from .store.messages import Outcome, Triaged
from .validation import require_json


@dataclass
class IngestResult:
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def summary(self) -> dict:
        counts = Counter(outcome.value for _, outcome in self.outcomes)
        return {
            "received": len(self.outcomes) + len(self.skipped),
            **{o.value: counts.get(o.value, 0) for o in Outcome},
            "skipped": [without_none(s) for s in self.skipped],
        }


def handshake(route: str, request: WebhookRequest) -> HandshakeResponse:
    return get_adapter(route).handshake(request, get_secret)


def ingest(route: str, request: WebhookRequest) -> IngestResult:
    adapter = get_adapter(route)
    _check_envelope(request)
    try:
        adapter.verify(request, get_secret)
    except InvalidSignature:
        observability.record_rejected_signature(route)
        raise
    try:
        batch = adapter.parse(request)
    except InvalidMessage as exc:  # e.g. an id too long for a DynamoDB key
        raise InvalidPayload(f"the payload cannot make a message: {exc}") from exc
    check_id_spaces(route, batch.events)
    result = IngestResult(skipped=batch.skipped)
    now = datetime.now(timezone.utc)
    try:
        for event in batch.events:
            outcome, category = apply(event, now)
            result.outcomes.append((event.message_id, outcome))
            # the route, not the message's platform, is the metric dimension: generic sources are unbounded
            observability.record_ingest(route, category, outcome)
            observability.log_message(event.message_id, route, category, outcome.value)
    except StorageUnavailable:
        observability.record_ingest(route, None, observability.STORAGE_FAILED)
        raise
    for platform, account in channels_reached(batch.events):  # channel health: at most a write a minute each
        channel_store.record_webhook(platform, account, now)
    return result


def channels_reached(events: list[InboundEvent]) -> list[tuple[str, str]]:
    """The brand channels (platform, account) a verified batch's messages and delivery reports name, once each."""
    named = (event.message or event.status for event in events)
    return sorted({(item.platform, item.account) for item in named if item is not None and item.account})


def check_id_spaces(route: str, events: list[InboundEvent]) -> None:
    """Every event must name a message of a platform this route's adapter owns (its secret vouches for it).

    A message id is "<platform>:<native id>" and the stored item is keyed by it, so an edit or a removal
    can only reach messages that came in through the same adapter.
    """
    for event in events:
        platform = event.message_id.partition(":")[0]
        if owning_route(platform) != route:
            raise InvalidPayload(f"{route} webhooks cannot create, edit or remove {platform} messages",
                                 code="foreign_id_space")


def _check_envelope(request: WebhookRequest) -> None:
    require_json(request.header("content-type"))


def classify_message(text: str) -> Triage:
    """The classifier as this container is configured (TRIAGE_MODEL_PATH, TRIAGE_REVIEW_THRESHOLD)."""
    settings = get_settings()
    return classify(text, settings.triage_review_threshold, settings.triage_model_path)


def triage(event: InboundEvent, now: datetime) -> Triaged:
    message = event.message
    assert message is not None
    verdict = classify_message(message.text)
    unknown = message.author.id == UNKNOWN_AUTHOR  # many people: never "the same author again", never blocked
    author = blocks.AuthorState(recent=0, block=None) if unknown else blocks.author_state(
        message.platform, message.author.id, now)
    routing = routing_rules.route(rules_store.for_ingest(), message.text, message.platform, message.channel.value,
                                  message.language)
    queue = routing.queue if routing is not None and routing.queue else verdict.category
    priority = compute_priority(message.channel, queue, message.text, author.recent + 1)
    if routing is not None:  # the managers' rules: their boost, and why, beside the model's reasons
        priority = Priority(min(100, priority.score + routing.boost), [*priority.reasons, *routing.reasons])
    held_back = (block_rules.held_back(author.block.blocked_by, author.block.reason, iso(now))
                 if author.block is not None and message.direction != OUTBOUND else None)
    return Triaged(message=replace(message, received_at=now), triage=verdict, priority=priority, held_back=held_back,
                   routing=routing)


def apply(event: InboundEvent, now: datetime) -> tuple[Outcome, str | None]:
    """Store one event (and say its category); redeliveries of anything already applied change nothing."""
    if event.kind == EventKind.HIDE:  # still there on the platform: out of the queues, its text kept
        return store.mark_removed(event.message_id, now, actor=BY_THE_PLATFORM, hidden=True), None
    if event.kind == EventKind.REMOVE:
        removed = store.mark_removed(event.message_id, now, actor=BY_THE_PLATFORM)
        return erase_deleted_on_platform(event.message_id, now, removed), None
    if event.kind == EventKind.UNHIDE:
        return store.mark_shown(event.message_id, now, actor=BY_THE_PLATFORM), None
    if event.kind == EventKind.STATUS:
        assert event.status is not None
        return replies.record_delivery(event.status, now), None
    message = event.message
    assert message is not None
    if message.direction == OUTBOUND:  # the brand's own message: its conversation's answer, never triaged
        if event.kind == EventKind.EDIT and store.get_message(event.message_id) is not None:
            return Outcome.UNCHANGED, None
        return replies.record_outbound(replace(message, received_at=now), now), None
    triaged = triage(event, now)
    if event.kind == EventKind.EDIT:
        stored = store.get_message(event.message_id)
        if stored is not None:
            return store.apply_edit(triaged, stored, now, event.version), triaged.queue
        triaged = replace(triaged, edit_version=event.version)  # an older edit arriving next must not win
    return conversations.save_inbound(triaged, now), triaged.queue


def erase_deleted_on_platform(message_id: str, now: datetime, removed: Outcome) -> Outcome:
    """After a deletion on the platform took the message out of the queues (`removed`: mark_removed's outcome),
    erase it unless it was deleted from here (privacy.erases_on_removal): its author, or someone outside this inbox,
    took it down, and no delete from here is under way (its own webhook may come before it is recorded).
    Idempotent: a redelivery finds it erased and answers as mark_removed did; a message removed before deletions
    erased is erased by its redelivered deletion (UPDATED)."""
    if removed == Outcome.UNKNOWN:
        return removed  # never stored: nothing to erase, nothing written
    stored = store.get_message(message_id)
    deleting = parse_iso(stored.deleting_at) if stored is not None and stored.deleting_at else None
    if stored is None or stored.erased or not privacy.erases_on_removal(stored.moderation, deleting, now):
        return removed
    erased = erasure.erase_message(message_id, now, actor=BY_THE_PLATFORM, reason=privacy.DELETED_ON_PLATFORM)
    return Outcome.UPDATED if removed == Outcome.UNCHANGED and erased == Outcome.UPDATED else removed

