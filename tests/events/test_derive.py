"""Events derived from (old image, new image): one row per kind of change, as the store writes it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from chalicelib.events import derive, schema
from chalicelib.store.entities import iso
from chalicelib.store.messages import history_entry, message_item
from support import triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
SECRET_TEXT = "my card 4111 was charged twice, call me on 555-0100"


def stored(**changes):
    item = message_item(triaged("m1", "customer_service", received_at=T0, text=SECRET_TEXT))
    item["author"] = {"id": "a1", "name": "Aiko Tanaka", "handle": "aiko"}
    return {**item, **changes}


def changed(old, event, actor, at_minute, remove=(), **attributes):
    """The item after one store change: attributes set, others removed, revision bumped, history appended."""
    new = {k: v for k, v in old.items() if k not in remove}
    new.update(attributes)
    new["rev"] = old["rev"] + 1
    new["history"] = old["history"] + [history_entry(event, T0.replace(minute=at_minute), actor)]
    return new


LEASE = iso(T0.replace(minute=30))
OPEN = stored()
CLAIMED = changed(OPEN, "claimed", "key:agent1", 5, status="claimed", claimed_by="key:agent1",
                  lease_expires_at=LEASE, first_claimed_at=iso(T0.replace(minute=5)))
CORRECTION = {"from": "customer_service", "to": "stance", "by": "key:agent1", "at": iso(T0.replace(minute=8)),
              "reason": "about our statement", "model_version": "triage-test"}
SNOOZED = changed(CLAIMED, "snoozed", "key:agent1", 7, remove=("claimed_by", "lease_expires_at"), status="snoozed",
                  snoozed_until=iso(T0.replace(hour=12)))
EDITED_TRIAGE = {**OPEN["triage"], "category": "stance", "confidence": 0.91}
TAGGED = changed(CLAIMED, "tagged", "key:agent2", 6, tags=["refund", "vip"])
RESOLVED = changed(CLAIMED, "resolved", "key:agent1", 10, remove=("claimed_by", "lease_expires_at"),
                   status="resolved", resolved_by="key:agent1", resolved_at=iso(T0.replace(minute=10)))
REOPENED = changed(RESOLVED, "reopened", "key:agent2", 20, remove=("resolved_by", "resolved_at"), status="open",
                   reopened_at=iso(T0.replace(minute=20)))
REOPENED["history"][-1]["details"] = {"reason": "resolved by mistake, call 555-0100"}
HIDDEN_RECORD = {"state": "hidden", "by": "key:agent2", "at": iso(T0.replace(minute=13)), "previous_status": "claimed"}
HIDDEN = changed(CLAIMED, "hidden", "key:agent2", 13, remove=("claimed_by", "lease_expires_at"), status="removed",
                 removed_at=iso(T0.replace(minute=13)), moderation=HIDDEN_RECORD)
REMOVED_BY_PLATFORM = changed(OPEN, "removed", "platform", 11, status="removed", removed_at=iso(T0.replace(minute=11)))

CASES = [
    # name, old, new, expected type, expected data (subset), expected actor
    ("new message", None, OPEN, "message.triaged", {"trigger": "new", "model_version": "triage-test"}, None),
    ("claim", OPEN, CLAIMED, "message.claimed", {"claimed_by": "key:agent1", "lease_expires_at": LEASE},
     "key:agent1"),
    ("claim of an expired lease", CLAIMED,
     changed(CLAIMED, "claimed", "key:agent2", 40, claimed_by="key:agent2", lease_expires_at=iso(T0.replace(hour=10))),
     "message.claimed", {"claimed_by": "key:agent2", "previous_claimant": "key:agent1"}, "key:agent2"),
    ("release", CLAIMED, changed(CLAIMED, "released", "key:agent1", 9, remove=("claimed_by", "lease_expires_at"),
                                 status="open"),
     "message.released", {"previous_claimant": "key:agent1"}, "key:agent1"),
    ("resolve", CLAIMED, changed(CLAIMED, "resolved", "key:agent1", 10, remove=("claimed_by", "lease_expires_at"),
                                 status="resolved", resolved_by="key:agent1", resolved_at=iso(T0.replace(minute=10)),
                                 resolution_note="refunded, see ticket"),
     "message.resolved", {"resolved_by": "key:agent1", "seconds_to_resolve": 600.0}, "key:agent1"),
    ("auto-resolve", OPEN, changed(OPEN, "resolved", "system", 50, status="resolved", resolved_by="system",
                                   resolved_at=iso(T0.replace(minute=50)), resolution_reason="auto_resolved"),
     "message.resolved", {"reason": "auto_resolved", "resolved_by": "system"}, "system"),
    ("snooze", CLAIMED, SNOOZED, "message.snoozed", {"snoozed_until": iso(T0.replace(hour=12))}, "key:agent1"),
    ("snooze ends", SNOOZED, changed(SNOOZED, "reopened", "system", 59, remove=("snoozed_until",), status="open"),
     "message.reopened", {"from_status": "snoozed", "reopened_by": "system"}, "system"),
    ("reopened by hand", RESOLVED, REOPENED, "message.reopened", {"from_status": "resolved", "reopened_by": "key:agent2"},
     "key:agent2"),
    ("re-route", CLAIMED, changed(CLAIMED, "rerouted", "key:agent1", 8, remove=("claimed_by", "lease_expires_at"),
                                  status="open", queue="stance", needs_review=False, corrections=[CORRECTION]),
     "message.rerouted", {"from_queue": "customer_service", "to_queue": "stance", "model_version": "triage-test",
                          "rerouted_by": "key:agent1"}, "key:agent1"),
    ("edit that moves an open message", OPEN,
     changed(OPEN, "edited", "platform:facebook", 3, text="we stand with you", triage=EDITED_TRIAGE, queue="stance"),
     "message.triaged", {"trigger": "edit", "previous_queue": "customer_service"}, "platform:facebook"),
    ("edit of a claimed message", CLAIMED,
     changed(CLAIMED, "edited", "platform:facebook", 6, text="still waiting", triage=EDITED_TRIAGE),
     "message.triaged", {"trigger": "edit"}, "platform:facebook"),
    ("removed on the platform", CLAIMED,
     changed(CLAIMED, "removed", "platform", 11, remove=("claimed_by", "lease_expires_at"), status="removed"),
     "message.removed", {"previous_status": "claimed"}, "platform"),
    ("hidden from the inbox", CLAIMED, HIDDEN, "message.removed",
     {"previous_status": "claimed", "moderation": "hidden", "removed_by": "key:agent2"}, "key:agent2"),
    ("a hidden message deleted from the inbox", HIDDEN,
     changed(HIDDEN, "deleted", "key:manager", 14, moderation={**HIDDEN_RECORD, "state": "deleted", "by": "key:manager"}),
     "message.removed", {"previous_status": "removed", "moderation": "deleted", "removed_by": "key:manager"},
     "key:manager"),
    ("hidden on Facebook itself (its feed verb hide): hidden, by the platform, so it can be shown from here", CLAIMED,
     changed(CLAIMED, "hidden", "platform", 13, remove=("claimed_by", "lease_expires_at"), status="removed",
             moderation={**HIDDEN_RECORD, "by": "platform"}),
     "message.removed", {"previous_status": "claimed", "moderation": "hidden", "removed_by": "platform"}, "platform"),
    ("shown again (unhide)", HIDDEN,
     changed(HIDDEN, "unhidden", "key:agent2", 15, remove=("removed_at", "moderation"), status="open"),
     "message.restored", {"to_status": "open", "restored_by": "key:agent2"}, "key:agent2"),
    ("assigned by a manager to another agent", CLAIMED,
     changed(CLAIMED, "assigned", "key:manager", 12, claimed_by="key:agent3", lease_expires_at=iso(T0.replace(hour=13))),
     "message.claimed", {"claimed_by": "key:agent3", "previous_claimant": "key:agent1"}, "key:manager"),
    ("tags added (no claim needed)", CLAIMED, TAGGED, "message.tagged",
     {"tags": ["refund", "vip"], "added": ["refund", "vip"], "removed": []}, "key:agent2"),
    ("a tag removed and one added", TAGGED, changed(TAGGED, "tagged", "key:agent1", 7, tags=["vip", "crisis"]),
     "message.tagged", {"tags": ["vip", "crisis"], "added": ["crisis"], "removed": ["refund"]}, "key:agent1"),
    ("the last tag removed", TAGGED, changed(TAGGED, "tagged", "key:agent1", 8, tags=[]),
     "message.tagged", {"tags": [], "added": [], "removed": ["refund", "vip"]}, "key:agent1"),
    ("erased at the customer's request (text, name and quoted terms gone)", RESOLVED,
     changed(RESOLVED, "erased", "key:admin", 20, text="", author={"id": "5550001"},
             erased={"at": iso(T0.replace(minute=20)), "by": "key:admin", "reason": "customer_request"}),
     "message.erased", {"reason": "customer_request", "erased_by": "key:admin"}, "key:admin"),
    ("deleted by its author on the platform, then erased", REMOVED_BY_PLATFORM,
     changed(REMOVED_BY_PLATFORM, "erased", "platform", 21, text="",
             erased={"at": iso(T0.replace(minute=21)), "by": "platform", "reason": "deleted_on_platform"}),
     "message.erased", {"reason": "deleted_on_platform", "erased_by": "platform"}, "platform"),
    ("aged out: its conversation closed longer ago than RETENTION_DAYS", RESOLVED,
     changed(RESOLVED, "erased", "system:sweep", 22, text="", author={"id": "5550001"},
             erased={"at": iso(T0.replace(minute=22)), "by": "system:sweep", "reason": "retention"}),
     "message.erased", {"reason": "retention", "erased_by": "system:sweep"}, "system:sweep"),
    ("a state no type names", OPEN, changed(OPEN, "archived", "system", 12, status="archived"),
     "message.status_changed", {"from_status": "open", "to_status": "archived"}, "system"),
]


@pytest.mark.parametrize("name,old,new,event_type,data,actor", CASES, ids=[c[0] for c in CASES])
def test_each_change_is_one_event_of_its_type(name, old, new, event_type, data, actor):
    # WHEN the change's stream record is derived
    (event,) = derive.derive(old, new)
    # THEN it is one event of the expected type, with the message's ids, place and revision after the change
    assert event.type == event_type
    assert event.message_id == new["id"] and event.platform == new["platform"] and event.channel == new["channel"]
    assert (event.queue, event.status, event.revision) == (new["queue"], new["status"], new["rev"])
    assert event.category == new["triage"]["category"] and event.priority == new["priority"]
    assert event.actor == actor
    assert event.data.model_dump(exclude_none=True).items() >= data.items()
    expected_time = new["history"][-1]["at"] if old is not None else new["received_at"]
    assert event.occurred_at == expected_time
    # AND it validates against the published schema
    assert schema.parse(json.loads(schema.entry(event, "bus")["Detail"])) == event


@pytest.mark.parametrize("name,old,new,event_type,data,actor", CASES, ids=[c[0] for c in CASES])
def test_no_text_author_or_notes_unless_the_stage_includes_them(name, old, new, event_type, data, actor):
    new = {**new, "resolution_note": "customer said 555-0100"} if new["status"] == "resolved" else new
    # GIVEN the default: the detail carries no free text and no author identity
    detail = schema.entry(derive.derive(old, new)[0], "bus")["Detail"]
    for private in (SECRET_TEXT, new["text"] or SECRET_TEXT, "Aiko Tanaka", "aiko", "555-0100", "about our statement"):
        assert private not in detail
    assert '"author"' not in detail and '"text"' not in detail
    # WHEN the stage option is on, they are there (an erased message has neither text nor name left)
    (event,) = derive.derive(old, new, include_text=True)
    assert event.text == (new["text"] or None) and event.author.name == new["author"].get("name")
    assert new.get("erased") or event.author.name == "Aiko Tanaka"
    if event_type == "message.resolved" and "resolved_by" in data and data["resolved_by"] != "system":
        assert event.data.note == "customer said 555-0100"
    if event_type == "message.rerouted":
        assert event.data.reason == "about our statement"
    if name == "reopened by hand":
        assert event.data.reason == "resolved by mistake, call 555-0100"


def test_a_reopen_by_the_customer_names_the_platform_and_carries_no_reason():
    # GIVEN a resolved conversation the customer writes in again (the store's history entry names the message)
    new = changed(RESOLVED, "reopened", "platform:facebook", 30, remove=("resolved_by", "resolved_at"), status="open")
    new["history"][-1]["details"] = {"message_id": "facebook:m2", "category": "customer_service"}
    # WHEN it is derived, for a consumer trusted with text too
    (event,) = derive.derive(RESOLVED, new, include_text=True)
    # THEN it is a reopen by the platform, without a reason (the customer's words are the message's text)
    assert event.type == "message.reopened" and event.actor == "platform:facebook"
    assert event.data.model_dump(exclude_none=True) == {"from_status": "resolved", "reopened_by": "platform:facebook"}


def test_a_comment_on_a_low_rating_is_the_reopen_and_the_rating_announced_again():
    # GIVEN a resolved conversation rated 2, whose customer was asked what went wrong
    rating = {"survey_sent_at": iso(T0.replace(minute=11)), "score": 2, "rated_at": iso(T0.replace(minute=12)),
              "message_id": "facebook:m2", "follow_up_sent_at": iso(T0.replace(minute=12))}
    asked = changed(RESOLVED, "rated", "platform:facebook", 12, satisfaction=rating)
    # WHEN their answer joins it: the comment, which reopens it
    commented = {**rating, "comment_message_id": "facebook:m3", "commented_at": iso(T0.replace(minute=30))}
    new = changed(asked, "reopened", "platform:facebook", 30, remove=("resolved_by", "resolved_at"), status="open",
                  satisfaction=commented)
    reopened, rated = derive.derive(asked, new)
    # THEN it is the reopen, and the rating again with the comment's message (another event id)
    assert reopened.type == "message.reopened" and rated.type == "message.rated"
    assert rated.data.model_dump(exclude_none=True) == {
        "score": 2, "survey_sent_at": rating["survey_sent_at"], "resolved_by": "key:agent1",
        "comment_message_id": "facebook:m3", "commented_at": commented["commented_at"]}
    assert reopened.event_id != rated.event_id and rated.occurred_at == commented["commented_at"]
    # AND a comment joining a conversation already open is the rating's event alone; a later change announces none
    still_open = changed(new, "message_added", "platform:facebook", 40, satisfaction=commented)
    assert derive.derive(new, still_open) == []
    reopened_before = {**new, "satisfaction": rating}
    assert [e.type for e in derive.derive(reopened_before, changed(reopened_before, "message_added",
                                                                   "platform:facebook", 41, satisfaction=commented))] == [
        "message.rated"]


def test_event_id_is_stable_per_change_and_differs_between_changes():
    first = derive.derive(OPEN, CLAIMED)[0]
    again = derive.derive(json.loads(json.dumps(OPEN)), json.loads(json.dumps(CLAIMED)))[0]  # a redelivered record
    assert first.event_id == again.event_id
    released = changed(CLAIMED, "released", "key:agent1", 9, remove=("claimed_by",), status="open")
    reclaimed = changed(released, "claimed", "key:agent1", 10, status="claimed", claimed_by="key:agent1")
    ids = {first.event_id, derive.derive(CLAIMED, released)[0].event_id, derive.derive(released, reclaimed)[0].event_id,
           derive.derive(None, OPEN)[0].event_id}
    assert len(ids) == 4


def test_the_history_may_be_capped_the_new_entry_is_still_found():
    # GIVEN a history kept at a fixed length (the oldest entries dropped as new ones come)
    old = {**CLAIMED, "history": CLAIMED["history"][-2:]}
    new = changed(old, "released", "key:agent9", 9, remove=("claimed_by",), status="open")
    new["history"] = new["history"][-2:]
    (event,) = derive.derive(old, new)
    assert event.type == "message.released" and event.actor == "key:agent9"


@pytest.mark.parametrize("old,new", [
    (OPEN, {**OPEN}),  # the same revision: nothing a person or the platform changed
    (OPEN, None),  # a deleted item (messages are never deleted; removal is a status)
    (None, {"pk": "STATS#stance", "sk": "H#2026-11-20T09", "messages": 3}),
    ({"pk": "STATS#stance", "sk": "H#2026-11-20T09", "messages": 3}, {"pk": "STATS#stance", "sk": "H#2026-11-20T09",
                                                                      "messages": 4}),
    (None, {"pk": "APIKEY", "sk": "abc", "type": "api_key", "role": "admin", "hash": "..."}),
    ({"pk": "AUTHOR#x#1", "sk": "W#1", "messages": 1, "expires_at": 1}, None),  # TTL deletion
    (None, {"pk": "CORRECTION", "sk": "t#m1", "type": "correction", "text": SECRET_TEXT}),
])
def test_other_items_and_non_changes_are_no_event(old, new):
    assert derive.derive(old, new) == []


def test_a_new_spike_marker_is_spike_detected_once():
    marker = {"pk": "SPIKE#stance", "sk": "H#2026-11-20T09", "type": "spike", "queue": "stance",
              "hour": "2026-11-20T09:00:00Z", "observed": 40, "expected": 2.5, "p_value": 1e-12,
              "baseline_hours": 168, "method": "poisson", "detected_at": iso(T0.replace(minute=15)), "rev": 1}
    (event,) = derive.derive(None, marker)
    assert event.type == "spike.detected"
    assert (event.category, event.hour, event.observed, event.expected, event.p_value) == (
        "stance", "2026-11-20T09:00:00Z", 40, 2.5, 1e-12)
    assert event.occurred_at == marker["detected_at"]
    assert derive.derive(marker, {**marker}) == []  # markers are written once; any later change is no event
    assert derive.derive(None, marker)[0].event_id == event.event_id


def test_records_are_read_from_lambdas_attribute_value_images():
    from chalicelib.store import dynamo

    record = {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": "42", "OldImage": dynamo.to_item(OPEN),
                                                  "NewImage": dynamo.to_item(CLAIMED)}}
    (event,) = derive.from_record(record)
    assert event == derive.derive(OPEN, CLAIMED)[0]


# channels ------------------------------------------------------------------------------------------

def channel(**attributes):
    return {"pk": "CHANNEL", "sk": "facebook#1234", "type": "channel", "platform": "facebook", "account": "1234",
            "last_webhook_at": iso(T0), **attributes}


TOKEN_FAILED = channel(last_send_at=iso(T0.replace(minute=5)), last_send_ok=False, sends_failed=1, rev=3,
                       last_send_error={"kind": "token_invalid", "message": "Session has expired"},
                       token_error="token_invalid", token_error_since=iso(T0.replace(minute=5)))


@pytest.mark.parametrize("old", [channel(sends_ok=2, rev=2), None], ids=["after sends", "first record is a failure"])
def test_a_send_that_sets_a_token_error_is_channel_unhealthy(old):
    # WHEN a send failed on the token of a channel that had none
    (event,) = derive.derive(old, TOKEN_FAILED)
    # THEN one channel.unhealthy names the channel, the reason and since when
    assert event.type == "channel.unhealthy"
    assert (event.platform, event.account, event.reason, event.error_kind) == (
        "facebook", "1234", "token_error", "token_invalid")
    assert event.since == event.occurred_at == iso(T0.replace(minute=5))
    assert "Session has expired" not in schema.entry(event, "bus")["Detail"]  # the platform's message stays in the API
    assert schema.parse(json.loads(schema.entry(event, "bus")["Detail"])) == event
    # AND a redelivered record is the same event
    assert derive.derive(old, json.loads(json.dumps(TOKEN_FAILED)))[0].event_id == event.event_id


@pytest.mark.parametrize("old,new", [
    (channel(), channel(last_webhook_at=iso(T0.replace(minute=1)))),  # a webhook time moves
    (None, channel()),  # the first webhook
    (TOKEN_FAILED, {**TOKEN_FAILED, "last_webhook_at": iso(T0.replace(minute=9))}),  # a webhook while unhealthy
    (TOKEN_FAILED, {**TOKEN_FAILED, "token_error": "permission_denied", "sends_failed": 2, "rev": 4}),  # still failing
    (TOKEN_FAILED, channel(last_send_ok=True, sends_ok=1, sends_failed=1, rev=4)),  # recovered
    (channel(rev=1), channel(last_send_ok=False, last_send_error={"kind": "rate_limited"}, rev=2)),  # not the token
], ids=["webhook time", "first webhook", "webhook while unhealthy", "still failing", "recovered", "rate limited"])
def test_other_channel_changes_are_no_event(old, new):
    assert derive.derive(old, new) == []


def test_channel_unhealthy_again_after_a_recovery_is_a_new_event():
    recovered = channel(last_send_ok=True, sends_ok=1, sends_failed=1, rev=4)
    again = {**TOKEN_FAILED, "rev": 5, "token_error_since": iso(T0.replace(minute=20))}
    (first,), (second,) = derive.derive(None, TOKEN_FAILED), derive.derive(recovered, again)
    assert first.event_id != second.event_id and second.since == iso(T0.replace(minute=20))


def test_the_stores_own_channel_writes_announce_the_token_error_once(table):
    import os

    from chalicelib.store import channels, dynamo

    def item():
        response = table.get_item(TableName=os.environ["TABLE_NAME"], ConsistentRead=True,
                                  Key=dynamo.key("CHANNEL", "whatsapp#5678"))
        return dynamo.from_item(response["Item"]) if "Item" in response else None

    def failed(minute):
        return channels.record_send("whatsapp", "5678", T0.replace(minute=minute), ok=False, error_kind="token_invalid")

    # GIVEN the store's writes to one channel, each change's (old, new) images
    writes = [lambda: channels.record_webhook("whatsapp", "5678", T0),
              lambda: channels.record_send("whatsapp", "5678", T0.replace(minute=1), ok=True),
              lambda: failed(2), lambda: failed(3),
              lambda: channels.record_webhook("whatsapp", "5678", T0.replace(minute=4))]
    types = []
    for write in writes:
        old = item()
        write()
        types += [(e.type, e.account, e.since) for e in derive.derive(old, item())]
    # THEN only the first token failure is an event
    assert types == [("channel.unhealthy", "5678", iso(T0.replace(minute=2)))]


# replies -------------------------------------------------------------------------------------------

def reply_item(status: str = "sent", **extra):
    return {"pk": "MSG#messenger:m1", "sk": "REPLY#key-0001", "type": "reply", "id": "key-0001",
            "conversation": "messenger:m1", "platform": "messenger", "account": "page1", "by": "key:abc",
            "reply_to": "messenger:m1", "text": "On it", "status": status, "created_at": "2026-12-02T09:00:00.000000Z",
            **extra}


def test_a_sent_reply_is_announced_once_and_each_report_after_it():
    from chalicelib.events.derive import derive

    sending = reply_item("sending", status_rank=0)
    sent = reply_item("sent", status_rank=1, sent_at="2026-12-02T09:00:01.000000Z", platform_message_id="m_1")
    delivered = {**sent, "status": "delivered", "status_rank": 2, "delivered_at": "2026-12-02T09:00:05.000000Z"}
    [announced] = derive(sending, sent)
    assert (announced.type, announced.delivery_status, announced.platform_message_id) == ("reply.sent", "sent", "m_1")
    [report] = derive(sent, delivered)
    assert (report.type, report.delivery_status, report.occurred_at) == (
        "reply.delivery_status", "delivered", "2026-12-02T09:00:05.000000Z")
    assert derive(None, sending) == [] and derive(delivered, delivered) == []
    assert derive(sending, sent)[0].event_id == announced.event_id  # a redelivered record: the same id


def test_the_away_message_is_announced_as_automatic_and_a_persons_reply_is_not():
    from chalicelib.events.derive import derive

    sent = {"status": "sent", "status_rank": 1, "platform_message_id": "m_2"}
    [away] = derive(reply_item("sending", by="system:away", automatic=True), reply_item(by="system:away",
                                                                                       automatic=True, **sent))
    [person] = derive(reply_item("sending"), reply_item(**sent))
    assert (away.by, away.automatic) == ("system:away", True)
    assert person.automatic is None and "automatic" not in person.model_dump(exclude_none=True)


def test_a_message_joining_a_conversation_is_announced_with_its_conversation():
    # GIVEN a member item as the store writes it when a second DM joins a conversation
    from chalicelib.events.derive import derive

    member = {"pk": "MSG#messenger:m2", "sk": "MSG", "id": "messenger:m2", "platform": "messenger",
              "channel": "direct_message", "conversation": "messenger:m1", "conversation_id": "messenger:p:c",
              "queue": "customer_service", "status": "in_conversation", "priority": 40, "needs_review": False,
              "rev": 1, "received_at": "2026-12-02T09:00:00.000000Z", "text": "still waiting",
              "triage": {"category": "customer_service", "model_version": "triage-x", "confidence": 0.9}}
    [event] = derive(None, member)
    assert (event.type, event.message_id, event.conversation) == ("message.triaged", "messenger:m2", "messenger:m1")


def test_a_note_is_announced_once_when_added_and_its_text_only_to_trusted_consumers():
    from chalicelib.events.derive import derive
    from chalicelib.store.entities import MessageKeys, NoteKeys
    from chalicelib.store.notes import StoredNote

    # GIVEN a note as the store writes it, and the conversation's note count beside it
    note = StoredNote("note-0001", "messenger:m1", "Journalist: escalate to PR", "agent:Aiko (0123456789abcdef)",
                      "2026-12-02T09:00:00.000000Z").to_item()
    count = {"pk": MessageKeys.pk("messenger:m1"), "sk": NoteKeys.COUNT_SK, "notes": 1}
    # WHEN the stream carries its insert THEN one note.added names the conversation, the note and its author
    [added] = derive(None, note)
    assert (added.type, added.conversation, added.note_id, added.by, added.occurred_at) == (
        "note.added", "messenger:m1", "note-0001", "agent:Aiko (0123456789abcdef)", "2026-12-02T09:00:00.000000Z")
    assert added.text is None  # agents' free text stays out unless the stage includes text
    assert derive(None, note, include_text=True)[0].text == "Journalist: escalate to PR"
    assert derive(None, note, include_text=True)[0].event_id == added.event_id  # a redelivered record: the same id
    # AND nothing else about notes is an event: not a rewrite of the item, not the count
    assert derive(note, note) == [] and derive(None, count) == [] and derive({**count, "notes": 0}, count) == []


def test_a_private_replys_events_say_it_is_private():
    from chalicelib.events.derive import derive

    sending = reply_item("sending", status_rank=0, private=True)
    sent = reply_item("sent", status_rank=1, sent_at="2026-12-02T09:00:01.000000Z", platform_message_id="m_2",
                      private=True)
    [announced] = derive(sending, sent)
    assert announced.private is True
    [public] = derive(reply_item("sending", status_rank=0), reply_item("sent", status_rank=1, platform_message_id="m_3"))
    assert public.private is None and "private" not in public.model_dump(exclude_none=True)


def test_an_erased_messages_event_carries_no_text_even_when_events_include_text():
    erased = changed(RESOLVED, "erased", "key:admin", 20, text="", author={"id": "5550001"},
                     erased={"at": iso(T0.replace(minute=20)), "by": "key:admin", "reason": "customer_request"})
    (event,) = derive.derive(RESOLVED, erased, include_text=True)
    assert event.type == "message.erased" and event.text is None and event.author.model_dump(exclude_none=True) == {
        "id": "5550001"}


def test_a_message_a_routing_rule_routed_names_the_rule_and_one_the_model_routed_does_not():
    from chalicelib.domain.routing_rules import RoutingRule, RoutingRules, route
    from chalicelib.events.derive import derive

    item = triaged("m9", "community", received_at=T0, text="is my kettle in the recall?")
    rule = RoutingRule(id="a" * 16, name="Kettle recall", words=("recall",), queue="customer_service")
    routed = message_item(replace(item, routing=route(RoutingRules(rules=(rule,)), item.message.text, "facebook",
                                                      "comment", "en")))
    [event] = derive(None, routed)
    assert (event.queue, event.category, event.data.rule) == ("customer_service", "community", "Kettle recall")
    [plain] = derive(None, message_item(item))
    assert plain.data.rule is None and "rule" not in plain.model_dump(exclude_none=True)["data"]
