"""The deploy template's additions to what `chalice package` generates, from the one table definition and the app.

    python -m infra.template            # print infra/resources.json to stdout
    python -m infra.template --no-snapstart   # print it without SnapStart and the alias
    python -m infra.template --write    # write infra/resources.json and .chalice/policy-<stage>.json
    python -m infra.template --check    # exit 1 if any of those files differs from what this builds

`chalice package --stage <stage> --merge-template infra/resources.json out/` deep-merges
infra/resources.json into the SAM template Chalice generates (dicts merge, anything else is replaced):

- `MessagesTable`: chalicelib.store.table.cloudformation_resource() (on-demand, PITR, SSE, GSI1/GSI2/GSI3,
  TTL on expires_at, retained on stack deletion). No TableName: CloudFormation names it per stack, so
  dev and prod stacks coexist, and the function finds it through TABLE_NAME.
- `RestAPI`: its definition's `x-amazon-apigateway-gateway-responses` answer API Gateway's own refusals (no
  route for the path or method: 404; throttling, a body too large...) in the API's
  `{"error": {"code", "message"}}`.
- `APIHandler` (Chalice's logical id for the function behind the REST API) and `SweepQueues` (the
  scheduled sweep, every 5 minutes): TABLE_NAME becomes {"Ref": "MessagesTable"}; their logs go to
  `APIHandlerLogGroup` and `SweepQueuesLogGroup` (30-day retention), created here so the functions need
  no logs:CreateLogGroup.
- SnapStart, on every function of the app (APIHandler and any scheduled or pure Lambda function):
  `AutoPublishAlias` publishes a version on every deploy that changes the code or the configuration,
  `SnapStart: {ApplyOn: PublishedVersions}` snapshots it after init. A snapshot only serves invocations of
  a published version, so API Gateway must call the alias: every Lambda integration of `RestAPI` (one per
  route and method, read from the app's routes) and `APIHandlerInvokePermission` name the alias
  (`APIHandlerAliaslive`, the AWS::Lambda::Alias SAM creates) instead of the function. SAM points a
  function's own event sources (schedules) at its alias. `--no-snapstart` renders the template without
  any of it (see the README).

- Outbound events (chalicelib/events, README "Events"): the table's stream feeds `PublishEvents` through an
  event source mapping (batches of 100, partial batch responses, bisect on error, bounded retries, failures to
  `EventsDeadLetterQueue`); `EventBus` is the stage's bus (named by the EventBusName parameter, default
  <stack>-events); `DetectSpikes` runs every 15 minutes. Example routing: one rule per queue to an SQS queue
  (`<Queue>DeskQueue`, for a helpdesk worker) and `spike.detected` to the `SpikeAlertsTopic` SNS topic; their
  targets' undeliverable events go to the dead-letter queue too.
- The second opinion (second_opinion/, README "The second-opinion function"): `SecondOpinion`, a function of its
  own, packaged on its own (infra/second_opinion_package.py writes second-opinion.zip beside deployment.zip;
  CodeUri is relative to sam.json, as Chalice's ./deployment.zip, so `aws cloudformation package` uploads it),
  at 1769 MB (one full vCPU), no SnapStart (nobody waits on its cold start). `SecondOpinionRule` puts the bus's
  `message.triaged` events of new and edited messages (its own verdict's event, trigger `second_opinion`, does
  not come back to it) in `SecondOpinionQueue`; Lambda polls that queue in batches of 10 with at most
  `SecondOpinionMaxConcurrency` invocations at once (partial batch responses), so a crisis waits in the queue
  instead of taking the concurrency the API's webhooks need. A message that keeps failing moves to the
  dead-letter queue after 5 receives (the message is the event itself, which the redrive puts back on the bus).
  Its role `SecondOpinionRole` (defined here: the function is not Chalice's) may read and update the table's
  items, poll its queue and write its log group, nothing else.
- Operations alarms to `OperationsAlertsTopic` (SNS; its policy admits this stack's alarms only): anything in the
  dead-letter queue (`EventsDeadLetterAlarm`), the second opinion's oldest queued event older than 15 minutes
  for 10 minutes (`SecondOpinionBacklogAlarm`).

The API function's permissions live in `.chalice/policy-<stage>.json` (autogen_policy is false), which Chalice
copies verbatim into the role it generates (`ApiHandlerRole`). The scheduled sweep and the event functions have
their own roles and files (`.chalice/policy-<stage>-<function>.json`, named per function in .chalice/config.json),
so the API's role holds no event permission and cannot delete a counter shard (only the sweep's folds do), the
sweep's holds only the table calls it makes, and the publisher's nothing but the stream, the bus and the queue.
They are written here too because they reference this template's resources
({"Fn::GetAtt": ["MessagesTable", "Arn"]}, ...) with CloudFormation intrinsics, so they only work through `chalice package`, not `chalice deploy` (which would not create
the table either). SAM's `Policies` property cannot be used instead: SAM ignores it when `Role` is set,
and Chalice always sets `Role`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalice.utils import to_cfn_resource_name

from chalicelib.domain import automatic_messages
from chalicelib.events import schema as events_schema
from chalicelib.models import QUEUES
from chalicelib.store.entities import (ChannelKeys, MessageKeys, NoteKeys, ReplyKeys, SavedReplyKeys, SpikeKeys,
                                       VolumeCounterKeys)
from chalicelib.store.table import GSI1, GSI2, GSI3, cloudformation_resource
from infra.deploy import RUNTIME, SECOND_OPINION_ZIP

ROOT = Path(__file__).resolve().parents[1]
RESOURCES_PATH = ROOT / "infra" / "resources.json"
CHALICE_DIR = ROOT / ".chalice"

TABLE = "MessagesTable"
FUNCTION = "APIHandler"  # what `chalice package` calls the Lambda function of the REST API
LOG_GROUP = "APIHandlerLogGroup"
SWEEP, SWEEP_NAME = "SweepQueues", "sweep_queues"  # app.sweep_queues, the scheduled sweep (Chalice's logical id)
SWEEP_LOG_GROUP = "SweepQueuesLogGroup"
FUNCTIONS = {FUNCTION: LOG_GROUP, SWEEP: SWEEP_LOG_GROUP}  # the store's functions: their table and log group
LOG_RETENTION_DAYS = 30

APP_NAME = "social-triage"

# outbound events
PUBLISHER, PUBLISHER_NAME = "PublishEvents", "publish_events"  # Chalice's logical id, and the app's function name
SPIKES, SPIKES_NAME = "DetectSpikes", "detect_spikes"
# the automatic messages (chalicelib/automatic_replies.py: the away message, the satisfaction survey): Chalice's
# function, fed by a rule each and one queue
AUTOMATIC, AUTOMATIC_NAME = "SendAutomaticReplies", "send_automatic_replies"
AWAY_RULE, SURVEY_RULE = "AwayRepliesRule", "SatisfactionSurveysRule"
AUTOMATIC_QUEUE, AUTOMATIC_QUEUE_POLICY = "AutomaticRepliesQueue", "AutomaticRepliesQueuePolicy"
AUTOMATIC_QUEUE_EVENT = "FromQueue"
AUTOMATIC_TIMEOUT = 60  # .chalice/config.json's lambda_timeout for it: a batch's sends, each within SEND_TIMEOUT_SECONDS
AUTOMATIC_BATCH_SIZE = 5
# Few at once: an evening's DMs are a trickle, and a crisis at night must not spend the platforms' send quota on
# automatic answers faster than they allow (a 429 leaves the event in the queue for later).
AUTOMATIC_MAX_CONCURRENCY = 2
AUTOMATIC_VISIBILITY_TIMEOUT = 6 * AUTOMATIC_TIMEOUT
AUTOMATIC_MAX_RECEIVES = 5
# its table calls: the away message, the survey, the message, its conversation's head and the reply (GetItem); the
# reply reserved (PutItem; a conversation whose replies are kept by time also puts its key marker and adds to a count
# in a transaction: Put and Update), marked sent or failed, the survey's mark on the conversation and the channel's
# health (UpdateItem)
AUTOMATIC_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
AUTOMATIC_QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")  # Lambda's poller
EVENT_FUNCTIONS = {PUBLISHER: PUBLISHER_NAME, SPIKES: SPIKES_NAME, AUTOMATIC: AUTOMATIC_NAME}
# the app's functions with a role of their own (FUNCTION_POLICIES): every one but the API's
OWN_ROLE_FUNCTIONS = {SWEEP: SWEEP_NAME, **EVENT_FUNCTIONS}
BUS = "EventBus"
BUS_NAME_PARAMETER = "EventBusName"
DEFAULT_BUS_NAME = "DefaultEventBusName"  # the condition: no name given
DLQ = "EventsDeadLetterQueue"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's longest: two weeks to redrive
STREAM_EVENT = "TableStream"
STREAM_BATCH_SIZE = 100
STREAM_MAX_RETRIES = 10
SPIKE_TOPIC, SPIKE_RULE, SPIKE_TOPIC_POLICY = "SpikeAlertsTopic", "SpikeAlertsRule", "SpikeAlertsTopicPolicy"
DESK_QUEUES_POLICY, DLQ_POLICY = "DeskQueuesPolicy", "EventsDeadLetterQueuePolicy"
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")

# the second opinion (second_opinion/): not a Chalice function, so its role and queue are defined here
SECOND_OPINION = "SecondOpinion"
SECOND_OPINION_ROLE, SECOND_OPINION_RULE = "SecondOpinionRole", "SecondOpinionRule"
SECOND_OPINION_QUEUE, SECOND_OPINION_QUEUE_POLICY = "SecondOpinionQueue", "SecondOpinionQueuePolicy"
SECOND_OPINION_QUEUE_EVENT = "FromQueue"  # its SAM event; SAM names the event source mapping SecondOpinionFromQueue
SECOND_OPINION_CONCURRENCY_PARAMETER = "SecondOpinionMaxConcurrency"
SECOND_OPINION_HANDLER = "second_opinion.handler.handler"
SECOND_OPINION_RUNTIME = f"python{RUNTIME[0]}.{RUNTIME[1]}"  # the API's runtime (infra/deploy.py packages both)
# Lambda gives a function CPU in proportion to its memory, one full vCPU at 1769 MB. The sentence encoder is
# CPU-bound and runs on one thread (OMP_NUM_THREADS=1): less memory makes every message slower for about the
# same price per message, more buys a second vCPU it would not use. It uses about 110 MB of it
# (bench/second_opinion.py).
SECOND_OPINION_MEMORY_MB = 1769
SECOND_OPINION_TIMEOUT = 30
# the `message.triaged` triggers it re-scores; never its own ("second_opinion"), so its verdict does not loop
SECOND_OPINION_TRIGGERS = ("new", "edit")
# Its queue: Lambda polls it with at most this many concurrent invocations (the parameter's default; SQS's
# minimum is 2), so a crisis queues here instead of taking the concurrency the webhooks need. Without the queue,
# EventBridge's asynchronous invocations would scale the function up to the account's limit.
SECOND_OPINION_MAX_CONCURRENCY = 5
SECOND_OPINION_BATCH_SIZE = 10
# AWS's advice for a queue Lambda polls: a visibility timeout of six times the function's timeout
SECOND_OPINION_VISIBILITY_TIMEOUT = 6 * SECOND_OPINION_TIMEOUT
# receives before a message moves to the dead-letter queue (the handler has already tried three times in each)
SECOND_OPINION_MAX_RECEIVES = 5
SECOND_OPINION_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")  # get_message; the guarded update
SECOND_OPINION_QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")  # Lambda's poller

# operations alarms, to their own topic (subscribe the on-call address): the dead-letter queue holds anything
# (redrive it), and the second opinion's backlog is older than this (raise SecondOpinionMaxConcurrency)
OPS_TOPIC, OPS_TOPIC_POLICY = "OperationsAlertsTopic", "OperationsAlertsTopicPolicy"
DLQ_ALARM, BACKLOG_ALARM = "EventsDeadLetterAlarm", "SecondOpinionBacklogAlarm"
SECOND_OPINION_BACKLOG_SECONDS = 15 * 60

API = "RestAPI"  # what `chalice package` calls the REST API (AWS::Serverless::Api)
API_PERMISSION = "APIHandlerInvokePermission"
ALIAS = "live"
# SAM names the AWS::Lambda::Alias that AutoPublishAlias creates <function>Alias<alias>; its Ref is the alias
# ARN. (SAM leaves `${APIHandler.Alias}` unresolved inside the API's DefinitionBody, so the id is named.)
FUNCTION_ALIAS = f"{FUNCTION}Alias{ALIAS}"
ALIAS_INVOCATION_URI = ("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
                        f"/functions/${{{FUNCTION_ALIAS}}}/invocations")

# Hand-written, least privilege: only what chalicelib calls (tests/deploy/test_package.py checks the code
# against this list; tests/deploy/test_sweep_role.py checks every call the sweep makes against its own list).
# Transactions are authorized per operation inside them, so TransactWriteItems needs PutItem/UpdateItem (and
# DeleteItem / ConditionCheckItem if a transaction ever uses Delete / ConditionCheck); there is no IAM action
# called dynamodb:TransactWriteItems.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",  # a customer's conversations: their heads, by the pointers' keys
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)
INDEX_ACTIONS = ("dynamodb:Query",)
API_INDEXES = (GSI1, GSI2, GSI3)  # GSI3: a customer's messages, read only by an erasure
# The only items the API deletes are saved replies: DeleteItem is granted on that partition alone, so the API's
# function can never delete a message, a counter or a key.
API_DELETABLE_PARTITIONS = (SavedReplyKeys.PK,)
SSM_ACTIONS = ("ssm:GetParameter",)  # Powertools parameters.get_parameter, one secret at a time

# The scheduled sweep (chalicelib/sweeps.py): GSI2's due snoozes, old open messages and replies still sending;
# their guarded updates (single or in transactions), a cut-off reply read again when its update lost a race; an
# hour's counter shards read and, in the fold's transaction, deleted (their counts moved into the hour's folded
# item). With RETENTION_DAYS, GSI2's conversations closed before the cutoff, each erased whole: its replies and notes
# (a Query of its partition), its members (GSI1 `CONV#<id>`), each an update. DeleteItem only in the volume
# counters' partitions; no PutItem, no GSI3, no secrets, no events.
SWEEP_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query")
SWEEP_INDEXES = (GSI1, GSI2)
SWEEP_DELETABLE_PARTITIONS = tuple(VolumeCounterKeys.pk(queue) for queue in QUEUES)


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def table_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [TABLE, "Arn"]}


def index_arns(indexes: tuple[str, ...]) -> list[dict[str, str]]:
    return [sub(f"${{{TABLE}.Arn}}/index/{index}") for index in indexes]


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def desk_queue(queue: str) -> str:
    return f"{camel(queue)}DeskQueue"


def desk_rule(queue: str) -> str:
    return f"{camel(queue)}DeskRule"


def log_group(function: str) -> str:
    return f"{function}LogGroup"


def secrets_path(stage: str, stage_config: dict[str, Any] | None = None) -> str:
    """The SSM path a stage reads secrets from: its SECRETS_SSM_PATH, else /social-triage/<stage>."""
    configured = ((stage_config or {}).get("environment_variables") or {}).get("SECRETS_SSM_PATH")
    return (configured or f"/{APP_NAME}/{stage}").rstrip("/")


def _log_group(function: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",  # logs go with the stack; the table is retained
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "LogGroupName": sub(f"/aws/lambda/${{AWS::StackName}}-{function}"),
            "RetentionInDays": LOG_RETENTION_DAYS,
        },
    }


# API Gateway's own answers, in the API's error shape (in the REST API's definition, where API Gateway reads
# them). It refuses a path or method it has no route for as MISSING_AUTHENTICATION_TOKEN (403 by default):
# that is our 404 unknown_route.
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "unknown_route", '"no route for this method and path"'),
    "DEFAULT_4XX": (None, "gateway_refused", "$context.error.messageString"),
    "DEFAULT_5XX": (None, "gateway_error", "$context.error.messageString"),
}


def gateway_responses() -> dict[str, Any]:
    """The `x-amazon-apigateway-gateway-responses` of the REST API's OpenAPI definition."""
    out: dict[str, Any] = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        template = f'{{"error": {{"code": "{code}", "message": {message}}}}}'
        out[kind] = {"responseTemplates": {"application/json": template}}
        if status:
            out[kind]["statusCode"] = status
    return out


def app_functions(application=None) -> list[str]:
    """Logical ids of every Lambda function `chalice package` generates for the app."""
    application = application or _app()
    names = [FUNCTION] if application.routes else []
    names += [to_cfn_resource_name(source.name) for source in application.event_sources]
    names += [to_cfn_resource_name(function.name) for function in application.pure_lambda_functions]
    return names


def lambda_routes(application=None) -> list[tuple[str, str]]:
    """(path, method) of every route: each is one Lambda integration in the REST API's swagger."""
    application = application or _app()
    return sorted((path, method.lower()) for path, methods in application.routes.items() for method in methods)


def _app():
    import app  # the routes and functions Chalice packages, read from the app itself

    return app.app


def snapstart(application=None) -> dict[str, Any]:
    """Resources that publish each function behind an alias with SnapStart, and route the API to the alias."""
    application = application or _app()
    published = {"AutoPublishAlias": ALIAS, "AutoPublishAliasAllProperties": True,
                 "SnapStart": {"ApplyOn": "PublishedVersions"}}
    merged: dict[str, Any] = {name: {"Properties": dict(published)} for name in app_functions(application)}
    if application.routes:
        integration = {"x-amazon-apigateway-integration": {"uri": {"Fn::Sub": ALIAS_INVOCATION_URI}}}
        paths: dict[str, Any] = {}
        for path, method in lambda_routes(application):
            paths.setdefault(path, {})[method] = integration
        merged[API] = {"Properties": {"DefinitionBody": {"paths": paths}}}
        merged[API_PERMISSION] = {"Properties": {"FunctionName": {"Ref": FUNCTION_ALIAS}}}
    return merged


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Chalice's deep merge: dicts merge, anything else is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def resources(with_snapstart: bool = True, runtime: str = SECOND_OPINION_RUNTIME) -> dict[str, Any]:
    """infra/resources.json: the merge template (stage-independent). `runtime`: the second-opinion function's
    (Chalice writes the others' from the Python that packages them)."""
    document = _resources(runtime)
    if with_snapstart:
        document["Resources"] = merge(document["Resources"], snapstart())
    return document


def _resources(runtime: str = SECOND_OPINION_RUNTIME) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    for function, group in FUNCTIONS.items():
        functions[group] = _log_group(function)
        functions[function] = {
            "Properties": {
                "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}}},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": group}},
            },
        }
    return {
        "Parameters": {
            BUS_NAME_PARAMETER: {"Type": "String", "Default": "",
                                 "Description": "The stage's EventBridge bus name (empty: <stack name>-events)"},
            SECOND_OPINION_CONCURRENCY_PARAMETER: {
                "Type": "Number", "Default": SECOND_OPINION_MAX_CONCURRENCY, "MinValue": 2, "MaxValue": 1000,
                "Description": "The most second-opinion invocations at once (each scores ~30 messages a second); "
                               "a burst above it waits in SecondOpinionQueue"},
        },
        "Conditions": {DEFAULT_BUS_NAME: {"Fn::Equals": [{"Ref": BUS_NAME_PARAMETER}, ""]}},
        "Resources": {
            TABLE: cloudformation_resource(),
            API: {"Properties": {"DefinitionBody": {"x-amazon-apigateway-gateway-responses": gateway_responses()}}},
            **functions,
            **event_resources(),
            **second_opinion_resources(runtime),
            **automatic_resources(),
            **alarm_resources(),
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": TABLE}},
            "TableArn": {"Value": table_arn()},
            "LogGroupName": {"Value": {"Ref": LOG_GROUP}},
            "SweepLogGroupName": {"Value": {"Ref": SWEEP_LOG_GROUP}},
            "EventBusName": {"Value": {"Ref": BUS}},
            "EventBusArn": {"Value": {"Fn::GetAtt": [BUS, "Arn"]}},
            "EventsDeadLetterQueueUrl": {"Value": {"Ref": DLQ}},
            "SpikeAlertsTopicArn": {"Value": {"Ref": SPIKE_TOPIC}},
            "SecondOpinionFunctionName": {"Value": {"Ref": SECOND_OPINION}},
            "SecondOpinionQueueUrl": {"Value": {"Ref": SECOND_OPINION_QUEUE}},
            "OperationsAlertsTopicArn": {"Value": {"Ref": OPS_TOPIC}},
            **{f"{camel(q)}DeskQueueUrl": {"Value": {"Ref": desk_queue(q)}} for q in QUEUES},
        },
    }


def stream_filters() -> list[dict[str, str]]:
    """Only message items, replies and notes, spike markers and channels with a token error reach the publisher
    (counters, keys, reply-key markers, corrections and webhook times never do). Lambda allows 5 by default."""
    sent_by_the_team = [{"prefix": ReplyKeys.PREFIX}, {"prefix": ReplyKeys.TIMED_PREFIX}, {"prefix": NoteKeys.PREFIX}]
    patterns = [{"dynamodb": {"Keys": {"sk": {"S": [MessageKeys.SK]}}}},
                {"dynamodb": {"Keys": {"sk": {"S": sent_by_the_team}}, "NewImage": {"type": {"S": ["reply", "note"]}}}},
                {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": SpikeKeys.pk("")}]}}}},
                {"dynamodb": {"Keys": {"pk": {"S": [ChannelKeys.PK]}},
                              "NewImage": {"token_error": {"S": [{"exists": True}]}}}}]
    return [{"Pattern": json.dumps(p, separators=(",", ":"))} for p in patterns]


def bus_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [BUS, "Arn"]}


def dlq_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [DLQ, "Arn"]}


def _target(target_id: str, arn: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A rule target whose undeliverable events go to the dead-letter queue (the redrive puts them back)."""
    return {"Id": target_id, "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn()},
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}, **extra}


def _allow_rules(sid: str, action: str, resource: Any, rules: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": action,
            "Resource": resource,
            "Condition": {"ArnEquals": {"aws:SourceArn": [{"Fn::GetAtt": [r, "Arn"]} for r in rules]}}}


def event_resources() -> dict[str, Any]:
    """The bus, the publisher's stream mapping and dead-letter queue, the spike schedule's logs, and the example
    routing (README "Events")."""
    message_events = [{"prefix": "message."}]
    out: dict[str, Any] = {
        BUS: {"Type": "AWS::Events::EventBus", "Properties": {"Name": {"Fn::If": [
            DEFAULT_BUS_NAME, sub("${AWS::StackName}-events"), {"Ref": BUS_NAME_PARAMETER}]}}},
        DLQ: {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                                                        "SqsManagedSseEnabled": True}},
        PUBLISHER: {"Properties": {  # its timeout (60 s: the retries sleep a few seconds at most) is in config.json
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}, "EVENT_BUS_NAME": {"Ref": BUS},
                                          "EVENTS_DEAD_LETTER_QUEUE_URL": {"Ref": DLQ}}},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": log_group(PUBLISHER)}},
            "Events": {STREAM_EVENT: {"Type": "DynamoDB", "Properties": {
                "Stream": {"Fn::GetAtt": [TABLE, "StreamArn"]},
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": STREAM_BATCH_SIZE,
                "MaximumBatchingWindowInSeconds": 1,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": STREAM_MAX_RETRIES,
                "DestinationConfig": {"OnFailure": {"Destination": dlq_arn()}},
                "FilterCriteria": {"Filters": stream_filters()},
            }}},
        }},
        SPIKES: {"Properties": {
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}}},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": log_group(SPIKES)}},
        }},
        log_group(PUBLISHER): _log_group(PUBLISHER),
        log_group(SPIKES): _log_group(SPIKES),
        SPIKE_TOPIC: {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "social-triage spikes"}},
        SPIKE_RULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Description": "spike.detected to the alerts topic (subscribe an email address or a phone)",
            "EventBusName": {"Ref": BUS},
            "EventPattern": {"source": [events_schema.SOURCE], "detail-type": [events_schema.SPIKE_DETECTED]},
            "Targets": [_target("alerts", {"Ref": SPIKE_TOPIC}, InputTransformer={
                "InputPathsMap": {"category": "$.detail.category", "hour": "$.detail.hour",
                                  "observed": "$.detail.observed", "expected": "$.detail.expected"},
                "InputTemplate": '"social-triage: <observed> <category> messages in the hour from <hour> '
                                 '(about <expected> expected)."'})],
        }},
        SPIKE_TOPIC_POLICY: {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": SPIKE_TOPIC}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                _allow_rules("SpikeRulePublishes", "sns:Publish", {"Ref": SPIKE_TOPIC}, [SPIKE_RULE])]},
        }},
        DESK_QUEUES_POLICY: {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": desk_queue(q)} for q in QUEUES],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                _allow_rules(f"{camel(q)}DeskRuleSends", "sqs:SendMessage", {"Fn::GetAtt": [desk_queue(q), "Arn"]},
                             [desk_rule(q)]) for q in QUEUES]},
        }},
        DLQ_POLICY: {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": DLQ}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                _allow_rules("ExampleRuleTargetsDeadLetter", "sqs:SendMessage", dlq_arn(),
                             [SPIKE_RULE] + [desk_rule(q) for q in QUEUES] + [SECOND_OPINION_RULE, AWAY_RULE, SURVEY_RULE])]},
        }},
    }
    for queue in QUEUES:
        out[desk_queue(queue)] = {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}
        out[desk_rule(queue)] = {"Type": "AWS::Events::Rule", "Properties": {
            "Description": f"every message event of the {queue} queue, for a helpdesk worker",
            "EventBusName": {"Ref": BUS},
            "EventPattern": {"source": [events_schema.SOURCE], "detail-type": message_events,
                             "detail": {"queue": [queue]}},
            "Targets": [_target("desk", {"Fn::GetAtt": [desk_queue(queue), "Arn"]})],
        }}
    return out


def second_opinion_pattern() -> dict[str, Any]:
    """The EventBridge pattern of the second opinion's rule: message.triaged of new and edited messages, but not
    those held back because their author is blocked (in no queue: nobody is waiting for a better verdict)."""
    return {"source": [events_schema.SOURCE], "detail-type": [events_schema.MESSAGE_TRIAGED],
            "detail": {"data": {"trigger": list(SECOND_OPINION_TRIGGERS), "held_back": [{"exists": False}]}}}


def away_pattern() -> dict[str, Any]:
    """The EventBridge pattern of the away message's rule (which also brings the routing rules' replies):
    message.triaged of customers' new direct messages on the platforms it answers, not those held back
    (chalicelib/domain/away.py and routing_rules.py decide the rest on the stored message)."""
    return {"source": [events_schema.SOURCE], "detail-type": [events_schema.MESSAGE_TRIAGED],
            "detail": {"channel": [automatic_messages.DIRECT_MESSAGE], "platform": list(automatic_messages.DM_PLATFORMS),
                       "data": {"trigger": ["new"], "held_back": [{"exists": False}]}}}


def survey_pattern() -> dict[str, Any]:
    """The EventBridge pattern of the satisfaction survey's rule: message.resolved (the survey) and message.rated (its
    follow-up question) of direct-message conversations on the platforms it is sent on (chalicelib/domain/surveys.py
    decides the rest on the stored conversation)."""
    return {"source": [events_schema.SOURCE],
            "detail-type": [events_schema.MESSAGE_RESOLVED, events_schema.MESSAGE_RATED],
            "detail": {"channel": [automatic_messages.DIRECT_MESSAGE], "platform": list(automatic_messages.DM_PLATFORMS)}}


def second_opinion_environment() -> dict[str, Any]:
    """The app's environment (.chalice/config.json's, stage-independent part), the table, and one encoder thread."""
    shared = {k: v for k, v in chalice_config().get("environment_variables", {}).items() if k != "TABLE_NAME"}
    return {**shared, "TABLE_NAME": {"Ref": TABLE}, "LOG_LEVEL": "INFO", "OMP_NUM_THREADS": "1"}


def second_opinion_queue_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [SECOND_OPINION_QUEUE, "Arn"]}


def automatic_queue_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [AUTOMATIC_QUEUE, "Arn"]}


def automatic_resources() -> dict[str, Any]:
    """The automatic messages' function (Chalice's; its role is .chalice/policy-<stage>-send-automatic-replies.json),
    its log group, its queue (what keeps failing moves to the events' dead-letter queue, whose redrive puts it back on
    the bus) and the rules that fill it: the away message's and the satisfaction survey's."""
    return {
        AUTOMATIC: {"Properties": {
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}}},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": log_group(AUTOMATIC)}},
            "Events": {AUTOMATIC_QUEUE_EVENT: {"Type": "SQS", "Properties": {
                "Queue": automatic_queue_arn(),
                "BatchSize": AUTOMATIC_BATCH_SIZE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": AUTOMATIC_MAX_CONCURRENCY},
            }}},
        }},
        log_group(AUTOMATIC): _log_group(AUTOMATIC),
        AUTOMATIC_QUEUE: {"Type": "AWS::SQS::Queue", "Properties": {
            "SqsManagedSseEnabled": True,
            "VisibilityTimeout": AUTOMATIC_VISIBILITY_TIMEOUT,
            "RedrivePolicy": {"deadLetterTargetArn": dlq_arn(), "maxReceiveCount": AUTOMATIC_MAX_RECEIVES},
        }},
        AUTOMATIC_QUEUE_POLICY: {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": AUTOMATIC_QUEUE}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                _allow_rules("AutomaticRulesSend", "sqs:SendMessage", automatic_queue_arn(), [AWAY_RULE, SURVEY_RULE])]},
        }},
        AWAY_RULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Description": "message.triaged of customers' new direct messages to the automatic replies' queue (a "
                           "routing rule's reply, the away message)",
            "EventBusName": {"Ref": BUS},
            "EventPattern": away_pattern(),
            "Targets": [_target("away", automatic_queue_arn())],
        }},
        SURVEY_RULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Description": "message.resolved and message.rated of direct-message conversations to the satisfaction "
                           "survey's queue",
            "EventBusName": {"Ref": BUS},
            "EventPattern": survey_pattern(),
            "Targets": [_target("survey", automatic_queue_arn())],
        }},
    }


def second_opinion_resources(runtime: str = SECOND_OPINION_RUNTIME) -> dict[str, Any]:
    """The second-opinion function, its role, its log group, its queue, and the rule that fills the queue."""
    return {
        SECOND_OPINION: {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": f"./{SECOND_OPINION_ZIP}",
            "Handler": SECOND_OPINION_HANDLER,
            "Runtime": runtime,
            "Architectures": ["x86_64"],  # the package's wheels are manylinux x86_64
            "MemorySize": SECOND_OPINION_MEMORY_MB,
            "Timeout": SECOND_OPINION_TIMEOUT,
            "Role": {"Fn::GetAtt": [SECOND_OPINION_ROLE, "Arn"]},
            "Environment": {"Variables": second_opinion_environment()},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": log_group(SECOND_OPINION)}},
            "Events": {SECOND_OPINION_QUEUE_EVENT: {"Type": "SQS", "Properties": {
                "Queue": second_opinion_queue_arn(),
                "BatchSize": SECOND_OPINION_BATCH_SIZE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": {"Ref": SECOND_OPINION_CONCURRENCY_PARAMETER}},
            }}},
        }},
        SECOND_OPINION_ROLE: {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": f"{SECOND_OPINION_ROLE}Policy", "PolicyDocument": second_opinion_policy()}],
        }},
        log_group(SECOND_OPINION): _log_group(SECOND_OPINION),
        SECOND_OPINION_QUEUE: {"Type": "AWS::SQS::Queue", "Properties": {
            "SqsManagedSseEnabled": True,
            "VisibilityTimeout": SECOND_OPINION_VISIBILITY_TIMEOUT,
            "RedrivePolicy": {"deadLetterTargetArn": dlq_arn(), "maxReceiveCount": SECOND_OPINION_MAX_RECEIVES},
        }},
        SECOND_OPINION_QUEUE_POLICY: {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": SECOND_OPINION_QUEUE}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                _allow_rules("SecondOpinionRuleSends", "sqs:SendMessage", second_opinion_queue_arn(),
                             [SECOND_OPINION_RULE])]},
        }},
        SECOND_OPINION_RULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Description": "message.triaged of new and edited messages to the second opinion's queue",
            "EventBusName": {"Ref": BUS},
            "EventPattern": second_opinion_pattern(),
            "Targets": [_target("second-opinion", second_opinion_queue_arn())],
        }},
    }


def _alarm(name: str, description: str, queue: str, metric: str, threshold: int, periods: int) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": sub(f"${{AWS::StackName}}-{name}"),  # the topic's policy admits the stack's alarms by name
        "AlarmDescription": description,
        "Namespace": "AWS/SQS", "MetricName": metric,
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
        "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": periods,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",  # SQS reports nothing for an idle queue
        "AlarmActions": [{"Ref": OPS_TOPIC}], "OKActions": [{"Ref": OPS_TOPIC}]}}


def alarm_resources() -> dict[str, Any]:
    """What needs a person: a parked event (run the redrive) and a second-opinion backlog (raise its concurrency)."""
    return {
        OPS_TOPIC: {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "social-triage operations"}},
        OPS_TOPIC_POLICY: {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": OPS_TOPIC}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "StackAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish", "Resource": {"Ref": OPS_TOPIC},
                "Condition": {"ArnLike": {"aws:SourceArn": sub(
                    "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-*")},
                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]},
        }},
        DLQ_ALARM: _alarm("events-dead-letter", "Events are parked in the dead-letter queue: run "
                          "`python -m chalicelib.cli events redrive` (README, Events)", DLQ,
                          "ApproximateNumberOfMessagesVisible", 0, 1),
        BACKLOG_ALARM: _alarm("second-opinion-backlog", "The second opinion's queue is falling behind: raise the "
                              "SecondOpinionMaxConcurrency parameter (README, The second-opinion function)",
                              SECOND_OPINION_QUEUE, "ApproximateAgeOfOldestMessage", SECOND_OPINION_BACKLOG_SECONDS,
                              2),
    }


def policy(stage: str, stage_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """.chalice/policy-<stage>.json: the function role's only policy."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TableItems",
                "Effect": "Allow",
                "Action": list(TABLE_ACTIONS),
                "Resource": [table_arn()],
            },
            _index_queries(API_INDEXES),
            _delete_only("DeleteSavedRepliesOnly", API_DELETABLE_PARTITIONS),
            *_secrets(stage, stage_config),
            _own_logs(FUNCTION),
        ],
    }


def _secrets(stage: str, stage_config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The stage's SSM parameters (webhook secrets, the platforms' tokens), decrypted through SSM only."""
    parameters = f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{secrets_path(stage, stage_config)}/*"
    return [
        {
            "Sid": "StageSecrets",
            "Effect": "Allow",
            "Action": list(SSM_ACTIONS),
            "Resource": [sub(parameters)],
        },
        {
            # SecureStrings under the AWS managed key aws/ssm (or a customer key): only when SSM asks
            "Sid": "DecryptSecretsThroughSsm",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")],
            "Condition": {"StringEquals": {"kms:ViaService": sub("ssm.${AWS::Region}.amazonaws.com")}},
        },
    ]


def chalice_config() -> dict[str, Any]:
    return json.loads((CHALICE_DIR / "config.json").read_text())


def _own_logs(function: str) -> dict[str, Any]:
    # the group's ARN ends in :* (its streams)
    return {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::GetAtt": [log_group(function), "Arn"]}]}


def _index_queries(indexes: tuple[str, ...]) -> dict[str, Any]:
    return {"Sid": "TableIndexes", "Effect": "Allow", "Action": list(INDEX_ACTIONS), "Resource": index_arns(indexes)}


def _delete_only(sid: str, partitions: tuple[str, ...]) -> dict[str, Any]:
    """DeleteItem on the table's items whose partition key is one of `partitions`, and no other."""
    return {"Sid": sid, "Effect": "Allow", "Action": ["dynamodb:DeleteItem"], "Resource": [table_arn()],
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": list(partitions)}}}


def sweep_policy() -> dict[str, Any]:
    """The scheduled sweep's role: the table calls it makes (SWEEP_*), its log group, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TableItems", "Effect": "Allow", "Action": list(SWEEP_TABLE_ACTIONS), "Resource": [table_arn()]},
            _index_queries(SWEEP_INDEXES),
            _delete_only("DeleteFoldedCounterShardsOnly", SWEEP_DELETABLE_PARTITIONS),
            _own_logs(SWEEP),
        ],
    }


def publisher_policy() -> dict[str, Any]:
    """The publisher's role: read the table's stream, put on the one bus, send to the dead-letter queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TableStream", "Effect": "Allow", "Action": list(STREAM_ACTIONS),
             "Resource": [{"Fn::GetAtt": [TABLE, "StreamArn"]}]},
            # the event source mapping lists the table's streams (ListStreams names no stream)
            {"Sid": "TableStreams", "Effect": "Allow", "Action": ["dynamodb:ListStreams"],
             "Resource": [sub(f"${{{TABLE}.Arn}}/stream/*")]},
            {"Sid": "PutEventsOnTheStageBus", "Effect": "Allow", "Action": ["events:PutEvents"],
             "Resource": [bus_arn()]},
            # SendMessageBatch is authorized as sqs:SendMessage; the mapping's on-failure records use it too
            {"Sid": "DeadLetterQueue", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [dlq_arn()]},
            _own_logs(PUBLISHER),
        ],
    }


def spikes_policy() -> dict[str, Any]:
    """The spike schedule's role: read the volume counters, write the spike markers."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CountersAndSpikeMarkers", "Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:PutItem"],
             "Resource": [table_arn()]},
            _own_logs(SPIKES),
        ],
    }


def second_opinion_policy() -> dict[str, Any]:
    """The second opinion's role: read a message and update it with its counters (single UpdateItem or a
    TransactWriteItems of Updates: authorized as dynamodb:UpdateItem), on the table only: no index, no Query, no
    Scan, no Put or Delete; Lambda polls its queue under this role (SQS itself moves what keeps failing to the
    dead-letter queue)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TableItems", "Effect": "Allow", "Action": list(SECOND_OPINION_TABLE_ACTIONS),
             "Resource": [table_arn()]},
            {"Sid": "OwnQueue", "Effect": "Allow", "Action": list(SECOND_OPINION_QUEUE_ACTIONS),
             "Resource": [second_opinion_queue_arn()]},
            _own_logs(SECOND_OPINION),
        ],
    }


def automatic_policy(stage: str = "prod", stage_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The automatic messages' role: read the message, the away message and the survey, reserve and record the reply
    (no index, no Query, no Delete), read the platforms' tokens (SSM), poll its own queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TableItems", "Effect": "Allow", "Action": list(AUTOMATIC_TABLE_ACTIONS), "Resource": [table_arn()]},
            *_secrets(stage, stage_config),
            {"Sid": "OwnQueue", "Effect": "Allow", "Action": list(AUTOMATIC_QUEUE_ACTIONS), "Resource": [automatic_queue_arn()]},
            _own_logs(AUTOMATIC),
        ],
    }


FUNCTION_POLICIES = {SWEEP_NAME: sweep_policy, PUBLISHER_NAME: publisher_policy, SPIKES_NAME: spikes_policy,
                     AUTOMATIC_NAME: automatic_policy}
# the roles that read the stage's secrets: their policy takes the stage (its SSM path)
STAGE_POLICIES = {AUTOMATIC_NAME}


def function_policy_file(stage: str, function_name: str) -> str:
    return f"policy-{stage}-{function_name.replace('_', '-')}.json"


def policy_files() -> dict[Path, dict[str, Any]]:
    """Every stage's policy files, named as .chalice/config.json names them (default policy-<stage>.json):
    the API's, and the sweep's and each event function's (stages.<stage>.lambda_functions.<name>.iam_policy_file)."""
    config = chalice_config()
    files = {}
    for stage, stage_config in config.get("stages", {}).items():
        name = stage_config.get("iam_policy_file") or config.get("iam_policy_file") or f"policy-{stage}.json"
        files[CHALICE_DIR / name] = policy(stage, stage_config)
        functions = stage_config.get("lambda_functions", {})
        for function_name, build in FUNCTION_POLICIES.items():
            own = functions.get(function_name, {}).get("iam_policy_file")
            if own is None:
                raise SystemExit(f".chalice/config.json: stage {stage} must name lambda_functions.{function_name}"
                                 f".iam_policy_file ({function_policy_file(stage, function_name)}), else the "
                                 "function would get the API's role policy")
            files[CHALICE_DIR / own] = build(stage, stage_config) if function_name in STAGE_POLICIES else build()
    return files


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def outputs() -> dict[Path, str]:
    return {RESOURCES_PATH: render(resources()), **{path: render(doc) for path, doc in policy_files().items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write infra/resources.json and the stage policies")
    mode.add_argument("--check", action="store_true", help="exit 1 when a committed file is out of date")
    parser.add_argument("--no-snapstart", action="store_true",
                        help="print the merge template without SnapStart and the alias, the second-opinion function "
                             "on this interpreter's Python as Chalice does the others (not with --write/--check)")
    args = parser.parse_args(argv)
    if args.no_snapstart and (args.write or args.check):
        parser.error("--no-snapstart only prints: the committed template has SnapStart")
    if args.write:
        for path, text in outputs().items():
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
        return 0
    if args.check:
        stale = [path for path, text in outputs().items() if not path.exists() or path.read_text() != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python -m infra.template --write", file=sys.stderr)
        return 1 if stale else 0
    if args.no_snapstart:  # deploy.package runs it with the packaging interpreter, which runs `chalice package`
        runtime = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        sys.stdout.write(render(resources(with_snapstart=False, runtime=runtime)))
        return 0
    sys.stdout.write(render(resources()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
