"""Structured JSON logs and EMF metrics: their fields, and no message text or author identity at INFO."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from chalicelib import observability

ROOT = Path(__file__).resolve().parents[1]

TEXT = "my order 5512 never arrived, call me on 555-0199"
AUTHOR = {"id": "1784409921", "handle": "@jane_q_public", "name": "Jane Q. Public"}


@pytest.fixture
def logs():
    """The container logger writing into a buffer at INFO; returns a function giving the lines so far as dicts."""
    logger = observability.get_logger()
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous_stream, previous_level = handler.setStream(buffer), logger.log_level
    logger.setLevel("INFO")
    observability._cold_start = True
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(previous_stream)
    logger.setLevel(previous_level)


def emf_lines(captured: str) -> list[dict]:
    return [doc for doc in map(json.loads, filter(None, captured.splitlines())) if "_aws" in doc]


def run(script: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")} | env
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


# logs -----------------------------------------------------------------------------------------------

def test_log_request_writes_one_json_line_with_the_request_fields(logs):
    observability.log_request("/webhooks/{platform}", 200, 12.3456, method="POST", platform="meta", received=3)
    observability.log_request("/health", 200, 0.5)
    first, second = logs()
    assert first["level"] == "INFO"
    assert first["message"] == "request"
    assert first["service"] == "social-triage"
    assert {k: first[k] for k in ("route", "status", "latency_ms", "cold_start", "method", "platform", "received")} == {
        "route": "/webhooks/{platform}", "status": 200, "latency_ms": 12.35, "cold_start": True, "method": "POST",
        "platform": "meta", "received": 3}
    assert "timestamp" in first
    assert second["cold_start"] is False


def test_log_request_level_follows_the_status(logs):
    observability.log_request("/queues", 401, 3.0)
    observability.log_request("/webhooks/{platform}", 503, 40.0, error="storage_unavailable")
    assert [(line["level"], line["status"]) for line in logs()] == [("WARNING", 401), ("ERROR", 503)]


def test_fields_named_like_log_record_attributes_are_kept_without_breaking_logging(logs):
    observability.log_request("/queues/{name}/claim", 200, 1.0, name="customer_service", module="queue")
    line = logs()[0]
    assert (line["name_"], line["module_"]) == ("customer_service", "queue")


def test_text_and_author_never_appear_at_info(logs):
    observability.log_request("/webhooks/{platform}", 200, 5.0, platform="x", text=TEXT, author=AUTHOR,
                              author_id=AUTHOR["id"], username=AUTHOR["handle"],
                              event={"message": {"text": TEXT, "from": AUTHOR}, "kind": "create"},
                              batch=[{"body": TEXT, "sender": AUTHOR["name"]}])
    observability.warning("could not store", platform="x", payload={"text": TEXT}, user=AUTHOR)
    observability.debug("the message itself", text=TEXT, author=AUTHOR)  # DEBUG is off at INFO
    lines = logs()
    assert len(lines) == 2
    written = json.dumps(lines)
    for secret in (TEXT, "5512", AUTHOR["id"], AUTHOR["handle"], AUTHOR["name"]):
        assert secret not in written
    assert lines[0]["text"] == lines[0]["author"] == "[redacted]"
    assert lines[0]["event"] == {"message": {"text": "[redacted]", "from": "[redacted]"}, "kind": "create"}
    assert lines[0]["platform"] == "x"


def test_debug_logs_fields_as_given_only_when_debug_is_on(logs):
    observability.get_logger().setLevel("DEBUG")
    observability.debug("triage detail", text=TEXT)
    (line,) = logs()
    assert (line["level"], line["text"]) == ("DEBUG", TEXT)


def test_service_name_comes_from_the_environment_with_a_default():
    script = ("from chalicelib import observability as o; o.log_request('/health', 200, 1.0); "
              "o.record_rejected_signature('meta')")
    default = run(script)
    assert default.returncode == 0, default.stderr
    named = run(script, POWERTOOLS_SERVICE_NAME="triage-canary")
    assert named.returncode == 0, named.stderr
    for result, service in ((default, "social-triage"), (named, "triage-canary")):
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert {line["service"] for line in lines} == {service}
        assert emf_lines(result.stdout)[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SocialTriage"


def test_next_to_the_chalice_app_each_record_is_written_once_as_json():
    """Chalice configures a text handler on the logger named after the app, which is also the service name."""
    result = run("import app\nfrom chalicelib import observability as o\n"
                 "o.log_request('/health', 200, 1.0)\napp.app.log.error('chalice says')")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["request", "chalice says"]


def test_importing_the_module_does_not_import_powertools():
    result = run("import sys, chalicelib.observability\n"
                 "print(sorted(m for m in sys.modules if m.startswith('aws_lambda_powertools')))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# metrics --------------------------------------------------------------------------------------------

def metric(doc: dict) -> tuple[str, list[list[str]], dict]:
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "SocialTriage"
    (definition,) = directive["Metrics"]
    assert definition["Unit"] == "Count"
    name = definition["Name"]
    dimensions = {d: doc[d] for d in directive["Dimensions"][0]}
    return name, doc[name], dimensions


def test_record_ingest_emits_emf_with_platform_and_category(capsys):
    from chalicelib.store.messages import Outcome

    observability.record_ingest("meta", "customer_service", Outcome.STORED)
    observability.record_ingest("telegram", "community", "stored")
    docs = emf_lines(capsys.readouterr().out)
    assert [metric(d) for d in docs] == [
        ("MessagesIngested", [1.0], {"service": "social-triage", "platform": "meta", "category": "customer_service"}),
        ("MessagesIngested", [1.0], {"service": "social-triage", "platform": "telegram", "category": "community"}),
    ]
    assert all(isinstance(d["_aws"]["Timestamp"], int) for d in docs)


def test_duplicates_and_storage_failures_are_counted_per_platform(capsys):
    from chalicelib.store.messages import Outcome

    observability.record_ingest("x", "stance", Outcome.DUPLICATE)
    observability.record_ingest("x", "stance", Outcome.UNCHANGED)  # a redelivered edit
    observability.record_ingest("generic", None, observability.STORAGE_FAILED)
    observability.record_ingest("meta", "community", Outcome.UPDATED)
    observability.record_ingest("meta", None, Outcome.REMOVED)
    observability.record_ingest("meta", None, Outcome.UNKNOWN)  # nothing to count
    assert [metric(d) for d in emf_lines(capsys.readouterr().out)] == [
        ("Duplicates", [1.0], {"service": "social-triage", "platform": "x"}),
        ("Duplicates", [1.0], {"service": "social-triage", "platform": "x"}),
        ("StorageFailures", [1.0], {"service": "social-triage", "platform": "generic"}),
        ("MessagesUpdated", [1.0], {"service": "social-triage", "platform": "meta"}),
        ("MessagesRemoved", [1.0], {"service": "social-triage", "platform": "meta"}),
    ]


def test_rejected_signature_is_a_metric_and_a_warning(capsys, logs):
    observability.record_rejected_signature("telegram")
    assert [metric(d) for d in emf_lines(capsys.readouterr().out)] == [
        ("RejectedSignatures", [1.0], {"service": "social-triage", "platform": "telegram"})]
    (line,) = logs()
    assert (line["level"], line["message"], line["platform"]) == ("WARNING", "rejected webhook signature", "telegram")


def test_metrics_object_and_flush(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools warns when flushing nothing; flush_metrics does not
        observability.flush_metrics()
    metrics = observability.metrics
    assert metrics is observability.get_metrics()
    metrics.add_metric(name="QueueClaims", unit="Count", value=2)
    observability.flush_metrics()
    (doc,) = emf_lines(capsys.readouterr().out)
    assert doc["QueueClaims"] == [2.0] and doc["service"] == "social-triage"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SocialTriage"


def test_logger_attribute_is_the_powertools_logger():
    from aws_lambda_powertools import Logger

    assert isinstance(observability.logger, Logger)
    assert observability.logger is observability.get_logger()
    assert logging.getLogger(observability.logger.service).propagate is False
