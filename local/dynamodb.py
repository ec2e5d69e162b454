"""An embedded DynamoDB endpoint for local runs and tests: moto's server, one request at a time.

Real DynamoDB applies each conditional write atomically; moto's threaded server does not lock between
a condition check and its write, so requests are serialized here to keep the same guarantees.
"""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server


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
