"""Events from item changes: a pure function of (old image, new image), as the table's stream delivers them.

A message item's change IS the record of the change (written in the same write as the change), so nothing
is added on the webhook path and no change can happen without its event. The type comes from what changed:

    (no old image)                          message.triaged  (trigger new)
    status -> removed                       message.removed (hidden or deleted from the inbox: by whom)
    a hidden message deleted from the inbox message.removed (moderation deleted)
    removed -> anything (shown again)       message.restored
    erased (its content, domain.privacy)    message.erased (reason, by whom)
    queue changed with a new correction     message.rerouted (from, to, model version)
    text or triage changed (an edit)        message.triaged  (trigger edit)
    status -> resolved                      message.resolved (resolver, reason such as auto_resolved)
    status -> snoozed                       message.snoozed
    status -> claimed, or a new holder      message.claimed
    claimed -> open                         message.released
    snoozed/resolved -> open                message.reopened (who: a person, the customer, the sweep; reason)
    any other status change                 message.status_changed
    a wait past the SLA marked (the sweep)  message.sla_breached (the SLA, since when the customer waited)
    tags changed (and nothing above)        message.tagged   (all tags, added, removed)
    the survey's rating recorded            message.rated    (score, when the survey went, who resolved)
    the customer's comment on it            message.rated    again, with the comment's message (beside the event
                                                             of the change its message made: message.reopened)
    a new spike marker                      spike.detected
    a channel's token_error set             channel.unhealthy (a send failed on the token or a permission)
    a reply sending -> sent                 reply.sent
    a sent reply delivered, read or failed  reply.delivery_status
    a note added to a conversation          note.added

Who acted and when come from the history entry the change appended. `event_id` is a UUID derived from the
item's key, its revision after the change and the type: a redelivered stream record yields the same id.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..store import dynamo
from ..store.entities import ChannelKeys, MessageKeys, NoteKeys, ReplyKeys, SpikeKeys, parse_iso
from ..domain.blocks import BLOCKED
from ..domain.workflow import CLAIMED, OPEN, REMOVED, RESOLVED, SNOOZED
from . import schema

EVENT_ID_NAMESPACE = uuid.UUID("6f1d4c1e-2b8a-4c53-9a57-5e0f0c1b7a11")

# the message item's attributes read here (chalicelib/store/messages.py writes them)
STATUS, QUEUE, REV, HISTORY, CORRECTIONS, TRIAGE, TEXT = (
    "status", "queue", "rev", "history", "corrections", "triage", "text")
CLAIMED_BY, LEASE_EXPIRES_AT, SNOOZED_UNTIL, TAGS = "claimed_by", "lease_expires_at", "snoozed_until", "tags"
MODERATION = "moderation"
ERASED = "erased"
SATISFACTION = "satisfaction"
SLA_BREACH = "sla_breach"


def event_id(pk: str, sk: str, revision: int, event_type: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{pk}\x1f{sk}\x1f{revision}\x1f{event_type}"))


def from_record(record: dict[str, Any], include_text: bool = False) -> list[schema.BaseEvent]:
    """The events of one DynamoDB stream record (Lambda's shape: images as AttributeValue JSON)."""
    change = record.get("dynamodb", {})
    old = dynamo.from_item(change["OldImage"]) if "OldImage" in change else None
    new = dynamo.from_item(change["NewImage"]) if "NewImage" in change else None
    return derive(old, new, include_text)


def derive(old: dict[str, Any] | None, new: dict[str, Any] | None, include_text: bool = False) -> list[schema.BaseEvent]:
    """The events one item change stands for (none for items that are not messages or spike markers)."""
    item = new or old
    if item is None or new is None:  # messages are never deleted (removal is a status); TTL deletes counters
        return []
    if item.get("sk") == MessageKeys.SK and item.get("pk", "").startswith(MessageKeys.pk("")):
        return _message_events(old, new, include_text)
    if old is None and SpikeKeys.is_marker(item):
        return [_spike_event(new)]
    if ChannelKeys.is_channel(new):
        return _channel_events(old, new)
    if new.get("type") == "reply" and str(new.get("sk", "")).startswith((ReplyKeys.PREFIX, ReplyKeys.TIMED_PREFIX)):
        return _reply_events(old, new)
    if old is None and new.get("type") == "note" and str(new.get("sk", "")).startswith(NoteKeys.PREFIX):
        return [schema.NoteAdded(event_id=event_id(new["pk"], new["sk"], 1, schema.NOTE_ADDED),
                                 occurred_at=new["created_at"], conversation=new["conversation"], note_id=new["id"],
                                 by=new["by"], text=new["text"] if include_text else None)]
    return []


# messages --------------------------------------------------------------------------------------------

def _message_events(old: dict[str, Any] | None, new: dict[str, Any], include_text: bool) -> list[schema.BaseEvent]:
    if old is None:
        data = _triaged_data(new, "new", None)
        if (new.get(MODERATION) or {}).get("state") == BLOCKED:
            data["held_back"] = True
        return [_message_event(schema.MessageTriaged, new, None, include_text, data, at=new.get("received_at"))]
    if new.get(REV) == old.get(REV):
        return []  # not a change of the message's state (every state change bumps the revision)
    before, after = old.get(STATUS), new.get(STATUS)
    entry = _new_history_entry(old, new)
    actor = entry.get("actor") if entry else None
    moderated, was_moderated = (new.get(MODERATION) or {}).get("state"), (old.get(MODERATION) or {}).get("state")
    if new.get(ERASED) and not old.get(ERASED):
        model, data = schema.MessageErased, {"reason": new[ERASED].get("reason"), "erased_by": actor}
    elif after == REMOVED and (before != REMOVED or moderated != was_moderated):
        model, data = schema.MessageRemoved, {"previous_status": before, "moderation": moderated,
                                              "removed_by": actor if moderated else None}
    elif before == REMOVED and after != REMOVED:
        model, data = schema.MessageRestored, {"to_status": after, "restored_by": actor}
    elif new.get(QUEUE) != old.get(QUEUE) and (new.get(CORRECTIONS) or []) != (old.get(CORRECTIONS) or []):
        correction = (new.get(CORRECTIONS) or [{}])[-1]
        model, data = schema.MessageRerouted, {
            "from_queue": correction.get("from", old.get(QUEUE)), "to_queue": correction.get("to", new.get(QUEUE)),
            "model_version": correction.get("model_version", old.get(TRIAGE, {}).get("model_version")),
            "rerouted_by": correction.get("by", actor),
            "reason": correction.get("reason") if include_text else None}
    elif new.get(TEXT) != old.get(TEXT) or new.get(TRIAGE) != old.get(TRIAGE) or new.get(QUEUE) != old.get(QUEUE):
        previous = old.get(QUEUE) if old.get(QUEUE) != new.get(QUEUE) else None
        trigger = "second_opinion" if entry and entry.get("event") == "second_opinion" else "edit"
        model, data = schema.MessageTriaged, _triaged_data(new, trigger, previous)
    elif after == RESOLVED and before != RESOLVED:
        model, data = schema.MessageResolved, {
            "resolved_by": new.get("resolved_by", actor), "reason": new.get("resolution_reason"),
            "seconds_to_resolve": _seconds_between(new.get("received_at"), new.get("resolved_at")),
            "note": new.get("resolution_note") if include_text else None}
    elif after == SNOOZED and before != SNOOZED:
        model, data = schema.MessageSnoozed, {"snoozed_until": new.get(SNOOZED_UNTIL)}
    elif after == CLAIMED and (before != CLAIMED or new.get(CLAIMED_BY) != old.get(CLAIMED_BY)
                               or new.get(LEASE_EXPIRES_AT) != old.get(LEASE_EXPIRES_AT)):
        took_over = before == CLAIMED and old.get(CLAIMED_BY) != new.get(CLAIMED_BY)
        model, data = schema.MessageClaimed, {
            "claimed_by": new.get(CLAIMED_BY) or actor, "lease_expires_at": new.get(LEASE_EXPIRES_AT),
            "previous_claimant": old.get(CLAIMED_BY) if took_over else None}
    elif before == CLAIMED and after == OPEN:
        model, data = schema.MessageReleased, {"previous_claimant": old.get(CLAIMED_BY)}
    elif before in (SNOOZED, RESOLVED) and after == OPEN:
        reopening = entry if entry and entry.get("event") == "reopened" else {}
        reason = (reopening.get("details") or {}).get("reason")  # a person's, when they gave one
        model, data = schema.MessageReopened, {"from_status": before, "reopened_by": actor,
                                               "reason": reason if include_text else None}
    elif before != after:
        model, data = schema.MessageStatusChanged, {"from_status": before, "to_status": after}
    elif (new.get(SATISFACTION) or {}).get("score") is not None and not (old.get(SATISFACTION) or {}).get("score"):
        satisfaction = new[SATISFACTION]
        model, data = schema.MessageRated, {"score": satisfaction["score"],
                                            "survey_sent_at": satisfaction.get("survey_sent_at"),
                                            "resolved_by": new.get("resolved_by")}
    elif new.get(SLA_BREACH) and new.get(SLA_BREACH) != old.get(SLA_BREACH):
        breach = new[SLA_BREACH]
        model, data = schema.MessageSlaBreached, {"sla_seconds": breach["sla_seconds"],
                                                  "waiting_since": breach["waiting_since"],
                                                  "business_hours": bool(breach.get("business_hours"))}
    elif (new.get(TAGS) or []) != (old.get(TAGS) or []):
        tags, previous = new.get(TAGS) or [], old.get(TAGS) or []
        model, data = schema.MessageTagged, {"tags": tags, "added": [t for t in tags if t not in previous],
                                             "removed": [t for t in previous if t not in tags]}
    else:
        return _comment_events(old, new, actor, include_text)  # else nothing an event names changed
    at = entry.get("at") if entry else None
    return [_message_event(model, new, actor, include_text, data, at=at),
            *_comment_events(old, new, actor, include_text)]


def _comment_events(old: dict[str, Any], new: dict[str, Any], actor: str | None,
                    include_text: bool) -> list[schema.BaseEvent]:
    """message.rated again when the customer's comment on their rating arrived (with the message that reopened the
    conversation, whose own event is message.reopened)."""
    satisfaction, before = new.get(SATISFACTION) or {}, old.get(SATISFACTION) or {}
    commented = satisfaction.get("comment_message_id") and not before.get("comment_message_id")
    if not commented or satisfaction.get("score") is None:
        return []
    return [_message_event(schema.MessageRated, new, actor, include_text, {
        "score": satisfaction["score"], "survey_sent_at": satisfaction.get("survey_sent_at"),
        "resolved_by": new.get("resolved_by") or old.get("resolved_by"),
        "comment_message_id": satisfaction["comment_message_id"], "commented_at": satisfaction.get("commented_at")},
        at=satisfaction.get("commented_at"))]


def _new_history_entry(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The entry the change appended to the message's history (compared by value: the list may be capped)."""
    history, previous = new.get(HISTORY) or [], old.get(HISTORY) or []
    if history and (not previous or history[-1] != previous[-1]):
        return history[-1]
    return None


def _triaged_data(item: dict[str, Any], trigger: str, previous_queue: str | None) -> dict[str, Any]:
    triage = item.get(TRIAGE) or {}
    return {"trigger": trigger, "model_version": triage.get("model_version", "unknown"),
            "confidence": triage.get("confidence", 0.0), "language": item.get("language"),
            "priority_reasons": item.get("priority_reasons") or [], "previous_queue": previous_queue,
            "rule": (triage.get("rule") or {}).get("name")}


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_iso(end) - parse_iso(start)).total_seconds(), 3)


def _message_event(model: type[schema.MessageEvent], item: dict[str, Any], actor: str | None, include_text: bool,
                   data: dict[str, Any], at: str | None) -> schema.MessageEvent:
    event_type = model.model_fields["type"].default
    revision = int(item.get(REV, 0))
    triage = item.get(TRIAGE) or {}
    author = item.get("author") if include_text else None
    return model(
        event_id=event_id(item["pk"], item["sk"], revision, event_type),
        occurred_at=at or item.get("received_at") or "",
        message_id=item["id"], platform=item["platform"], channel=item["channel"],
        conversation_id=item.get("conversation_id"), conversation=item.get("conversation"),
        thread_id=item.get("thread_id"), parent_id=item.get("parent_id"),
        queue=item[QUEUE], category=triage.get("category", item[QUEUE]), priority=int(item.get("priority", 0)),
        needs_review=bool(item.get("needs_review")), status=item[STATUS], revision=revision, actor=actor,
        text=(item.get(TEXT) or None) if include_text else None,  # an erased message has none
        author=schema.AuthorDetail(**author) if author else None,
        data={k: v for k, v in data.items() if v is not None},
    )


# spikes ----------------------------------------------------------------------------------------------

def _spike_event(item: dict[str, Any]) -> schema.SpikeDetected:
    return schema.SpikeDetected(
        event_id=event_id(item["pk"], item["sk"], int(item.get(REV, 1)), schema.SPIKE_DETECTED),
        occurred_at=item["detected_at"], category=item["queue"], hour=item["hour"], observed=item["observed"],
        expected=item["expected"], p_value=item["p_value"], baseline_hours=item["baseline_hours"],
        method=item["method"],
    )


# channels --------------------------------------------------------------------------------------------

def _channel_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[schema.BaseEvent]:
    """channel.unhealthy when a send sets token_error; webhook times, other sends and recoveries are no event."""
    if not new.get("token_error") or (old or {}).get("token_error"):
        return []
    since = new.get("token_error_since") or new.get("last_send_at") or ""
    return [schema.ChannelUnhealthy(
        event_id=event_id(new["pk"], new["sk"], int(new.get(REV, 0)), schema.CHANNEL_UNHEALTHY),
        occurred_at=since, platform=new["platform"], account=new.get("account"), reason="token_error",
        error_kind=new["token_error"], since=since,
    )]


# replies ---------------------------------------------------------------------------------------------

REPORTED = ("delivered", "read", "failed")


def _reply_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[schema.BaseEvent]:
    """reply.sent when the platform took it; reply.delivery_status when a report moved it on."""
    before, after = (old or {}).get(STATUS), new.get(STATUS)
    if before == after:
        return []
    if after == "sent" and before in (None, "sending"):
        model, at = schema.ReplySent, new.get("sent_at")
    elif after in REPORTED and before in ("sent", "delivered"):
        model, at = schema.ReplyDeliveryStatus, new.get(f"{after}_at")
    else:
        return []
    return [model(
        event_id=event_id(new["pk"], new["sk"], int(new.get("status_rank", 0)) * 10 + REPORTED.index(after)
                          if after in REPORTED else 1, model.model_fields["type"].default),
        occurred_at=at or new.get("sent_at") or new.get("created_at", ""), conversation=new["conversation"],
        reply_id=new["id"], platform=new["platform"], account=new.get("account"), by=new["by"],
        reply_to=new["reply_to"], delivery_status=after, platform_message_id=new.get("platform_message_id"),
        error=new.get("error") if after == "failed" else None, private=True if new.get("private") else None,
        automatic=True if new.get("automatic") else None,
    )]
