"""GET /openapi.json: a valid OpenAPI 3.1 document generated from the route table, listing exactly the app's
routes, with their security, parameters, bodies, responses and every error response in the one error shape."""

from __future__ import annotations

import json

import pytest

from app import routes
from chalicelib import openapi

WEBHOOKS = ("meta", "x", "telegram", "generic")
PUBLIC = {("/health", "GET"), ("/openapi.json", "GET"), ("/events/schema.json", "GET"), ("/webhooks/meta", "GET"), ("/webhooks/x", "GET"),
          *((f"/webhooks/{platform}", "POST") for platform in WEBHOOKS), ("/console", "GET"), ("/console/{asset}", "GET")}
# routes that read neither DynamoDB nor a secret: they never answer 503
NO_STORAGE = {("/health", "GET"), ("/openapi.json", "GET"), ("/events/schema.json", "GET"), ("/console", "GET"),
              ("/console/{asset}", "GET")}
# routes every valid key may call: they cannot answer 403 (an agent asking for a message outside its
# queues gets 404, not 403); tests/test_security.py walks every route with every role to prove it
ANY_KEY = {("/queues", "GET"), ("/conversations/bulk", "POST"), ("/conversations/{conversation_id}/notes", "POST"), ("/conversations/{conversation_id}/tags", "POST"), ("/me/conversations", "GET"), ("/saved-replies", "GET"), ("/messages/{message_id}", "GET"), ("/conversations/{conversation_id}", "GET"),
           ("/conversations/{conversation_id}/customer", "GET"), ("/conversations/{conversation_id}/reopen", "POST"),
           ("/away-message", "GET"), ("/business-hours", "GET"), ("/satisfaction-survey", "GET"),
           ("/whatsapp-templates", "GET")}
ERROR_STATUSES = {400, 401, 403, 404, 409, 413, 415, 422, 424, 429, 502, 503}
ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def document():
    return openapi.build(routes.operations)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    json.dumps(document)  # plain JSON
    try:
        from openapi_spec_validator import validate
    except ImportError:  # pragma: no cover - the structural checks below still run
        validate = None
    if validate is not None:
        validate(document)
    assert document["info"]["title"] and document["info"]["version"]
    for path, method, operation in operations(document):
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        assert operation["summary"] and operation["responses"]
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"path", "query", "header"} and "schema" in parameter
            if parameter["in"] == "path":
                assert parameter["required"] and "{%s}" % parameter["name"] in path


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]

    def refs(value):
        if isinstance(value, dict):
            if "$ref" in value:
                yield value["$ref"]
            for v in value.values():
                yield from refs(v)
        elif isinstance(value, list):
            for v in value:
                yield from refs(v)

    found = set(refs(document))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert "$defs" not in json.dumps(document)


def test_lists_exactly_the_routes_the_app_registers(document):
    from app import app

    registered = {(path, method) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, method, _ in operations(document)}
    assert documented == registered
    assert len({op["operationId"] for _, _, op in operations(document)}) == len(documented)


def test_non_public_routes_need_a_bearer_key_and_document_401_and_403(document):
    scheme = document["components"]["securitySchemes"][openapi.BEARER]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method, operation in operations(document):
        if (path, method) in PUBLIC:
            assert operation["security"] == [], (path, method)
            continue
        assert operation["security"] == [{openapi.BEARER: []}], (path, method)
        assert "401" in operation["responses"], (path, method)
        if (path, method) not in ANY_KEY:
            assert "403" in operation["responses"], (path, method)


SIGNED_BY = {"meta": {"x-hub-signature-256"}, "x": {"x-twitter-webhooks-signature"},
             "telegram": {"x-telegram-bot-api-secret-token"}, "generic": {"x-timestamp", "x-signature"}}
PAYLOADS = {"meta": ["MetaPayload"], "x": ["XPayload"], "telegram": ["Update"],
            "generic": ["GenericBody", "GenericMessage"]}


@pytest.mark.parametrize("platform", WEBHOOKS)
def test_each_webhook_documents_its_own_payload_and_required_signature_headers(document, platform):
    post = document["paths"][f"/webhooks/{platform}"]["post"]
    headers = {p["name"].lower(): p for p in post["parameters"] if p["in"] == "header"}
    assert set(headers) == SIGNED_BY[platform]
    assert all(p["required"] for p in headers.values())
    assert {"401", "413", "415"} <= set(post["responses"])
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    refs = [s["$ref"] for s in schema["anyOf"]] if "anyOf" in schema else [schema["$ref"]]
    assert refs == ["#/components/schemas/" + name for name in PAYLOADS[platform]]


def test_the_handshakes_document_their_required_query(document):
    x = {p["name"]: p for p in document["paths"]["/webhooks/x"]["get"]["parameters"]}
    from chalicelib.platforms.meta import CHALLENGE_PATTERN
    from chalicelib.platforms.x import CRC_TOKEN_PATTERN

    assert x["crc_token"]["required"] and x["crc_token"]["schema"]["pattern"] == CRC_TOKEN_PATTERN
    meta = {p["name"]: p for p in document["paths"]["/webhooks/meta"]["get"]["parameters"]}
    assert set(meta) == {"hub.mode", "hub.verify_token", "hub.challenge"} and all(p["required"] for p in meta.values())
    assert meta["hub.mode"]["schema"]["const"] == "subscribe"
    assert meta["hub.challenge"]["schema"]["pattern"] == CHALLENGE_PATTERN
    assert "text/plain" in document["paths"]["/webhooks/meta"]["get"]["responses"]["200"]["content"]
    assert document["paths"]["/webhooks/x"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CrcOut"}


def test_every_error_response_is_the_error_body(document):
    for path, method, operation in operations(document):
        statuses = {int(s) for s in operation["responses"]}
        errors = {s for s in statuses if s >= 400}
        assert errors <= ERROR_STATUSES, (path, method)
        assert len(statuses - errors) == 1, "one success response"
        if (path, method) not in NO_STORAGE:
            assert 503 in errors, (path, method)  # everything else reads DynamoDB or a secret
        for status in errors:
            response = operation["responses"][str(status)]
            assert response["description"]
            assert response["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}, (path, method, status)
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    assert set(document["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message"}


def test_query_parameters_have_their_types_and_enums(document):
    def parameters(path, method="get"):
        return {p["name"]: p for p in document["paths"][path][method].get("parameters", [])}

    listing = parameters("/queues/{name}/messages")
    assert listing["status"]["schema"]["enum"] == ["open", "claimed", "snoozed", "resolved", "removed"]
    assert (listing["limit"]["schema"]["type"], listing["limit"]["schema"]["minimum"],
            listing["limit"]["schema"]["maximum"]) == ("integer", 1, 100)
    assert listing["cursor"]["schema"]["pattern"] == "^[A-Za-z0-9_-]{1,2000}$"
    assert listing["name"]["schema"]["enum"] == ["customer_service", "stance", "community"]
    assert not any(p["required"] for p in listing.values() if p["in"] == "query")
    stats = parameters("/stats")
    assert stats["granularity"]["schema"]["enum"] == ["hour", "day"]
    assert set(stats) == {"from", "to", "granularity", "tz", "platform", "queue"}
    from zoneinfo import available_timezones

    assert stats["tz"]["schema"]["enum"] == sorted(available_timezones()) and "UTC" in stats["tz"]["schema"]["enum"]
    for moment in ("from", "to"):
        assert stats[moment]["schema"] == {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
    assert stats["platform"]["schema"]["maxLength"] == 100
    spikes = parameters("/stats/spikes")
    assert spikes["baseline_hours"]["schema"] == {"type": "integer", "minimum": 24, "maximum": 168, "default": 168}
    assert parameters("/stats/export.csv").keys() == stats.keys()


def test_request_and_response_bodies_come_from_the_pydantic_models(document):
    paths, schemas = document["paths"], document["components"]["schemas"]

    def body(path):
        return paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    def ok(path, method, status="200", media="application/json"):
        return paths[path][method]["responses"][status]["content"][media]["schema"]

    assert body("/messages/{message_id}/reroute") == {"$ref": "#/components/schemas/RerouteCreate"}
    assert body("/admin/keys") == {"$ref": "#/components/schemas/KeyCreate"}
    assert paths["/queues/{name}/claim"]["post"]["requestBody"]["required"] is False
    claim = schemas["ClaimCreate"]
    assert claim["properties"]["count"]["maximum"] == 50 and claim["additionalProperties"] is False
    assert claim["properties"]["lease_seconds"]["type"] == "integer"  # 8860.0 is an integer in JSON Schema, and here
    # the role decides whether queues are required: a discriminated oneOf
    keys = schemas["KeyCreate"]
    assert keys["discriminator"]["propertyName"] == "role"
    assert keys["discriminator"]["mapping"] == {"agent": "#/components/schemas/AgentKeyCreate",
                                                "manager": "#/components/schemas/StaffKeyCreate",
                                                "admin": "#/components/schemas/StaffKeyCreate"}
    assert "queues" in schemas["AgentKeyCreate"]["required"] and schemas["AgentKeyCreate"]["properties"]["queues"][
        "minItems"] == 1
    assert "queues" not in schemas["StaffKeyCreate"].get("required", [])
    assert '"ge"' not in json.dumps(document) and '"le"' not in json.dumps(document)  # every bound is JSON Schema
    assert ok("/admin/keys", "post", "201") == {"$ref": "#/components/schemas/IssuedKeyOut"}
    assert ok("/queues/{name}/messages", "get") == {"$ref": "#/components/schemas/MessagePage"}
    assert ok("/stats/export.csv", "get", media="text/csv") == {"type": "string"}
    assert "content" not in paths["/admin/keys/{key_id}"]["delete"]["responses"]["204"]
    assert "from" in schemas["CorrectionOut"]["properties"]  # by alias, as the API answers
    assert "secret_hash" not in json.dumps(schemas["KeyOut"])
    assert ok("/stats", "get") == {"$ref": "#/components/schemas/StatsOut"}
    assert ok("/queues/{name}/claim", "post") == {"$ref": "#/components/schemas/ClaimOut"}
    # a reopen's body is optional: a reason, at most 500 characters, and nothing else
    assert body("/conversations/{conversation_id}/reopen") == {"$ref": "#/components/schemas/ReopenCreate"}
    assert paths["/conversations/{conversation_id}/reopen"]["post"]["requestBody"]["required"] is False
    reopen = schemas["ReopenCreate"]
    assert reopen["additionalProperties"] is False and set(reopen["properties"]) == {"reason"}
    assert reopen["properties"]["reason"]["anyOf"][0] == {"type": "string", "maxLength": 500}
    assert ok("/conversations/{conversation_id}/reopen", "post") == {"$ref": "#/components/schemas/MessageOut"}
    assert set(paths["/conversations/{conversation_id}/reopen"]["post"]["responses"]) == {
        "200", "400", "401", "404", "409", "413", "415", "503"}
    # a private reply is asked for with a strict boolean (the console looks for it) and shown on the reply
    assert body("/conversations/{conversation_id}/replies") == {"$ref": "#/components/schemas/ReplyCreate"}
    private = schemas["ReplyCreate"]["properties"]["private"]
    assert private["type"] == "boolean" and private["default"] is False and "private" not in schemas["ReplyCreate"].get(
        "required", [])
    assert "boolean" in json.dumps(schemas["ReplyOut"]["properties"]["private"])
    assert "422" in paths["/conversations/{conversation_id}/replies"]["post"]["responses"]
    assert "409" in paths["/conversations/{conversation_id}/replies"]["post"]["responses"]


def test_served_without_a_key_and_built_once(api, monkeypatch):
    builds = []
    monkeypatch.setattr(openapi, "_built", {})
    monkeypatch.setattr(openapi, "build", lambda operations, build=openapi.build: builds.append(1) or build(operations))
    response = api.http.get("/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == openapi.build(routes.operations)
    api.http.get("/openapi.json")
    assert openapi.document(routes) is openapi.document(routes)
    assert len(builds) == 2  # the request's (once per container) and this test's own


def test_every_route_is_declared_in_the_route_table():
    """app.routes (what Chalice serves) is exactly what the route table declared, one view per operation."""
    from app import app

    served = {(path, method): entry.view_function.__name__ for path, methods in app.routes.items()
              for method, entry in methods.items()}
    declared = {(o.path, o.method): o.handler.__name__ for o in routes.operations}
    assert served == declared
    assert len(routes.operations) == len(declared)


def test_the_builder_stays_light():
    """openapi.py imports only the standard library, pydantic and the app's own modules."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(openapi.__file__).read_text(encoding="utf-8"))
    absolute = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    absolute |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
    assert absolute <= {"__future__", "importlib", "typing", "pydantic", "app"}, absolute


def test_the_console_documents_its_html_and_asset_types_and_its_asset_names(document):
    index = document["paths"]["/console"]["get"]
    assert set(index["responses"]["200"]["content"]) == {"text/html"}
    asset = document["paths"]["/console/{asset}"]["get"]
    assert set(asset["responses"]["200"]["content"]) == {"text/javascript", "text/css", "image/svg+xml"}
    (name,) = asset["parameters"]
    from chalicelib.console import ASSET_PATTERN

    assert name["name"] == "asset" and name["schema"]["pattern"] == ASSET_PATTERN
    assert "404" in index["responses"] and "404" in asset["responses"]
