"""Test helpers shared by every test module: environment, signing, seeding, API calls.

(Kept out of conftest.py so that `from support import ...` cannot pick up another folder's conftest.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path


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


def call(api, method: str, path: str, headers: dict | None = None, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    merged = {"Content-Type": "application/json", **(headers or {})}
    response = getattr(api.http, method.lower())(path, body=data, headers=merged) if method != "GET" else \
        api.http.get(path, headers=merged)
    payload = json.loads(response.body) if response.body else None
    return response.status_code, payload
