"""Send one signed Meta webhook to a running local API: a comment on the Page, or with --dm a Messenger message.

    .venv/bin/python -m local.send "my order never arrived"       # PORT or API_URL name the server
    .venv/bin/python -m local.send --dm "are you open?"            # a direct message (the away message answers DMs)
    .venv/bin/python -m local.send --wrong-signature "some text"   # the API answers 401 and stores nothing

The body is signed with META_APP_SECRET (the local default, as `make run` uses). Prints the status and the
API's answer; exits 1 when the API answers an error or is not there.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

DEFAULT_TEXT = "Where is my order? It is two weeks late."


def page_comment(text: str) -> bytes:
    now = int(time.time())
    comment_id = f"104857600000001_{uuid.uuid4().int % 10**12}"
    payload = {"object": "page", "entry": [{"id": "104857600000001", "time": now, "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                   "post_id": "104857600000001_1", "created_time": now,
                                   "from": {"id": "5550001", "name": "Local Tester"}, "message": text}}]}]}
    return json.dumps(payload).encode()


def direct_message(text: str) -> bytes:
    now_ms = int(time.time() * 1000)
    payload = {"object": "page", "entry": [{"id": "104857600000001", "time": now_ms, "messaging": [{
        "sender": {"id": "6100000000555"}, "recipient": {"id": "104857600000001"}, "timestamp": now_ms,
        "message": {"mid": f"m_local_{uuid.uuid4().hex}", "text": text}}]}]}
    return json.dumps(payload).encode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.send", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text", nargs="*", help=f"the message's text (default: {DEFAULT_TEXT!r})")
    parser.add_argument("--dm", action="store_true", help="a Messenger direct message to the Page, not a comment")
    parser.add_argument("--wrong-signature", action="store_true",
                        help="sign with another secret, as an attacker would: the API must refuse it")
    args = parser.parse_args(argv)

    base = os.environ.get("API_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    secret = os.environ.get("META_APP_SECRET", "dev-meta-app-secret")
    if args.wrong_signature:
        secret += "-not-it"
    body = (direct_message if args.dm else page_comment)(" ".join(args.text) or DEFAULT_TEXT)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{base}/webhooks/meta", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.status, response.read().decode())
            return 0
    except urllib.error.HTTPError as error:
        print(error.code, error.read().decode())
        return 1
    except urllib.error.URLError as error:
        print(f"no API at {base} ({error.reason}): start it with `make run`, or set PORT or API_URL",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
