"""`make run`: the API on http://127.0.0.1:$PORT over an embedded DynamoDB (or $DYNAMODB_ENDPOINT_URL)."""

from __future__ import annotations

import functools
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

    from chalicelib.store.table import create_table

    endpoint, table = os.environ["DYNAMODB_ENDPOINT_URL"], os.environ["TABLE_NAME"]
    created = create_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
    admin_key = bootstrap_admin_key()
    shown_key = terminal_only(admin_key)

    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app

    base = f"http://127.0.0.1:{port}"
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    print(f"""
social-triage is running on {base}
  DynamoDB: {endpoint} ({'embedded moto server' if embedded else 'DYNAMODB_ENDPOINT_URL'}), table {table!r} {'created' if created else 'reused'}
  Admin key: {shown_key}

Try it:
  curl {base}/health
  curl -H "Authorization: Bearer {admin_key if shown_key == admin_key else '$ADMIN_KEY'}" {base}/queues
  {python} -m local.send "my order never arrived, I want a refund"   # a signed Meta webhook to this server
Stop with Ctrl-C.
""", flush=True)
    config = Config.create(chalice_stage="dev", app_name="social-triage")
    server = create_local_server(app, config, "127.0.0.1", port)
    server.server.RequestHandlerClass = functools.partial(_path_only_log_handler(), app_object=app, config=config)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if embedded:
            embedded.stop()
    return 0


def _path_only_log_handler():
    from chalice.local import ChaliceRequestHandler

    class Handler(ChaliceRequestHandler):
        """Access log lines without the query string: it can carry hub.verify_token or a crc_token."""

        def log_request(self, code="-", size="-") -> None:
            path = urlsplit(self.path).path
            self.log_message('"%s %s" %s %s', self.command, path, getattr(code, "value", code), size)

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
