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
    "TABLE_NAME": "social-triage-test",
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
