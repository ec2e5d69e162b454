"""The outbound events: one pydantic model per type, their JSON Schema (published with the OpenAPI document
under components/schemas and served alone at GET /events/schema.json), and the EventBridge entry of each.

Every event is an EventBridge event with `source` = SOURCE and `detail-type` = its `type`; its `detail` is
the model below. `event_id` is stable: the same change always yields the same id (a redelivered stream
record too), so consumers drop duplicates by it. Message text, the author's identity and agents' free-text
notes are left out unless the stage sets EVENTS_INCLUDE_TEXT=true (for trusted consumers).
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..models import Queue

SOURCE = "social-triage"
SCHEMA_VERSION = "1"

MESSAGE_TRIAGED = "message.triaged"
MESSAGE_CLAIMED = "message.claimed"
MESSAGE_RELEASED = "message.released"
MESSAGE_SNOOZED = "message.snoozed"
MESSAGE_REOPENED = "message.reopened"
MESSAGE_RESOLVED = "message.resolved"
MESSAGE_REROUTED = "message.rerouted"
MESSAGE_REMOVED = "message.removed"
MESSAGE_RESTORED = "message.restored"
MESSAGE_ERASED = "message.erased"
MESSAGE_STATUS_CHANGED = "message.status_changed"
MESSAGE_TAGGED = "message.tagged"
MESSAGE_RATED = "message.rated"
MESSAGE_SLA_BREACHED = "message.sla_breached"
REPLY_SENT = "reply.sent"
REPLY_DELIVERY = "reply.delivery_status"
NOTE_ADDED = "note.added"
SPIKE_DETECTED = "spike.detected"
CHANNEL_UNHEALTHY = "channel.unhealthy"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AuthorDetail(_Model):
    id: str
    handle: str | None = None
    name: str | None = None


class BaseEvent(_Model):
    event_id: str = Field(description="stable per change (a UUID): drop events whose id you have already seen")
    schema_version: Literal["1"] = SCHEMA_VERSION
    occurred_at: str = Field(description="when the change happened, ISO 8601 UTC")
    truncated: list[str] | None = Field(
        None, description="the free-text fields (e.g. `text`, `data.note`) cut short so that the event fits "
                          "EventBridge's 256 KB; the API has them whole (GET /messages/{message_id})")


class MessageEvent(BaseEvent):
    """What every message event carries: the ids involved, where the message is, and who acted."""

    message_id: str = Field(description="`<platform>:<native id>`; GET /messages/{message_id} has the rest")
    platform: str
    channel: str
    conversation_id: str | None = Field(None, description="the platform's thread (DM conversation)")
    conversation: str | None = Field(None, description="the conversation it belongs to (the id of its first message; "
                                                       "GET /conversations/{conversation}); for a conversation's "
                                                       "first message, the conversation's own changes")
    thread_id: str | None = None
    parent_id: str | None = None
    queue: Queue = Field(description="the queue the message is in after the change")
    category: Queue = Field(description="the category the model chose")
    priority: int
    needs_review: bool
    status: str = Field(description="open, claimed, snoozed, resolved or removed, after the change")
    revision: int = Field(description="the message's revision after the change: orders one message's events")
    actor: str | None = Field(None, description="who made the change: key:<id>, platform:<name>, model, system:sweep (the scheduled sweep)")
    text: str | None = Field(None, description="only with EVENTS_INCLUDE_TEXT=true")
    author: AuthorDetail | None = Field(None, description="only with EVENTS_INCLUDE_TEXT=true")


class TriagedData(_Model):
    trigger: Literal["new", "edit", "second_opinion"] = Field(
        description="a new message, an edit that was triaged again, or the second-opinion model's verdict replacing "
                    "the first (seconds later; data.previous_queue is set when it moved the message)")
    model_version: str
    confidence: float
    language: str | None = None
    priority_reasons: list[str] = []
    previous_queue: Queue | None = Field(None, description="edit: the queue before, when it changed")
    held_back: bool | None = Field(None, description="new: true when its author is blocked, so it was stored in "
                                   "Removed (status `removed`) and is in no queue: nothing to open a ticket for")
    rule: str | None = Field(None, description="the managers' routing rule that chose its queue (its name); the model's "
                             "verdict is `category`")


class MessageTriaged(MessageEvent):
    type: Literal["message.triaged"] = MESSAGE_TRIAGED
    data: TriagedData


class ClaimedData(_Model):
    claimed_by: str
    lease_expires_at: str | None = None
    previous_claimant: str | None = Field(None, description="when the claim took over an expired lease")


class MessageClaimed(MessageEvent):
    type: Literal["message.claimed"] = MESSAGE_CLAIMED
    data: ClaimedData


class ReleasedData(_Model):
    previous_claimant: str | None = None


class MessageReleased(MessageEvent):
    type: Literal["message.released"] = MESSAGE_RELEASED
    data: ReleasedData


class SnoozedData(_Model):
    snoozed_until: str | None = None


class MessageSnoozed(MessageEvent):
    type: Literal["message.snoozed"] = MESSAGE_SNOOZED
    data: SnoozedData


class ReopenedData(_Model):
    from_status: str
    reopened_by: str | None = Field(None, description="a person (POST /conversations/{id}/reopen), platform:<name> "
                                                      "(the customer wrote again) or system:sweep (a snooze ended)")
    reason: str | None = Field(None, description="the person's reason, when given (only with EVENTS_INCLUDE_TEXT=true)")


class MessageReopened(MessageEvent):
    type: Literal["message.reopened"] = MESSAGE_REOPENED
    data: ReopenedData


class ResolvedData(_Model):
    resolved_by: str | None = None
    reason: str | None = Field(None, description="why, when not a person's decision (e.g. auto_resolved)")
    seconds_to_resolve: float | None = Field(None, description="from receipt to resolution")
    note: str | None = Field(None, description="only with EVENTS_INCLUDE_TEXT=true")


class MessageResolved(MessageEvent):
    type: Literal["message.resolved"] = MESSAGE_RESOLVED
    data: ResolvedData


class ReroutedData(_Model):
    from_queue: Queue
    to_queue: Queue
    model_version: str | None = Field(None, description="the model whose category was corrected")
    rerouted_by: str | None = None
    reason: str | None = Field(None, description="only with EVENTS_INCLUDE_TEXT=true")


class MessageRerouted(MessageEvent):
    type: Literal["message.rerouted"] = MESSAGE_REROUTED
    data: ReroutedData


class RemovedData(_Model):
    previous_status: str
    moderation: Literal["hidden", "deleted"] | None = Field(
        None, description="hidden or deleted from the inbox, or hidden on Facebook itself (removed_by `platform`): a "
                          "hidden one can be shown again (absent: removed on the platform itself without a hide)")
    removed_by: str | None = Field(None, description="who hid or deleted it (`platform`: on Facebook itself)")


class MessageRemoved(MessageEvent):
    type: Literal["message.removed"] = MESSAGE_REMOVED
    data: RemovedData


class RestoredData(_Model):
    to_status: str = Field(description="where it is again: open or resolved (a conversation), in_conversation")
    restored_by: str | None = None


class MessageRestored(MessageEvent):
    """A hidden message was shown again (unhide, from the inbox or on Facebook itself): it is back in its thread, or
    its conversation is open again (resolved, when it was or when its thread moved on while it was hidden)."""

    type: Literal["message.restored"] = MESSAGE_RESTORED
    data: RestoredData


class ErasedData(_Model):
    reason: str = Field(description="customer_request (an admin erased the customer's data), deleted_on_platform "
                                    "(its author, or the platform, deleted it there) or retention (its conversation "
                                    "closed longer ago than RETENTION_DAYS: the sweep erased it)")
    erased_by: str | None = None


class MessageErased(MessageEvent):
    """The message's content was erased here (domain.privacy): its text and its author's name are gone. A tool that
    keeps a copy of the message (from message.triaged with its text) erases its copy too."""

    type: Literal["message.erased"] = MESSAGE_ERASED
    data: ErasedData


class StatusChangedData(_Model):
    from_status: str
    to_status: str


class MessageStatusChanged(MessageEvent):
    """A transition none of the types above names (kept so that no change goes unannounced)."""

    type: Literal["message.status_changed"] = MESSAGE_STATUS_CHANGED
    data: StatusChangedData


class TaggedData(_Model):
    tags: list[str] = Field(description="all the conversation's tags after the change, in the order added")
    added: list[str] = []
    removed: list[str] = []


class MessageTagged(MessageEvent):
    """The team changed a conversation's tags (POST /conversations/{id}/tags, or a bulk tag): on its first message."""

    type: Literal["message.tagged"] = MESSAGE_TAGGED
    data: TaggedData


class RatedData(_Model):
    score: int = Field(ge=1, le=5, description="the customer's rating, 1 (poor) to 5 (great)")
    survey_sent_at: str | None = Field(None, description="when the satisfaction survey went to the customer")
    resolved_by: str | None = Field(None, description="who resolved the conversation rated")
    comment_message_id: str | None = Field(None, description="sent again with this when the customer answered the "
                                           "follow-up question after a low rating: their message that comments on "
                                           "the rating (its own message.triaged has its words)")
    commented_at: str | None = None


class MessageRated(MessageEvent):
    """The customer answered the satisfaction survey (GET /satisfaction-survey) with a rating: on the conversation's
    first message, which stays resolved. Sent again, with `comment_message_id`, when they answer the follow-up question
    a low rating gets."""

    type: Literal["message.rated"] = MESSAGE_RATED
    data: RatedData


class SlaBreachedData(_Model):
    sla_seconds: int = Field(description="the queue's SLA it broke (settings SLA_<QUEUE>)")
    waiting_since: str = Field(description="the customer's latest message: they have waited since then, and nobody "
                               "holds the conversation")
    business_hours: bool = Field(description="true: the wait was counted in business hours only (GET /business-hours)")


class MessageSlaBreached(MessageEvent):
    """A conversation open and held by nobody whose customer has waited past its queue's SLA (found by the sweep,
    every 5 minutes): on its first message, once per wait, for a chat channel or a helpdesk to escalate."""

    type: Literal["message.sla_breached"] = MESSAGE_SLA_BREACHED
    data: SlaBreachedData


class ReplyEvent(BaseEvent):
    """A reply sent from the inbox (POST /conversations/{id}/replies) and what became of it."""

    conversation: str = Field(description="the conversation's id; GET /conversations/{conversation} has the rest")
    reply_id: str = Field(description="the reply's idempotency key")
    platform: str
    account: str | None = None
    by: str = Field(description="who sent it: key:<id>, or system:away for the away message")
    reply_to: str = Field(description="the customer message answered")
    delivery_status: Literal["sent", "delivered", "read", "failed"]
    platform_message_id: str | None = None
    error: str | None = Field(None, description="the platform's error, for failed")
    private: bool | None = Field(None, description="true: a private reply, a direct message to the author of the "
                                 "comment answered (absent: in the comment's thread, or the conversation's own DM)")
    automatic: bool | None = Field(None, description="true: an automatic message, not the brand's answer: the away "
                                   "message (by system:away), sent outside business hours, or the satisfaction survey "
                                   "(by system:survey)")


class ReplySent(ReplyEvent):
    """The platform took the reply."""

    type: Literal["reply.sent"] = REPLY_SENT


class ReplyDeliveryStatus(ReplyEvent):
    """A platform's report on a sent reply: delivered, read, or failed (reports never move a reply back)."""

    type: Literal["reply.delivery_status"] = REPLY_DELIVERY


class NoteAdded(BaseEvent):
    """An internal note left on a conversation (POST /conversations/{id}/notes): for a helpdesk to mirror."""

    type: Literal["note.added"] = NOTE_ADDED
    conversation: str = Field(description="the conversation's id; GET /conversations/{conversation} lists its notes")
    note_id: str = Field(description="the note's idempotency key")
    by: str = Field(description="who wrote it")
    text: str | None = Field(None, description="the note (only with EVENTS_INCLUDE_TEXT=true)")


class SpikeDetected(BaseEvent):
    type: Literal["spike.detected"] = SPIKE_DETECTED
    category: Queue
    hour: str = Field(description="the UTC hour, ISO 8601 (its start)")
    observed: int
    expected: float
    p_value: float
    baseline_hours: int
    method: str


class ChannelUnhealthy(BaseEvent):
    """A brand channel whose send failed on its token or a permission (once, until a send succeeds again)."""

    type: Literal["channel.unhealthy"] = CHANNEL_UNHEALTHY
    platform: str
    account: str | None = Field(None, description="the channel's account: Facebook Page id, Instagram account id, "
                                                  "WhatsApp phone number id, X user id, Telegram bot")
    reason: str = Field(description="token_error")
    error_kind: str | None = Field(None, description="token_invalid, permission_denied or token_missing")
    since: str | None = Field(None, description="the first failure since the last successful send")


EVENT_MODELS: tuple[type[BaseEvent], ...] = (
    MessageTriaged, MessageClaimed, MessageReleased, MessageSnoozed, MessageReopened, MessageResolved,
    MessageRerouted, MessageRemoved, MessageRestored, MessageErased, MessageStatusChanged, MessageTagged, MessageRated,
    MessageSlaBreached, ReplySent, ReplyDeliveryStatus, NoteAdded, SpikeDetected, ChannelUnhealthy,
)
EVENT_TYPES: tuple[str, ...] = tuple(m.model_fields["type"].default for m in EVENT_MODELS)
Event = Annotated[Union[EVENT_MODELS], Field(discriminator="type")]  # type: ignore[valid-type]


@functools.lru_cache(maxsize=1)
def adapter() -> TypeAdapter:
    return TypeAdapter(Event)


def parse(detail: dict[str, Any] | str) -> BaseEvent:
    """An event's detail (dict or JSON text) as its model; raises pydantic.ValidationError."""
    if isinstance(detail, str):
        return adapter().validate_json(detail)
    return adapter().validate_python(detail)


# EventBridge refuses an entry (and a request) over 256 KB. A stored text may be 64 KiB, which JSON can write
# six times longer (a control character as \u0001), so an event with text may not fit as it is.
MAX_ENTRY_BYTES = 256 * 1024
ENTRY_OVERHEAD = 14  # what EventBridge counts for the entry's Time
FREE_TEXT = (("text",), ("data", "note"), ("data", "reason"), ("author", "name"), ("author", "handle"))


def entry(event: BaseEvent, bus_name: str) -> dict[str, Any]:
    """The PutEvents entry of an event, its free texts cut short when it would not fit EventBridge's limit."""
    budget = MAX_ENTRY_BYTES - ENTRY_OVERHEAD - len(SOURCE.encode()) - len(event.type.encode())
    return {"Source": SOURCE, "DetailType": event.type, "EventBusName": bus_name,
            "Detail": fitted_detail(event, budget), "Time": event.occurred_at}


def fitted_detail(event: BaseEvent, budget: int) -> str:
    """The event's detail as JSON of at most `budget` bytes: the longest free text is cut (on a character),
    then the next, and the event names what was cut in `truncated`."""
    detail = event.model_dump_json(exclude_none=True)
    if len(detail.encode()) <= budget:
        return detail
    model, data, cut = type(event), event.model_dump(exclude_none=True), []
    while True:
        over = len(detail.encode()) - budget
        texts = [(path, _get(data, path)) for path in FREE_TEXT]
        texts = [(path, text) for path, text in texts if isinstance(text, str) and text]
        if over <= 0 or not texts:
            return detail
        path, text = max(texts, key=lambda t: _json_bytes(t[1]))
        _set(data, path, _cut_by(text, over))
        cut.append(".".join(path))
        data["truncated"] = sorted(set(cut))
        detail = model.model_validate(data).model_dump_json(exclude_none=True)


def _cut_by(text: str, excess: int) -> str:
    """The longest beginning of `text` that JSON writes at least `excess` bytes shorter (binary search)."""
    target = _json_bytes(text) - excess
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _json_bytes(text[:mid]) <= target:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def _json_bytes(text: str) -> int:
    return len(_dumps(text).encode())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


def _set(data: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for name in path[:-1]:
        data = data[name]
    data[path[-1]] = value


def json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON Schema of every event (a `oneOf` discriminated by `type`)."""
    schema = adapter().json_schema(ref_template=ref_template, mode="serialization")
    schema["title"] = "social-triage event detail"
    schema["description"] = (f"The `detail` of EventBridge events with source `{SOURCE}`; `detail-type` is the "
                             "event's `type`. Drop duplicates by `event_id`.")
    return schema


def component_schemas(ref_template: str) -> dict[str, Any]:
    """The event models for an OpenAPI document's components/schemas (Event is the union)."""
    schema = json_schema(ref_template)
    definitions = schema.pop("$defs", {})
    return {**definitions, "Event": schema}


def document() -> dict[str, Any]:
    """The standalone JSON Schema served at GET /events/schema.json."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "social-triage/events.schema.json",
            **json_schema()}
