"""Fixtures: a moto-backed table per test, an HTTP DynamoDB endpoint, the Chalice test client, API keys."""

from __future__ import annotations

import gc
import os

import boto3
import pytest
from moto import mock_aws

from dynamodb_model import ConflictModel, ItemSizeLimit
from local.dynamodb import lean_queries, lean_transactions
from moto_speed import lean_attribute_values, share_botocore_data
from support import reset_caches

# DynamoDB's 400 KB item limit, as DynamoDB counts and answers it, for every test (moto's own check differs)
ItemSizeLimit.install()
# moto's transactions and key queries as `make run` has them (local/dynamodb.py), from the first test on: the
# first local_dynamodb or event-pipeline test used to switch them on for the rest of the session, so a test
# ran on one moto or the other depending on what ran before it (and a transaction deep-copied the table)
lean_transactions()
lean_queries()
# and two speed-ups that change no answer (moto_speed.py)
share_botocore_data()
lean_attribute_values()
# The suite allocates much (moto, botocore, hypothesis) over a heap of ~250 MB: at the default threshold (700) a
# full collection ran about once a second, some 15% of the run. Collecting less often costs ~50 MB more at peak.
gc.set_threshold(20_000, 10, 10)


@pytest.fixture
def table():
    """A fresh table in moto; yields the low-level client."""
    from chalicelib.store.table import create_table

    with mock_aws():
        reset_caches()
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, os.environ["TABLE_NAME"])
        yield client
    reset_caches()


@pytest.fixture(scope="session")
def dynamodb_server():
    """An HTTP DynamoDB endpoint (moto server, as `make run` uses) for concurrency and load tests."""
    from local.dynamodb import LocalDynamoDB

    server = LocalDynamoDB().start()
    yield server
    server.stop()


@pytest.fixture
def local_dynamodb(dynamodb_server, monkeypatch):
    """A fresh table on the HTTP endpoint; the app's store is pointed at it."""
    import uuid

    from chalicelib.store.table import create_table

    name = f"social-triage-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb_server.endpoint_url)
    monkeypatch.setenv("TABLE_NAME", name)
    reset_caches()
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_server.endpoint_url)
    create_table(client, name)
    yield client
    client.delete_table(TableName=name)
    reset_caches()


@pytest.fixture
def conflicts(local_dynamodb):
    """DynamoDB's transaction conflicts on the app's client (over the HTTP endpoint, where they can overlap)."""
    from chalicelib.store import dynamo

    model = ConflictModel(dynamo.client(), hold=0.002)
    yield model
    model.close()


@pytest.fixture
def api(table):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client


@pytest.fixture
def keys(table):
    """One key per role and scope, as `Authorization` headers."""
    from chalicelib import auth

    issued = {
        "admin": auth.create_key("admin", "Ada"),
        "manager": auth.create_key("manager", "Max"),
        "agent_cs": auth.create_key("agent", "Cy", ["customer_service"]),
        "agent_stance": auth.create_key("agent", "Aiko", ["stance"]),
        "agent_both": auth.create_key("agent", "Bo", ["customer_service", "community"]),
    }
    return {name: {"Authorization": f"Bearer {k.key}"} for name, k in issued.items()}


@pytest.fixture(scope="session")
def fake_platforms_server():
    from local.fake_platforms import FakePlatforms

    server = FakePlatforms(hang_seconds=5).start()
    yield server
    server.stop()


@pytest.fixture
def fake_platforms(fake_platforms_server, monkeypatch):
    """The platforms' send APIs (local/fake_platforms.py), emptied, with the settings' API roots and a token per
    platform (TRIAGE_TOKEN_<PLATFORM>) pointing at it; a send times out after 2 s (scripted *_timeout)."""
    from local.fake_platforms import DEV_TOKENS

    fake_platforms_server.reset()
    for name, url in fake_platforms_server.base_urls.items():
        monkeypatch.setenv(f"{'GRAPH' if name == 'graph' else name.upper()}_API_BASE", url)
    for name, token in DEV_TOKENS.items():
        monkeypatch.setenv(name, token)
    monkeypatch.setenv("SEND_TIMEOUT_SECONDS", "2")
    monkeypatch.delenv("SECRETS_SSM_PATH", raising=False)
    reset_caches()
    yield fake_platforms_server
    fake_platforms_server.reset()
    monkeypatch.undo()
    reset_caches()
