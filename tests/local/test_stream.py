"""`make run`'s stand-in for the event wiring: the embedded table's stream drives the second opinion's rescore and
the away message, as the deployed functions run them."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from support import seed_message

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
SERVICE = "I was charged twice for my order and it never arrived. Refund me please, order 7731"


def test_a_stored_message_is_rescored_shortly_after(local_dynamodb, dynamodb_server):
    from chalicelib.store import messages
    from local.stream import LocalStream, second_opinion

    # GIVEN the local stand-in reading the table's stream
    runner = LocalStream(dynamodb_server.endpoint_url, os.environ["TABLE_NAME"], [second_opinion]).start()
    try:
        # WHEN a message the webhook model put in the wrong queue is stored
        mid = seed_message("local1", "community", received_at=NOW, text=SERVICE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "first_opinion" not in messages.get_message(mid).triage:
            time.sleep(0.2)
        # THEN the second opinion has moved it, once
        stored = messages.get_message(mid)
        assert stored.triage["first_opinion"]["category"] == "community"
        assert stored.queue == "customer_service"
        time.sleep(2.5)  # its own change comes back on the stream: it must not trigger another
        assert [h["event"] for h in messages.get_message(mid).history].count("second_opinion") == 1
    finally:
        runner.stop()


def test_a_direct_message_at_night_gets_the_away_message(local_dynamodb, dynamodb_server, fake_platforms, monkeypatch):
    from chalicelib.domain.away import AwayMessage
    from chalicelib.store import away, replies
    from local.stream import LocalStream, new_direct_message
    from support import reset_caches

    # GIVEN a brand closed today (a holiday in every zone's today) with the away message on
    today = datetime.now(timezone.utc).date()
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 09:00-17:00")
    monkeypatch.setenv("SLA_HOLIDAYS", ",".join(str(today + timedelta(days=d)) for d in (-1, 0, 1)))
    reset_caches()
    away.save(AwayMessage(enabled=True, text="We're closed; we answer tomorrow.", rev=1), 0)
    runner = LocalStream(dynamodb_server.endpoint_url, os.environ["TABLE_NAME"], [new_direct_message]).start()
    try:
        # WHEN a customer's DM is stored
        mid = seed_message("local-away", "customer_service", platform="messenger", channel="direct_message",
                           author="6100000000042")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not fake_platforms.sent("messenger"):
            time.sleep(0.2)
        # THEN it was answered once, automatically
        [sent] = fake_platforms.sent("messenger")
        assert sent.body["message"]["text"] == "We're closed; we answer tomorrow."
        stored = [r for r in replies.conversations.get_conversation(mid).replies]
        assert [(r["by"], r["automatic"]) for r in stored] == [("system:away", True)]
    finally:
        runner.stop()


def test_a_resolved_direct_message_conversation_gets_the_survey(local_dynamodb, dynamodb_server, fake_platforms):
    from chalicelib.domain.surveys import Survey
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import dynamo, messages, queue, surveys
    from chalicelib.store.entities import iso
    from local.stream import LocalStream, satisfaction_survey

    surveys.save(Survey(enabled=True, text="How did we do? Reply 1 to 5.", follow_up="What went wrong?", rev=1), 0)
    mid = seed_message("local-survey", "customer_service", platform="messenger", channel="direct_message",
                       author="6100000000043")
    dynamo.client().update_item(TableName=dynamo.table_name(), Key=messages.get_message(mid).key,
                                UpdateExpression="SET first_reply_at = :at",
                                ExpressionAttributeValues=dynamo.values(at=iso(datetime.now(timezone.utc))))
    runner = LocalStream(dynamodb_server.endpoint_url, os.environ["TABLE_NAME"], [satisfaction_survey]).start()
    try:
        # WHEN a manager resolves the answered conversation
        queue.resolve(messages.get_message(mid), Actor("manager:Max (0123456789abcdef)", may_override=True), None,
                      datetime.now(timezone.utc))
        # (the platform takes it first; the conversation's mark follows in the transaction that records it sent)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not messages.get_message(mid).satisfaction:
            time.sleep(0.2)
        # THEN the customer is asked for a rating, once, with the scores to tap
        [sent] = fake_platforms.sent("messenger")
        assert sent.body["message"]["text"] == "How did we do? Reply 1 to 5." and sent.body["message"]["quick_replies"]
        assert messages.get_message(mid).satisfaction["survey_sent_at"]
        # WHEN the customer's rating of 2 is recorded (as store.conversations records one: the score, a new revision)
        rated = {**messages.get_message(mid).satisfaction, "score": 2, "rated_at": iso(datetime.now(timezone.utc))}
        dynamo.client().update_item(TableName=dynamo.table_name(), Key=messages.get_message(mid).key,
                                    UpdateExpression="SET satisfaction = :rated, rev = rev + :one",
                                    ExpressionAttributeValues=dynamo.values(rated=rated, one=1))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "follow_up_sent_at" not in messages.get_message(mid).satisfaction:
            time.sleep(0.2)
        # THEN they are asked what went wrong
        assert [r.body["message"]["text"] for r in fake_platforms.sent("messenger")][-1] == "What went wrong?"
    finally:
        runner.stop()
