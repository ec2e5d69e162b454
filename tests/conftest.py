"""Shared fixtures: a moto-backed table per test, the Chalice test client, webhook signing helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "TABLE_NAME": "social-triage",  # as .chalice/config.json sets it for the test client
    "META_APP_SECRET": "meta-app-secret",
    "META_VERIFY_TOKEN": "meta-verify-token",
    "X_CONSUMER_SECRET": "x-consumer-secret",
    "TELEGRAM_SECRET_TOKEN": "telegram-secret-token",
    "GENERIC_WEBHOOK_SECRET": "generic-webhook-secret",
}
os.environ.update(TEST_ENV)
os.environ.pop("DYNAMODB_ENDPOINT_URL", None)
os.environ.pop("SECRETS_SSM_PATH", None)

SHARED = ROOT.parent / "shared"


def reset_caches() -> None:
    from chalicelib.config import _settings_for
    from chalicelib.store.dynamo import _client

    _settings_for.cache_clear()
    _client.cache_clear()


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
def api(table):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield client


def item_count(client) -> int:
    return client.scan(TableName=os.environ["TABLE_NAME"], Select="COUNT")["Count"]


def message_items(client) -> list[dict]:
    from chalicelib.store.dynamo import from_item

    items = client.scan(TableName=os.environ["TABLE_NAME"])["Items"]
    return [from_item(i) for i in items if i["sk"]["S"] == "MSG"]


# signing, exactly as each platform does it -----------------------------------------------------

def meta_headers(body: bytes, secret: str = TEST_ENV["META_APP_SECRET"]) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


def x_headers(body: bytes, secret: str = TEST_ENV["X_CONSUMER_SECRET"]) -> dict:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "x-twitter-webhooks-signature": f"sha256={digest}"}


def telegram_headers(body: bytes, secret: str = TEST_ENV["TELEGRAM_SECRET_TOKEN"]) -> dict:
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


def generic_headers(body: bytes, timestamp: int | None = None,
                    secret: str = TEST_ENV["GENERIC_WEBHOOK_SECRET"]) -> dict:
    import time

    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Timestamp": ts, "X-Signature": f"sha256={digest}"}


SIGNERS = {"meta": meta_headers, "x": x_headers, "telegram": telegram_headers, "generic": generic_headers}


def dumps(payload) -> bytes:
    return json.dumps(payload).encode()


# seeding -----------------------------------------------------------------------------------------

def triaged(native_id: str, queue: str, *, priority: int = 30, received_at=None, platform: str = "facebook",
            text: str | None = None, needs_review: bool = False, author: str = "a1", channel: str = "comment"):
    """A triaged message whose queue is chosen, not predicted."""
    from datetime import datetime, timezone

    from chalicelib.classifier import TermWeight, Triage
    from chalicelib.models import Author, Channel, Message
    from chalicelib.priority import Priority
    from chalicelib.store.messages import Triaged

    received = received_at or datetime.now(timezone.utc)
    message = Message(id=f"{platform}:{native_id}", platform=platform, channel=Channel(channel),
                      author=Author(id=author), text=text or f"message {native_id} for {queue}",
                      created_at=received, received_at=received, language="en")
    scores = {q: (0.8 if q == queue else 0.1) for q in ("customer_service", "stance", "community")}
    triage = Triage(category=queue, confidence=0.8, scores=scores, top_terms=[TermWeight("seed", 0.5)],
                    model_version="triage-test", needs_review=needs_review)
    return Triaged(message, triage, Priority(priority, ["seeded"]))


def seed_message(native_id: str, queue: str, **fields):
    """Store one triaged message the way ingestion does (message and counters in one transaction)."""
    from chalicelib.store.messages import save_new

    item = triaged(native_id, queue, **fields)
    save_new(item)
    return item.message.id


def seed_bulk(client, items) -> None:
    """Message items only, by BatchWriteItem: moto copies the whole table on every transaction, so
    seeding hundreds of messages through transactions is quadratic there (not on DynamoDB)."""
    from chalicelib.store import dynamo
    from chalicelib.store.messages import message_item

    items = list(items)
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": dynamo.to_item(message_item(i))}} for i in items[start:start + 25]]
        client.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: requests})


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


def call(api, method: str, path: str, headers: dict | None = None, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    merged = {"Content-Type": "application/json", **(headers or {})}
    response = getattr(api.http, method.lower())(path, body=data, headers=merged) if method != "GET" else \
        api.http.get(path, headers=merged)
    payload = json.loads(response.body) if response.body else None
    return response.status_code, payload
