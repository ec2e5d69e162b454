"""The deployable artifact: `chalice package --merge-template infra/resources.json` for every stage.

Packaged as `make package` does, with the Python 3.12+ packaging venv (the function's runtime), whatever
runs the tests. Checks the SAM template (runtime, SnapStart behind the alias the API calls, table, function
environment, least-privilege role, cfn-lint on it and on the SAM translation) and the deployment zip (no
training/test stack, the model artifact inside, under 15 MB, importable as Lambda imports it, before and
after infra/precompile.py adds its bytecode).
Slow (PyPI downloads on the first run; Chalice caches the result in .chalice/deployments/): deselect with
`-m "not deploy"`. DEPLOY_TEST_PROJECT_DIR packages another checkout of the project instead of this one.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import platform
import re
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.store.table import TTL_ATTRIBUTE, cloudformation_resource, table_definition
from infra import deploy
from infra import template as infra

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(os.environ.get("DEPLOY_TEST_PROJECT_DIR") or ROOT).resolve()
STAGES = tuple(json.loads((PROJECT / ".chalice" / "config.json").read_text())["stages"])
MAX_ZIP_BYTES = 15 * 1024 * 1024
MODEL = "models/triage-model.bin"
# distributions that must never reach the Lambda package (training, tests, local run)
FORBIDDEN = {"sklearn", "scikit_learn", "numpy", "scipy", "pandas", "moto"}
NOT_SHIPPED = ("training/", "tests/", "bench/", "local/", "infra/", "docs/", ".chalice/")
CHALICE = "import sys; from chalice.cli import main; sys.exit(main())"

# What each call in chalicelib/ needs. Transactions are authorized per operation inside them.
CALL_ACTIONS = {
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "query_pages": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_get_item": "dynamodb:BatchGetItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "execute_statement": "dynamodb:PartiQL*",  # not granted on purpose: add explicit PartiQL actions if used
    "get_parameter": "ssm:GetParameter",
    "get_parameters": "ssm:GetParametersByPath",
    "get_parameters_by_name": "ssm:GetParameters",
}
TRANSACT_OPERATIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# granted ahead of (or alongside) the code: the API-key, queue and stats stores
ANNOUNCED = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}


# --- the generator and the code it serves (fast) -------------------------------------------------

def test_committed_files_are_the_generator_output():
    for path, text in infra.outputs().items():
        assert path.exists(), f"{path.relative_to(ROOT)} is missing: run python -m infra.template --write"
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run python -m infra.template --write"


def test_the_table_is_the_one_table_definition():
    resource = infra.resources()["Resources"][infra.TABLE]
    assert resource == cloudformation_resource()
    assert "TableName" not in resource["Properties"]  # one table per stack, found through TABLE_NAME


def test_every_stage_has_its_policy_file_and_secrets_path():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    for stage, stage_config in config["stages"].items():
        assert (ROOT / ".chalice" / stage_config["iam_policy_file"]).exists()
        path = stage_config.get("environment_variables", {}).get("SECRETS_SSM_PATH") or f"/social-triage/{stage}"
        resources = [r["Fn::Sub"] for s in statements(infra.policy(stage, stage_config)) if s["Sid"] == "StageSecrets"
                     for r in s["Resource"]]
        assert resources == [f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{path}/*"]


# run by operators with their own credentials, never by a function (a Scan of the whole table)
OPERATOR_ONLY = [ROOT / "chalicelib" / "store" / "backfill.py"]


def sources() -> list[Path]:
    """The functions' code: app.py and chalicelib/, the operator-only modules aside."""
    return [ROOT / "app.py", *sorted(p for p in (ROOT / "chalicelib").rglob("*.py") if p not in OPERATOR_ONLY)]


def code_requirements() -> set[str]:
    """IAM actions the code's AWS calls need, read from chalicelib/ and app.py (the sweep's code too: its own role
    is checked on what it calls, tests/deploy/test_sweep_role.py)."""
    text = "\n".join(path.read_text() for path in sources())
    needed = {CALL_ACTIONS[call] for call in re.findall(r"\.(\w+)\(", text) if call in CALL_ACTIONS}
    needed |= {CALL_ACTIONS[call] for call in re.findall(r"\bparameters\.(get_parameters?\w*)\(", text)
               if call in CALL_ACTIONS}
    needed |= {TRANSACT_OPERATIONS[op] for op in re.findall(r"[\"'](\w+)[\"']\s*:\s*\{", text) if op in TRANSACT_OPERATIONS}
    return needed


def test_no_function_loads_the_operator_only_modules_and_no_role_may_scan():
    """The backfill Scans the table: only the operator's CLI imports it, and no function's role grants Scan."""
    importers = [path for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py"), *(ROOT / "second_opinion").rglob("*.py")]
                 if re.search(r"\bbackfill\b", path.read_text()) and path not in OPERATOR_ONLY]
    assert [p.relative_to(ROOT).as_posix() for p in importers] == ["chalicelib/cli.py"]
    roles = [infra.policy("prod"), *(build() for build in infra.FUNCTION_POLICIES.values()), infra.second_opinion_policy()]
    assert not any("dynamodb:Scan" in s["Action"] for document in roles for s in statements(document))


def test_policy_grants_what_the_code_calls_and_nothing_more():
    needed = code_requirements()
    granted = {action for s in statements(infra.policy("prod")) for action in s["Action"]}
    missing = needed - granted
    assert not missing, f"chalicelib calls need {sorted(missing)}: add them to infra/template.py"
    extra = {a for a in granted if a.startswith("dynamodb:")} - needed - ANNOUNCED
    assert not extra, f"granted but never called: {sorted(extra)}"
    assert {a for a in granted if a.startswith("ssm:")} <= needed | {"ssm:GetParameter"}


def functions_where(found) -> set[tuple[str, str]]:
    """(file, function) of every function of app.py and chalicelib/ with a node for which `found` is true."""
    sites = set()
    for path in sources():
        for function in ast.walk(ast.parse(path.read_text())):
            if isinstance(function, ast.FunctionDef) and any(found(node) for node in ast.walk(function)):
                sites.add((str(path.relative_to(ROOT)), function.name))
    return sites


def calls(*names: str):
    """A call of a function or method named one of `names`."""
    return lambda node: (isinstance(node, ast.Call)
                         and getattr(node.func, "attr", getattr(node.func, "id", None)) in names)


def test_the_api_deletes_only_saved_replies_and_only_the_sweep_deletes_counter_shards():
    # GIVEN every DeleteItem call and transaction Delete in the code
    deletes = functions_where(lambda node: calls("delete_item")(node) or isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "Delete" for key in node.keys))
    # THEN the saved replies' delete (a route's) and the counter fold are the only ones
    assert deletes == {("chalicelib/store/saved_replies.py", "delete"), ("chalicelib/store/counters.py", "fold_hour")}
    # AND the fold runs in the sweep alone (the scheduled function), so the API's role needs no counter deletes
    assert functions_where(calls("fold_hour")) == {("chalicelib/store/counters.py", "fold_closed_hours")}
    assert functions_where(calls("fold_closed_hours")) == {("chalicelib/sweeps.py", "run")}
    assert functions_where(lambda node: calls("run")(node) and getattr(node.func.value, "id", None) == "sweeps") == {
        ("app.py", infra.SWEEP_NAME)}


# --- the packaged artifact (slow) ----------------------------------------------------------------

@dataclass
class Packaged:
    stage: str
    output: str
    template: dict
    zip_path: Path


@pytest.fixture(scope="module")
def packaged(tmp_path_factory, packaging_python) -> dict[str, Packaged]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # no credentials: none needed
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    results = {}
    for stage in STAGES:
        out = tmp_path_factory.mktemp(f"package-{stage}") / "out"
        command = [packaging_python, "-c", CHALICE, "--project-dir", str(PROJECT), "package", "--stage", stage,
                   "--merge-template", str(PROJECT / "infra" / "resources.json"), str(out)]
        result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"chalice package --stage {stage} failed:\n{output[-4000:]}"
        results[stage] = Packaged(stage, output, json.loads((out / "sam.json").read_text()), out / "deployment.zip")
    return results


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


# every function of the app: the API's (the role of .chalice/policy-<stage>.json), and the scheduled sweep and the
# event functions (each with a role of its own)
FUNCTIONS = {infra.FUNCTION, *infra.OWN_ROLE_FUNCTIONS}
# and the second opinion: not Chalice's, packaged on its own (tests/deploy/test_second_opinion_package.py)
ALL_FUNCTIONS = FUNCTIONS | {infra.SECOND_OPINION}


def the_functions(template: dict) -> dict[str, dict]:
    """The API's function, the scheduled sweep, the event functions and the second opinion, and nothing else."""
    functions = resources_of(template, "AWS::Serverless::Function")
    assert set(functions) == ALL_FUNCTIONS, f"expected the functions {sorted(ALL_FUNCTIONS)}: {list(functions)}"
    return functions


def the_function(template: dict, name: str = infra.FUNCTION) -> dict:
    return the_functions(template)[name]


def role_name(template: dict, function: str = infra.FUNCTION) -> str:
    return the_functions(template)[function]["Properties"]["Role"]["Fn::GetAtt"][0]


def role_policies(template: dict, function: str = infra.FUNCTION) -> list[dict]:
    role = template["Resources"][role_name(template, function)]
    assert role["Type"] == "AWS::IAM::Role"
    assert "ManagedPolicyArns" not in role["Properties"]
    return [p["PolicyDocument"] for p in role["Properties"]["Policies"]]


def expected_policy(stage: str, function: str) -> dict:
    if function == infra.FUNCTION:
        return infra.policy(stage, json.loads((PROJECT / ".chalice" / "config.json").read_text())["stages"][stage])
    if function == infra.SECOND_OPINION:
        return infra.second_opinion_policy()
    name = infra.OWN_ROLE_FUNCTIONS[function]  # the sweep's and the event functions'
    if name in infra.STAGE_POLICIES:  # those reading the stage's secrets
        return infra.FUNCTION_POLICIES[name](stage, json.loads((PROJECT / ".chalice" / "config.json").read_text())[
            "stages"][stage])
    return infra.FUNCTION_POLICIES[name]()


# the partitions each role may delete items in (IAM dynamodb:LeadingKeys); no other role deletes any item
DELETABLE = {infra.FUNCTION: ["SAVEDREPLY"],
             infra.SWEEP: ["STATS#customer_service", "STATS#stance", "STATS#community"]}


def statements(document: dict) -> list[dict]:
    result = []
    for statement in document["Statement"]:
        statement = dict(statement)
        for key in ("Action", "Resource"):
            if isinstance(statement.get(key), (str, dict)):
                statement[key] = [statement[key]]
        result.append(statement)
    return result


def test_no_dependency_install_failure(packaged):
    for stage, p in packaged.items():
        assert "Could not install dependencies" not in p.output, f"{stage}:\n{p.output}"


def test_every_merged_resource_is_complete(packaged):
    for p in packaged.values():
        untyped = [name for name, r in p.template["Resources"].items() if "Type" not in r]
        assert not untyped, f"merged onto resources Chalice no longer generates: {untyped}"


def test_template_has_the_table(packaged):
    expected = table_definition("unused")
    for p in packaged.values():
        tables = resources_of(p.template, "AWS::DynamoDB::Table")
        assert list(tables) == [infra.TABLE]
        table = tables[infra.TABLE]
        props = table["Properties"]
        assert table["DeletionPolicy"] == "Retain"
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
        assert props["KeySchema"] == expected["KeySchema"]
        assert props["GlobalSecondaryIndexes"] == expected["GlobalSecondaryIndexes"]
        assert [i["IndexName"] for i in props["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2", "GSI3"]
        # a customer's messages are read by key only (an erasure): the author index copies nothing else
        assert [i["Projection"] for i in props["GlobalSecondaryIndexes"]] == [
            {"ProjectionType": "ALL"}, {"ProjectionType": "ALL"}, {"ProjectionType": "KEYS_ONLY"}]


def test_api_gateway_answers_unknown_routes_in_the_error_shape(packaged):
    """API Gateway refuses a path or method it has no route for itself (Lambda never sees it): 404 unknown_route
    in the API's error shape, as the local server answers; its other refusals keep their status, in our shape."""
    for p in packaged.values():
        api = p.template["Resources"][infra.API]
        assert api["Type"] == "AWS::Serverless::Api"
        responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
        assert set(responses) == {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"}
        unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
        assert unknown["statusCode"] == 404
        assert json.loads(unknown["responseTemplates"]["application/json"]) == {
            "error": {"code": "unknown_route", "message": "no route for this method and path"}}
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            assert "statusCode" not in responses[kind]
            assert responses[kind]["responseTemplates"]["application/json"].endswith(
                '"message": $context.error.messageString}}')
        assert p.template["Resources"][infra.API]["Properties"]["DefinitionBody"]["paths"]  # Chalice's routes kept


def test_function_environment_references_the_table(packaged):
    config = json.loads((PROJECT / ".chalice" / "config.json").read_text())
    for stage, p in packaged.items():
        for function, group in infra.FUNCTIONS.items():
            props = the_functions(p.template)[function]["Properties"]
            variables = props["Environment"]["Variables"]
            assert variables["TABLE_NAME"] == {"Ref": infra.TABLE}
            expected = {**config["environment_variables"], **config["stages"][stage].get("environment_variables", {})}
            for name, value in expected.items():
                if name != "TABLE_NAME":
                    assert variables[name] == value, name
            assert props["LoggingConfig"]["LogGroup"] == {"Ref": group}
            assert p.template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
        sweep = the_functions(p.template)[infra.SWEEP]["Properties"]
        assert sweep["Handler"] == "app.sweep_queues"
        assert [e["Properties"]["Schedule"] for e in sweep["Events"].values()] == ["rate(5 minutes)"]
        # one sweep at a time: a retried invocation never folds counter shards beside another (counters.fold_hour)
        assert sweep["ReservedConcurrentExecutions"] == 1
    assert packaged["prod"].template["Resources"][infra.FUNCTION]["Properties"]["Environment"]["Variables"][
        "SECRETS_SSM_PATH"] == "/social-triage/prod"


def test_the_second_opinion_keeps_its_own_package_and_runtime(packaged):
    """Chalice points its functions at ./deployment.zip before it merges infra/resources.json: the second opinion
    keeps ./second-opinion.zip (infra/second_opinion_package.py writes it there), on the API's runtime."""
    for stage, p in packaged.items():
        props = the_function(p.template, infra.SECOND_OPINION)["Properties"]
        assert props["CodeUri"] == f"./{deploy.SECOND_OPINION_ZIP}", stage
        assert props["Runtime"] == the_function(p.template)["Properties"]["Runtime"], stage
        assert props["Handler"] == infra.SECOND_OPINION_HANDLER


def test_policy_is_least_privilege(packaged):
    table_arn = {"Fn::GetAtt": [infra.TABLE, "Arn"]}
    index_arns = [{"Fn::Sub": f"${{{infra.TABLE}.Arn}}/index/{i['IndexName']}"}
                  for i in table_definition("unused")["GlobalSecondaryIndexes"]]
    stream_arn = {"Fn::GetAtt": [infra.TABLE, "StreamArn"]}
    table_streams = {"Fn::Sub": f"${{{infra.TABLE}.Arn}}/stream/*"}
    for (stage, p), function in itertools.product(packaged.items(), sorted(ALL_FUNCTIONS)):
        documents = role_policies(p.template, function)
        assert documents == [expected_policy(stage, function)], function
        # every function but the API's has a role of its own: the API's role cannot delete counters, nor the
        # sweep's read secrets
        assert (role_name(p.template, function) == role_name(p.template)) == (function == infra.FUNCTION), function
        granted = {a for d in documents for s in statements(d) for a in s["Action"]}
        assert ("dynamodb:DeleteItem" in granted) == (function in DELETABLE), function
        if function != infra.PUBLISHER:  # only the publisher reads the stream, puts events, sends to the queue
            # (and the second opinion polls its own queue: Lambda receives and deletes under its role)
            assert not {a for a in granted if a.split(":")[0] == "events"}, function
            sqs = {a for a in granted if a.split(":")[0] == "sqs"}
            polls = {infra.SECOND_OPINION: infra.SECOND_OPINION_QUEUE_ACTIONS, infra.AUTOMATIC: infra.AUTOMATIC_QUEUE_ACTIONS}
            assert sqs == set(polls.get(function, ())), function
            assert not set(infra.STREAM_ACTIONS) & granted, function
        if function not in (infra.FUNCTION, infra.AUTOMATIC):  # only the API (webhook secrets, tokens) and the away
            assert not {a for a in granted if a.split(":")[0] in ("ssm", "kms")}, function  # message (tokens) read

        for statement in (s for d in documents for s in statements(d)):
            assert statement["Effect"] == "Allow"
            assert "NotAction" not in statement and "NotResource" not in statement
            for action in statement["Action"]:
                assert "*" not in action, f"wildcard action {action}"
            assert "*" not in statement["Resource"], f"Resource '*' in {statement['Sid']}"
            services = {a.split(":")[0] for a in statement["Action"]}
            if "dynamodb" in services and set(statement["Action"]) <= set(infra.STREAM_ACTIONS):
                assert statement["Resource"] == [stream_arn]  # the table's stream and nothing else
            elif statement["Action"] == ["dynamodb:ListStreams"]:
                assert statement["Resource"] == [table_streams]
            elif "dynamodb" in services:
                assert services == {"dynamodb"}
                assert set(a.split(":")[1] for a in statement["Action"]) <= {
                    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "ConditionCheckItem", "BatchWriteItem",
                    "BatchGetItem", "Scan"}
                for resource in statement["Resource"]:
                    assert resource == table_arn or resource in index_arns, resource
                if "dynamodb:DeleteItem" in statement["Action"]:
                    assert statement["Action"] == ["dynamodb:DeleteItem"], function
                    assert statement["Condition"] == {"ForAllValues:StringEquals": {
                        "dynamodb:LeadingKeys": DELETABLE[function]}}, function
            if "events" in services:
                assert statement["Action"] == ["events:PutEvents"]
                assert statement["Resource"] == [{"Fn::GetAtt": [infra.BUS, "Arn"]}]  # the one bus
            if "sqs" in services and function == infra.SECOND_OPINION:  # it polls its own queue, sends nothing
                assert statement["Resource"] == [{"Fn::GetAtt": [infra.SECOND_OPINION_QUEUE, "Arn"]}]
            elif "sqs" in services and function == infra.AUTOMATIC:  # so does the away message
                assert statement["Resource"] == [{"Fn::GetAtt": [infra.AUTOMATIC_QUEUE, "Arn"]}]
            elif "sqs" in services:
                assert statement["Action"] == ["sqs:SendMessage"]
                assert statement["Resource"] == [{"Fn::GetAtt": [infra.DLQ, "Arn"]}]
            if "logs" in services:  # its own log group
                assert statement["Resource"] == [{"Fn::GetAtt": [infra.log_group(function), "Arn"]}], function
            if "ssm" in services:
                for resource in statement["Resource"]:
                    assert resource["Fn::Sub"].endswith(f":parameter/social-triage/{stage}/*"), resource
            if "kms" in services:
                assert statement["Action"] == ["kms:Decrypt"]
                assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
                    "Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}


def zip_names(p: Packaged) -> list[str]:
    with zipfile.ZipFile(p.zip_path) as archive:
        return archive.namelist()


def distribution(name: str) -> str:
    top = name.split("/", 1)[0]
    return re.split(r"[-.]", top, maxsplit=1)[0].lower()


def test_zip_holds_no_training_or_test_stack(packaged):
    names = zip_names(packaged["prod"])
    shipped = sorted({distribution(n) for n in names} & FORBIDDEN)
    assert not shipped, f"the deployment zip contains {shipped}"
    leaked = sorted({n.split("/", 1)[0] + "/" for n in names if n.startswith(NOT_SHIPPED)})
    assert not leaked, f"the deployment zip contains {leaked}"


def test_zip_holds_the_app_and_the_model(packaged):
    names = set(zip_names(packaged["prod"]))
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/classifier/scorer.py"} <= names
    assert MODEL in names, (
        f"{MODEL} is not in the package: Chalice ships app.py, chalicelib/ and vendor/ (vendor/'s contents at the "
        "zip root), so scorer.DEFAULT_MODEL_PATH (<root>/models/...) needs vendor/models -> ../models")
    with zipfile.ZipFile(packaged["prod"].zip_path) as archive:
        assert archive.read(MODEL) == (PROJECT / MODEL).read_bytes()
        assert archive.read("app.py") == (PROJECT / "app.py").read_bytes()


def test_zip_is_small(packaged):
    size = packaged["prod"].zip_path.stat().st_size
    assert size < MAX_ZIP_BYTES, f"deployment.zip is {size / 2**20:.1f} MB"


@pytest.fixture(scope="module")
def precompiled(packaged, packaging_python, tmp_path_factory) -> Path:
    """The prod package after `python -m infra.precompile` (the README's deploy step), in a copy."""
    out = tmp_path_factory.mktemp("precompiled")
    (out / "sam.json").write_text(json.dumps(packaged["prod"].template))
    (out / "deployment.zip").write_bytes(packaged["prod"].zip_path.read_bytes())
    result = subprocess.run([packaging_python, "-m", "infra.precompile", str(out)], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return out / "deployment.zip"


def cache_tag(runtime: str) -> str:
    """python3.12 -> cpython-312, the tag in the names of that runtime's .pyc files."""
    major, minor = runtime.removeprefix("python").split(".")
    return f"cpython-{major}{minor}"


def test_precompiled_zip_has_bytecode_lambda_can_use_for_every_module(packaged, precompiled):
    # GIVEN the package after the precompile step
    runtime = the_function(packaged["prod"].template)["Properties"]["Runtime"]
    with zipfile.ZipFile(precompiled) as archive:
        names = set(archive.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        tag = cache_tag(runtime)
        missing, checked = [], []
        for source in sources:
            folder, _, file = source.rpartition("/")
            cached = f"{folder + '/' if folder else ''}__pycache__/{file[:-3]}.{tag}.pyc"
            if cached not in names:
                missing.append(source)
                continue
            header = archive.read(cached)[:16]
            # PEP 552: flags 0b01 = hash-based and not checked against the source (valid whatever the mtimes)
            checked.append(int.from_bytes(header[4:8], "little") == 0b01)
    # THEN every module has an unchecked-hash .pyc for the function's runtime
    assert len(sources) > 300 and not missing, f"no .pyc for {missing[:5]}"
    assert all(checked)
    assert precompiled.stat().st_size < MAX_ZIP_BYTES, f"{precompiled.stat().st_size / 2**20:.1f} MB"


@pytest.mark.parametrize("variant", ["as chalice packages it", "precompiled"])
def test_zip_imports_and_classifies_as_lambda_would(packaged, precompiled, packaging_python, variant, tmp_path):
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the package holds manylinux x86_64 wheels")
    task = tmp_path / "task"
    with zipfile.ZipFile(precompiled if variant == "precompiled" else packaged["prod"].zip_path) as archive:
        archive.extractall(task)
    script = """
import json, sys
sys.path.insert(0, sys.argv[1])
import app, pydantic
from chalicelib.classifier import classify, scorer
verdict = classify("my order never arrived and nobody answers, I want a refund")
print(json.dumps({"files": [app.__file__, pydantic.__file__, str(scorer.DEFAULT_MODEL_PATH)],
                  "category": verdict.category, "runtime": "python%d.%d" % sys.version_info[:2],
                  "pyc": [m.__cached__ for m in (sys.modules["app"], sys.modules["pydantic.main"])]}))
"""
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1", "STAGE": "prod"}
    # -B: /var/task is read-only on Lambda, so nothing is written next to the modules
    result = subprocess.run([packaging_python, "-I", "-B", "-c", script, str(task)], cwd=task, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for file in report["files"]:
        assert Path(file).resolve().is_relative_to(task.resolve()), f"{file} was not loaded from the package"
    assert report["category"] == "customer_service"
    assert report["runtime"] == the_function(packaged["prod"].template)["Properties"]["Runtime"]
    if variant == "precompiled":  # the shipped bytecode is what that runtime loads
        for cached in report["pyc"]:
            assert Path(cached).exists() and Path(cached).resolve().is_relative_to(task.resolve()), cached


STAND_IN_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:stand-in"


def without_serverless_references(resources: dict, functions: set[str]) -> dict:
    """The plain resources with every reference to a SAM function (the second opinion's rule and permission name
    it) replaced by a literal ARN, so they are linted too (the SAM translation's lint resolves them)."""
    def replaced(value):
        if isinstance(value, dict):
            if value.get("Ref") in functions or (value.get("Fn::GetAtt") or [None])[0] in functions:
                return STAND_IN_FUNCTION_ARN
            return {k: replaced(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replaced(v) for v in value]
        return value

    return replaced(resources)


def test_cfn_lint(packaged):
    try:
        from cfnlint.api import lint
    except ImportError as exc:
        reason = f"cfn-lint is not importable ({exc}); install it with: pip install cfn-lint==1.58.0"
        warnings.warn(reason)  # the warnings summary shows it even without -rs
        pytest.skip(reason)
    for stage, p in packaged.items():
        matches = lint(json.dumps(p.template), regions=["us-east-1"])
        assert not matches, f"{stage}:\n" + "\n".join(str(m) for m in matches)
        # the plain CloudFormation resources again without the SAM transform, so the roles' actions are checked
        # against IAM's list (W3037) and the event resources against their own schemas
        plain_resources = without_serverless_references(
            {k: v for k, v in p.template["Resources"].items()
             if not v["Type"].startswith("AWS::Serverless::") and k != "APIHandlerInvokePermission"},
            set(resources_of(p.template, "AWS::Serverless::Function")))
        used = json.dumps([plain_resources, p.template["Conditions"]])
        plain = {"AWSTemplateFormatVersion": "2010-09-09", "Conditions": p.template["Conditions"],
                 # the parameters the plain resources still use (a function's own, such as its queue's
                 # concurrency, left with it)
                 "Parameters": {k: v for k, v in p.template["Parameters"].items() if f'"Ref": "{k}"' in used},
                 "Resources": plain_resources}
        matches = lint(json.dumps(plain), regions=["us-east-1"])
        assert not matches, f"{stage} (IAM):\n" + "\n".join(str(m) for m in matches)


# --- Python 3.12 and SnapStart behind the alias the API calls --------------------------------------

def lambda_integrations(template: dict) -> dict[tuple[str, str], dict]:
    paths = template["Resources"][infra.API]["Properties"]["DefinitionBody"]["paths"]
    return {(path, method): operation["x-amazon-apigateway-integration"]
            for path, operations in paths.items() for method, operation in operations.items()
            if operation.get("x-amazon-apigateway-integration", {}).get("type") == "aws_proxy"}


def test_every_stage_runs_python_3_12_or_later_with_snapstart_on_published_versions(packaged):
    for stage, p in packaged.items():
        props = the_function(p.template)["Properties"]
        major, minor = props["Runtime"].removeprefix("python").split(".")
        assert (int(major), int(minor)) >= deploy.RUNTIME, f"{stage}: {props['Runtime']}"
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}, stage
        assert props["AutoPublishAlias"] == infra.ALIAS, stage
        assert props["AutoPublishAliasAllProperties"] is True, stage  # a new version for configuration changes too


def test_api_gateway_calls_the_alias_for_every_route(packaged):
    from app import app

    alias_uri = {"Fn::Sub": infra.ALIAS_INVOCATION_URI}
    for stage, p in packaged.items():
        integrations = lambda_integrations(p.template)
        # every route of the app is one Lambda integration, and each invokes the alias, not $LATEST
        assert set(integrations) == {(path, m.lower()) for path, methods in app.routes.items() for m in methods}
        wrong = {route: i["uri"] for route, i in integrations.items() if i["uri"] != alias_uri}
        assert not wrong, f"{stage}: integrations not on the alias: {wrong}"
        assert all(i["type"] == "aws_proxy" and i["httpMethod"] == "POST" for i in integrations.values())
        permission = p.template["Resources"][infra.API_PERMISSION]["Properties"]
        assert permission["FunctionName"] == {"Ref": infra.FUNCTION_ALIAS}
        assert permission["Principal"] == "apigateway.amazonaws.com"


def sam_translation(template: dict) -> dict:
    """What CloudFormation's SAM transform makes of the template (code location as after `aws cloudformation
    package`; IAM managed policies unused: Chalice's role carries inline policies only)."""
    samtranslator = pytest.importorskip("samtranslator.translator.transform")
    template = json.loads(json.dumps(template))
    for resource in resources_of(template, "AWS::Serverless::Function").values():
        resource["Properties"]["CodeUri"] = "s3://artifact-bucket/social-triage/prod/deployment.zip"

    class NoManagedPolicies:
        def load(self):
            return {}

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return samtranslator.transform(template, {}, NoManagedPolicies())


def test_the_sam_transform_publishes_a_snapstart_version_behind_the_alias_the_api_invokes(packaged):
    for stage, p in packaged.items():
        # GIVEN the template as CloudFormation deploys it, after the SAM transform
        resources = sam_translation(p.template)["Resources"]
        function = resources[infra.FUNCTION]
        alias = resources[infra.FUNCTION_ALIAS]
        every_version = resources_of({"Resources": resources}, "AWS::Lambda::Version")
        versions = {name: v for name, v in every_version.items()
                    if v["Properties"]["FunctionName"] == {"Ref": infra.FUNCTION}}
        # AND each other function (the scheduled sweep, the event functions) publishes its own version too
        assert sorted(v["Properties"]["FunctionName"]["Ref"] for v in every_version.values()) == sorted(FUNCTIONS), stage
        # THEN the function has SnapStart, one version is published, and the alias points at it
        assert function["Type"] == "AWS::Lambda::Function"
        assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert len(versions) == 1, stage
        (version_id,) = versions
        assert alias["Type"] == "AWS::Lambda::Alias" and alias["Properties"]["Name"] == infra.ALIAS
        assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        # AND API Gateway invokes that alias, with permission on it
        api = resources_of({"Resources": resources}, "AWS::ApiGateway::RestApi")["RestAPI"]
        uris = {json.dumps(i["uri"]) for i in lambda_integrations(
            {"Resources": {infra.API: {"Properties": {"DefinitionBody": api["Properties"]["Body"]}}}}).values()}
        assert uris == {json.dumps({"Fn::Sub": infra.ALIAS_INVOCATION_URI})}
        assert f"${{{infra.FUNCTION_ALIAS}}}" in infra.ALIAS_INVOCATION_URI
        assert resources[infra.API_PERMISSION]["Properties"]["FunctionName"] == {"Ref": infra.FUNCTION_ALIAS}
        # AND the table's stream feeds the publisher's alias (the snapshot), with the mapping's settings kept
        mappings = resources_of({"Resources": resources}, "AWS::Lambda::EventSourceMapping")
        assert set(mappings) == {f"{infra.PUBLISHER}{infra.STREAM_EVENT}",
                                 f"{infra.SECOND_OPINION}{infra.SECOND_OPINION_QUEUE_EVENT}",
                                 f"{infra.AUTOMATIC}{infra.AUTOMATIC_QUEUE_EVENT}"}
        mapping = mappings[f"{infra.PUBLISHER}{infra.STREAM_EVENT}"]
        assert mapping["Properties"]["FunctionName"] == {"Ref": f"{infra.PUBLISHER}Alias{infra.ALIAS}"}
        assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [infra.TABLE, "StreamArn"]}
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # AND the second opinion's queue feeds the function itself (no SnapStart), at most N at once
        mapping = mappings[f"{infra.SECOND_OPINION}{infra.SECOND_OPINION_QUEUE_EVENT}"]["Properties"]
        assert mapping["FunctionName"] == {"Ref": infra.SECOND_OPINION}
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [infra.SECOND_OPINION_QUEUE, "Arn"]}
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": {"Ref": infra.SECOND_OPINION_CONCURRENCY_PARAMETER}}
        # AND the away message's queue feeds its alias (the snapshot), a few at once, failures reported per record
        mapping = mappings[f"{infra.AUTOMATIC}{infra.AUTOMATIC_QUEUE_EVENT}"]["Properties"]
        assert mapping["FunctionName"] == {"Ref": f"{infra.AUTOMATIC}Alias{infra.ALIAS}"}
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [infra.AUTOMATIC_QUEUE, "Arn"]}
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": infra.AUTOMATIC_MAX_CONCURRENCY}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert resources[infra.AUTOMATIC]["Properties"]["Timeout"] == infra.AUTOMATIC_TIMEOUT
        assert resources[infra.AUTOMATIC_QUEUE]["Properties"]["VisibilityTimeout"] >= 6 * infra.AUTOMATIC_TIMEOUT
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_cfn_lint_passes_on_the_sam_translation(packaged):
    """cfn-lint checks a SAM template against SAM's schema; the translation is checked as plain CloudFormation,
    every reference (the alias in the API's integrations and permission included) resolved."""
    from cfnlint.api import lint

    for stage, p in packaged.items():
        matches = lint(json.dumps(sam_translation(p.template)), regions=["us-east-1"])
        assert not matches, f"{stage}:\n" + "\n".join(str(m) for m in matches)


def test_without_snapstart_the_template_has_no_alias():
    document = infra.resources(with_snapstart=False)["Resources"]
    # the REST API keeps only its gateway responses: no route is pointed at an alias
    assert set(document[infra.API]["Properties"]["DefinitionBody"]) == {"x-amazon-apigateway-gateway-responses"}
    assert infra.API_PERMISSION not in document
    assert not {"SnapStart", "AutoPublishAlias"} & set(document[infra.FUNCTION]["Properties"])
    assert infra.resources()["Resources"][infra.FUNCTION]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}


def test_a_scheduled_function_gets_snapstart_too():
    # GIVEN an app with routes and a scheduled function (as the store may add)
    from chalice import Chalice, Rate

    application = Chalice(app_name="snapstart-check")
    application.route("/health")(lambda: {})
    application.schedule(Rate(1, unit=Rate.HOURS), name="sweep-expired")(lambda event: None)
    # WHEN the SnapStart part of the merge template is built for it
    merged = infra.snapstart(application)
    # THEN both functions publish behind the alias with SnapStart, and the route invokes the alias
    for name in (infra.FUNCTION, "SweepExpired"):
        assert merged[name]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert merged[name]["Properties"]["AutoPublishAlias"] == infra.ALIAS
    assert merged[infra.API]["Properties"]["DefinitionBody"]["paths"] == {
        "/health": {"get": {"x-amazon-apigateway-integration": {"uri": {"Fn::Sub": infra.ALIAS_INVOCATION_URI}}}}}

# --- outbound events --------------------------------------------------------------------------------------------

def test_the_publisher_reads_the_tables_stream_with_partial_batches_bounded_retries_and_the_dead_letter_queue(packaged):
    for stage, p in packaged.items():
        resources = p.template["Resources"]
        table = resources[infra.TABLE]["Properties"]
        assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        publisher = the_function(p.template, infra.PUBLISHER)["Properties"]
        assert publisher["Handler"] == f"app.{infra.PUBLISHER_NAME}" and publisher["Timeout"] == 60
        (source,) = publisher["Events"].values()
        assert source["Type"] == "DynamoDB"
        mapping = source["Properties"]
        assert mapping["Stream"] == {"Fn::GetAtt": [infra.TABLE, "StreamArn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert 0 < mapping["MaximumRetryAttempts"] <= 10 and mapping["BatchSize"] == 100
        assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [infra.DLQ, "Arn"]}}}
        patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        assert {"dynamodb": {"Keys": {"sk": {"S": ["MSG"]}}}} in patterns
        assert len(patterns) <= 5  # Lambda's default quota of filters per event source mapping
        variables = publisher["Environment"]["Variables"]
        assert variables["EVENT_BUS_NAME"] == {"Ref": infra.BUS}
        assert variables["EVENTS_DEAD_LETTER_QUEUE_URL"] == {"Ref": infra.DLQ}
        assert variables["EVENTS_INCLUDE_TEXT"] == "false"  # the documented stage option, off by default
        assert resources[infra.BUS]["Type"] == "AWS::Events::EventBus"
        assert resources[infra.DLQ]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        spikes = the_function(p.template, infra.SPIKES)["Properties"]
        assert spikes["Handler"] == f"app.{infra.SPIKES_NAME}"
        assert [e["Properties"]["Schedule"] for e in spikes["Events"].values()] == ["rate(15 minutes)"]
        # none of the API's webhooks waits on any of it
        assert "EVENT_BUS_NAME" not in the_function(p.template)["Properties"]["Environment"]["Variables"]


def test_the_example_routes_each_queue_to_sqs_and_spikes_to_sns(packaged):
    from chalicelib.models import QUEUES

    resources = packaged["prod"].template["Resources"]
    for queue in QUEUES:
        rule = resources[infra.desk_rule(queue)]["Properties"]
        assert rule["EventBusName"] == {"Ref": infra.BUS}
        assert rule["EventPattern"]["detail"] == {"queue": [queue]}
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [infra.desk_queue(queue), "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [infra.DLQ, "Arn"]}}
    spike = resources[infra.SPIKE_RULE]["Properties"]
    assert spike["EventPattern"]["detail-type"] == ["spike.detected"]
    assert spike["Targets"][0]["Arn"] == {"Ref": infra.SPIKE_TOPIC}
    assert resources[infra.SPIKE_TOPIC]["Type"] == "AWS::SNS::Topic"


def test_operations_alarms_watch_the_dead_letter_queue_and_the_second_opinions_backlog():
    import fnmatch

    document = infra.resources()["Resources"]
    topic = {"Ref": infra.OPS_TOPIC}
    watched = {}
    for name in (infra.DLQ_ALARM, infra.BACKLOG_ALARM):
        alarm = document[name]
        assert alarm["Type"] == "AWS::CloudWatch::Alarm"
        props = alarm["Properties"]
        assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
        assert props["Namespace"] == "AWS/SQS" and props["TreatMissingData"] == "notBreaching"
        (dimension,) = props["Dimensions"]
        queue = dimension["Value"]["Fn::GetAtt"][0]
        watched[queue] = (props["MetricName"], props["Threshold"])
        # GIVEN the stack "prod-triage": the alarm's name is one the topic's policy admits
        name_in_stack = props["AlarmName"]["Fn::Sub"].replace("${AWS::StackName}", "prod-triage")
        (statement,) = document[infra.OPS_TOPIC_POLICY]["Properties"]["PolicyDocument"]["Statement"]
        pattern = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].replace(
            "${AWS::StackName}", "prod-triage").split(":alarm:")[1]
        assert fnmatch.fnmatch(name_in_stack, pattern)
        assert not fnmatch.fnmatch(name_in_stack.replace("prod-triage", "other-stack"), pattern)
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and statement["Resource"] == topic
    # THEN one parked event wakes someone, and so does a second-opinion backlog older than its threshold
    assert watched == {infra.DLQ: ("ApproximateNumberOfMessagesVisible", 0),
                       infra.SECOND_OPINION_QUEUE: ("ApproximateAgeOfOldestMessage",
                                                    infra.SECOND_OPINION_BACKLOG_SECONDS)}
    assert document[infra.OPS_TOPIC]["Type"] == "AWS::SNS::Topic"


def test_the_api_may_delete_saved_replies_and_no_other_item():
    from chalicelib.store.entities import SavedReplyKeys

    # GIVEN the API's role policy
    deleting = [s for s in statements(infra.policy("prod")) if "dynamodb:DeleteItem" in s["Action"]]
    # THEN it deletes in the saved replies' partition alone: no counter shard (the sweep's own role folds them)
    assert deleting, "saved replies are deleted"
    for statement in deleting:
        assert statement["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [SavedReplyKeys.PK]}}
        assert statement["Action"] == ["dynamodb:DeleteItem"]
