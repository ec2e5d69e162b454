"""An embedded DynamoDB endpoint for local runs and tests: moto's server, one request at a time.

Three differences from moto as it comes, all to behave like DynamoDB:
- Real DynamoDB applies each conditional write atomically; moto's threaded server does not lock between
  a condition check and its write, so requests are serialized here.
- moto deep-copies every table a transaction touches, once per item, to roll a cancelled transaction
  back: quadratic in the table size (a 2,000-delivery storm grew past 14 GB). `lean_transactions`
  backs up only the items the transaction touches, which are the only ones it can change. It handles
  tables with a sort key, as the project's one table has, and takes back the stream records of the writes
  it undoes.
- moto answers a Query on the table's own key by walking every item of the table; `lean_queries` walks
  only the queried partition (DynamoDB reads only that), so the time of a query no longer grows with the
  whole table (a surge of thousands of messages, each reading its author's window, slowed down with it).
"""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server


def lean_transactions() -> None:
    """Make moto's TransactWriteItems back up and restore only the items it touches (idempotent)."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    if getattr(models.DynamoDBBackend.transact_write_items, "lean", False):
        return

    def deepcopy(obj, memo=None):
        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    whole_table_backup = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.get_table(op["TableName"])
            key = op.get("Key") or {a: op["Item"][a] for a in (table.hash_key_attr, table.range_key_attr) if a}
            hash_value, range_value = self.get_keys_value(table, key)
            saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        # a cancelled transaction leaves no stream record (DynamoDB writes none; moto records each write)
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard}
        try:
            return whole_table_backup(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if item is None:
                    table.items.get(hash_value, {}).pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    transact_write_items.lean = True
    models.DynamoDBBackend.transact_write_items = transact_write_items


def lean_queries() -> None:
    """Make moto's Query on the table's own key read only the queried partition (idempotent)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "lean", False):
        return
    whole_table_walk = Table.query

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, *args, **kwargs):
        if index_name or hash_key is None or not self.range_key_attr:
            return whole_table_walk(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                    scan_index_forward, projection_expressions, index_name, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: iter(partition)  # shadows the method for this one call
        try:
            return whole_table_walk(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                    scan_index_forward, projection_expressions, index_name, *args, **kwargs)
        finally:
            del self.all_items

    query.lean = True
    Table.query = query


class _Serialized:
    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            # materialize the body inside the lock: the backend state is touched while it is built
            return list(self._app(environ, start_response))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per DynamoDB call drowns the API's own log
        pass


class LocalDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        lean_transactions()
        lean_queries()
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalDynamoDB":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
