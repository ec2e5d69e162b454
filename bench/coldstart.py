"""Cold start of the API against a bare Chalice + boto3 app, each in fresh processes.

    python bench/coldstart.py [--runs N] [--check] [--source]

app side:  `import app`, classify once (loads the model), then one signed Meta webhook POST through
           chalice.test.Client (verify, parse, triage, GetItem + TransactWriteItems on DynamoDB).
bare side: a Chalice app importing boto3; its one request creates a DynamoDB client and does a GetItem.
floor side: the bare app plus the libraries the app's webhook path is built on, doing the least they
           can: pydantic validates the same POSTed body (a four-model payload), pydantic-settings reads
           one setting, Powertools Logger writes one line and Metrics flushes one metric, then the
           GetItem. No code of ours runs: no app built on those libraries can start faster.

The app runs from a staged copy of what the function ships (app.py, chalicelib/, models/) with the
unchecked-hash bytecode `infra.precompile` adds to the deployment package, so the number is the one
Lambda sees. --source runs the source tree instead, compiling the project's modules on every start (a
package deployed without the precompile step).

Both processes start with the environment .chalice/config.json gives the function (Lambda sets it before
the first import; e.g. PYDANTIC_DISABLE_PLUGINS). Both run against moto (mock_aws inside the subprocess).
Moto is test harness, on neither side's production path, and importing it also imports boto3/botocore,
so it must not run before the timed imports; the time moto spends serving the request's DynamoDB calls
(DynamoDB's side: a network wait on Lambda) is left out of the request on every side. Each
process therefore runs: [timed] interpreter start + production imports (+ classify) -> [untimed] import
moto, mock_aws().start(), create the table, import chalice.test -> [timed] the one request. Cold start =
process start to end of request, minus the untimed harness window (measured inside the child with the
wall clock the parent used to stamp the spawn). Both sides are measured the same way; the harness does
preload modules (requests, werkzeug, ...) that neither request then imports, the same for both.

Prints medians over N runs per side (interleaved, after one discarded warm-up round), app/bare and
floor/bare for the record, app/floor (our own code's share: target <= 1.2) and the first measured app
process's peak RSS (ru_maxrss, target < 160 MB; reported with and without the moto harness). Where a
Python 3.12 packaging venv exists (`make package` creates .venv-package), it also prints the import time
of the shipped code (`import app` + first classify, precompiled) under 3.12, the Lambda runtime, beside
the same under this interpreter. Last line: coldstart_vs_floor=<app/floor>. --check exits 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT  # noqa: E402  (puts the repo on sys.path)
from infra import deploy  # noqa: E402
from infra.precompile import compile_tree  # noqa: E402

SHIPPED = ("app.py", "chalicelib", "models")  # the project's part of the deployment package
SIDES = ("app", "bare", "floor")
FLOOR_RATIO_TARGET = 1.2  # app/floor: what our code adds to the libraries it is built on
RSS_TARGET_MB = 160

CHILD = r'''
import json, os, resource, sys, time

spawn_ns = int(os.environ["BENCH_SPAWN_NS"])
side = sys.argv[1]


def peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


# -- timed: the production import path -----------------------------------------------------------
if side == "app":
    import app as module
    import chalicelib.ingest  # the webhook path's modules, in case app.py imports them lazily
    from chalicelib.classifier import classify

    classify_start_ns = time.time_ns()
    classify("where is my refund? order 5512 never arrived")  # loads the model, once per container
    classify_ns = time.time_ns() - classify_start_ns
    application = module.app
else:
    classify_ns = 0
    import boto3
    from chalice import Chalice

    application = Chalice(app_name="bare")
    clients = []
    if side == "floor":
        from aws_lambda_powertools import Logger, Metrics
        from pydantic import BaseModel, ConfigDict
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            table_name: str = "bare"

        logger, metrics = Logger(), Metrics()

        class Party(BaseModel):
            id: str

        class Event(BaseModel):
            model_config = ConfigDict(extra="allow")
            sender: Party
            recipient: Party
            timestamp: int | None = None
            message: dict | None = None

        class Entry(BaseModel):
            id: str
            time: int | None = None
            messaging: list[Event] = []

        class Payload(BaseModel):
            object: str
            entry: list[Entry]

    @application.route("/item", methods=["GET", "POST"])
    def item():
        if side == "floor":
            Payload.model_validate_json(application.current_request.raw_body)
            logger.info("request", table=Settings().table_name)
            metrics.add_metric(name="MessagesIngested", unit="Count", value=1)
            metrics.flush_metrics()
        if not clients:
            clients.append(boto3.client("dynamodb", region_name="us-east-1"))
        found = clients[0].get_item(TableName="bare", Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        return {"found": "Item" in found}
imported_ns = time.time_ns()
rss_before_harness = peak_rss_mb()
before_harness = set(sys.modules)

# -- untimed: moto, the table, the test client ---------------------------------------------------
from moto import mock_aws
import boto3
from chalice.test import Client

mock = mock_aws()
mock.start()
# moto's own handling of each request (DynamoDB's side of the call: a network wait on Lambda, not work in
# the function) is timed and left out, so a TransactWriteItems, which moto serves by copying the table,
# does not count as our code; botocore's client-side work stays in.
from moto.core.botocore_stubber import BotocoreStubber

moto_ns = [0]
serve = BotocoreStubber.process_request


def timed_serve(stub, request):
    started = time.perf_counter_ns()
    try:
        return serve(stub, request)
    finally:
        moto_ns[0] += time.perf_counter_ns() - started


BotocoreStubber.process_request = timed_serve
ddb = boto3.client("dynamodb", region_name="us-east-1")
if side == "app":
    from chalicelib.store.table import create_table

    create_table(ddb, os.environ["TABLE_NAME"])
else:
    ddb.create_table(TableName="bare", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
body, headers = os.environ["BENCH_BODY"].encode(), json.loads(os.environ["BENCH_HEADERS"])
moto_ns[0] = 0  # creating the table was harness; from here on, only the request's calls
harness_ns = time.time_ns()
# production packages the (untimed) harness imported first: their import cost would be hidden
PRODUCTION = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "pydantic", "pydantic_core",
              "pydantic_settings", "aws_lambda_powertools", "chalice", "chalicelib", "app"}
preloaded = sorted(({m.split(".")[0] for m in sys.modules} - {m.split(".")[0] for m in before_harness}) & PRODUCTION)

# -- timed: one request --------------------------------------------------------------------------
with Client(application) as client:
    if side == "app":
        response = client.http.post("/webhooks/meta", body=body, headers=headers)
    elif side == "floor":
        response = client.http.post("/item", body=body, headers=headers)
    else:
        response = client.http.get("/item")
done_ns = time.time_ns()

ok = response.status_code == 200 and (side != "app" or json.loads(response.body).get("stored") == 1)
print(json.dumps({
    "ok": ok, "status": response.status_code, "body": response.body.decode()[:300],
    "coldstart_ms": (done_ns - spawn_ns - (harness_ns - imported_ns) - moto_ns[0]) / 1e6,
    "imports_ms": (imported_ns - spawn_ns - classify_ns) / 1e6,
    "classify_ms": classify_ns / 1e6,
    "request_ms": (done_ns - harness_ns - moto_ns[0]) / 1e6,
    "moto_ms": moto_ns[0] / 1e6,
    "harness_ms": (harness_ns - imported_ns) / 1e6,
    "rss_before_harness_mb": rss_before_harness,
    "peak_rss_mb": peak_rss_mb(),
    "harness_preloaded": preloaded,
}), flush=True)
os._exit(0)  # interpreter teardown is not part of a cold start
'''

META_SECRET = "bench-meta-app-secret"


def meta_request(n: int) -> tuple[bytes, dict]:
    """A signed Messenger DM (a new message id each run, so every request stores)."""
    now = int(time.time() * 1000)
    payload = {"object": "page", "entry": [{"id": "104857600000001", "time": now, "messaging": [{
        "sender": {"id": "6100000000001"}, "recipient": {"id": "104857600000001"}, "timestamp": now,
        "message": {"mid": f"m_bench_{os.getpid()}_{n}", "text": "my order never arrived and I want a refund"}}]}]}
    body = json.dumps(payload).encode()
    signature = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


@functools.cache
def function_environment() -> dict:
    """The environment .chalice/config.json gives every stage's function: Lambda sets it before the first
    import (chalice.test.Client sets it only around each request, too late for import-time settings)."""
    return json.loads((ROOT / ".chalice" / "config.json").read_text())["environment_variables"]


def project_bytecode(root: Path) -> list[Path]:
    """__pycache__ folders of the app's own modules: a child would load those precompiled."""
    return [path for path in [root / "__pycache__", *(root / "chalicelib").rglob("__pycache__")] if path.is_dir()]


def stage_shipped_code(into: Path) -> Path:
    """A copy of the project's part of the deployment package, with the bytecode infra.precompile adds."""
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
    compile_tree(into)
    return into


def child_env(body: bytes, headers: dict, code_root: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "TRIAGE_", "SECRETS_", "DYNAMODB_", "POWERTOOLS_", "PYDANTIC_"))}
    env.update(function_environment())  # both sides: the bare app's function would have it too
    env.update({
        # fake credentials: nothing can reach a real account, whatever the shell has configured
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "TABLE_NAME": "social-triage", "META_APP_SECRET": META_SECRET,
        "BENCH_BODY": body.decode(), "BENCH_HEADERS": json.dumps(headers),
        "PYTHONPATH": str(code_root),
        "PYTHONDONTWRITEBYTECODE": "1",  # the warm-up run must not leave .pyc files for the measured runs
    })
    return env


def run_child(side: str, n: int, code_root: Path) -> dict:
    body, headers = meta_request(n)
    env = child_env(body, headers, code_root)
    env["BENCH_SPAWN_NS"] = str(time.time_ns())
    result = subprocess.run([sys.executable, "-c", CHILD, side], cwd=code_root, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0 or not result.stdout.strip():
        raise SystemExit(f"{side} run failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not report["ok"]:
        raise SystemExit(f"{side} request failed: {report['status']} {report['body']}\n{result.stderr[-3000:]}")
    return report


IMPORT_SCRIPT = r"""
import json, sys, time
start = time.perf_counter()
import app
from chalicelib.classifier import classify
classify("where is my refund? order 5512 never arrived")
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "app": app.__cached__}))
"""


def shipped_import_ms(python: str, code_root: Path, runs: int) -> tuple[float, str]:
    """Median `import app` + first classify in fresh processes of `python` over the staged code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_", "POWERTOOLS_", "PYDANTIC_"))}
    env.update(function_environment())
    env.update({"PYTHONPATH": str(code_root), "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1",
                "TABLE_NAME": "social-triage"})
    samples, cached = [], ""
    for _ in range(runs + 1):  # the first is a warm-up
        result = subprocess.run([python, "-c", IMPORT_SCRIPT], cwd=code_root, env=env, capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise SystemExit(f"import under {python} failed:\n{result.stderr[-3000:]}")
        report = json.loads(result.stdout.strip().splitlines()[-1])
        samples.append(report["ms"])
        cached = report["app"]
    return statistics.median(samples[1:]), cached


def runtime_python() -> str | None:
    """The packaging venv's interpreter (the Lambda runtime, 3.12+) when `make package` has built it."""
    python = deploy.venv_python(deploy.VENV)
    if python.exists() and (deploy.version_of(str(python)) or (0, 0)) >= deploy.RUNTIME:
        return str(python)
    return None


def moto_import_ms(runs: int = 3) -> float:
    """What the excluded harness import alone costs in a fresh process (for the record)."""
    script = "import time; t = time.perf_counter(); import moto; from moto import mock_aws; print((time.perf_counter() - t) * 1000)"
    samples = [float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                    timeout=120).stdout) for _ in range(runs)]
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cold start: the API vs a bare Chalice + boto3 app")
    parser.add_argument("--runs", type=int, default=7, help="measured runs per side (default 7)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--source", action="store_true",
                        help="run the source tree, compiling the project's modules on every start")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="coldstart-") as staging:
        code_root = ROOT if args.source else stage_shipped_code(Path(staging))
        for side in SIDES:
            run_child(side, 0, code_root)  # warm-up: file system caches, not measured
        results: dict[str, list[dict]] = {side: [] for side in SIDES}
        for n in range(1, args.runs + 1):
            for side in (SIDES if n % 2 else SIDES[::-1]):
                results[side].append(run_child(side, n, code_root))
        cached = project_bytecode(code_root) if args.source else []
        runtime = runtime_python()
        imports = None
        if runtime and not args.source:
            # the staged copy again, compiled for the runtime too (each version reads its own .pyc)
            subprocess.run([runtime, "-c", "import sys; from pathlib import Path; from infra.precompile import "
                            "compile_tree; compile_tree(Path(sys.argv[1]))", str(code_root)], cwd=ROOT, check=True,
                           timeout=300)
            imports = (shipped_import_ms(runtime, code_root, args.runs), shipped_import_ms(sys.executable, code_root,
                                                                                          args.runs))

    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    app_ms, bare_ms, floor_ms = (median(side, "coldstart_ms") for side in SIDES)
    ratio = app_ms / floor_ms
    first = results["app"][0]
    if not args.source:
        bytecode = ("the project's modules load the unchecked-hash .pyc infra.precompile adds to the deployment "
                    "package, as on Lambda; installed packages load their .pyc")
    elif not cached:
        bytecode = "--source: the project's modules compile from source on every start; installed packages load their .pyc"
    else:
        bytecode = (f"--source, but WARNING: {len(cached)} __pycache__ folders in the project, so its modules load "
                    "precompiled: remove them to measure compiling from source")
    print(f"cold start from process start, median of {args.runs} fresh processes per side "
          f"(python {sys.version.split()[0]}; {bytecode})")
    for side, label in (("app", "app  import app + classify + signed Meta webhook POST (GetItem + TransactWriteItems)"),
                        ("bare", "bare Chalice + boto3; the request creates a DynamoDB client and does one GetItem"),
                        ("floor", "floor bare + pydantic on the same body, pydantic-settings, Powertools log + metric (no code of ours)")):
        print(f"  {label}")
        classify = f" + first classify (model load) {median(side, 'classify_ms'):6.1f} ms" if side == "app" else ""
        print(f"       {median(side, 'coldstart_ms'):7.1f} ms   = start + imports {median(side, 'imports_ms'):6.1f} ms"
              f"{classify} + request {median(side, 'request_ms'):6.1f} ms")
    harness = " / ".join(f"{median(side, 'harness_ms'):.0f} ms ({side})" for side in SIDES)
    served = " / ".join(f"{median(side, 'moto_ms'):.1f} ms ({side})" for side in SIDES)
    print(f"  excluded from all: the moto harness between the two timed phases (import moto, mock_aws().start(), "
          f"create table, import chalice.test): median {harness}; `import moto` alone: {moto_import_ms():.0f} ms; "
          f"moto serving the request's DynamoDB calls: median {served}")
    preloaded = sorted({p for side in results for r in results[side] for p in r["harness_preloaded"]})
    if preloaded:
        print(f"  WARNING: the harness was first to import {preloaded}: their import cost is missing from the timing")
    print(f"  app/bare: {app_ms / bare_ms:.2f}; floor/bare: {floor_ms / bare_ms:.2f} (the libraries the webhook "
          f"path is built on, doing the least they can)")
    print(f"  app/floor: {ratio:.2f} (our own code's share; target <= {FLOOR_RATIO_TARGET}): "
          f"{'ok' if ratio <= FLOOR_RATIO_TARGET else 'MISSED'}")
    if imports:
        (runtime_ms, runtime_pyc), (here_ms, _) = imports
        print(f"  shipped code, import app + first classify, median of {args.runs}: {runtime_ms:.1f} ms under "
              f"{deploy.runtime_of(runtime)} (the Lambda runtime, .venv-package; loads {Path(runtime_pyc).name}) vs "
              f"{here_ms:.1f} ms under python {sys.version_info[0]}.{sys.version_info[1]}")
    elif not args.source:
        print("  (no Python 3.12 packaging venv: `make package` creates .venv-package, then this also prints the "
              "import time of the shipped code under 3.12)")
    rss_ok = first["peak_rss_mb"] < RSS_TARGET_MB
    print(f"  peak RSS of the first app process (ru_maxrss): {first['peak_rss_mb']:.1f} MB with the moto harness, "
          f"{first['rss_before_harness_mb']:.1f} MB at the end of the production imports + classify "
          f"(target < {RSS_TARGET_MB} MB): {'ok' if rss_ok else 'MISSED'}")
    print(f"coldstart_vs_floor={ratio:.2f}")
    return 1 if args.check and (ratio > FLOOR_RATIO_TARGET or not rss_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
