"""Lambda SnapStart: what goes into the snapshot, and what each restored environment gets fresh.

With SnapStart (infra/template.py), Lambda runs the init phase once per published version, snapshots the
memory, and starts every new execution environment from that snapshot: many environments share whatever
init left in memory. So:

- before the snapshot: import the modules every route uses and load the model, so no restored environment
  pays for them (`prepare`);
- after each restore: drop what must not be shared or outlive the snapshot (`refresh`): the cached
  secrets (their TTL counts from the moment they were read, possibly hours before the restore), the boto3
  clients with their connections and resolved credentials, the random module's state.

The hooks run only under SnapStart: `snapshot_restore_py` exists only inside Lambda's managed Python
runtimes (3.12+), so a local run, the tests and a function without SnapStart load nothing here up front.
"""

from __future__ import annotations

import importlib
import random

SNAPSHOT_RESTORE_MODULE = "snapshot_restore_py"
# What the code imports on first use (to keep a cold start without SnapStart small); the snapshot holds them.
LAZY_MODULES = ("chalicelib.openapi", "chalicelib.language", "aws_lambda_powertools.metrics",
                "aws_lambda_powertools.utilities.parameters")
# One message per language: the scorer reads the model's vocabulary bucket by bucket as texts need them.
WARM_TEXTS = ("where is my refund? my order never arrived", "注文した商品が届きません。返金してください。")


def prepare() -> None:
    """Before the snapshot: what a first request would otherwise load (modules, settings, adapters, model)."""
    from . import observability
    from .config import get_settings
    from .ingest import classify_message
    from .platforms import REGISTRY, get_adapter

    for name in LAZY_MODULES:
        importlib.import_module(name)
    get_settings()
    observability.get_logger()
    observability.get_metrics()
    for platform in REGISTRY:
        get_adapter(platform)
    for text in WARM_TEXTS:
        classify_message(text)
    from . import openapi

    openapi.document()  # built from the route table once, then cached: the same in every environment


def refresh() -> None:
    """After a restore: nothing cached per environment survives from the snapshot."""
    import boto3

    from .store import business_hours, dynamo, routing_rules

    dynamo.reset_clients()
    routing_rules.forget()  # the rules and hours as read before the snapshot may have changed since
    business_hours.forget()
    try:
        from aws_lambda_powertools.utilities import parameters
    except ImportError:  # pragma: no cover - Powertools is a Lambda requirement
        pass
    else:
        parameters.clear_caches()  # the cached secrets and the SSM provider holding its own boto3 client
    boto3.DEFAULT_SESSION = None  # credentials resolved before the snapshot are not reused
    random.seed()  # from os.urandom: restored environments must not draw the same sequence


def register() -> bool:
    """Register both hooks with the Lambda runtime; returns False (and does nothing) outside SnapStart."""
    try:
        hooks = importlib.import_module(SNAPSHOT_RESTORE_MODULE)
    except ImportError:
        return False
    hooks.register_before_snapshot(prepare)
    hooks.register_after_restore(refresh)
    return True
