"""`make run`: the API on http://127.0.0.1:$PORT over an embedded DynamoDB (or $DYNAMODB_ENDPOINT_URL)."""

from __future__ import annotations

import os
import sys

from urllib.parse import urlsplit

import boto3

# Dev-only defaults: real deployments read these from SSM (prod) or the stage's environment.
DEV_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "TABLE_NAME": "social-triage",
    "STAGE": "dev",
    "META_APP_SECRET": "dev-meta-app-secret",
    "META_VERIFY_TOKEN": "dev-meta-verify-token",
    "X_CONSUMER_SECRET": "dev-x-consumer-secret",
    "TELEGRAM_SECRET_TOKEN": "dev-telegram-secret-token",
    "GENERIC_WEBHOOK_SECRET": "dev-generic-webhook-secret",
}


def main() -> int:
    for name, value in DEV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    port = int(os.environ.get("PORT", "8000"))
    embedded = None
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        from local.dynamodb import LocalDynamoDB

        embedded = LocalDynamoDB().start()
        os.environ["DYNAMODB_ENDPOINT_URL"] = embedded.endpoint_url

    from local.fake_platforms import start_for_local_run

    fake_platforms = start_for_local_run(os.environ)  # replies go to a local fake of the platforms' APIs
    from chalicelib.store.table import create_table

    endpoint, table = os.environ["DYNAMODB_ENDPOINT_URL"], os.environ["TABLE_NAME"]
    created = create_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
    stream, second_opinion = None, False
    if embedded:  # the embedded server's stream stands in for the deployed event wiring
        from local.stream import start_for_local_run as start_stream_consumers

        stream, second_opinion = start_stream_consumers(endpoint, table)
    admin_key = bootstrap_admin_key()
    shown_key = terminal_only(admin_key)

    from app import app

    away_line = ("sent to direct messages outside business hours, once set (PUT /away-message, the console's Away "
                 "message)" if stream else "off (no stream to read: DYNAMODB_ENDPOINT_URL)")
    survey_line = ("sent when a person resolves an answered direct-message conversation, once turned on (PUT "
                   "/satisfaction-survey, the console's Satisfaction survey)" if stream else
                   "off (no stream to read: DYNAMODB_ENDPOINT_URL)")
    base = f"http://127.0.0.1:{port}"
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    send = f"{'' if port == 8000 else f'PORT={port} '}{python} -m local.send"  # local.send posts to 8000 by default
    print(f"""
social-triage is running on {base}
  DynamoDB: {endpoint} ({'embedded moto server' if embedded else 'DYNAMODB_ENDPOINT_URL'}), table {table!r} {'created' if created else 'reused'}
  Admin key: {shown_key}
  Second opinion: {'re-scores each new message about a second after it is stored (second_opinion/)' if second_opinion else 'off'}
  Away message: {away_line}
  Satisfaction survey: {survey_line}
  Platform APIs: {f'local fake on {fake_platforms.url}: replies are recorded there, not posted (GET /_fake/requests, POST /_fake/fail)' if fake_platforms else 'GRAPH_API_BASE, X_API_BASE, TELEGRAM_API_BASE as configured'}

Try it:
  curl {base}/health
  curl -H "Authorization: Bearer {admin_key if shown_key == admin_key else '$ADMIN_KEY'}" {base}/queues
  {send} "my order never arrived, I want a refund"   # a signed Meta webhook to this server
  {send} --dm "are you open?"                       # a direct message (the away message answers these)
  {send} --wrong-signature "hello"                   # refused: 401, nothing stored
  curl -H "Authorization: Bearer {admin_key if shown_key == admin_key else '$ADMIN_KEY'}" -H "Content-Type: application/json" \\
    -d '{{"role": "agent", "name": "Aiko", "queues": ["customer_service"]}}' {base}/admin/keys   # a key for an agent
Stop with Ctrl-C.
""", flush=True)
    server = local_server(app, "127.0.0.1", port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if stream:
            stream.stop()
        if embedded:
            embedded.stop()
        if fake_platforms:
            fake_platforms.stop()
    return 0


def local_server(app, host: str, port: int, quiet: bool = False):
    """Chalice's local API Gateway on host:port, answering as ours is configured to (request_handler)."""
    from chalice.config import Config
    from chalice.local import LocalDevServer

    config = Config.create(chalice_stage="dev", app_name="social-triage")
    return LocalDevServer(app, config, host, port, handler_cls=request_handler(app, quiet))


def request_handler(app, quiet: bool = False) -> type:
    """Chalice's local request handler, as API Gateway answers for us: an unknown path is 404 and a method the
    path lacks (TRACE, HEAD, PUT...) is 405 with Allow, both in the API's error shape; path parameters arrive
    decoded; the access log (off when quiet) leaves out query strings."""
    import json
    from urllib.parse import unquote

    from chalice.local import ChaliceRequestHandler, LambdaEventConverter, RouteMatcher

    matcher = RouteMatcher(list(app.routes))

    class Converter(LambdaEventConverter):
        def create_lambda_event(self, *args, **kwargs):
            event = super().create_lambda_event(*args, **kwargs)
            # API Gateway hands the function decoded path parameters (facebook%3A123 is facebook:123)
            if event.get("pathParameters"):
                event["pathParameters"] = {k: unquote(v) for k, v in event["pathParameters"].items()}
            return event

    def refused(status: int, code: str, message: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        return status, {"Content-Type": "application/json", **headers}, body

    class Handler(ChaliceRequestHandler):
        # headers and body go out as two writes: with Nagle's algorithm, each keep-alive answer would wait
        # for the client's delayed ACK (~40 ms)
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            self.local_gateway.event_converter = Converter(matcher, app.api.binary_types)

        def log_request(self, code="-", size="-") -> None:
            """Access log lines without the query string: it can carry hub.verify_token or a crc_token."""
            if not quiet:
                path = urlsplit(self.path).path
                self.log_message('"%s %s" %s %s', self.command, path, getattr(code, "value", code), size)

        def _refusal(self) -> tuple[int, dict, bytes] | None:
            try:
                route = matcher.match_route(self.path).route
            except ValueError:
                return refused(404, "unknown_route", f"no route {self.path.split('?')[0]!r}", {})
            methods = app.routes[route]
            if self.command not in methods and self.command != "OPTIONS":  # preflights: CORS, as Chalice does
                return refused(405, "method_not_allowed", f"{self.command} is not allowed on {route}",
                               {"Allow": ", ".join(sorted(methods))})
            return None

        def _generic_handle(self) -> None:
            refusal = self._refusal()
            if refusal is None:
                return super()._generic_handle()
            self._parse_payload()  # read the body so that the connection stays usable
            status, headers, body = refusal
            if self.command == "HEAD":  # headers only
                self._send_http_response_no_body(status, headers)
            else:
                self._send_http_response(status, headers, body)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle
        do_TRACE = do_CONNECT = do_QUERY = _generic_handle

    return Handler


def terminal_only(admin_key: str) -> str:
    """The admin key goes to the terminal only: when stdout is redirected (a log file, CI), it is written
    to /dev/tty instead, or not at all, so that it never lands in a file."""
    if sys.stdout.isatty() or admin_key.startswith("("):
        return admin_key
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(f"social-triage admin key (shown on this terminal only): {admin_key}\n")
        return "(written to the terminal only: stdout is not a terminal)"
    except OSError:
        return "(not shown: stdout is not a terminal; set TRIAGE_BOOTSTRAP_ADMIN_KEY to choose the key)"


def bootstrap_admin_key() -> str:
    """An admin key for this run: TRIAGE_BOOTSTRAP_ADMIN_KEY when set, else a new one."""
    try:
        from chalicelib.auth import bootstrap_admin
    except ImportError:  # keys arrive with the agent-queue work
        return "(API keys not available yet)"
    return bootstrap_admin(os.environ.get("TRIAGE_BOOTSTRAP_ADMIN_KEY"))


if __name__ == "__main__":
    sys.exit(main())
