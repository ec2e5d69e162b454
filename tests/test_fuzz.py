"""Fuzzing from the OpenAPI document (schemathesis) and property tests of the webhooks (hypothesis).

Every operation of GET /openapi.json gets generated requests (valid and invalid, with a valid key of a
random role where it needs one); every answer must be documented (status listed, body valid against its
schema, never 5xx), and a rejected (4xx) request must leave the table exactly as it was. Each webhook
route also gets arbitrary bytes, arbitrary JSON and mutated real payloads with a valid signature.

FUZZ_MAX_EXAMPLES (default 25) sets the examples per operation and mode, WEBHOOK_MAX_EXAMPLES (default 40)
per webhook route and property. FUZZ_STRICT=1 also requires every schema-invalid request to be rejected
(schemathesis' negative_data_rejection; tests/test_contract.py runs it over HTTP with every check).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

import payloads
from app import routes
from chalicelib import openapi
from chalicelib.platforms import get_adapter
from support import SIGNERS, dumps, post_webhook, seed_message, snapshot

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
WEBHOOK_MAX_EXAMPLES = int(os.environ.get("WEBHOOK_MAX_EXAMPLES", "40"))
DOCUMENT = openapi.build(routes.operations)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]
ROLES = ("admin", "manager", "agent_cs", "agent_stance", "agent_both")
WEBHOOKS = ("meta", "x", "telegram", "generic")
SIGNATURE_HEADERS = {name.lower() for platform in WEBHOOKS for name, _ in
                     type(get_adapter(platform)).signature_headers}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# the app as a WSGI application, so that schemathesis can call it in-process --------------------------

def chalice_wsgi(api):
    """WSGI over chalice.test.Client (the local API Gateway): the raw path and query, headers, body."""

    def application(environ, start_response):
        uri = environ.get("RAW_URI") or environ["PATH_INFO"]
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = api.http.request(environ["REQUEST_METHOD"], uri, headers=headers, body=body)
        out = dict(response.headers)
        if response.body and not any(k.lower() == "content-type" for k in out):
            out["Content-Type"] = "application/json"  # what API Gateway answers for a proxy response without one
        start_response(f"{response.status_code} {HTTPStatus(response.status_code).phrase}", list(out.items()))
        return [response.body or b""]

    return application


def assert_error_body(body: bytes) -> None:
    payload = json.loads(body)
    assert set(payload) == {"error"}, payload
    assert isinstance(payload["error"]["code"], str) and payload["error"]["code"], payload
    assert isinstance(payload["error"]["message"], str) and payload["error"]["message"], payload


# state for the fuzzed operations --------------------------------------------------------------------

def seed_state(keys) -> dict[str, list[str]]:
    """Messages in every queue and status (one claimed by each agent), and keys that may be revoked."""
    from chalicelib import auth
    from chalicelib.domain.workflow import Actor
    from chalicelib.store import messages, queue

    now = datetime.now(timezone.utc)
    ids = []
    for q in ("customer_service", "stance", "community"):
        ids += [seed_message(f"fz-{q}-{n}", q, received_at=now - timedelta(hours=n)) for n in range(4)]
    for role in ("agent_cs", "agent_stance", "agent_both", "manager"):
        principal = auth.authenticate(keys[role])
        for q in principal.visible_queues()[:1]:
            queue.claim(q, Actor(principal.actor), 1, 900, now)
    admin = Actor(auth.authenticate(keys["admin"]).actor, may_override=True)
    resolved = queue.claim("community", admin, 1, 900, now)
    for item in resolved:
        queue.resolve(item, admin, "done", now)
    messages.mark_removed(ids[-1], now, actor="platform")
    victims = [auth.create_key("agent", f"victim {n}", ["stance"]).record["key_id"] for n in range(3)]
    return {"message_id": ids + ["facebook:never-stored"], "key_id": victims + ["0123456789abcdef"]}


MOMENTS = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=9)),
                                            timezone(timedelta(hours=-5, minutes=-30))])).map(lambda d: d.isoformat()),
)


@st.composite
def stats_hints(draw) -> dict[str, str]:
    """Plausible stats queries: real dates and zones, ranges around the limits."""
    hints = {}
    if draw(st.booleans()):
        to = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
        span = draw(st.sampled_from([timedelta(hours=1), timedelta(days=7), timedelta(days=366),
                                     timedelta(days=367), timedelta(0), -timedelta(days=1)]))
        hints.update({"from": (to - span).isoformat(), "to": to.isoformat()})
    else:
        hints.update(draw(st.dictionaries(st.sampled_from(["from", "to"]), MOMENTS, max_size=2)))
    if draw(st.booleans()):
        hints["tz"] = draw(st.sampled_from(["UTC", "Asia/Tokyo", "America/St_Johns", "Asia/Kolkata", "Etc/GMT+12",
                                            "Not/AZone", "../../etc/passwd"]))
    return hints


def _mode_has_inputs(path: str, method: str) -> bool:
    operation = DOCUMENT["paths"][path][method]
    return bool(operation.get("parameters") or operation.get("requestBody"))


# every documented operation -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
                         ids=["positive", "negative"])
@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_every_answer_is_documented_and_a_rejected_request_stores_nothing(api, table, keys, path, method, mode):
    if mode is schemathesis.GenerationMode.NEGATIVE and not _mode_has_inputs(path, method):
        pytest.skip("nothing to make invalid")
    operation = SCHEMA[path][method]
    public = DOCUMENT["paths"][path][method]["security"] == []
    documented = {int(s) for s in DOCUMENT["paths"][path][method]["responses"]}
    state = seed_state(keys)
    app = chalice_wsgi(api)
    strict = mode is schemathesis.GenerationMode.NEGATIVE and os.environ.get("FUZZ_STRICT")
    checks = CHECKS + ([negative_data_rejection] if strict else [])

    @settings(FUZZ_SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: bounded time
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES),
           known=st.sampled_from(state["message_id"]), key_id=st.sampled_from(state["key_id"]),
           use_known=st.booleans(), hints=stats_hints(), use_hints=st.booleans(), sign=st.integers(0, 9))
    def check(case, role, known, key_id, use_known, hints, use_hints, sign):
        if not public:
            case.headers = {**(case.headers or {}), **keys[role]}
        if use_known and "message_id" in (case.path_parameters or {}):
            case.path_parameters = {**case.path_parameters, "message_id": known}
        if use_known and "key_id" in (case.path_parameters or {}):
            case.path_parameters = {**case.path_parameters, "key_id": key_id}
        if use_hints and path.startswith("/stats") and mode is schemathesis.GenerationMode.POSITIVE:
            case.query = {**(case.query or {}), **hints}
        kwargs: dict[str, Any] = {}
        platform = path.rsplit("/", 1)[-1] if path.startswith("/webhooks/") else None
        if method == "post" and platform in SIGNERS and sign and not isinstance(case.body, NotSet):
            # most webhook bodies are signed as the platform would, so the payload itself is exercised
            raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in SIGNATURE_HEADERS}
            kwargs = {"data": raw, "headers": SIGNERS[platform](raw)}
        note(f"as {role}: {case.as_curl_command()}" + (f"\nsent signed: {kwargs['data'][:2000]!r}" if kwargs else ""))
        before = snapshot(table)
        response = case.call(app=app, **kwargs)
        assert response.status_code < 500, (response.status_code, response.content[:500])
        assert response.status_code in documented, (response.status_code, response.content[:500])
        case.validate_response(response, checks=checks)
        if response.status_code >= 400:
            assert_error_body(response.content)
            assert snapshot(table) == before, f"a {response.status_code} answer changed the table"

    check()


# webhooks: anything with a valid signature is 200 or a JSON 4xx, and a 4xx stores nothing ----------------

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", " ", "0", "1e400", "-1", "2024-05-01T09:30:00+09:00", "Thu Dec 19 11:27:49 +0000 2019",
                     "comment", "message", "page", "whatsapp_business_account", "instagram", "text"]),
)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=25)

REAL_PAYLOADS = {
    "meta": [lambda: payloads.page_comment("900001_1", "where is my refund"),
             lambda: payloads.messenger_dm("m_1", "my card was charged twice"),
             lambda: payloads.instagram_comment("17890000000000001", "love this!"),
             lambda: payloads.whatsapp_text("wamid.1", "my order did not arrive"),
             # the brand's side: an echo, delivery reports
             lambda: payloads.messenger_dm("m_2", "we are on it", echo=True, reply_to="m_1"),
             lambda: payloads.messenger_receipt("delivery", mids=["m_2"], watermark=1714965199000),
             lambda: payloads.messenger_receipt("read", watermark=1714965199000),
             lambda: payloads.whatsapp_status("wamid.2", "failed", error={"code": 131047, "title": "Re-engagement"})],
    "x": [lambda: payloads.x_tweet("1600000000000000001", "@brand where is my parcel?"),
          lambda: {"for_user_id": payloads.BRAND_X_ID, "direct_message_events": [{
              "type": "message_create", "id": "1700000000000000001", "created_timestamp": "1700000000000",
              "message_create": {"target": {"recipient_id": payloads.BRAND_X_ID}, "sender_id": "9000001",
                                 "message_data": {"text": "hello, refund please"}}}],
              "users": {"9000001": {"screen_name": "alexp", "name": "Alex P"}}},
          lambda: {"for_user_id": payloads.BRAND_X_ID,
                   "tweet_delete_events": [{"status": {"id": "1", "user_id": "2"}}]}],
    "telegram": [lambda: payloads.telegram_message(5, "where is my order?"),
                 lambda: payloads.telegram_message(6, "edited text", edited=True)],
    "generic": [lambda: payloads.generic_message("urn:li:comment:1", "Is the spring menu vegan?"),
                lambda: payloads.generic_message("urn:li:comment:1", "", action="remove")],
}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


EDGE_NUMBERS = st.sampled_from([0, -1, 1, 10**11, 10**11 + 1, 10**12, 10**14 + 1, 10**20, 2**63, -(2**63), 1e300,
                                 -1e300, 0.5, float("inf"), float("-inf"), float("nan")])
EDGE_STRINGS = st.sampled_from(["", " ", "\u0000", "\u202e", "99999999999999999999", "-1", "1e400", "null", "🙂" * 50,
                                "&amp;lt;", "a" * 5_000, "2024-13-45T99:99:99", "0001-01-01T00:00:00+05:00"])


def _like(value) -> st.SearchStrategy:
    """A value of the same JSON type (edge cases first), or now and then anything at all."""
    if isinstance(value, bool):
        same = st.booleans()
    elif isinstance(value, (int, float)):
        same = EDGE_NUMBERS | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
        same = same | same.map(str) if isinstance(value, int) else same
    elif isinstance(value, str):
        same = EDGE_STRINGS | st.text(max_size=60) | (EDGE_NUMBERS.map(str) if value.isdigit() else st.nothing())
    else:
        same = JSON_VALUES
    return st.one_of(same, same, same, JSON_VALUES)


@st.composite
def mutated_payloads(draw, route: str):
    """A real payload with one to three values replaced: mostly leaves, by values of their own type."""
    payload = draw(st.sampled_from(REAL_PAYLOADS[route]))()
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(payload))[1:]
        leaves = [p for p in paths if not isinstance(_get(payload, p), (dict, list))]
        path = draw(st.sampled_from(leaves if leaves and draw(st.integers(0, 4)) else paths))
        payload = _replace(payload, path, draw(_like(_get(payload, path))))
    return payload


def _get(value, path):
    for part in path:
        value = value[part]
    return value




WEBHOOK_SETTINGS = settings(FUZZ_SETTINGS, max_examples=WEBHOOK_MAX_EXAMPLES)
BODIES = {
    "arbitrary_bytes": st.binary(max_size=2_000),
    "arbitrary_json": JSON_VALUES.map(dumps),  # NaN and Infinity are written as such: json.loads reads them
    "mutated_payload": None,  # per route
}


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("route", WEBHOOKS)
def test_a_signed_webhook_answers_200_or_a_json_4xx_and_a_4xx_stores_nothing(api, table, route, kind):
    bodies = BODIES[kind] if BODIES[kind] is not None else mutated_payloads(route).map(dumps)

    @WEBHOOK_SETTINGS
    @given(body=bodies)
    def check(body):
        note(f"POST /webhooks/{route} {body[:3000]!r}")
        before = snapshot(table)
        response = post_webhook(api, route, body)
        assert response.status_code == 200 or 400 <= response.status_code < 500, (
            response.status_code, body[:300], response.body[:300])
        if response.status_code == 200:
            summary = json.loads(response.body)
            assert summary["received"] == sum(summary[o] for o in ("stored", "duplicate", "updated", "unchanged",
                                                                    "removed", "unknown")) + len(summary["skipped"])
        else:
            assert_error_body(response.body)
            assert snapshot(table) == before, f"a {response.status_code} answer changed the table"

    check()


# inputs the fuzzers found that answered 5xx, kept as plain regressions ----------------------------------

def _meta_comment(created_time: str) -> bytes:
    payload = payloads.page_comment("900001_77", "where is my refund")
    value = payload["entry"][0]["changes"][0]["value"]
    return json.dumps(payload).replace(f'"created_time": {value["created_time"]}',
                                       f'"created_time": {created_time}').encode()


def _with(build, path: tuple, new) -> bytes:
    payload = build()
    return dumps(_replace(payload, path, new))


_WA_MESSAGE = ("entry", 0, "changes", 0, "value", "messages", 0)
_WA_CONTACT = ("entry", 0, "changes", 0, "value", "contacts", 0)
FOUND_WEBHOOK_INPUTS = {
    # meta: from_unix() on an unbounded number: OverflowError / ValueError / OSError -> 500
    "meta_created_time_1e20": ("meta", lambda: _meta_comment("1e20")),
    "meta_created_time_negative": ("meta", lambda: _meta_comment("-1e13")),
    "meta_created_time_infinity": ("meta", lambda: _meta_comment("Infinity")),
    "meta_created_time_nan": ("meta", lambda: _meta_comment("NaN")),
    "messenger_timestamp_-1e300": ("meta", lambda: _with(REAL_PAYLOADS["meta"][1], ("entry", 0, "messaging", 0,
                                                                                    "timestamp"), -1e300)),
    "instagram_entry_time_-5e16": ("meta", lambda: _with(REAL_PAYLOADS["meta"][2], ("entry", 0, "time"), -5e16)),
    # whatsapp: raw dicts read without checks: float("abc"), hash of a list, list.get
    "whatsapp_timestamp_not_a_number": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_MESSAGE + ("timestamp",),
                                                              "abc")),
    "whatsapp_timestamp_1e20": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_MESSAGE + ("timestamp",), "1e20")),
    # an integer of hundreds of digits: float() raises OverflowError, not ValueError -> 500
    "messenger_read_watermark_400_digits": ("meta", lambda: dumps({"object": "page", "entry": [{"id": "1", "messaging": [
        {"sender": {"id": "2"}, "recipient": {"id": "1"}, "read": {"watermark": 10**400}}]}]})),
    "whatsapp_timestamp_400_digits": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_MESSAGE + ("timestamp",),
                                                            10**400)),
    "whatsapp_timestamp_object": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_MESSAGE + ("timestamp",),
                                                        {"a": 1})),
    "whatsapp_wa_id_list": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_CONTACT + ("wa_id",), [])),
    "whatsapp_profile_list": ("meta", lambda: _with(REAL_PAYLOADS["meta"][3], _WA_CONTACT + ("profile",), [1])),
    # ids longer than DynamoDB keys allow (2048 bytes partition, 1024 bytes sort key): 503, redelivered forever
    "x_tweet_id_1100_digits": ("x", lambda: _with(REAL_PAYLOADS["x"][0], ("tweet_create_events", 0, "id_str"),
                                                  "9" * 1100)),
    "x_user_id_3000_digits": ("x", lambda: _with(REAL_PAYLOADS["x"][0], ("tweet_create_events", 0, "user", "id_str"),
                                                 "9" * 3000)),
    "meta_comment_id_1100_digits": ("meta", lambda: _with(REAL_PAYLOADS["meta"][0], ("entry", 0, "changes", 0,
                                                                                     "value", "comment_id"),
                                                          "1_" + "9" * 1100)),
    # a removal's id beside a valid message: refused whole, not the message stored and the removal refused by DynamoDB
    "x_delete_id_3000_digits_after_a_tweet": ("x", lambda: dumps({**REAL_PAYLOADS["x"][0](),
                                                                  "tweet_delete_events": [{"status": {
                                                                      "id": "9" * 3000, "user_id": "9001"}}]})),
    "telegram_chat_id_1200_digits": ("telegram", lambda: _with(REAL_PAYLOADS["telegram"][0], ("message", "chat", "id"),
                                                               10**1200)),
}


# a contact the payload cannot name is only a missing display name: the message itself is fine
STORED_WITHOUT_THE_BROKEN_PART = {"whatsapp_wa_id_list", "whatsapp_profile_list"}


@pytest.mark.parametrize("case", sorted(FOUND_WEBHOOK_INPUTS))
def test_found_webhook_inputs_answer_200_or_a_json_400(api, table, case):
    route, build = FOUND_WEBHOOK_INPUTS[case]
    raw = build()
    response = post_webhook(api, route, raw)
    if case in STORED_WITHOUT_THE_BROKEN_PART:
        assert response.status_code == 200 and json.loads(response.body)["stored"] == 1, response.body
    else:
        assert response.status_code == 400, (response.status_code, response.body)
        assert_error_body(response.body)
        assert snapshot(table) == [], "a rejected webhook stored something"


# stats ranges and key expiries at the ends of the calendar: OverflowError in astimezone() or date arithmetic -> 500
FOUND_QUERIES = ["from=0001-01-01&tz=Asia/Tokyo", "to=0001-01-02",
                 "from=0001-01-01T00:00:00%2B05:00&to=0001-01-02", "from=9999-12-30&to=9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("query", FOUND_QUERIES)
@pytest.mark.parametrize("path", ["/stats", "/stats/spikes", "/stats/export.csv"])
def test_found_stats_queries_answer_200_or_400(api, keys, path, query):
    response = api.http.get(f"{path}?{query}", headers=keys["manager"])
    assert response.status_code in (200, 400), (response.status_code, response.body)


@pytest.mark.parametrize("expires_in_days,status", [(1, 201), (1830, 201), (30.0, 201), (0, 400), (1831, 400),
                                                    (10**30, 400), (1.5, 400), ("30", 400), (True, 400)])
def test_key_expiries_at_the_ends_answer_201_or_400_and_a_400_stores_nothing(api, table, keys, expires_in_days,
                                                                              status):
    before = snapshot(table)
    response = api.http.post("/admin/keys", headers={**keys["admin"], "Content-Type": "application/json"},
                             body=json.dumps({"role": "manager", "name": "edge",
                                              "expires_in_days": expires_in_days}).encode())
    assert response.status_code == status, (response.status_code, response.body)
    if status == 400:
        assert snapshot(table) == before
