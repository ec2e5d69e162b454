"""SnapStart hooks: what init loads before the snapshot, what a restored environment gets fresh.

`snapshot_restore_py` exists only inside Lambda's managed Python runtimes; a fake module stands in for it
and runs the hooks in the library's order.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import boto3
import pytest

from chalicelib import platforms, snapstart
from chalicelib.config import get_secret
from chalicelib.store import dynamo

ROOT = Path(__file__).resolve().parents[1]
PROD_PATH = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"][
    "SECRETS_SSM_PATH"]


class FakeRuntimeHooks(types.ModuleType):
    def __init__(self):
        super().__init__(snapstart.SNAPSHOT_RESTORE_MODULE)
        self.before, self.after = [], []

    def register_before_snapshot(self, func, *args, **kwargs):
        self.before.append((func, args, kwargs))
        return func

    def register_after_restore(self, func, *args, **kwargs):
        self.after.append((func, args, kwargs))
        return func

    def restore(self):
        for func, args, kwargs in self.after:
            func(*args, **kwargs)


@pytest.fixture
def runtime_hooks(monkeypatch) -> FakeRuntimeHooks:
    fake = FakeRuntimeHooks()
    monkeypatch.setitem(sys.modules, snapstart.SNAPSHOT_RESTORE_MODULE, fake)
    return fake


@pytest.fixture
def prod_secrets(table, monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("SECRETS_SSM_PATH", PROD_PATH)
    parameters.clear_caches()
    yield boto3.client("ssm", region_name="us-east-1")
    parameters.clear_caches()


def test_outside_lambda_nothing_is_registered(monkeypatch):
    # GIVEN no Lambda runtime (the module is not importable)
    monkeypatch.setitem(sys.modules, snapstart.SNAPSHOT_RESTORE_MODULE, None)
    # WHEN the app registers its hooks THEN it reports that it did not, and does not fail
    assert snapstart.register() is False


def test_under_snapstart_both_hooks_are_registered(runtime_hooks):
    assert snapstart.register() is True
    assert [f for f, _, _ in runtime_hooks.before] == [snapstart.prepare]
    assert [f for f, _, _ in runtime_hooks.after] == [snapstart.refresh]


def test_a_restored_environment_reads_secrets_again_instead_of_the_snapshot_cache(prod_secrets, runtime_hooks):
    # GIVEN a secret read (and cached for its TTL) before the snapshot, then rotated
    name = f"{PROD_PATH}/META_APP_SECRET"
    prod_secrets.put_parameter(Name=name, Value="before-snapshot", Type="SecureString", Overwrite=True)
    assert get_secret("META_APP_SECRET") == "before-snapshot"
    prod_secrets.put_parameter(Name=name, Value="rotated", Type="SecureString", Overwrite=True)
    assert get_secret("META_APP_SECRET") == "before-snapshot"  # the cache, as in one warm container
    snapstart.register()
    # WHEN the environment is restored
    runtime_hooks.restore()
    # THEN the secret is read again
    assert get_secret("META_APP_SECRET") == "rotated"


def test_a_restored_environment_builds_its_own_clients_and_session(table, runtime_hooks):
    # GIVEN a DynamoDB client and a default boto3 session made before the snapshot
    before = dynamo.client()
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    snapstart.register()
    # WHEN the environment is restored
    runtime_hooks.restore()
    # THEN the next request gets a new client (new connection pool, credentials resolved now), which works
    after = dynamo.client()
    assert after is not before
    assert boto3.DEFAULT_SESSION is not session
    assert after.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["TableStatus"] == "ACTIVE"


def test_a_restored_environment_reads_the_routing_rules_again(table, runtime_hooks, monkeypatch):
    from chalicelib.domain.routing_rules import RoutingRule, RoutingRules
    from chalicelib.store import routing_rules, settings

    # GIVEN rules read before the snapshot, changed since in the table
    assert routing_rules.for_ingest().rules == ()
    rule = RoutingRule(id="a" * 16, name="Recall", words=("recall",), queue="customer_service")
    table.put_item(TableName=os.environ["TABLE_NAME"], Item=dynamo.to_item({
        "pk": "SETTINGS", "sk": "ROUTING_RULES", "rev": 1, "rules": [rule.public()]}))
    assert routing_rules.for_ingest().rules == ()  # this container's copy, for now
    snapstart.register()
    # WHEN the environment is restored (its monotonic clock may even start again lower)
    monkeypatch.setattr(settings.time, "monotonic", lambda: -1000.0)
    runtime_hooks.restore()
    # THEN the next message reads them again
    assert [r.name for r in routing_rules.for_ingest().rules] == ["Recall"]


def test_a_restored_environment_draws_its_own_random_numbers(runtime_hooks):
    # GIVEN the random module's state as the snapshot holds it
    random.seed(1234)
    snapshot_state = random.getstate()
    from_snapshot = [random.random() for _ in range(4)]
    random.setstate(snapshot_state)
    snapstart.register()
    # WHEN the environment is restored
    runtime_hooks.restore()
    # THEN it does not repeat the sequence every other restored environment would draw
    assert [random.random() for _ in range(4)] != from_snapshot


def test_before_the_snapshot_the_model_and_every_route_module_are_loaded():
    # GIVEN a fresh interpreter that imported the app as Lambda's init does
    script = f"""
import json, sys
import app
from chalicelib import snapstart
from chalicelib import platforms
from chalicelib.classifier import scorer
def state():
    return {{"model": scorer._model is not None, "modules": [m for m in snapstart.LAZY_MODULES if m in sys.modules],
             "adapters": sorted(platforms._loaded)}}
before = state()
snapstart.prepare()
after = state()
print(json.dumps({{"before": before, "after": after}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # THEN importing the app loads none of it (a cold start without SnapStart stays as small as it was)
    assert report["before"] == {"model": False, "modules": [], "adapters": []}
    # AND prepare() loads the model, every lazily imported module and every platform adapter
    assert report["after"] == {"model": True, "modules": list(snapstart.LAZY_MODULES),
                               "adapters": sorted(platforms.REGISTRY)}
