"""Send one signed Meta page-comment webhook to a running local API: `python -m local.send "text"`."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request
import uuid


def main(argv: list[str]) -> int:
    text = " ".join(argv) or "Where is my order? It is two weeks late."
    base = os.environ.get("API_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    secret = os.environ.get("META_APP_SECRET", "dev-meta-app-secret")
    comment_id = f"104857600000001_{uuid.uuid4().int % 10**12}"
    payload = {"object": "page", "entry": [{"id": "104857600000001", "time": int(time.time()), "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                   "post_id": "104857600000001_1", "created_time": int(time.time()),
                                   "from": {"id": "5550001", "name": "Local Tester"}, "message": text}}]}]}
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{base}/webhooks/meta", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        print(response.status, response.read().decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
