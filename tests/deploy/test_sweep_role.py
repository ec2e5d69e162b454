"""The scheduled sweep's own role (infra/template.py sweep_policy, .chalice/policy-<stage>-sweep-queues.json): the
sweep runs on moto over data that makes it do every kind of work (retention's erasures too), and every DynamoDB call it makes must be granted
by its policy (the action, on the table or the index it reads, and a DeleteItem only where the policy's
dynamodb:LeadingKeys condition allows), and each grant used. Fast: no packaging."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import botocore.client
import pytest

from dataclasses import replace

from chalicelib.store.entities import VolumeCounterKeys, iso
from infra import template as infra
from support import reset_caches, seed_message, triaged

NOW = datetime.now(timezone.utc).replace(minute=30, second=0, microsecond=0)


def resource_of(call) -> dict:
    """The ARN (as the template writes it) a call is authorized on: the table or the index it reads."""
    return infra.index_arns((call.index,))[0] if call.index else infra.table_arn()


def allows(policy: dict, call) -> bool:
    """Whether one of the policy's statements allows the call (every statement is an Allow)."""
    for statement in policy["Statement"]:
        if call.action not in statement["Action"] or resource_of(call) not in statement["Resource"]:
            continue
        condition = statement.get("Condition")
        if condition is None:
            return True
        assert set(condition) == {"ForAllValues:StringEquals"}, f"a condition this check cannot read: {condition}"
        assert set(condition["ForAllValues:StringEquals"]) == {"dynamodb:LeadingKeys"}, condition
        if call.pk in condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"]:
            return True
    return False


def stuck_reply(reply_id: str, conversation: str):
    """A reply reserved five minutes ago whose sending was cut off: still `sending`."""
    from chalicelib.store import replies

    draft = replies.StoredReply(id=reply_id, conversation=conversation, text="On its way", reply_to=conversation,
                                by="key:k1", platform="facebook", created_at=iso(NOW - timedelta(minutes=5)),
                                status=replies.SENDING, request_hash=replies.request_hash("On its way", conversation),
                                by_time=True)
    reserved, must_send = replies.reserve(draft)
    assert must_send
    return reserved


def sent_meanwhile(table, reply) -> None:
    """The platform's answer lands between the sweep's read of the index and its update: the reply is sent."""
    from chalicelib.store import dynamo

    table.update_item(TableName=dynamo.table_name(), Key=reply.key,
                      UpdateExpression="SET #s = :sent REMOVE gsi2pk, gsi2sk",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues=dynamo.values(sent="sent"))


def aged_thread(native: str) -> str:
    """A public thread (a customer's comment, another's reply under it, the brand's reply, a team note) resolved 40
    days ago: past a 30-day retention period."""
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import conversations, notes, queue, replies
    from chalicelib.store.messages import get_message

    opened = NOW - timedelta(days=45)
    for suffix, author, parent in (("", "dana", None), ("-r1", "sam", f"facebook:{native}")):
        item = triaged(native + suffix, "stance", received_at=opened + timedelta(minutes=len(suffix)), author=author,
                       channel="reply" if parent else "comment")
        item = replace(item, message=replace(item.message, account="page1", parent_id=parent))
        assert conversations.save_inbound(item, item.message.received_at).value == "stored"
    conversation = f"facebook:{native}"
    replies.mark_sent(stuck_reply(f"{native}-reply", conversation), get_message(conversation), f"{native}-sent", opened)
    notes.add(notes.StoredNote(id=f"{native}-note", conversation=conversation, text="Dana again", by="agent:Cy",
                               created_at=iso(opened)))
    queue.resolve(get_message(conversation), Actor("manager:Max", may_override=True), None, NOW - timedelta(days=40))
    return conversation


@pytest.fixture
def services_called(monkeypatch):
    """Prod's settings (the webhook secrets in SSM), and the service of every AWS call any client makes."""
    monkeypatch.setenv("SECRETS_SSM_PATH", "/social-triage/prod")
    reset_caches()
    services: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call

    def recorded(client, operation, params):
        services.append(client.meta.service_model.service_name)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return services


def test_the_role_grants_every_call_the_sweep_makes(table, dynamodb_calls, services_called, monkeypatch):
    from chalicelib import sweeps
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import dynamo, queue
    from chalicelib.store.messages import get_message

    monkeypatch.setenv("RETENTION_DAYS", "30")
    reset_caches()

    agent = Actor("agent:Cy")
    # GIVEN a busy hour that closed a day ago, counted on several shards (the sweep folds them)
    for i in range(12):
        seed_message(f"busy{i}", "customer_service", received_at=NOW - timedelta(days=1, minutes=i * 2))
    # AND an open conversation past its queue's window (auto-resolved), and a snooze that is due (reopened)
    stale = seed_message("stale", "community", received_at=NOW - timedelta(days=9))
    seed_message("snoozy", "stance", received_at=NOW - timedelta(hours=5))
    [held] = queue.claim("stance", agent, 1, 3600, NOW - timedelta(hours=3))
    queue.snooze(held, agent, NOW - timedelta(hours=1), NOW - timedelta(hours=3))
    # AND a reply stuck in `sending` for five minutes, and another the platform answers while the sweep runs
    stuck_reply("stuck", stale)
    answered = stuck_reply("answered", stale)
    # AND a public thread resolved 40 days ago, past the 30-day retention period (erased whole)
    aged = aged_thread("aged")
    # AND a conversation that crossed its queue's SLA since the last sweep (marked)
    from chalicelib.store.entities import SlaWatchKeys
    table.put_item(TableName=dynamo.table_name(), Item=dynamo.to_item({
        "pk": SlaWatchKeys.PK, "sk": "customer_service", "swept_to": iso(NOW - timedelta(hours=2))}))
    late = seed_message("late", "customer_service", received_at=NOW - timedelta(minutes=90))
    moved: list[str] = []

    def answer_first(params, **_):
        if params.get("Key") == answered.key and not moved:
            sent_meanwhile(table, answered)
            moved.append(answered.id)

    dynamo.client().meta.events.register("provide-client-params.dynamodb.UpdateItem", answer_first)
    calls = dynamodb_calls()
    del services_called[:]  # what the seeding called
    # WHEN the sweep runs
    done = sweeps.run(NOW)
    # THEN it did every kind of work
    assert done["stance"]["reopened"] == 1 and done["community"]["auto_resolved"] == 1
    assert done["customer_service"]["folded"] > 1 and done["replies"] == {"cut_off": 1} and moved == ["answered"]
    assert done["stance"]["erased"] == 1 and get_message(aged).text == get_message(f"{aged}-r1").text == ""
    assert done["customer_service"]["sla_breached"] == 1 and get_message(late).sla_breach
    # AND its role grants every DynamoDB call it made, on the table or the index it read
    policy = infra.sweep_policy()
    refused = [call for call in calls if not allows(policy, call)]
    assert not refused, f"the sweep's role does not grant: {refused}"
    # AND each DeleteItem (the fold's, inside its transaction) was in a counter partition the condition names
    deleted = {call.pk for call in calls if call.action == "dynamodb:DeleteItem"}
    assert deleted == {VolumeCounterKeys.pk("customer_service")}
    assert deleted <= set(infra.SWEEP_DELETABLE_PARTITIONS)
    # AND the role grants nothing the sweep did not use: every table grant was called, on every resource
    used = {(call.action, str(resource_of(call))) for call in calls}
    table_grants = {(action, str(resource)) for s in policy["Statement"] for action in s["Action"]
                    for resource in s["Resource"] if action.startswith("dynamodb:")}
    assert table_grants == used
    # AND it called DynamoDB alone: no secret read, no event put (the publisher's stream does that)
    assert set(services_called) == {"dynamodb"}
    assert [s for s in policy["Statement"] if s["Sid"] == "OwnLogGroup"] == [{
        "Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [{"Fn::GetAtt": [infra.SWEEP_LOG_GROUP, "Arn"]}]}]
    assert {a.split(":")[0] for s in policy["Statement"] for a in s["Action"]} == {"dynamodb", "logs"}


def test_only_the_sweeps_role_deletes_counter_shards_and_nothing_else():
    # GIVEN the sweep's and the API's role policies
    sweep = [s for s in infra.sweep_policy()["Statement"] if "dynamodb:DeleteItem" in s["Action"]]
    api = [s for s in infra.policy("prod")["Statement"] if "dynamodb:DeleteItem" in s["Action"]]
    # THEN the sweep deletes in the three volume counter partitions alone (no saved reply, no message)
    assert [s["Condition"] for s in sweep] == [{"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [
        "STATS#customer_service", "STATS#stance", "STATS#community"]}}]
    # AND the API deletes none of them
    assert not {key for s in api for key in s["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"]
                if key.startswith("STATS#")}
