"""`python -m local.send`: the webhook it posts is one the Meta adapter verifies and parses; --wrong-signature is
one it refuses; an error answer or a missing server is said plainly, with exit status 1."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.errors import ApiError
from chalicelib.platforms.base import WebhookRequest
from chalicelib.platforms.meta import MetaAdapter
from local import send

SECRETS = {"META_APP_SECRET": "dev-meta-app-secret", "META_VERIFY_TOKEN": "unused"}


@pytest.fixture
def server():
    """A local HTTP server that records each POST and answers with the next scripted (status, body)."""
    received: list[tuple[str, dict[str, str], bytes]] = []
    answers: list[tuple[int, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, answer = answers.pop(0) if answers else (200, {"stored": 1})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received, answers
    httpd.shutdown()
    httpd.server_close()


def as_received(headers: dict[str, str], body: bytes) -> WebhookRequest:
    return WebhookRequest(body=body, headers=headers)


def test_posts_a_signed_page_comment_that_the_meta_adapter_accepts(server, monkeypatch, capsys):
    # GIVEN a server standing in for the API
    base, received, _ = server
    monkeypatch.setenv("API_URL", base)
    monkeypatch.delenv("META_APP_SECRET", raising=False)
    # WHEN a comment is sent
    status = send.main(["ログインできない", "please help"])
    # THEN it went to the Meta webhook, the adapter verifies its signature and reads the text back
    assert status == 0 and capsys.readouterr().out.startswith("200 ")
    (path, headers, body), = received
    assert path == "/webhooks/meta"
    request = as_received(headers, body)
    MetaAdapter().verify(request, SECRETS.__getitem__)
    events = MetaAdapter().parse(request).events
    assert [e.message.text for e in events] == ["ログインできない please help"]


def test_dm_posts_a_signed_messenger_message_that_the_meta_adapter_accepts(server, monkeypatch, capsys):
    base, received, _ = server
    monkeypatch.setenv("API_URL", base)
    monkeypatch.delenv("META_APP_SECRET", raising=False)
    assert send.main(["--dm", "are", "you", "open?"]) == 0
    (_, headers, body), = received
    request = as_received(headers, body)
    MetaAdapter().verify(request, SECRETS.__getitem__)
    [event] = MetaAdapter().parse(request).events
    assert (event.message.platform, event.message.channel.value, event.message.text) == (
        "messenger", "direct_message", "are you open?")


def test_wrong_signature_is_refused_by_the_adapter_and_reported(server, monkeypatch, capsys):
    # GIVEN a server that answers 401, as the API does to a bad signature
    base, received, answers = server
    monkeypatch.setenv("API_URL", base)
    answers.append((401, {"error": "invalid_signature"}))
    # WHEN a comment is sent with --wrong-signature
    status = send.main(["--wrong-signature", "hello"])
    # THEN the adapter refuses that signature, and the 401 is printed with exit status 1
    (_, headers, body), = received
    with pytest.raises(ApiError):
        MetaAdapter().verify(as_received(headers, body), SECRETS.__getitem__)
    assert status == 1
    assert capsys.readouterr().out.startswith("401 ")


def test_no_server_is_a_plain_message_not_a_traceback(monkeypatch, capsys):
    # GIVEN a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{port}")
    # WHEN a comment is sent THEN it says where it looked and how to start the API
    assert send.main(["hi"]) == 1
    err = capsys.readouterr().err
    assert f"no API at http://127.0.0.1:{port}" in err and "make run" in err


def test_help_prints_usage_and_posts_nothing(server, monkeypatch, capsys):
    base, received, _ = server
    monkeypatch.setenv("API_URL", base)
    with pytest.raises(SystemExit) as exit_:
        send.main(["--help"])
    assert exit_.value.code == 0 and "--wrong-signature" in capsys.readouterr().out
    assert received == []
