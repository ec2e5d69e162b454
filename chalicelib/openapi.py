"""The OpenAPI 3.1 document served at GET /openapi.json, built from the pydantic models and ROUTES.

ROUTES lists every route of app.py: method, path, summary, who may call it (bearer API key or public),
query parameters (from a pydantic model), request body model, success response and the error statuses
it can answer. The document is built on the first request and cached per container.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from .events import schema as event_schemas
from .models import QUEUES, Queue, Skip
from .platforms import REGISTRY
from .platforms.generic import GenericBody, GenericMessage
from .platforms.meta import MetaPayload
from .platforms.telegram import TOKEN_HEADER, Update
from .platforms.x import SIGNATURE_HEADER, XPayload
from .schemas import (ClaimRequest, ClaimResult, ErrorBody, IssuedKeyOut, KeyCreateRequest, KeysOut, ListQuery,
                      MessageOut, MessagePage, QueuesOut, RerouteRequest, ResolveRequest, SnoozeRequest)
from .stats import MAX_BASELINE_HOURS, MIN_BASELINE_HOURS
from .store.messages import Outcome

TITLE, VERSION = "social-triage", "1.0.0"
REF = "#/components/schemas/{model}"
BEARER = "apiKey"

# response bodies that have no model in schemas.py (the routes build them as dicts) -----------------


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class HealthOut(_Out):
    status: Literal["ok"]


class CrcOut(_Out):
    response_token: str = Field(description="sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>")


IngestSummary = create_model(  # one count per store outcome, as IngestResult.summary() answers
    "IngestSummary", __base__=_Out, received=(int, ...), skipped=(list[Skip], ...),
    **{outcome.value: (int, ...) for outcome in Outcome},
)


class ResponseTimesOut(_Out):
    resolved: int
    auto_resolved: int = Field(description="open messages resolved by the sweep after their queue's window")
    snoozed: int = Field(description="times agents snoozed a message")
    time_to_first_claim_p50_seconds: float | None
    time_to_first_claim_p90_seconds: float | None
    time_to_resolve_p50_seconds: float | None
    time_to_resolve_p90_seconds: float | None


class BucketOut(_Out):
    start: str
    messages: dict[str, int]
    total: int
    platforms: dict[str, int]
    needs_review: dict[str, int]
    response_times: dict[str, ResponseTimesOut]


class SlaOut(_Out):
    queue: Queue
    sla_seconds: int
    open_past_sla: int


class VersionAccuracyOut(_Out):
    model_version: str
    queue: Queue
    classified: int
    rerouted: int
    needs_review: int
    rerouted_share: float | None
    needs_review_share: float | None


class AccuracyOut(_Out):
    by_version: list[VersionAccuracyOut]
    reroutes: dict[str, dict[str, int]]


class StatsOut(_Out):
    from_: str = Field(alias="from")
    to: str
    granularity: Literal["hour", "day"]
    tz: str
    platform: str | None
    buckets: list[BucketOut]
    sla: list[SlaOut]
    model_accuracy: AccuracyOut


class SpikeOut(_Out):
    queue: Queue
    start: str
    observed: int
    expected: float
    p_value: float


class SpikesOut(_Out):
    method: str
    spikes: list[SpikeOut]


# query parameters (documentation models: the routes parse them themselves) --------------------------

_MOMENT = "an ISO 8601 date (midnight in tz) or date-time (without an offset: in tz)"


class StatsQueryParams(BaseModel):
    from_: str | None = Field(None, alias="from", description=f"start, inclusive: {_MOMENT}; default: to - 7 days")
    to: str | None = Field(None, description=f"end, exclusive: {_MOMENT}; default: now; at most 366 days after from")
    granularity: Literal["hour", "day"] = "hour"
    tz: str = Field("UTC", description="IANA time zone name, e.g. Asia/Tokyo")
    platform: str | None = Field(None, description="only messages from this platform, e.g. facebook")
    queue: Queue | None = Field(None, description="only this queue")


class SpikesQueryParams(StatsQueryParams):
    baseline_hours: int = Field(MAX_BASELINE_HOURS, ge=MIN_BASELINE_HOURS, le=MAX_BASELINE_HOURS)


class HandshakeQueryParams(BaseModel):
    hub_mode: str | None = Field(None, alias="hub.mode", description="meta: `subscribe`, else 403")
    hub_verify_token: str | None = Field(None, alias="hub.verify_token", description="meta: META_VERIFY_TOKEN")
    hub_challenge: str | None = Field(None, alias="hub.challenge", description="meta: echoed as text/plain")
    crc_token: str | None = Field(None, description="x: the CRC challenge")


# the route table ----------------------------------------------------------------------------------

PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "platform": {"type": "string", "enum": sorted(REGISTRY), "description": "the webhook's platform adapter"},
    "name": {"type": "string", "enum": list(QUEUES), "description": "a queue"},
    "message_id": {"type": "string", "minLength": 1, "description": "`<platform>:<native id>`"},
    "key_id": {"type": "string", "minLength": 1, "description": "the 16 hex digits after `st_`"},
}

WEBHOOK_HEADERS: list[tuple[str, str]] = [
    ("X-Hub-Signature-256", "meta: sha256=<hex HMAC-SHA256(META_APP_SECRET, raw body)>"),
    (SIGNATURE_HEADER, "x: sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, raw body)>"),
    (TOKEN_HEADER, "telegram: TELEGRAM_SECRET_TOKEN, as given to setWebhook"),
    ("X-Timestamp", "generic: unix seconds, within 300 s of the server clock"),
    ("X-Signature", 'generic: sha256=<hex HMAC-SHA256(GENERIC_WEBHOOK_SECRET, "<X-Timestamp>." + raw body)>'),
]

ERRORS: dict[int, str] = {
    400: "the body, query or parameters are invalid (`malformed_json`, `invalid_payload`, `invalid_query`...)",
    401: "missing, unknown, revoked or expired API key; for webhooks a missing or wrong signature",
    403: "the key's role or queues do not allow this (`forbidden_role`, `forbidden_queue`, `not_claim_holder`)",
    404: "no such queue, message, key or platform",
    409: "the message's state does not allow this now (`wrong_status`, `same_queue`, `concurrent_change`)",
    413: "the body is larger than MAX_BODY_BYTES (1 MiB)",
    415: "the body is not application/json",
    503: "storage or the secret store is unavailable, or a secret is not configured; retry (see Retry-After)",
}

JSON, TEXT, CSV = "application/json", "text/plain", "text/csv"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    ok: int
    content: dict[str, Any] | None  # media type -> model or JSON schema; None: no body
    errors: tuple[int, ...]
    public: bool = False
    query: type[BaseModel] | None = None
    body: Any = None  # a model, or a JSON schema (with refs from MODELS)
    body_required: bool = True
    headers: tuple[tuple[str, str], ...] = ()


WEBHOOK_BODY = {"anyOf": [MetaPayload, XPayload, Update, GenericBody, GenericMessage],
                "description": "the platform's own payload, verified over the raw bytes"}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "liveness", 200, {JSON: HealthOut}, (), public=True),
    Route("GET", "/openapi.json", "this document", 200, {JSON: {"type": "object"}}, (), public=True),
    Route("GET", "/events/schema.json", "the JSON Schema of the outbound events' EventBridge `detail` (the same "
          "models as components/schemas/Event)", 200, {JSON: {"type": "object"}}, (), public=True),
    Route("GET", "/webhooks/{platform}", "subscription handshake (meta hub.challenge, x CRC)", 200,
          {JSON: CrcOut, TEXT: {"type": "string"}}, (400, 403, 404, 503), public=True, query=HandshakeQueryParams),
    Route("POST", "/webhooks/{platform}", "receive a signed webhook: verify, triage and store each message", 200,
          {JSON: IngestSummary}, (400, 401, 404, 413, 415, 503), public=True, body=WEBHOOK_BODY,
          headers=tuple(WEBHOOK_HEADERS)),
    Route("GET", "/queues", "the caller's queues: open, claimed, snoozed, needs_review, oldest open", 200,
          {JSON: QueuesOut}, (401, 503)),
    Route("GET", "/queues/{name}/messages", "a page of a queue, highest priority first, then oldest", 200,
          {JSON: MessagePage}, (400, 401, 403, 404, 503), query=ListQuery),
    Route("POST", "/queues/{name}/claim", "claim up to count messages with a lease", 200, {JSON: ClaimResult},
          (400, 401, 403, 404, 503), body=ClaimRequest, body_required=False),
    Route("GET", "/messages/{message_id}", "a message with its triage, history and corrections", 200,
          {JSON: MessageOut}, (401, 404, 503)),
    Route("POST", "/messages/{message_id}/release", "give a claimed message back to its queue", 200,
          {JSON: MessageOut}, (401, 403, 404, 409, 503)),
    Route("POST", "/messages/{message_id}/snooze", "set a claimed message aside until a time; it reopens then", 200,
          {JSON: MessageOut}, (400, 401, 403, 404, 409, 503), body=SnoozeRequest),
    Route("POST", "/messages/{message_id}/resolve", "resolve a message", 200, {JSON: MessageOut},
          (400, 401, 403, 404, 409, 503), body=ResolveRequest, body_required=False),
    Route("POST", "/messages/{message_id}/reroute", "move a message to another queue (recorded as a correction)",
          200, {JSON: MessageOut}, (400, 401, 403, 404, 409, 503), body=RerouteRequest),
    Route("GET", "/admin/keys", "list API keys (admin)", 200, {JSON: KeysOut}, (401, 403, 503)),
    Route("POST", "/admin/keys", "issue an API key, shown once (admin)", 201, {JSON: IssuedKeyOut},
          (400, 401, 403, 503), body=KeyCreateRequest),
    Route("DELETE", "/admin/keys/{key_id}", "revoke an API key (admin)", 204, None, (401, 403, 404, 503)),
    Route("GET", "/stats", "volumes, response times, SLA and live model accuracy (manager, admin)", 200,
          {JSON: StatsOut}, (400, 401, 403, 503), query=StatsQueryParams),
    Route("GET", "/stats/spikes", "anomalously high hourly volumes (manager, admin)", 200, {JSON: SpikesOut},
          (400, 401, 403, 503), query=SpikesQueryParams),
    Route("GET", "/stats/export.csv", "the stats buckets as CSV (manager, admin)", 200, {CSV: {"type": "string"}},
          (400, 401, 403, 503), query=StatsQueryParams),
)

# where pydantic's schema says less than the validator checks
SCHEMA_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("GenericMessage", "created_at"): {"type": "string", "description": "ISO 8601 date and time, e.g. "
                                       "2024-05-01T09:30:00+09:00 (UTC without an offset)"},
    ("Tweet", "created_at"): {"anyOf": [{"type": "string", "description": "e.g. Thu Dec 19 11:27:49 +0000 2019"},
                                        {"type": "null"}], "default": None},
}


# building -----------------------------------------------------------------------------------------

def _models(route: Route) -> list[tuple[type[BaseModel], str]]:
    found = [(m, "serialization") for m in (route.content or {}).values() if isinstance(m, type)]
    body = route.body["anyOf"] if isinstance(route.body, dict) else [route.body] if route.body else []
    return found + [(m, "validation") for m in body]


def _schema(value: Any, refs: dict) -> Any:
    if isinstance(value, type):
        return refs[(value, "serialization")] if (value, "serialization") in refs else refs[(value, "validation")]
    if isinstance(value, dict):
        return {k: _schema(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_schema(v, refs) for v in value]
    return value


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None = None` query parameters: the parameter is optional, its value is an X."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**options[0], **rest}
    return schema


def _parameters(route: Route) -> list[dict[str, Any]]:
    out = [{"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
           for name in (part[1:-1] for part in route.path.split("/") if part.startswith("{"))]
    if route.query is not None:
        schema = route.query.model_json_schema(by_alias=True)
        for name, prop in schema["properties"].items():
            prop = _not_null({k: v for k, v in prop.items() if k != "title"})
            parameter = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            if "description" in prop:
                parameter["description"] = prop.pop("description")
            out.append(parameter)
    out += [{"name": name, "in": "header", "required": False, "description": text, "schema": {"type": "string"}}
            for name, text in route.headers]
    return out


def _error(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": ERRORS[status],
                                "content": {JSON: {"schema": {"$ref": REF.format(model="ErrorBody")}}}}
    if status == 503:
        response["headers"] = {"Retry-After": {"description": "seconds to wait before retrying",
                                               "schema": {"type": "integer"}}}
    return response


def _operation(route: Route, refs: dict) -> dict[str, Any]:
    success: dict[str, Any] = {"description": route.summary}
    if route.content:
        success["content"] = {media: {"schema": _schema(s, refs)} for media, s in route.content.items()}
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}{route.path}".replace("/", "_").replace("{", "").replace("}", "")
        .replace(".", "_"),
        "summary": route.summary,
        "security": [] if route.public else [{BEARER: []}],
        "responses": {str(route.ok): success, **{str(s): _error(s) for s in sorted(route.errors)}},
    }
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {"required": route.body_required,
                                    "content": {JSON: {"schema": _schema(route.body, refs)}}}
    return operation


def build() -> dict[str, Any]:
    wanted = list(dict.fromkeys([(ErrorBody, "serialization")] + [m for r in ROUTES for m in _models(r)]))
    refs, definitions = models_json_schema(wanted, ref_template=REF)
    schemas = definitions.get("$defs", {})
    for (model, field), schema in SCHEMA_OVERRIDES.items():
        schemas[model]["properties"][field] = schema
    # the outbound events (EventBridge, not HTTP): published with the contract, `Event` is their union
    events = event_schemas.component_schemas(REF)
    assert not set(events) & set(schemas), "an event model shares a name with an API model"
    schemas |= events
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Social inbox triage. Errors are {\"error\": {\"code\", \"message\"}}."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "st_<key id>_<secret>",
                                         "description": "an API key issued by an admin"}},
        },
    }


@functools.lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The document, built once per container (on the first GET /openapi.json)."""
    return build()
