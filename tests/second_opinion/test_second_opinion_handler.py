"""The second-opinion function on moto: a batch from its queue in (each record an EventBridge event), each message
re-scored once, its `message.triaged` event (trigger second_opinion) out, the records to deliver again named."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import ConcurrentChange
from chalicelib.events import derive
from support import message_items, seed_message

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
SERVICE = "I was charged twice for my order and it never arrived. Refund me please, order 7731"


def bridge_event(message_id):
    return {"version": "0", "id": "e1", "detail-type": "message.triaged", "source": "social-triage",
            "detail": {"type": "message.triaged", "message_id": message_id, "data": {"trigger": "new"}}}


def sqs_event(*bodies):
    """Lambda's SQS event: one record per queue message (its body as the rule put it there)."""
    return {"Records": [
        {"messageId": f"q{n}", "receiptHandle": f"r{n}", "body": body if isinstance(body, str) else json.dumps(body),
         "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764000000000", "SenderId": "AIDA",
                        "ApproximateFirstReceiveTimestamp": "1764000000001"},
         "messageAttributes": {}, "md5OfBody": "0", "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:second-opinion", "awsRegion": "us-east-1"}
        for n, body in enumerate(bodies)]}


def item(table, message_id):
    return next(i for i in message_items(table) if i["id"] == message_id)


def test_a_message_in_the_wrong_queue_moves_once_and_says_so(table):
    from second_opinion.handler import handler
    from second_opinion.model import get_model

    # GIVEN a service complaint the webhook model put in community
    mid = seed_message("h1", "community", received_at=NOW, text=SERVICE)
    before = item(table, mid)
    # WHEN its event reaches the second-opinion function
    assert handler(sqs_event(bridge_event(mid))) == {"batchItemFailures": []}
    # THEN it is in customer_service, scored by the second-opinion model
    after = item(table, mid)
    assert after["queue"] == after["triage"]["category"] == "customer_service"
    assert after["triage"]["model_version"] == get_model().version
    # AND the stream announces it as a triage by the second opinion, from community
    [announced] = derive.derive(before, after)
    assert announced.type == "message.triaged" and announced.data.trigger == "second_opinion"
    assert announced.data.previous_queue == "community" and announced.queue == "customer_service"
    # AND a redelivered event changes nothing
    assert handler(sqs_event(bridge_event(mid))) == {"batchItemFailures": []}
    assert item(table, mid) == after


def test_only_the_record_whose_message_kept_changing_is_delivered_again(table, monkeypatch):
    from second_opinion import handler as function

    # GIVEN two misfiled messages, one of which changes under every attempt to score it (an agent keeps at it)
    busy = seed_message("h3", "community", received_at=NOW, text=SERVICE)
    calm = seed_message("h4", "community", received_at=NOW, text=SERVICE + " (second order)")
    apply = function.store.apply_second_opinion
    attempts = []

    def racing(stored, verdict, now):
        if stored.id == busy:
            attempts.append(stored.id)
            raise ConcurrentChange("changed meanwhile")
        return apply(stored, verdict, now)

    monkeypatch.setattr(function.store, "apply_second_opinion", racing)
    # WHEN both arrive in one batch
    answer = function.handler(sqs_event(bridge_event(busy), bridge_event(calm)))
    # THEN the busy one is tried three times and named for delivery again; the calm one is re-scored
    assert answer == {"batchItemFailures": [{"itemIdentifier": "q0"}]}
    assert len(attempts) == function.ATTEMPTS
    assert item(table, busy)["triage"]["model_version"] == "triage-test"
    assert item(table, calm)["queue"] == "customer_service"


def test_a_batch_that_fails_entirely_raises_so_lambda_retries_it(table, monkeypatch):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from second_opinion import handler as function

    mid = seed_message("h5", "community", received_at=NOW, text=SERVICE)
    monkeypatch.setattr(function.store, "get_message", lambda _id: (_ for _ in ()).throw(RuntimeError("throttled")))
    with pytest.raises(BatchProcessingError):
        function.handler(sqs_event(bridge_event(mid)))


def test_records_that_are_not_our_events_are_dropped_not_retried(table):
    from second_opinion.handler import handler

    # GIVEN an unknown message, and queue messages that name none: retrying them would fail forever
    batch = sqs_event(bridge_event("facebook:nope"), "not json", {"detail": {}}, {"detail": "x"}, [1, 2])
    # THEN none is delivered again, and nothing is written
    assert handler(batch) == {"batchItemFailures": []}
    assert message_items(table) == []


def test_an_event_that_is_not_a_batch_from_the_queue_writes_nothing(table):
    from second_opinion.handler import handler

    mid = seed_message("h6", "community", received_at=NOW, text=SERVICE)
    assert handler(bridge_event(mid)) == {"batchItemFailures": []}
    assert handler("x") == {"batchItemFailures": []}
    assert item(table, mid)["triage"]["model_version"] == "triage-test"


def test_a_removed_message_is_left_alone(table):
    from chalicelib.store import messages
    from second_opinion.handler import handler

    mid = seed_message("h2", "community", received_at=NOW, text=SERVICE)
    messages.mark_removed(mid, NOW, "platform")
    assert handler(sqs_event(bridge_event(mid))) == {"batchItemFailures": []}
    assert messages.get_message(mid).triage["model_version"] == "triage-test"


def test_metrics_count_each_outcome_and_each_disagreement_with_the_webhook_model(table, monkeypatch):
    from second_opinion import handler as function

    counted = []
    monkeypatch.setattr(function.observability, "count", lambda name, value=1, **dims: counted.append((name, dims)))
    # GIVEN a complaint the webhook model put in community, and one it put in customer_service
    misfiled = seed_message("h7", "community", received_at=NOW, text=SERVICE)
    agreed = seed_message("h8", "customer_service", received_at=NOW, text=SERVICE + " (order 7732)")
    # WHEN both are re-scored
    assert function.handler(sqs_event(bridge_event(misfiled), bridge_event(agreed))) == {"batchItemFailures": []}
    # THEN both count as updated, and only the first as a disagreement, with its direction
    assert counted.count(("SecondOpinion", {"outcome": "updated"})) == 2
    assert [c for c in counted if c[0] == "SecondOpinionChanged"] == [
        ("SecondOpinionChanged", {"from_category": "community", "to_category": "customer_service"})]
