"""Test helpers shared by every test module: environment, signing, seeding, API calls.

(Kept out of conftest.py so that `from support import ...` cannot pick up another folder's conftest.)
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import payloads


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

# beside the checkout; a git worktree elsewhere names it in SOCIAL_TRIAGE_SHARED
SHARED = Path(os.environ.get("SOCIAL_TRIAGE_SHARED") or ROOT.parent / "shared")


def reset_caches() -> None:
    from chalicelib.config import get_settings
    from chalicelib.store import business_hours, routing_rules
    from chalicelib.store.dynamo import _client

    get_settings.cache_clear()
    _client.cache_clear()
    routing_rules.forget()  # each container's copies, read again from the table (and settings) now in use
    business_hours.forget()


def item_count(client) -> int:
    return client.scan(TableName=os.environ["TABLE_NAME"], Select="COUNT")["Count"]


def scan_items(client) -> list[dict]:
    """Every item of the table, decoded (a consistent scan, page by page)."""
    from chalicelib.store.dynamo import from_item

    out, kwargs = [], {"TableName": os.environ["TABLE_NAME"], "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        out += [from_item(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def snapshot(table) -> list[str]:
    """Every item of the table, exactly. Read from moto's in-memory backend: a Scan through botocore costs
    ~0.2 s per call here (moto serializes every item), which would be most of the fuzzing time."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][table.meta.region_name]
        items = [item.to_json() for item in backend.get_table(os.environ["TABLE_NAME"]).all_items()]
    except (ImportError, AttributeError, KeyError):  # another moto: the same through the API
        items = [i for page in table.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
                 for i in page["Items"]]
    return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)


def message_items(client) -> list[dict]:
    return [i for i in scan_items(client) if i["sk"] == "MSG"]


def counted_from_messages(client) -> dict[str, dict[str, int]]:
    """Each queue's state counts as its messages' states say (what the maintained counts must equal)."""
    from chalicelib.domain.workflow import ACTIVE
    from chalicelib.models import QUEUES

    out = {q: {"open": 0, "claimed": 0, "snoozed": 0, "needs_review": 0} for q in QUEUES}
    for m in message_items(client):
        if m["status"] in ACTIVE:
            out[m["queue"]][m["status"]] += 1
            out[m["queue"]]["needs_review"] += bool(m["needs_review"])
    return out


# signing with the test secrets (payloads.py signs as each platform does) --------------------------

meta_headers, x_headers, telegram_headers, generic_headers = (
    functools.partial(payloads.SIGNERS[route], secret=TEST_ENV[payloads.SECRET_OF[route]])
    for route in ("meta", "x", "telegram", "generic"))
SIGNERS = {"meta": meta_headers, "x": x_headers, "telegram": telegram_headers, "generic": generic_headers}


def dumps(payload) -> bytes:
    return json.dumps(payload).encode()


def post_webhook(api, route: str, body: bytes, headers: dict | None = None):
    """POST raw bytes to /webhooks/{route}, signed with the test secret unless headers are given."""
    return api.http.post(f"/webhooks/{route}", body=body, headers=headers or SIGNERS[route](body))


# seeding -----------------------------------------------------------------------------------------

def triaged(native_id: str, queue: str, *, priority: int = 30, received_at=None, platform: str = "facebook",
            text: str | None = None, needs_review: bool = False, author: str = "a1", channel: str = "comment",
            language: str = "en"):
    """A triaged message whose queue is chosen, not predicted."""
    from datetime import datetime, timezone

    from chalicelib.classifier import TermWeight, Triage
    from chalicelib.models import Author, Channel, Message
    from chalicelib.priority import Priority
    from chalicelib.store.messages import Triaged

    received = received_at or datetime.now(timezone.utc)
    message = Message(id=f"{platform}:{native_id}", platform=platform, channel=Channel(channel),
                      author=Author(id=author), text=text or f"message {native_id} for {queue}",
                      created_at=received, received_at=received, language=language)
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
    """Message items by BatchWriteItem, and their queue-count shards added up (what the overview reads):
    moto copies the whole table on every transaction, so seeding hundreds of messages through
    transactions is quadratic there (not on DynamoDB). Volume and accuracy counters are not written."""
    from collections import Counter

    from chalicelib.store import counters, dynamo
    from chalicelib.store.entities import shard_of
    from chalicelib.store.messages import message_item, state_counts

    items = list(items)
    counts: dict[tuple[str, int], Counter] = {}
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": dynamo.to_item(message_item(i))}} for i in items[start:start + 25]]
        client.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: requests})
    for i in items:
        shard = counts.setdefault((i.triage.category, shard_of(i.message.id)), Counter())
        shard.update(state_counts("open", i.triage.needs_review, 1))
    for (queue, shard), moved in counts.items():
        client.update_item(**counters.queue_count_update(queue, shard, dict(moved))["Update"])


def call(api, method: str, path: str, headers: dict | None = None, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    merged = {"Content-Type": "application/json", **(headers or {})}
    response = getattr(api.http, method.lower())(path, body=data, headers=merged) if method != "GET" else \
        api.http.get(path, headers=merged)
    payload = json.loads(response.body) if response.body else None
    return response.status_code, payload


def scripted_failure(fake, error: str, act, *, token: str):
    """GIVEN the fake platforms answer the next request with the scripted `error` WHEN `act()` sends or moderates
    THEN the `SendFailed` it raised, checked to hold no `token` (in its message or its repr)."""
    from chalicelib.platforms.send import SendFailed

    fake.fail_next(error)
    try:
        act()
    except SendFailed as failed:
        assert token not in failed.message and token not in repr(failed)
        return failed
    raise AssertionError(f"{error}: no SendFailed")


def graph_unreachable(monkeypatch) -> None:
    """Point GRAPH_API_BASE at a loopback port nothing listens on (a refused connection)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GRAPH_API_BASE", f"http://127.0.0.1:{port}/v21.0")
    reset_caches()
