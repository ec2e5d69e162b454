"""What the bench scripts share: the import path, and bench-only instruments around moto.

None of these change what is stored or answered; they measure (MotoClock, Work) or skip moto's own
bookkeeping while seeding (moto_item_size_check_off), or set up the table they run on (lean_moto_table).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


class MotoClock:
    """Seconds spent inside moto's request handler, so the time outside it (ours) can be told apart."""

    def __init__(self):
        from moto.core.botocore_stubber import BotocoreStubber

        self.seconds = 0.0
        original = BotocoreStubber.process_request

        def timed(stub, request):
            start = time.perf_counter()
            try:
                return original(stub, request)
            finally:
                self.seconds += time.perf_counter() - start

        BotocoreStubber.process_request = timed


class Work:
    """DynamoDB requests per operation, items read (Query/Scan ScannedCount, GetItem hits) by kind, items written.

    `kind_of(operation, params)` names what a read is for (default: the operation name).
    """

    WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1}

    def __init__(self, *clients, kind_of: Callable[[str, dict], str] | None = None):
        self.requests: Counter = Counter()
        self.read: Counter = Counter()
        self.written = 0
        self._kind_of = kind_of or (lambda operation, params: operation)
        self._kind = None
        for client in clients:
            client.meta.events.register("provide-client-params.dynamodb", self._request)
            client.meta.events.register("after-call.dynamodb", self._response)

    def _request(self, params, model, **_):
        self.requests[model.name] += 1
        if model.name == "TransactWriteItems":
            self.written += len(params.get("TransactItems", []))
        self.written += self.WRITES.get(model.name, 0)
        self._kind = self._kind_of(model.name, params)

    def _response(self, parsed, model, **_):
        if model.name in ("Query", "Scan"):
            self.read[self._kind] += parsed.get("ScannedCount", 0)
        elif model.name == "GetItem":
            self.read[self._kind] += 1 if "Item" in parsed else 0

    def snapshot(self):
        return Counter(self.requests), Counter(self.read), self.written


@contextmanager
def moto_item_size_check_off():
    """Seeding only: skip moto's 400 KB item-size check, which recomputes the whole item's size for every
    attribute it stores (quadratic per item). Our items are a few KB, so what is stored is the same."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    original = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = original


@contextmanager
def lean_moto_table():
    """An in-process moto DynamoDB with the app's table, kept lean as in `make run` and the tests (moto would
    otherwise deep-copy the whole table for every transaction and walk every item for every Query on the table's
    own key). Yields a seeding client with botocore's parameter validation off (a quarter of the seeding time)."""
    import boto3
    from botocore.config import Config
    from moto import mock_aws

    import support
    from local.dynamodb import lean_queries, lean_transactions

    lean_transactions()
    lean_queries()
    with mock_aws():
        support.reset_caches()
        from chalicelib.store.table import create_table

        raw = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=False))
        create_table(raw, os.environ["TABLE_NAME"])
        yield raw
