"""A bounded mixed load on a local server: signed webhooks, agent pulls and stats, from N threads.

    python bench/load.py [--seconds 20] [--threads 8]

Starts its own server on 127.0.0.1 and a free port: a child process running `local.run` (what
`make run` runs: the embedded DynamoDB, i.e. moto's server one request at a time, and chalice's local
server), with the dev secrets, a fresh admin key handed over as TRIAGE_BOOTSTRAP_ADMIN_KEY, and a
manager and an agent key created through POST /admin/keys. Then N threads (default 8, at most 64)
send requests back to back over loopback for --seconds (default 20, at most 60), each picking:
  80%  webhook  a signed webhook (Meta page comment, X tweet, Telegram message or generic, in turn at
                random); one in five redelivers a message sent before (same bytes, freshly signed);
  10%  agent    one pull: GET /queues/{q}/messages, POST /queues/{q}/claim {"count": 1} and, when a
                message was claimed, POST /messages/{id}/resolve; three requests, timed separately;
  10%  stats    GET /stats (manager key).
Prints per kind and overall: requests, throughput, p50 and p99 latency (nearest rank, ms), and errors:
any non-2xx answer or exception (a claim of an empty queue is a 200 with nothing claimed, not an error).
Last line: errors=<count>; the exit status is 1 when it is not 0.

Caveat: moto is not DynamoDB (local/dynamodb.py says how the embedded server is kept close to it). The
numbers are those of this stack on this machine (one Python process serving the API and moto, serialized
DynamoDB), not of Lambda and DynamoDB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict

from harness import ROOT  # noqa: E402  (puts the repo and tests/ on sys.path)

import payloads  # noqa: E402  (the payload shapes and signing of tests/payloads.py)

MAX_SECONDS, MAX_THREADS = 60, 64
QUEUES = ("customer_service", "stance", "community")
KINDS = ("webhook", "list", "claim", "resolve", "stats")
TEXTS = [
    "My order #{n} never arrived and nobody answers, I want a refund",
    "I was charged twice for order {n}, please fix this",
    "The app logs me out every hour since the update ({n})",
    "Boycott! You caved on diversity and equality, shame on your company ({n})",
    "Proud you kept your DEI commitments. Buying more. #{n}",
    "Love the new colours, see you all at the meetup {n}!",
]


# the server ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        from local.run import DEV_DEFAULTS

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin_key = f"st_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
        self.secrets = dict(DEV_DEFAULTS)
        env = {**os.environ, **DEV_DEFAULTS, "PORT": str(self.port), "TRIAGE_BOOTSTRAP_ADMIN_KEY": self.admin_key,
               "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        env.pop("DYNAMODB_ENDPOINT_URL", None)  # always the embedded table, never one that was set for another use
        self.log = tempfile.NamedTemporaryFile(prefix="load-server-", suffix=".log", delete=False)
        command = [sys.executable, "-m", "local.run"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s; see {self.log.name}")

    def stop(self, keep_log: bool) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # local.run stops the embedded DynamoDB on Ctrl-C
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        if keep_log:
            print(f"server log: {self.log.name}")
        else:
            os.unlink(self.log.name)


# requests ------------------------------------------------------------------------------------------------

def request(base: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """(status, parsed JSON or None); HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            data = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        data, status = exc.read(), exc.code
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None


class Webhooks:
    """Signed webhook bodies, per platform, as the platforms send them."""

    def __init__(self, secrets_: dict[str, str]):
        self.secrets = secrets_
        self.sent: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._n = 0
        self.run = secrets.token_hex(3)  # ids unique to this run

    def next(self, rng: random.Random) -> tuple[str, bytes]:
        with self._lock:
            if self.sent and rng.random() < 0.2:
                return rng.choice(self.sent)  # a redelivery
            self._n += 1
            n = self._n
        route = rng.choice(("meta", "x", "telegram", "generic"))
        body = json.dumps(self._payload(route, n)).encode()
        with self._lock:
            self.sent.append((route, body))
        return route, body

    def _payload(self, route: str, n: int) -> dict:
        """A fresh message (ids unique to this run), from one of 50 authors per platform."""
        text, author = TEXTS[n % len(TEXTS)].format(n=n), n % 50
        if route == "meta":
            return payloads.page_comment(f"{int(self.run, 16)}_{n}", text, author_id=f"55500{author:02d}")
        if route == "x":
            tweet = str(1600000000000000000 + int(self.run, 16) * 10**7 + n)
            return payloads.x_tweet(tweet, "@brand " + text, user_id=str(9000000 + author))
        if route == "telegram":
            chat = 700000 + int(self.run, 16) % 1000 * 100 + author
            return payloads.telegram_message(n, text, chat_id=chat)
        return payloads.generic_message(f"urn:li:comment:{self.run}:{n}", text, author_id=f"li-{author}")

    def headers(self, route: str, body: bytes) -> dict:
        return payloads.SIGNERS[route](body, secret=self.secrets[payloads.SECRET_OF[route]])


# the load ------------------------------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.outcomes: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def record(self, kind: str, started: float, status: int | None, detail: str = "") -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self._lock:
            self.latencies[kind].append(elapsed)
            if status is None or not 200 <= status < 300:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{kind}: {status} {detail}"[:300])


def timed(results: Results, kind: str, base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    started = time.perf_counter()
    try:
        status, payload = request(base, method, path, headers, body)
    except Exception as exc:  # noqa: BLE001 - every failure is counted and sampled
        results.record(kind, started, None, repr(exc))
        return None, None
    results.record(kind, started, status, json.dumps(payload) if payload is not None else "")
    return status, payload


def worker(seed: int, deadline: float, base: str, webhooks: Webhooks, keys: dict[str, str], results: Results) -> None:
    rng = random.Random(seed)
    agent = {"Authorization": f"Bearer {keys['agent']}", "Content-Type": "application/json"}
    manager = {"Authorization": f"Bearer {keys['manager']}"}
    while time.monotonic() < deadline:
        pick = rng.random()
        if pick < 0.8:
            route, body = webhooks.next(rng)
            status, summary = timed(results, "webhook", base, "POST", f"/webhooks/{route}",
                                    webhooks.headers(route, body), body)
            if status == 200 and summary:
                with results._lock:
                    for outcome in ("stored", "duplicate"):
                        results.outcomes[outcome] += summary.get(outcome, 0)
        elif pick < 0.9:
            queue = rng.choice(QUEUES)
            timed(results, "list", base, "GET", f"/queues/{queue}/messages?limit=10", agent)
            status, claim = timed(results, "claim", base, "POST", f"/queues/{queue}/claim", agent,
                                  json.dumps({"count": 1, "lease_seconds": 120}).encode())
            if status == 200 and claim and claim["claimed"]:
                message_id = claim["claimed"][0]["id"]  # "<platform>:<native id>": safe in a path
                timed(results, "resolve", base, "POST", f"/messages/{message_id}/resolve", agent,
                      json.dumps({"note": "handled by bench/load.py"}).encode())
        else:
            timed(results, "stats", base, "GET", "/stats", manager)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(len(ordered) * p) - 1))] if ordered else float("nan")


def report(results: Results, seconds: float, threads: int) -> int:
    print(f"{'kind':<9}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    everything: list[float] = []
    for kind in (*KINDS, "overall"):
        values = sorted(everything) if kind == "overall" else sorted(results.latencies.get(kind, []))
        if kind != "overall":
            everything += values
        errors = sum(results.errors.values()) if kind == "overall" else results.errors.get(kind, 0)
        print(f"{kind:<9}{len(values):>9}{len(values) / seconds:>9.1f}{percentile(values, 0.5):>9.1f}"
              f"{percentile(values, 0.99):>9.1f}{errors:>8}")
    print(f"webhook messages: {results.outcomes['stored']} stored, {results.outcomes['duplicate']} duplicates "
          f"(redeliveries); {threads} threads for {seconds:.1f} s")
    for sample in results.samples:
        print(f"  error sample: {sample}")
    total = sum(results.errors.values())
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help=f"duration of the load (at most {MAX_SECONDS})")
    parser.add_argument("--threads", type=int, default=8, help=f"concurrent clients (at most {MAX_THREADS})")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 1 <= args.threads <= MAX_THREADS:
        parser.error(f"--threads must be in [1, {MAX_THREADS}]")

    server, errors = Server(), None
    try:
        server.wait_ready()
        admin = {"Authorization": f"Bearer {server.admin_key}", "Content-Type": "application/json"}
        keys = {}
        for role, body in (("manager", {"role": "manager", "name": "load manager"}),
                           ("agent", {"role": "agent", "name": "load agent", "queues": list(QUEUES)})):
            status, issued = request(server.base, "POST", "/admin/keys", admin, json.dumps(body).encode())
            if status != 201:
                raise RuntimeError(f"creating the {role} key answered {status}: {issued}")
            keys[role] = issued["key"]
        webhooks, results = Webhooks(server.secrets), Results()
        print(f"load: {args.threads} threads for {args.seconds:g} s against {server.base} "
              "(python -m local.run)", flush=True)
        started = time.monotonic()
        deadline = started + args.seconds
        pool = [threading.Thread(target=worker, args=(n, deadline, server.base, webhooks, keys, results), daemon=True)
                for n in range(args.threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - started
        errors = report(results, elapsed, args.threads)
    finally:
        server.stop(keep_log=errors != 0)
    print(f"errors={errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
