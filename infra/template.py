"""The deploy template's additions to what `chalice package` generates, from the one table definition.

    python -m infra.template            # print infra/resources.json to stdout
    python -m infra.template --write    # write infra/resources.json and .chalice/policy-<stage>.json
    python -m infra.template --check    # exit 1 if any of those files differs from what this builds

`chalice package --stage <stage> --merge-template infra/resources.json out/` deep-merges
infra/resources.json into the SAM template Chalice generates (dicts merge, anything else is replaced):

- `MessagesTable`: chalicelib.store.table.cloudformation_resource() (on-demand, PITR, SSE, GSI1/GSI2,
  TTL on expires_at, retained on stack deletion). No TableName: CloudFormation names it per stack, so
  dev and prod stacks coexist, and the function finds it through TABLE_NAME.
- `UnknownRouteResponse`, `Gateway4xxResponse`, `Gateway5xxResponse`: API Gateway's own refusals (no
  route for the path or method, throttling, a body too large) in the API's `{"error": {"code", "message"}}`.
- `APIHandler` (Chalice's logical id for the function behind the REST API): TABLE_NAME becomes
  {"Ref": "MessagesTable"}; its logs go to `APIHandlerLogGroup` (30-day retention), created here so
  the function needs no logs:CreateLogGroup.

The function's permissions live in `.chalice/policy-<stage>.json` (autogen_policy is false), which Chalice
copies verbatim into the role it generates (`ApiHandlerRole`). They are written here too because they
reference this template's resources ({"Fn::GetAtt": ["MessagesTable", "Arn"]}, ...) with CloudFormation
intrinsics, so they only work through `chalice package`, not `chalice deploy` (which would not create
the table either). SAM's `Policies` property cannot be used instead: SAM ignores it when `Role` is set,
and Chalice always sets `Role`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.store.table import GSI1, GSI2, cloudformation_resource

ROOT = Path(__file__).resolve().parents[1]
RESOURCES_PATH = ROOT / "infra" / "resources.json"
CHALICE_DIR = ROOT / ".chalice"

TABLE = "MessagesTable"
FUNCTION = "APIHandler"  # what `chalice package` calls the Lambda function of the REST API
LOG_GROUP = "APIHandlerLogGroup"
LOG_RETENTION_DAYS = 30

APP_NAME = "social-triage"

# Hand-written, least privilege: only what chalicelib calls (tests/deploy/test_package.py checks the code
# against this list). Transactions are authorized per operation inside them, so TransactWriteItems needs
# PutItem/UpdateItem (and DeleteItem / ConditionCheckItem if a transaction ever uses Delete / ConditionCheck);
# there is no IAM action called dynamodb:TransactWriteItems.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)
INDEX_ACTIONS = ("dynamodb:Query",)
SSM_ACTIONS = ("ssm:GetParameter",)  # Powertools parameters.get_parameter, one secret at a time


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def table_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [TABLE, "Arn"]}


def index_arns() -> list[dict[str, str]]:
    return [sub(f"${{{TABLE}.Arn}}/index/{index}") for index in (GSI1, GSI2)]


def secrets_path(stage: str, stage_config: dict[str, Any] | None = None) -> str:
    """The SSM path a stage reads secrets from: its SECRETS_SSM_PATH, else /social-triage/<stage>."""
    configured = ((stage_config or {}).get("environment_variables") or {}).get("SECRETS_SSM_PATH")
    return (configured or f"/{APP_NAME}/{stage}").rstrip("/")


REST_API = "RestAPI"  # what `chalice package` calls the API Gateway REST API
# API Gateway's own answers, in the API's error shape. It refuses a path or method it has no route for as
# MISSING_AUTHENTICATION_TOKEN (403 by default): that is our 404 unknown_route.
GATEWAY_RESPONSES = {
    "UnknownRouteResponse": ("MISSING_AUTHENTICATION_TOKEN", "404", "unknown_route",
                             '"no route for this method and path"'),
    "Gateway4xxResponse": ("DEFAULT_4XX", None, "gateway_refused", "$context.error.messageString"),
    "Gateway5xxResponse": ("DEFAULT_5XX", None, "gateway_error", "$context.error.messageString"),
}


def gateway_response(kind: str, status: str | None, code: str, message: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "RestApiId": {"Ref": REST_API},
        "ResponseType": kind,
        "ResponseTemplates": {"application/json": f'{{"error": {{"code": "{code}", "message": {message}}}}}'},
    }
    if status:
        properties["StatusCode"] = status
    return {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": properties}


def resources() -> dict[str, Any]:
    """infra/resources.json: the merge template (stage-independent)."""
    return {
        "Resources": {
            TABLE: cloudformation_resource(),
            **{name: gateway_response(*spec) for name, spec in GATEWAY_RESPONSES.items()},
            LOG_GROUP: {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "Delete",  # logs go with the stack; the table is retained
                "UpdateReplacePolicy": "Delete",
                "Properties": {
                    "LogGroupName": sub(f"/aws/lambda/${{AWS::StackName}}-{FUNCTION}"),
                    "RetentionInDays": LOG_RETENTION_DAYS,
                },
            },
            FUNCTION: {
                "Properties": {
                    "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}}},
                    "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": LOG_GROUP}},
                },
            },
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": TABLE}},
            "TableArn": {"Value": table_arn()},
            "LogGroupName": {"Value": {"Ref": LOG_GROUP}},
        },
    }


def policy(stage: str, stage_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """.chalice/policy-<stage>.json: the function role's only policy."""
    parameters = f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{secrets_path(stage, stage_config)}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TableItems",
                "Effect": "Allow",
                "Action": list(TABLE_ACTIONS),
                "Resource": [table_arn()],
            },
            {
                "Sid": "TableIndexes",
                "Effect": "Allow",
                "Action": list(INDEX_ACTIONS),
                "Resource": index_arns(),
            },
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
            {
                "Sid": "OwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [{"Fn::GetAtt": [LOG_GROUP, "Arn"]}],  # the group's ARN ends in :* (its streams)
            },
        ],
    }


def chalice_config() -> dict[str, Any]:
    return json.loads((CHALICE_DIR / "config.json").read_text())


def policy_files() -> dict[Path, dict[str, Any]]:
    """Every stage's policy file, named as .chalice/config.json names it (default policy-<stage>.json)."""
    config = chalice_config()
    files = {}
    for stage, stage_config in config.get("stages", {}).items():
        name = stage_config.get("iam_policy_file") or config.get("iam_policy_file") or f"policy-{stage}.json"
        files[CHALICE_DIR / name] = policy(stage, stage_config)
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
    args = parser.parse_args(argv)
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
    sys.stdout.write(render(resources()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
