"""How events reach the second opinion, on moto: the table's stream -> the publisher -> the bus -> the template's
rule -> the second opinion's queue (the template's redrive policy) -> the function as Lambda polls it; what keeps
failing -> the dead-letter queue -> the redrive -> the bus again."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib.domain.errors import ConcurrentChange
from chalicelib.events import publisher, redrive
from event_stream import BUS, Consumer, QueuePoller, StreamReader, batches, dead_letter_queue
from infra import template as infra
from support import message_items, seed_message

NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
SERVICE = "I was charged twice for my order and it never arrived. Refund me please, order 7731"


@pytest.fixture
def delivery(table):
    """The deployed path's pieces, each configured from infra/template.py."""
    from local.dynamodb import lean_transactions

    lean_transactions()
    publisher._client.cache_clear()
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = dead_letter_queue()
    rule = Consumer(pattern=infra.second_opinion_pattern(), name="second-opinion")  # the rule and its queue
    queue = infra.resources()["Resources"][infra.SECOND_OPINION_QUEUE]["Properties"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=rule.url, Attributes={"RedrivePolicy": json.dumps(
        {**queue["RedrivePolicy"], "deadLetterTargetArn": dlq_arn})})
    reader = StreamReader(boto3.client("dynamodb", region_name="us-east-1"), os.environ["TABLE_NAME"])
    bus = publisher.Publisher(BUS, dlq, events_client=boto3.client("events", region_name="us-east-1"),
                              sqs_client=sqs, sleep=lambda s: None)

    def publish_stream():
        for batch in batches(reader.read()):
            assert publisher.handle_stream(batch, bus) == {"batchItemFailures": []}

    yield QueuePoller(rule.url), dlq, sqs, bus, publish_stream
    publisher._client.cache_clear()


def item(table, message_id):
    return next(i for i in message_items(table) if i["id"] == message_id)


def test_a_new_message_reaches_the_function_once_and_its_verdict_does_not_come_back(table, delivery):
    from second_opinion.handler import handler

    queue, dlq, sqs, bus, publish_stream = delivery
    # GIVEN a misfiled complaint and a message already right, stored by the webhook path
    misfiled = seed_message("d1", "community", received_at=NOW, text=SERVICE)
    right = seed_message("d2", "customer_service", received_at=NOW, text=SERVICE + " (again)")
    # WHEN the stream is published: their `message.triaged` (new) events land in the second opinion's queue
    publish_stream()
    assert queue.depth() == 2
    # AND Lambda polls the queue
    assert queue.poll(handler) == {"batchItemFailures": []}
    # THEN both were scored, one moved, and the queue is empty
    assert item(table, misfiled)["queue"] == "customer_service"
    assert item(table, misfiled)["triage"]["first_opinion"]["category"] == "community"
    assert queue.depth() == 0
    # AND the second opinion's own event goes on the bus but not into its queue (no loop)
    publish_stream()
    assert queue.depth() == 0 and queue.poll(handler) is None


def test_a_message_that_keeps_failing_goes_to_the_dead_letter_queue_and_the_redrive_brings_it_back(
        table, delivery, monkeypatch):
    from second_opinion import handler as function

    queue, dlq, sqs, bus, publish_stream = delivery
    receives = infra.SECOND_OPINION_MAX_RECEIVES
    mid = seed_message("d3", "community", received_at=NOW, text=SERVICE)
    publish_stream()
    # GIVEN a message that changes under every attempt to score it
    monkeypatch.setattr(function.store, "apply_second_opinion",
                        lambda *a: (_ for _ in ()).throw(ConcurrentChange("changed meanwhile")))
    # WHEN Lambda polls the queue: each receive fails, and the queue delivers it again, up to its redrive policy
    answers = [queue.poll(function.handler) for _ in range(receives + 1)]
    assert all("raised" in a for a in answers[:receives]), answers  # the whole (one-record) batch failed
    assert answers[receives] is None  # then SQS moved it to the dead-letter queue
    assert queue.depth() == 0
    assert item(table, mid)["triage"]["model_version"] == "triage-test"  # the first verdict stands meanwhile
    # WHEN the cause has passed and an operator runs the redrive (python -m chalicelib.cli events redrive)
    monkeypatch.undo()
    report = redrive.redrive(sqs, dlq, bus, visibility_timeout=0)
    assert report.summary()["published"] == 1 and report.kept == 0
    # THEN the event is in the second opinion's queue again, and this time the message is re-scored
    assert queue.depth() == 1
    assert queue.poll(function.handler) == {"batchItemFailures": []}
    assert item(table, mid)["queue"] == "customer_service"


def test_a_message_held_back_by_a_block_is_not_sent_for_a_second_opinion(table, delivery):
    from dataclasses import replace

    from chalicelib.domain.blocks import held_back
    from chalicelib.store.messages import save_new
    from support import triaged

    queue, dlq, sqs, bus, publish_stream = delivery
    # GIVEN a blocked author's message, held back as the webhook path stores it, and someone else's, both unsure
    blocked = replace(triaged("h1", "community", received_at=NOW, text=SERVICE, needs_review=True),
                      held_back=held_back("manager:M", "spam", NOW.isoformat()))
    save_new(blocked)
    held = blocked.message.id
    other = seed_message("h2", "community", received_at=NOW, text=SERVICE, author="someone", needs_review=True)
    assert item(table, held)["status"] == "removed" and item(table, other)["status"] == "open"
    # WHEN the stream is published
    publish_stream()
    # THEN only the other one waits for the second opinion
    assert queue.depth() == 1
