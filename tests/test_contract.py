"""The served document says exactly what the API accepts: schemathesis, run as the issue ran it (the CLI, every
check, positive and negative data, every phase) against the local server (`make run`'s, on a loopback port)
with an admin key, finds no schema-valid request rejected, no schema-invalid request accepted and no 5xx.

CONTRACT_MAX_EXAMPLES (default 10) sets the fuzzing examples per operation; CONTRACT_SEED fixes the seed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from support import ROOT, reset_caches, seed_message

MAX_EXAMPLES = os.environ.get("CONTRACT_MAX_EXAMPLES", "10")
SEED = os.environ.get("CONTRACT_SEED", "20261202")


@pytest.fixture(scope="module")
def server(fake_platforms_server):
    """The app behind local/run.py's server on 127.0.0.1 (any free port), over moto, with an admin key, a
    queue long enough to page through, and the platforms' fake (a hide or a reply is done, as with real tokens)."""
    from chalicelib import auth
    from chalicelib.store.table import create_table
    from local.fake_platforms import DEV_TOKENS

    with mock_aws(), pytest.MonkeyPatch.context() as env:
        for name, url in fake_platforms_server.base_urls.items():
            env.setenv(f"{'GRAPH' if name == 'graph' else name.upper()}_API_BASE", url)
        for name, token in DEV_TOKENS.items():
            env.setenv(name, token)
        reset_caches()
        create_table(boto3.client("dynamodb", region_name="us-east-1"), os.environ["TABLE_NAME"])
        admin = auth.create_key("admin", "contract").key
        now = datetime.now(timezone.utc)
        for n in range(30):
            seed_message(f"contract-{n}", ("customer_service", "stance", "community")[n % 3],
                         received_at=now - timedelta(minutes=n))

        from app import app
        from local.run import local_server

        local = local_server(app, "127.0.0.1", 0, quiet=True)
        thread = threading.Thread(target=local.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{local.server.server_address[1]}", admin
        finally:
            local.shutdown()
            local.server.server_close()
            thread.join(timeout=10)
    reset_caches()


def request(base: str, method: str, path: str, headers: dict | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, method=method, headers=headers or {}),
                                    timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_schemathesis_finds_no_undocumented_behaviour(server, tmp_path):
    base, admin = server
    command = [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
               "run", f"{base}/openapi.json", "--checks", "all", "--mode", "all",
               "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", MAX_EXAMPLES, "--seed", SEED,
               "--no-shrink", "--workers", "1", "--continue-on-failure", "--header", f"Authorization: Bearer {admin}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "contract_hooks",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    # run in tmp_path: schemathesis keeps a cache in its working directory
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    report = result.stdout[-12_000:] + result.stderr[-3_000:]
    from app import routes

    every = len([o for o in routes.operations if o.path != "/openapi.json"])  # schemathesis skips its own source
    assert f"{every} selected / {every} total" in result.stdout, report
    assert result.returncode == 0, report
    generated = re.search(r"(\d+) generated", result.stdout)
    assert generated and int(generated.group(1)) >= 50 * every, report  # every phase ran, not a skip
    assert "Schema-valid request rejected" not in result.stdout and "Server error" not in result.stdout, report


def assert_error(body: bytes, code: str) -> None:
    payload = json.loads(body)
    assert set(payload) == {"error"} and payload["error"]["code"] == code and payload["error"]["message"], payload


@pytest.mark.parametrize("path", ["/webhooks/myspace", "/nope", "/queues/customer_service/nope"])
def test_an_unknown_path_is_404_in_the_error_shape(server, path):
    base, admin = server
    for method in ("GET", "POST"):
        status, _, body = request(base, method, path, {"Authorization": f"Bearer {admin}"})
        assert status == 404, (method, path, status)
        assert_error(body, "unknown_route")


@pytest.mark.parametrize("method,path,allowed", [
    ("TRACE", "/health", "GET"), ("PUT", "/health", "GET"), ("DELETE", "/queues", "GET"),
    ("PATCH", "/admin/keys", "GET, POST"), ("TRACE", "/webhooks/meta", "GET, POST"),
    ("PUT", "/webhooks/telegram", "POST"),
])
def test_a_method_the_path_lacks_is_405_with_allow_in_the_error_shape(server, method, path, allowed):
    base, admin = server
    status, headers, body = request(base, method, path, {"Authorization": f"Bearer {admin}"})
    assert status == 405 and headers["Allow"] == allowed, (status, headers)
    assert_error(body, "method_not_allowed")
    status, headers, body = request(base, "HEAD", path)
    assert (status, body) == (405, b"") and headers["Allow"].startswith(allowed.split(",")[0])
