"""The whole path: webhooks and agents' actions through the API -> the table's stream -> the publisher ->
EventBridge rules -> SQS, as a helpdesk worker would consume it."""

from __future__ import annotations

import json
import os
import time

import boto3
import pytest

from chalicelib.events import publisher, schema
from event_stream import (BUS, Consumer, FlakyPutEvents, StreamReader, batches, dead_letter_queue,
                          enforce_eventbridge_limits, streams_client)
from support import call, dumps, generic_headers, payloads, post_webhook

CS_RULE = {"source": [schema.SOURCE], "detail-type": [{"prefix": "message."}], "detail": {"queue": ["stance"]}}


@pytest.fixture
def pipeline(api, keys, request):
    from local.dynamodb import lean_transactions

    lean_transactions()  # moto would deep-copy the table and its whole stream on every transaction
    publisher._client.cache_clear()
    # the first test reads the stream through moto's dynamodbstreams API, the others from moto's shard (faster)
    reader = StreamReader(boto3.client("dynamodb", region_name="us-east-1"), os.environ["TABLE_NAME"],
                          via_api=request.node.name.startswith("test_every_change"))
    everything = Consumer()
    stance_desk = Consumer(pattern=CS_RULE, name="stance-desk")  # the template's per-queue example rule
    dlq = dead_letter_queue()
    events_client = boto3.client("events", region_name="us-east-1")
    enforce_eventbridge_limits(events_client)
    p = publisher.Publisher(BUS, dlq, events_client=events_client, sqs_client=boto3.client("sqs", region_name="us-east-1"),
                            sleep=lambda s: None)
    yield api, keys, reader, everything, stance_desk, p, dlq
    publisher._client.cache_clear()


def publish_all(reader, p, include_text=False):
    answers = [publisher.handle_stream(b, p, include_text=include_text) for b in batches(reader.read(), 100)]
    assert all(a == {"batchItemFailures": []} for a in answers)


def generic(api, native_id, text, action="new", at=None):
    body = dumps(payloads.generic_message(native_id, text, action=action))
    response = post_webhook(api, "generic", body, generic_headers(body, timestamp=at))
    assert response.status_code == 200, response.body


def dm_claimed(api, keys, mid: str, text: str, sender: str) -> str:
    """A Messenger DM received and claimed by the customer-service agent: its conversation's id."""
    assert post_webhook(api, "meta", dumps(payloads.messenger_dm(mid, text, sender=sender))).status_code == 200
    (claimed,) = call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})[1]["claimed"]
    return claimed["id"]


def test_every_change_made_through_the_api_is_one_event_on_the_bus_in_revision_order(pipeline):
    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    # GIVEN a customer-service message handled end to end, and another edited then removed on the platform
    message_id = dm_claimed(api, keys, "m_pipe_1", "my order never arrived, I want a refund", "61000099")
    assert call(api, "POST", f"/messages/{message_id}/release", keys["agent_cs"])[0] == 200
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})
    assert call(api, "POST", f"/messages/{message_id}/reroute", keys["agent_cs"],
                {"queue": "stance", "reason": "about our statement"})[0] == 200
    call(api, "POST", "/queues/stance/claim", keys["agent_stance"], {"count": 1})
    assert call(api, "POST", f"/messages/{message_id}/resolve", keys["agent_stance"], {"note": "answered"})[0] == 200
    now = int(time.time())
    generic(api, "urn:li:comment:77", "is the store open today?", at=now - 20)
    generic(api, "urn:li:comment:77", "is the store on main street open today?", action="edit", at=now - 10)
    generic(api, "urn:li:comment:77", "", action="remove", at=now)
    # WHEN the stream's records go through the publisher
    publish_all(reader, p)
    received = everything.receive()
    # THEN each change is exactly one event, in the message's revision order
    by_message: dict[str, list[dict]] = {}
    for e in sorted(received, key=lambda e: (e["detail"]["message_id"], e["detail"]["revision"])):
        assert e["source"] == schema.SOURCE and e["detail-type"] == e["detail"]["type"]
        by_message.setdefault(e["detail"]["message_id"], []).append(e["detail"])
    assert [d["type"] for d in by_message[message_id]] == [
        "message.triaged", "message.claimed", "message.released", "message.claimed", "message.rerouted",
        "message.claimed", "message.resolved"]
    assert [d["revision"] for d in by_message[message_id]] == list(range(1, 8))
    rerouted = by_message[message_id][4]
    assert rerouted["data"] == {"from_queue": "customer_service", "to_queue": "stance",
                                "model_version": by_message[message_id][0]["data"]["model_version"],
                                "rerouted_by": rerouted["actor"]}
    assert [d["type"] for d in by_message["linkedin:urn:li:comment:77"]] == [
        "message.triaged", "message.triaged", "message.removed", "message.erased"]
    assert by_message["linkedin:urn:li:comment:77"][1]["data"]["trigger"] == "edit"
    assert by_message["linkedin:urn:li:comment:77"][3]["data"]["reason"] == "deleted_on_platform"  # deleted there
    # AND no text left the API
    assert "refund" not in json.dumps(received) and "main street" not in json.dumps(received)
    # AND the stance desk's rule got the stance queue's events only
    desk = stance_desk.receive()
    assert {e["detail"]["queue"] for e in desk} == {"stance"}
    assert [e["detail"]["type"] for e in sorted(desk, key=lambda e: e["detail"]["revision"])] == [
        "message.rerouted", "message.claimed", "message.resolved"]


def test_a_redelivered_stream_batch_yields_the_same_event_ids(pipeline):
    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    for n in range(3):
        assert post_webhook(api, "x", dumps(payloads.x_tweet(str(1700000000000000000 + n), "@brand so late"))).status_code == 200
    records = reader.read()
    for _ in range(2):  # Lambda retries a batch it considers failed
        assert publisher.handle_stream({"Records": records}, p, include_text=False) == {"batchItemFailures": []}
    ids = [e["detail"]["event_id"] for e in everything.receive()]
    assert len(ids) == 6 and len(set(ids)) == 3


def test_text_and_author_only_when_the_stage_includes_them(pipeline):
    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    body = dumps(payloads.messenger_dm("m_text", "where is my parcel", sender="61000123"))
    assert post_webhook(api, "meta", body).status_code == 200
    publish_all(reader, p, include_text=True)
    (event,) = everything.receive()
    assert event["detail"]["text"] == "where is my parcel" and event["detail"]["author"]["id"] == "61000123"


def test_with_a_bus_failing_one_call_in_five_nothing_is_lost_and_copies_share_an_event_id(pipeline):
    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    flaky = FlakyPutEvents(p.events, seed=4, rate=0.2)
    # GIVEN 24 messages, each claimed and then resolved or re-routed
    for n in range(24):
        generic(api, f"urn:li:comment:{n}", f"my invoice {n} is wrong, refund me")
    claimed = call(api, "POST", "/queues/customer_service/claim", keys["manager"], {"count": 24})[1]["claimed"]
    for n, message in enumerate(claimed):
        if n % 2:
            call(api, "POST", f"/messages/{message['id']}/resolve", keys["manager"], {})
        else:
            call(api, "POST", f"/messages/{message['id']}/reroute", keys["manager"], {"queue": "community",
                                                                                      "reason": "fan talk"})
    expected = {(m["id"], t) for m in claimed for t in ("message.triaged", "message.claimed")}
    expected |= {(m["id"], "message.resolved" if n % 2 else "message.rerouted") for n, m in enumerate(claimed)}
    # WHEN the stream goes through the publisher in Lambda's batches, then the dead-letter queue is redriven
    received = []
    for batch in batches(reader.read(), 20):
        assert publisher.handle_stream(batch, p, include_text=False) == {"batchItemFailures": []}
        received += everything.receive()
    from chalicelib.events import redrive
    clean = publisher.Publisher(BUS, None, events_client=boto3.client("events", region_name="us-east-1"))
    report = redrive.redrive(boto3.client("sqs", region_name="us-east-1"), dlq, clean, streams_client())
    received += everything.receive()
    # THEN every expected event arrived, and the only extras are copies with an event_id already seen
    assert flaky.failed_calls >= 3
    got = {(e["detail"]["message_id"], e["detail"]["type"]) for e in received}
    assert got == expected and len(claimed) == 24
    distinct = {e["detail"]["event_id"]: e["detail"] for e in received}
    assert len(distinct) == len(expected)
    for e in received:
        assert e["detail"] == distinct[e["detail"]["event_id"]]
    assert report.kept == 0


def test_the_lambda_entry_point_publishes_with_the_stages_settings(pipeline, monkeypatch):
    from app import publish_events
    from support import reset_caches

    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    assert post_webhook(api, "x", dumps(payloads.x_tweet("1700000000000000999", "@brand refund please"))).status_code == 200
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("EVENTS_DEAD_LETTER_QUEUE_URL", dlq)
    reset_caches()
    publisher._client.cache_clear()
    answer = publish_events({"Records": reader.read()}, None)
    assert answer == {"batchItemFailures": []}
    (event,) = everything.receive()
    assert event["detail"]["message_id"] == "x:1700000000000000999" and "text" not in event["detail"]


def test_a_snooze_and_the_scheduled_sweep_are_events_too(pipeline, monkeypatch):
    from datetime import datetime, timedelta, timezone

    import app as app_module
    from chalicelib import sweeps
    from chalicelib.store.entities import iso
    from support import seed_message

    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    # GIVEN an agent snoozes the top message, and an open message is older than its queue's window
    snoozed = seed_message("ev_snooze", "customer_service", priority=90, received_at=t0)
    stale = seed_message("ev_stale", "customer_service", priority=10, received_at=t0 - timedelta(days=30))
    monkeypatch.setattr(app_module, "now", lambda: t0 + timedelta(minutes=1))
    (claimed,) = call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1})[1]["claimed"]
    assert claimed["id"] == snoozed
    until = iso(t0 + timedelta(hours=1))
    assert call(api, "POST", f"/messages/{snoozed}/snooze", keys["agent_cs"], {"until": until})[0] == 200
    # WHEN the scheduled sweep runs after the snooze ends, and the stream goes through the publisher
    swept = sweeps.run(t0 + timedelta(hours=2))
    assert swept["customer_service"]  # it did something in that queue
    publish_all(reader, p)
    by_message: dict[str, list[dict]] = {}
    for e in sorted(everything.receive(), key=lambda e: (e["detail"]["message_id"], e["detail"]["revision"])):
        by_message.setdefault(e["detail"]["message_id"], []).append(e["detail"])
    # THEN the snooze and its end are announced, and the auto-resolve names its reason and the system
    assert [d["type"] for d in by_message[snoozed]] == [
        "message.triaged", "message.claimed", "message.snoozed", "message.reopened"]
    assert by_message[snoozed][2]["data"]["snoozed_until"] == until
    assert by_message[snoozed][3]["data"]["from_status"] == "snoozed"
    assert [d["type"] for d in by_message[stale]] == ["message.triaged", "message.resolved"]
    resolved = by_message[stale][1]
    assert resolved["status"] == "resolved" and resolved["data"]["reason"] == "auto_resolved"
    assert resolved["actor"] == resolved["data"]["resolved_by"] == "system:sweep"  # the scheduled sweep


@pytest.mark.usefixtures("fake_platforms")
def test_replies_and_notes_reach_the_bus_through_the_deployed_stream_filters(pipeline):
    api, keys, reader, everything, stance_desk, p, dlq = pipeline
    # GIVEN a claimed Messenger conversation
    conversation = dm_claimed(api, keys, "m_pipe_r1", "my parcel is late, order 4410", "61000098")
    # WHEN the agent leaves a note and sends a reply, and the customer's app reports it delivered
    status, note = call(api, "POST", f"/conversations/{conversation}/notes", keys["agent_cs"],
                        {"text": "second late parcel this month", "idempotency_key": "note-pipe-1"})
    assert status == 201, note
    status, sent = call(api, "POST", f"/conversations/{conversation}/replies", keys["agent_cs"],
                        {"text": "Sorry, checking with the courier now", "idempotency_key": "reply-pipe-1"})
    assert status == 201, sent
    receipt = payloads.messenger_receipt("delivery", mids=[sent["platform_message_id"]], customer="61000098",
                                         timestamp=int(time.time() * 1000))
    assert post_webhook(api, "meta", dumps(receipt)).status_code == 200
    # AND only what the deployed event source mapping lets through reaches the publisher
    publish_all(reader, p)
    # THEN the note and the reply are events too, not only the conversation's own changes
    types = [e["detail"]["type"] for e in everything.receive()]
    assert types.count("note.added") == 1
    assert types.count("reply.sent") == 1 and types.count("reply.delivery_status") == 1


@pytest.mark.parametrize("sk, item_type, passes", [
    ("RT#2026-12-05T09:00:00.000000Z#reply-0001", "reply", True),  # a reply kept by time
    ("REPLY#reply-0001", "reply", True),  # a reply of a conversation opened before
    ("REPLY#reply-0001", "reply_key", False),  # only where a reply kept by time is
    ("NOTE#note-0001", "note", True),
    ("NOTES", None, False),  # the notes' count
    ("COUNT#REPLIES#3", None, False),
])
def test_the_stream_filters_pass_the_teams_replies_and_notes_and_not_their_counts(sk, item_type, passes):
    from event_stream import passes_stream_filters

    image = {"pk": {"S": "MSG#messenger:m1"}, "sk": {"S": sk}, **({"type": {"S": item_type}} if item_type else {})}
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image}}
    assert passes_stream_filters(record) is passes
