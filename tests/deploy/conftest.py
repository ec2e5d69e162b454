"""Deploy tests: `chalice package` on the real project (slow; downloads wheels from PyPI)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra import deploy

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "deploy: runs `chalice package` on the project (needs PyPI access, ~10 s); deselect with -m 'not deploy'",
    )


@pytest.fixture(scope="session")
def package_venv(tmp_path_factory) -> tuple[str, Path]:
    """(base interpreter, packaging venv) as `make package` uses them: Python 3.12+, requirements-package.txt.

    Reuses the project's .venv-package when it is current, else builds one for the session.
    """
    python = deploy.find_python(os.environ.get("PACKAGE_PYTHON"))
    if (deploy.version_of(python) or (0, 0)) < deploy.RUNTIME:
        pytest.skip(f"no Python {deploy.RUNTIME[0]}.{deploy.RUNTIME[1]}+ to package with (PACKAGE_PYTHON names one)")
    venv = deploy.VENV
    stamp = venv / ".installed"
    if not (stamp.exists() and stamp.read_text() == deploy.requirements_digest(python)):
        venv = tmp_path_factory.mktemp("venv-package") / "venv"
    deploy.ensure_venv(python, venv)
    return python, venv


@pytest.fixture(scope="session")
def packaging_python(package_venv) -> str:
    """The packaging venv's interpreter: the function's runtime."""
    return str(deploy.venv_python(package_venv[1]))


@dataclass(frozen=True)
class DynamoCall:
    action: str  # the IAM action it needs (a transaction: one call per operation inside it)
    index: str | None  # the index it reads, if any
    pk: str | None  # the partition key of the item it reads or writes (none for a Query)


# what a transaction's operation is authorized as (there is no IAM action for the transaction itself)
TRANSACT_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                    "ConditionCheck": "dynamodb:ConditionCheckItem"}


def _partition(request: dict) -> str | None:
    return (request.get("Key") or request.get("Item") or {}).get("pk", {}).get("S")


@pytest.fixture
def dynamodb_calls():
    """Start recording the app's DynamoDB calls (its client, botocore's provide-client-params hook): each call
    made after `dynamodb_calls()`, as the DynamoCalls IAM authorizes, appended to the list it returns."""
    def start() -> list[DynamoCall]:
        from chalicelib.store import dynamo

        seen: list[DynamoCall] = []

        def record(params, model, **_):
            if model.name == "TransactWriteItems":
                seen.extend(DynamoCall(TRANSACT_ACTIONS[op], None, _partition(request))
                            for item in params["TransactItems"] for op, request in item.items())
            else:
                seen.append(DynamoCall(f"dynamodb:{model.name}", params.get("IndexName"), _partition(params)))

        dynamo.client().meta.events.register("provide-client-params.dynamodb", record)
        return seen

    return start
