"""The OpenAPI 3.1 document served at GET /openapi.json, generated from the route table (chalicelib/routing.py)
and the pydantic models it names: paths, parameters, bodies, responses and security come from there, nothing
is kept here by hand but the words for each error status. Built on the first request, cached per container.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .console import ASSET_PATTERN
from .platforms import REGISTRY
from .routing import JSON, Operation
from .schemas import ErrorOut

TITLE, VERSION = "social-triage", "1.0.0"
REF = "#/components/schemas/{model}"
BEARER = "apiKey"

ERRORS: dict[int, str] = {
    400: "the body, query or parameters are invalid (`malformed_json`, `invalid_payload`, `invalid_query`...)",
    401: "missing, unknown, revoked or expired API key; for webhooks a missing or wrong signature",
    403: "the key's role or queues do not allow this (`forbidden_role`, `forbidden_queue`, `not_claim_holder`); "
         "for the Meta handshake a wrong verify token",
    404: "no such queue, message, conversation, key or console file (`console_not_built` when the console was not built)",
    409: "the message's state does not allow this now (`wrong_status`, `same_queue`, `concurrent_change`); "
         "a key revoking itself (`own_key`); a reply's idempotency key used for another reply "
         "(`idempotency_key_reused`)",
    413: "the body is larger than MAX_BODY_BYTES (1 MiB)",
    415: "the body is not application/json",
    422: "the reply cannot be sent: `outside_reply_window`, `no_sender`, `recipient_unreachable`, `platform_rejected`",
    424: "the channel must be fixed first: `channel_token_invalid`, `channel_permission_denied`, "
         "`channel_token_missing` (the channel is flagged in GET /channels)",
    429: "the platform asks to slow down (`platform_rate_limited`); send again with the same key after Retry-After",
    502: "the platform failed (`platform_unavailable`: send again with the same key) or did not answer in time "
         "(`reply_outcome_unknown`: it may have gone out and is never sent again under that key)",
    503: "storage or the secret store is unavailable, or a secret is not configured; retry (see Retry-After)",
}

PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "enum": ["customer_service", "stance", "community"], "description": "a queue"},
    "message_id": {"type": "string", "minLength": 3, "maxLength": 1100, "pattern": "^[^:]+:.+$",
                   "description": "`<platform>:<native id>`"},
    "key_id": {"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "the 16 hex digits after `st_`"},
    "conversation_id": {"type": "string", "minLength": 3, "maxLength": 1100, "pattern": "^[^:]+:.+$",
                        "description": "the id of the conversation's first message, `<platform>:<native id>`"},
    "saved_reply_id": {"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "a saved reply's `id`"},
    "asset": {"type": "string", "pattern": ASSET_PATTERN, "description": "a file the console's build names"},
}


def _adapter(operation: Operation):
    module, _, name = REGISTRY[operation.webhook].partition(":")
    return getattr(importlib.import_module(module), name)


def _query_model(operation: Operation) -> type[BaseModel] | None:
    if operation.webhook and operation.method == "GET":
        return _adapter(operation).handshake_query
    return operation.query


def _body_models(operation: Operation) -> tuple[type, ...]:
    if operation.webhook and operation.method == "POST":
        return _adapter(operation).payloads
    return (operation.body,) if operation.body is not None else ()


def _response_models(operation: Operation) -> list[type[BaseModel]]:
    content = operation.response if isinstance(operation.response, dict) else {JSON: operation.response}
    return [m for m in content.values() if isinstance(m, type)]


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None = None` query parameters: the parameter is optional, its value is an X."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1 and len(schema.get("anyOf", [])) == 2:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**options[0], **rest}
    return schema


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    out = [{"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
           for name in (part[1:-1] for part in operation.path.split("/") if part.startswith("{"))]
    query = _query_model(operation)
    if query is not None:
        schema = query.model_json_schema(by_alias=True, ref_template=REF)
        for name, prop in schema["properties"].items():
            prop = _not_null({k: v for k, v in prop.items() if k != "title"})
            parameter = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            if "description" in prop:
                parameter["description"] = prop.pop("description")
            out.append(parameter)
    if operation.webhook and operation.method == "POST":
        out += [{"name": name, "in": "header", "required": True, "description": text,
                 "schema": {"type": "string", "minLength": 1}}
                for name, text in _adapter(operation).signature_headers]
    return out


def _error(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": ERRORS[status],
                                "content": {JSON: {"schema": {"$ref": REF.format(model="ErrorOut")}}}}
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"description": "seconds to wait before retrying",
                                               "schema": {"type": "integer"}}}
    return response


def _schema(value: Any, refs: dict, mode: str) -> Any:
    if isinstance(value, type):
        return refs[(value, mode)]
    return value


def _operation(operation: Operation, refs: dict) -> dict[str, Any]:
    success: dict[str, Any] = {"description": operation.summary}
    if operation.response is not None:
        content = operation.response if isinstance(operation.response, dict) else {JSON: operation.response}
        success["content"] = {media: {"schema": _schema(s, refs, "serialization")} for media, s in content.items()}
    out: dict[str, Any] = {
        "operationId": operation.handler.__name__,
        "summary": operation.summary,
        "security": [] if operation.public else [{BEARER: []}],
        "responses": {str(operation.status): success, **{str(s): _error(s) for s in operation.statuses}},
    }
    if not operation.public:
        out["description"] = f"roles: {', '.join(operation.roles)}"
    parameters = _parameters(operation)
    if parameters:
        out["parameters"] = parameters
    bodies = _body_models(operation)
    if bodies:
        schemas = [_schema(m, refs, "validation") for m in bodies]
        schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
        out["requestBody"] = {"required": operation.body_required,
                              "content": {JSON: {"schema": schema}}}
    return out


def build(operations: list[Operation]) -> dict[str, Any]:
    wanted = [(ErrorOut, "serialization")]
    for operation in operations:
        wanted += [(m, "serialization") for m in _response_models(operation)]
        wanted += [(m, "validation") for m in _body_models(operation)]
    refs, definitions = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    schemas = definitions.setdefault("$defs", {})
    # the outbound events (EventBridge, not HTTP): published with the contract, `Event` is their union
    from .events import schema as event_schemas

    events = event_schemas.component_schemas(REF)
    assert not set(events) & set(schemas), "an event model shares a name with an API model"
    schemas |= events
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Social inbox triage. Errors are {\"error\": {\"code\", \"message\"}}."},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "st_<key id>_<secret>",
                                         "description": "an API key issued by an admin"}},
        },
    }


_built: dict[int, dict[str, Any]] = {}


def document(routes=None) -> dict[str, Any]:
    """The document of a route table (routing.RouteTable; default: the app's), built once per container (on
    the first GET /openapi.json, or before a SnapStart snapshot)."""
    if routes is None:
        from app import routes  # the app's table, as Chalice serves it
    if id(routes) not in _built:
        _built[id(routes)] = build(routes.operations)
    return _built[id(routes)]
