"""The automatic messages' own role (infra/template.py automatic_policy, .chalice/policy-<stage>-send-automatic-replies.json):
the function answers direct messages on moto with the away message, in a conversation whose replies are kept by time (a
transaction) and in one refused for a passing reason then sent, and asks resolved ones for a rating (the satisfaction
survey), and every DynamoDB call it makes must be granted by its policy, each grant used; it reads no index and
deletes nothing. Fast: no packaging."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from infra import template as infra
from support import reset_caches, seed_message
from tests.deploy.test_sweep_role import allows, resource_of

pytestmark = pytest.mark.usefixtures("fake_platforms")


def sqs_event(*message_ids: str, kind: str = "message.triaged") -> dict:
    return {"Records": [{"messageId": f"q{n}", "receiptHandle": "r", "attributes": {}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
                         "awsRegion": "us-east-1",
                         "body": json.dumps({"detail-type": kind, "detail": {"message_id": m}})}
                        for n, m in enumerate(message_ids)]}


def test_the_role_grants_every_call_the_away_function_makes(table, dynamodb_calls, fake_platforms, monkeypatch):
    from app import send_automatic_replies
    from chalicelib.domain.away import AwayMessage
    from chalicelib.store import away

    today = datetime.now(timezone.utc).date()
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 09:00-17:00")
    monkeypatch.setenv("SLA_HOLIDAYS", ",".join(str(today + timedelta(days=d)) for d in (-1, 0, 1)))
    reset_caches()
    away.save(AwayMessage(enabled=True, text="We're closed.", rev=1), 0)
    # GIVEN two customers' DMs tonight, one refused by the platform for now
    first = seed_message("role-away-1", "customer_service", platform="messenger", channel="direct_message", author="61")
    second = seed_message("role-away-2", "community", platform="messenger", channel="direct_message", author="62")
    fake_platforms.fail_next("graph_rate_limit")
    calls = dynamodb_calls()
    # WHEN the function takes them, and the refused one again
    send_automatic_replies(sqs_event(first, second), None)
    send_automatic_replies(sqs_event(first, second), None)
    # THEN both were sent, once each
    assert len(fake_platforms.sent("messenger")) == 2
    # AND its role grants every DynamoDB call it made, and nothing it did not use
    policy = infra.automatic_policy()
    refused = [call for call in calls if not allows(policy, call)]
    assert not refused, f"the away function's role does not grant: {refused}"
    used = {(call.action, str(resource_of(call))) for call in calls}
    granted = {(action, str(resource)) for s in policy["Statement"] for action in s["Action"]
               for resource in s["Resource"] if action.startswith("dynamodb:")}
    assert granted == used
    assert {a.split(":")[0] for s in policy["Statement"] for a in s["Action"]} == {"dynamodb", "ssm", "kms", "sqs",
                                                                                  "logs"}
    assert [s["Resource"] for s in policy["Statement"] if s["Sid"] == "OwnQueue"] == [[infra.automatic_queue_arn()]]


def test_the_role_grants_every_call_the_survey_makes(table, dynamodb_calls, fake_platforms):
    from app import send_automatic_replies
    from chalicelib.domain.surveys import Survey
    from chalicelib.store import dynamo, surveys
    from chalicelib.store.entities import iso
    from chalicelib.store.messages import get_message

    surveys.save(Survey(enabled=True, text="How did we do? Reply 1 to 5.", rev=1), 0)
    # GIVEN a DM conversation a person answered and resolved just now
    message_id = seed_message("role-survey-1", "customer_service", platform="messenger", channel="direct_message",
                              author="63")
    now = iso(datetime.now(timezone.utc))
    dynamo.client().update_item(
        TableName=dynamo.table_name(), Key=get_message(message_id).key,
        UpdateExpression="SET #s = :resolved, resolved_at = :now, resolved_by = :by, first_reply_at = :now",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=dynamo.values(resolved="resolved", now=now, by="manager:Max (0123456789abcdef)"))
    calls = dynamodb_calls()
    # WHEN the function takes its resolve event, twice
    send_automatic_replies(sqs_event(message_id, kind="message.resolved"), None)
    send_automatic_replies(sqs_event(message_id, kind="message.resolved"), None)
    # THEN the survey went once, and the role grants every DynamoDB call it made
    assert len(fake_platforms.sent("messenger")) == 1 and get_message(message_id).satisfaction
    policy = infra.automatic_policy()
    refused = [call for call in calls if not allows(policy, call)]
    assert not refused, f"the automatic replies' role does not grant: {refused}"
