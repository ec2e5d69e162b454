"""Structured logs (Powertools Logger, JSON lines) and metrics (Powertools, CloudWatch EMF) for the API.

Powertools is imported on first use, not when this module is imported (importing it costs ~35 ms; this
module alone costs ~1 ms), so importing `chalicelib.observability` stays off the cold-start path until a
request logs or counts something.

    from chalicelib import observability
    observability.log_request("/webhooks/{platform}", 200, 12.5, method="POST", platform="meta")
    observability.record_ingest("meta", "customer_service", "stored")

Privacy: message text and author identity never reach INFO or above. Fields named in SENSITIVE_FIELDS
(at any depth) are replaced by "[redacted]" in log_request and warning(); only debug() logs fields as
given, and prod runs at LOG_LEVEL=INFO.

Metrics (namespace SocialTriage, each with a constant `service` dimension, emitted at once as one EMF line):
    MessagesIngested   platform, category   a new message stored
    Duplicates         platform             a redelivery (new message or edit) that changed nothing
    MessagesUpdated    platform             an edit applied
    MessagesRemoved    platform             deleted/hidden on the platform
    StorageFailures    platform             DynamoDB failed; the platform will redeliver
    RejectedSignatures platform             a webhook whose signature or token did not verify
    EventsPublished    -                    events the bus accepted (chalicelib/events/publisher.py)
    EventsDeadLettered -                    events sent to the dead-letter queue after the retries
    EventsUndelivered  -                    events neither: Lambda retries their stream records
    SecondOpinion      outcome              a queued event the second opinion handled (updated, unchanged,
                                            unknown, skipped; retried: it failed and comes back)
    SecondOpinionChanged from_category, to_category   its verdict's category differs from the webhook model's:
                                            how often the two models disagree, and which way (drift shows here)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .config import get_settings

if TYPE_CHECKING:  # pragma: no cover
    from aws_lambda_powertools import Logger, Metrics

DEFAULT_SERVICE = "social-triage"
DEFAULT_NAMESPACE = "SocialTriage"

SENSITIVE_FIELDS = frozenset({
    "text", "body", "raw_body", "payload", "content", "message_text",
    "author", "author_id", "author_name", "author_handle", "username", "user", "user_id", "user_name",
    "handle", "display_name", "screen_name", "sender", "from", "email", "phone",
})
REDACTED = "[redacted]"

STORED, DUPLICATE, UNCHANGED, UPDATED, REMOVED, UNKNOWN = "stored", "duplicate", "unchanged", "updated", "removed", "unknown"
STORAGE_FAILED = "storage_failed"
OUTCOME_METRICS = {
    STORED: "MessagesIngested",
    DUPLICATE: "Duplicates",
    UNCHANGED: "Duplicates",  # a redelivered edit
    UPDATED: "MessagesUpdated",
    REMOVED: "MessagesRemoved",
    STORAGE_FAILED: "StorageFailures",
}

# attributes of logging.LogRecord: passing one of these as an extra key makes logging raise
_RECORD_ATTRIBUTES = frozenset({
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "taskName", "message", "asctime",
})

_lock = threading.Lock()
_logger: Logger | None = None
_metrics: Metrics | None = None
_cold_start = True


def service_name() -> str:
    return get_settings().powertools_service_name or DEFAULT_SERVICE


def namespace() -> str:
    return get_settings().powertools_metrics_namespace or DEFAULT_NAMESPACE


def get_logger() -> Logger:
    """The container's JSON logger (built on first use), at LOG_LEVEL (default INFO)."""
    global _logger
    if _logger is None:
        with _lock:
            if _logger is None:
                _logger = _build_logger()
    return _logger


def _build_logger() -> Logger:
    import logging

    from aws_lambda_powertools import Logger

    logger = Logger(service=service_name(), level=get_settings().log_level)
    # Chalice(app_name="social-triage") configured the same stdlib logger (named after the app) with its own
    # text handler; left there, every record would be written twice, once as plain text.
    std = logging.getLogger(logger.service)
    for handler in list(std.handlers):
        if handler is not logger.registered_handler:
            std.removeHandler(handler)
    std.propagate = False
    return logger


def get_metrics() -> Metrics:
    """Aggregated EMF metrics for callers that add several under one dimension set; flush with flush_metrics()."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                from aws_lambda_powertools import Metrics

                _metrics = Metrics(namespace=namespace(), service=service_name())
    return _metrics


def __getattr__(name: str) -> Any:
    """`observability.logger` and `observability.metrics`, built on first access."""
    if name == "logger":
        return get_logger()
    if name == "metrics":
        return get_metrics()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- logs -----------------------------------------------------------------------------------------

def scrub(value: Any) -> Any:
    """`value` with every SENSITIVE_FIELDS entry (at any depth) replaced by "[redacted]"."""
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in SENSITIVE_FIELDS else scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def _extra(fields: dict[str, Any]) -> dict[str, Any]:
    return {f"{k}_" if k in _RECORD_ATTRIBUTES else k: v for k, v in fields.items()}


def log_request(route: str, status: int, latency_ms: float, **fields: Any) -> None:
    """One line per request: INFO below 400, WARNING for 4xx, ERROR for 5xx; never text or author."""
    global _cold_start
    cold, _cold_start = _cold_start, False
    record = {"route": route, "status": int(status), "latency_ms": round(float(latency_ms), 2), "cold_start": cold,
              **scrub(fields)}
    logger = get_logger()
    level = logger.error if status >= 500 else logger.warning if status >= 400 else logger.info
    level("request", extra=_extra(record))


def log_message(message_id: str, platform: str, category: str | None, outcome: str) -> None:
    """One INFO line per webhook message: its id, platform, category and outcome (never its text)."""
    get_logger().info("message", extra=_extra({"message_id": message_id, "platform": platform,
                                                "category": category, "outcome": outcome}))


def warning(message: str, **fields: Any) -> None:
    get_logger().warning(message, extra=_extra(scrub(fields)))


def debug(message: str, **fields: Any) -> None:
    """DEBUG only: fields as given (may include text for local troubleshooting; prod runs at INFO)."""
    logger = get_logger()
    if logger.isEnabledFor(10):  # logging.DEBUG
        logger.debug(message, extra=_extra(fields))


# --- metrics --------------------------------------------------------------------------------------

def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One metric with its own dimensions, written now as an EMF line (so dimension sets never mix)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace(),
                       default_dimensions={"service": service_name()}) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=str(dimension))


def record_ingest(platform: str, category: str | None, outcome: Any, value: int = 1) -> None:
    """Count one stored/duplicate/updated/removed message or a storage failure (outcome: Outcome or its value)."""
    outcome = str(getattr(outcome, "value", outcome))
    name = OUTCOME_METRICS.get(outcome)
    if name is None:
        return  # e.g. "unknown": a removal of a message never stored
    if name == "MessagesIngested":
        count(name, value, platform=platform, category=category or "unclassified")
    else:
        count(name, value, platform=platform)


def record_rejected_signature(platform: str) -> None:
    count("RejectedSignatures", platform=platform)
    warning("rejected webhook signature", platform=platform)


def flush_metrics() -> None:
    """Write what was added to `metrics` (no-op, and no Powertools warning, when nothing was)."""
    if _metrics is not None and _metrics.provider.metric_set:
        _metrics.flush_metrics()
