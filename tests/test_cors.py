"""CORS is off unless CORS_ORIGIN is configured (deployment configuration, read when the app loads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import ROOT

PROBE = """
import json
from chalice.test import Client
from app import app
with Client(app) as client:
    response = client.http.get('/health')
    print(json.dumps({k.lower(): v for k, v in response.headers.items()}))
"""


def headers_with(env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_cors_headers_by_default():
    env = {k: v for k, v in os.environ.items() if k != "CORS_ORIGIN"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert "access-control-allow-origin" not in headers


def test_configured_origin_is_allowed():
    headers = headers_with({"CORS_ORIGIN": "https://inbox.example.com"})
    assert headers["access-control-allow-origin"] == "https://inbox.example.com"
