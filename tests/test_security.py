"""Security properties of the API: authentication on every private route, the role and queue matrix,
no secret in logs or error bodies, constant-time comparisons, the body-size limit, CORS off by default."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest

import payloads
from app import routes
from chalicelib import auth, openapi
from chalicelib.domain.workflow import Actor
from chalicelib.models import QUEUES
from chalicelib.store import saved_replies
from chalicelib.store.entities import StoredSavedReply, iso
from support import SIGNERS, TEST_ENV, dumps, meta_headers, post_webhook, seed_message, snapshot, x_headers

DOCUMENT = openapi.build(routes.operations)
PRIVATE = sorted((path, method.upper()) for path, item in DOCUMENT["paths"].items() for method, op in item.items()
                 if op["security"])
SCOPES = {"admin": QUEUES, "manager": QUEUES, "agent_cs": ("customer_service",), "agent_stance": ("stance",),
          "agent_both": ("customer_service", "community")}
ROLES = sorted(SCOPES)
LIMIT = 1_048_576


def send(api, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    headers = {"Content-Type": "application/json", **(headers or {})}
    response = api.http.request(method, path, headers=headers, body=body or b"")
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "application/json")
    payload = json.loads(response.body) if response.body and content_type.startswith("application/json") else None
    return response, payload


def assert_error(response, payload, status: int, code: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, payload)
    assert set(payload) == {"error"} and payload["error"]["code"] and payload["error"]["message"], payload
    if code:
        assert payload["error"]["code"] == code, payload


# one concrete request per private route: valid apart from whatever is being tested ---------------------

def request_for(path: str, method: str, queue: str = "stance", message_id: str = "facebook:none",
                key_id: str = "0123456789abcdef", saved_reply_id: str = "0123456789abcdef") -> tuple[str, bytes | None]:
    bodies = {
        "/queues/{name}/claim": {"count": 1},
        "/messages/{message_id}/resolve": {"note": "done"},
        "/messages/{message_id}/snooze": {"until": iso(datetime.now(timezone.utc) + timedelta(hours=2))},
        "/messages/{message_id}/reroute": {"queue": "community" if queue != "community" else "stance",
                                           "reason": "belongs there"},
        "/admin/keys": {"role": "agent", "name": "New", "queues": ["stance"]},
        "/conversations/{conversation_id}/replies": {"text": "Thanks, looking into it", "idempotency_key": "walk-0001"},
        "/conversations/{conversation_id}/template-replies": {"name": "order_update", "language": "en_US",
                                                              "parameters": ["Ann"], "idempotency_key": "walk-0002"},
        "/whatsapp-templates": {"templates": [{"name": "order_update", "language": "en_US", "body": "Hi {{1}}"}],
                                "rev": 0},
        "/conversations/bulk": {"action": "resolve", "conversation_ids": [message_id]},
        "/conversations/{conversation_id}/notes": {"text": "Customer is a journalist", "idempotency_key": "note-0001"},
        "/conversations/{conversation_id}/tags": {"add": ["press"]},
        "/conversations/{conversation_id}/assign": {"key_id": key_id},
        "/conversations/{conversation_id}/reopen": {"reason": "resolved by mistake"},
        "/messages/{message_id}/moderation": {"action": "delete", "reason": "scam"},
        "/erasures": {"platform": "facebook", "author_id": "5550001", "reason": "DSR-1"},
        "/blocks": {"platform": "facebook", "author_id": "5550001", "reason": "spam wave"},
        "/saved-replies": {"title": "Thanks", "text": "Thanks, {{customer_name}}", "queues": [queue]},
        "/saved-replies/{saved_reply_id}": {"title": "Thanks", "text": "Thank you", "queues": [], "rev": 1},
        "/away-message": {"enabled": False, "text": "We are closed; we answer from 09:00", "rev": 0},
        "/satisfaction-survey": {"enabled": True, "text": "How did we do? Reply 1 to 5.", "rev": 0},
        "/routing-rules": {"rules": [{"name": "Recall", "words": ["recall"], "queue": queue}], "rev": 0},
        "/business-hours": {"hours": "mon-fri 09:00-18:00", "timezone": "Asia/Tokyo", "holidays": [], "rev": 0},
    }
    for action in ("resolve", "snooze", "reroute"):
        bodies[f"/conversations/{{conversation_id}}/{action}"] = bodies[f"/messages/{{message_id}}/{action}"]
    concrete = path.replace("{name}", queue).replace("{message_id}", message_id).replace("{key_id}", key_id)
    concrete = concrete.replace("{conversation_id}", message_id).replace("{saved_reply_id}", saved_reply_id)
    if path == "/conversations/{conversation_id}/messages":  # the page before a cursor of this conversation
        from chalicelib.store.entities import MessageKeys
        from chalicelib.store.queue import encode_cursor

        cursor = encode_cursor({"pk": {"S": MessageKeys.pk(message_id)}, "sk": {"S": MessageKeys.SK},
                                "gsi1pk": {"S": MessageKeys.conversation_partition(message_id)},
                                "gsi1sk": {"S": "9999"}})
        concrete += f"?cursor={cursor}"
    if path == "/conversations/{conversation_id}/replies" and method == "GET":  # the replies before a cursor
        from chalicelib.store.entities import MessageKeys, ReplyKeys
        from chalicelib.store.queue import encode_cursor

        concrete += "?cursor=" + encode_cursor({"pk": {"S": MessageKeys.pk(message_id)},
                                                "sk": {"S": ReplyKeys.timed_sk("9999", "key")}})
    if path == "/customer-data" or (path == "/blocks" and method == "DELETE"):
        concrete += "?platform=facebook&author_id=5550001"
    body = bodies.get(path) if method in ("POST", "PUT") else None
    return concrete, (dumps(body) if body is not None else None)


@pytest.fixture
def presented(table):
    """Keys that must all be refused with 401, by the code each gets."""
    revoked = auth.create_key("admin", "Revoked")
    auth.revoke(revoked.record["key_id"])
    expired = auth.create_key("admin", "Expired", expires_at=datetime.now(timezone.utc) + timedelta(seconds=1))
    # time passes: the key's expiry is now a minute ago
    table.update_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "APIKEY"}, "sk": {"S": expired.record["key_id"]}},
                      UpdateExpression="SET expires_at = :past",
                      ExpressionAttributeValues={":past": {"S": iso(datetime.now(timezone.utc) - timedelta(minutes=1))}})
    valid = auth.create_key("admin", "Valid")
    key_id = valid.record["key_id"]
    return {
        "none": (None, "missing_key"),
        "empty_bearer": ("Bearer ", "missing_key"),
        "basic_scheme": ("Basic " + valid.key, "missing_key"),
        "malformed": ("Bearer not-a-key", "invalid_key"),
        "malformed_prefix": ("Bearer xx_" + valid.key[3:], "invalid_key"),
        "unknown": ("Bearer st_" + "0" * 16 + "_" + "s" * 43, "invalid_key"),
        "wrong_secret": (f"Bearer st_{key_id}_" + "s" * 43, "invalid_key"),
        "revoked": ("Bearer " + revoked.key, "revoked_key"),
        "expired": ("Bearer " + expired.key, "expired_key"),
    }


CASES = ["none", "empty_bearer", "basic_scheme", "malformed", "malformed_prefix", "unknown", "wrong_secret",
         "revoked", "expired"]


@pytest.mark.parametrize("route", PRIVATE, ids=[f"{m} {p}" for p, m in PRIVATE])
def test_every_private_route_answers_401_without_a_valid_key(api, table, presented, route):
    path, method = route
    message_id = seed_message("auth-1", "stance")
    concrete, body = request_for(path, method, message_id=message_id)
    before = snapshot(table)
    for case in CASES:
        header, code = presented[case]
        response, payload = send(api, method, concrete, {"Authorization": header} if header else {}, body)
        assert_error(response, payload, 401, code)
    assert snapshot(table) == before


def test_private_routes_are_exactly_the_documented_ones_and_public_ones_need_no_key(api, table):
    from app import app

    every = {(path, method) for path, methods in app.routes.items() for method in methods}
    public = every - set(PRIVATE)
    assert public == {("/health", "GET"), ("/openapi.json", "GET"), ("/events/schema.json", "GET"),
                      ("/webhooks/meta", "GET"), ("/webhooks/x", "GET"),
                      *(("/webhooks/" + platform, "POST") for platform in ("meta", "x", "telegram", "generic")),
                      ("/console", "GET"), ("/console/{asset}", "GET")}
    assert api.http.get("/health").status_code == 200
    assert api.http.get("/openapi.json").status_code == 200
    assert api.http.get("/events/schema.json").status_code == 200


# every route with every role and scope ----------------------------------------------------------------

def expected(path: str, method: str, role: str, queue: str) -> tuple[int, str | None]:
    """What the README promises: roles, queue scopes, 404 for a message outside an agent's queues."""
    works = queue in SCOPES[role]
    if path.startswith("/admin/"):
        return ({"GET": 200, "POST": 201, "DELETE": 204}[method], None) if role == "admin" else (403, "forbidden_role")
    if path in ("/erasures", "/customer-data"):  # a customer's data, read whole or erased for good: admins only
        return (200, None) if role == "admin" else (403, "forbidden_role")
    if path == "/blocks":  # blocking silences a person in every queue: managers and admins (nobody is blocked yet)
        if role not in ("admin", "manager"):
            return 403, "forbidden_role"
        return {"GET": (200, None), "POST": (201, None), "DELETE": (404, "unknown_block")}[method]
    if path.startswith("/saved-replies"):  # everyone reads those of their queues; managers keep them
        if method == "GET":
            return 200, None
        return ({"POST": 201, "PUT": 200, "DELETE": 204}[method], None) if role in ("admin", "manager") \
            else (403, "forbidden_role")
    if path == "/routing-rules":  # what routes every message: managers and admins read and change them
        return (200, None) if role in ("admin", "manager") else (403, "forbidden_role")
    if path == "/business-hours":  # everyone may read when the brand is open; managers change it
        return (200, None) if method == "GET" or role in ("admin", "manager") else (403, "forbidden_role")
    if path == "/away-message":  # everyone may read what customers are told at night; managers change it
        return (200, None) if method == "GET" or role in ("admin", "manager") else (403, "forbidden_role")
    if path == "/satisfaction-survey":  # everyone may read what customers are asked; managers change it
        return (200, None) if method == "GET" or role in ("admin", "manager") else (403, "forbidden_role")
    if path == "/whatsapp-templates":  # everyone may read what may be sent; managers keep them
        return (200, None) if method == "GET" or role in ("admin", "manager") else (403, "forbidden_role")
    if path == "/conversations/{conversation_id}/assign":  # managers hand work to someone of its queue (the
        if role not in ("admin", "manager"):                # key here: an agent of stance)
            return 403, "forbidden_role"
        return (200, None) if queue == "stance" else (422, "assignee_outside_queue")
    if path.startswith("/stats") or path in ("/channels", "/team"):  # managers' views
        return (200, None) if role in ("admin", "manager") else (403, "forbidden_role")
    if path in ("/queues", "/me/conversations"):  # each caller's own: their queues, their claims
        return 200, None
    if path == "/conversations/bulk":  # each conversation's refusal is in the answer (test_bulk.py)
        return 200, None
    if path.startswith("/queues/"):
        return (200, None) if works else (403, "forbidden_queue")
    unknown = "unknown_conversation" if path.startswith("/conversations/") else "unknown_message"
    if path.endswith("/template-replies"):  # as a reply; the walk's conversation is not on WhatsApp
        if role in ("admin", "manager"):
            return 422, "template_unsupported"
        return (403, "not_claim_holder") if works else (404, unknown)
    if method == "GET":  # /messages/{message_id}, /conversations/{conversation_id}[/messages|/replies|/customer]
        return (200, None) if works else (404, unknown)
    if path.endswith("/notes"):  # a note is for whoever may read the conversation, claimed by another or not
        return (201, None) if works else (404, unknown)
    if path.endswith("/tags"):  # so is a tag
        return (200, None) if works else (404, unknown)
    if path.endswith("/moderation"):  # deleting on the platform (cannot be undone) is for managers and admins;
        if not works:                 # an agent of the queue hides, and learns she may not delete
            return 404, unknown
        return (200, None) if role in ("admin", "manager") else (403, "delete_not_allowed")
    if path.endswith("/reopen"):  # whoever works its queue may reopen a resolved one; the walk's is claimed
        return (409, "wrong_status") if works else (404, unknown)
    if path.endswith("/claim"):  # taking a conversation another agent holds: nobody may, managers included
        return (409, "claimed_by_another") if works else (404, unknown)
    # release, snooze, resolve, reroute, reply: a conversation another agent holds
    if role in ("admin", "manager"):
        return (201 if path.endswith("/replies") else 200), None
    return (403, "not_claim_holder") if works else (404, unknown)


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", PRIVATE, ids=[f"{m} {p}" for p, m in PRIVATE])
def test_every_route_with_every_role_and_scope(api, table, keys, route, role, queue, fake_platforms):
    path, method = route
    now = datetime.now(timezone.utc)
    message_id = seed_message(f"walk-{queue}", queue, received_at=now - timedelta(minutes=5))
    seed_message(f"walk-open-{queue}", queue, received_at=now - timedelta(minutes=4))
    holder = auth.create_key("agent", "Holder", [queue])
    from chalicelib.store import queue as queues

    holder_principal = auth.authenticate({"Authorization": f"Bearer {holder.key}"})
    [claimed] = queues.claim(queue, Actor(holder_principal.actor), 1, 900, now)
    assert claimed.id == message_id
    victim = auth.create_key("agent", "Victim", ["stance"]).record["key_id"]
    saved = saved_replies.create(StoredSavedReply.new("Walk", "Thanks", [queue], None, "manager:M", iso(now)))
    concrete, body = request_for(path, method, queue=queue, message_id=message_id, key_id=victim,
                                 saved_reply_id=saved.id)
    before = snapshot(table)

    response, payload = send(api, method, concrete, keys[role], body)

    status, code = expected(path, method, role, queue)
    if status >= 400:
        assert_error(response, payload, status, code)
        assert snapshot(table) == before, "a refused request changed the table"
    else:
        assert response.status_code == status, (response.status_code, payload)
    if path == "/queues":
        assert [q["queue"] for q in payload["queues"]] == list(SCOPES[role])
    if path == "/queues/{name}/messages" and status == 200:
        assert [m["queue"] for m in payload["messages"]] == [queue]  # the open one; the claimed one is not listed
    if path == "/conversations/{conversation_id}/customer" and status == 200:  # the author's other one, same queue
        assert [c["queue"] for c in payload["conversations"]] == [queue]


@pytest.mark.parametrize("queue", QUEUES)
@pytest.mark.parametrize("role", ROLES)
def test_whoever_works_its_queue_reopens_a_resolved_conversation_and_nobody_else_learns_of_it(api, table, keys, role,
                                                                                               queue):
    # GIVEN a resolved conversation (nobody holds it)
    conversation = seed_message(f"reopen-{queue}", queue)
    from chalicelib.store import messages, queue as queues

    queues.resolve(messages.get_message(conversation), Actor("manager:M", may_override=True), None,
                   datetime.now(timezone.utc))
    before = snapshot(table)
    # WHEN each role and scope asks to reopen it
    concrete, body = request_for("/conversations/{conversation_id}/reopen", "POST", queue=queue, message_id=conversation)
    response, payload = send(api, "POST", concrete, keys[role], body)
    # THEN whoever works its queue does; anyone else is told nothing about it, and nothing changes
    if queue in SCOPES[role]:
        assert response.status_code == 200 and payload["status"] == "open", payload
    else:
        assert_error(response, payload, 404, "unknown_conversation")
        assert snapshot(table) == before


@pytest.mark.parametrize("action", ["release", "resolve", "reroute"])
def test_the_claim_holder_may_act_and_an_agent_may_not_resolve_an_open_message(api, table, keys, action):
    message_id = seed_message("held", "customer_service")
    open_id = seed_message("open", "customer_service")
    response, payload = send(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], dumps({"count": 1}))
    assert response.status_code == 200 and payload["claimed"][0]["id"] == message_id
    concrete, raw = request_for(f"/messages/{{message_id}}/{action}", "POST", queue="customer_service",
                                message_id=message_id)
    assert send(api, "POST", concrete, keys["agent_cs"], raw)[0].status_code == 200
    concrete, raw = request_for(f"/messages/{{message_id}}/{action}", "POST", queue="customer_service",
                                message_id=open_id)
    before = snapshot(table)
    response, payload = send(api, "POST", concrete, keys["agent_both"], raw)
    assert_error(response, payload, 409, "wrong_status")
    assert snapshot(table) == before


# no secret in logs or error bodies ---------------------------------------------------------------------

@pytest.fixture
def captured_logs(request):
    """Everything the app logs (Powertools JSON lines, at DEBUG) and prints, as one string at the end."""
    from chalicelib import observability

    stream = getattr(observability.get_logger().registered_handler, "stream", None)
    if getattr(stream, "closed", False):  # built under an earlier test's capsys/capfd, since closed
        observability._logger = None
    logger = observability.get_logger()  # built before capfd: its handler must not keep capfd's stream
    capfd = request.getfixturevalue("capfd")
    std = logging.getLogger(logger.service)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    level = std.level
    std.addHandler(handler)
    std.setLevel(logging.DEBUG)
    root = io.StringIO()
    root_handler = logging.StreamHandler(root)
    logging.getLogger().addHandler(root_handler)
    try:
        yield lambda: stream.getvalue() + root.getvalue() + "".join(capfd.readouterr())
    finally:
        std.removeHandler(handler)
        std.setLevel(level)
        logging.getLogger().removeHandler(root_handler)


def test_no_secret_or_key_appears_in_logs_or_error_bodies(api, table, keys, captured_logs):
    body = dumps(payloads.SAMPLES["meta"](1))
    secrets = [TEST_ENV[name] for name in ("META_APP_SECRET", "META_VERIFY_TOKEN", "X_CONSUMER_SECRET",
                                           "TELEGRAM_SECRET_TOKEN", "GENERIC_WEBHOOK_SECRET")]
    # the signatures a correct request would carry: an error must not tell them
    secrets += [meta_headers(body)["X-Hub-Signature-256"], x_headers(body)["x-twitter-webhooks-signature"],
                hmac.new(TEST_ENV["META_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()]
    answers = []

    def record(response):
        answers.append(response.body.decode("utf-8", "replace"))
        return response

    for route, sign in SIGNERS.items():
        wrong = sign(body, secret="presented-wrong-secret-" + route)
        wrong_values = [v for k, v in wrong.items() if k.lower() not in ("content-type", "x-timestamp")]
        secrets += wrong_values
        response = record(api.http.post(f"/webhooks/{route}", body=body, headers=wrong))
        assert response.status_code == 401
    record(api.http.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=presented-wrong-token&hub.challenge=1"))
    secrets.append("presented-wrong-token")

    issued = auth.create_key("admin", "Leak check")
    revoked = auth.create_key("manager", "Revoked leak check")
    auth.revoke(revoked.record["key_id"])
    key_id = issued.record["key_id"]
    presented = [issued.key[:-1] + ("a" if issued.key[-1] != "a" else "b"), "st_" + "f" * 16 + "_" + "x" * 43,
                 revoked.key, "garbage-key-" + "z" * 40, f"st_{key_id}_" + "q" * 43]
    for key in presented:
        for path in ("/queues", "/admin/keys", "/stats"):
            response = record(api.http.get(path, headers={"Authorization": f"Bearer {key}"}))
            assert response.status_code == 401
    secrets += presented + [k.split("_", 2)[2] for k in presented if k.count("_") >= 2]
    # valid keys: their secrets, and the stored hashes, are never answered or logged either
    listing = record(api.http.get("/admin/keys", headers=keys["admin"]))
    assert listing.status_code == 200 and "secret_hash" not in listing.body.decode()
    valid = [issued.key, revoked.key] + [h["Authorization"].split(" ", 1)[1] for h in keys.values()]
    secrets += valid + [k.split("_", 2)[2] for k in valid]
    secrets += [hashlib.sha256(k.split("_", 2)[2].encode()).hexdigest() for k in valid]
    for role, headers in keys.items():
        record(api.http.get("/admin/keys", headers=headers))
        record(api.http.post("/admin/keys", headers={**headers, "Content-Type": "application/json"},
                             body=b'{"role": "agent", "name": "x", "queues": ["nope"]}'))

    output = captured_logs()
    assert "rejected webhook signature" in output and '"status":401' in output.replace(" ", "")  # logs were seen
    assert "Logging error" not in output
    for secret in secrets:
        assert secret not in output, f"a secret reached the logs: {secret[:12]}..."
        for answer in answers:
            assert secret not in answer, f"a secret reached a response: {secret[:12]}..."


# constant-time comparisons --------------------------------------------------------------------------------

@pytest.fixture
def compare_digest():
    real = hmac.compare_digest
    with mock.patch("hmac.compare_digest", side_effect=real) as patched:
        yield patched


def _compared(patched) -> list[tuple]:
    return [tuple(a.decode() if isinstance(a, bytes) else a for a in c.args) for c in patched.call_args_list]


@pytest.mark.parametrize("route", sorted(SIGNERS))
@pytest.mark.parametrize("correct", [True, False], ids=["right", "wrong"])
def test_webhook_signatures_and_tokens_are_compared_in_constant_time(api, table, compare_digest, route, correct):
    body = dumps(payloads.SAMPLES[route](3))
    headers = SIGNERS[route](body) if correct else SIGNERS[route](body, secret="wrong-secret")
    presented = {"meta": "X-Hub-Signature-256", "x": "x-twitter-webhooks-signature",
                 "telegram": "X-Telegram-Bot-Api-Secret-Token", "generic": "X-Signature"}[route]
    response = api.http.post(f"/webhooks/{route}", body=body, headers=headers)
    assert response.status_code == (200 if correct else 401), response.body
    assert any(headers[presented] in args for args in _compared(compare_digest)), _compared(compare_digest)


def test_the_meta_verify_token_is_compared_in_constant_time(api, table, compare_digest):
    response = api.http.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
    assert response.status_code == 403
    assert ("guess", TEST_ENV["META_VERIFY_TOKEN"]) in _compared(compare_digest)


@pytest.mark.parametrize("case", ["valid", "wrong_secret", "unknown_id", "malformed"])
def test_api_keys_are_compared_in_constant_time_even_for_unknown_ids(api, table, compare_digest, case):
    issued = auth.create_key("manager", "Timing")
    key_id, secret = issued.key.split("_", 2)[1:]
    key = {"valid": issued.key, "wrong_secret": f"st_{key_id}_" + "w" * 43,
           "unknown_id": "st_" + "e" * 16 + "_" + secret, "malformed": "nonsense"}[case]
    response = api.http.get("/queues", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == (200 if case == "valid" else 401)
    presented = key.split("_", 2)[2] if case != "malformed" else key
    against = hashlib.sha256(secret.encode()).hexdigest() if case in ("valid", "wrong_secret") else "0" * 64
    assert (hashlib.sha256(presented.encode()).hexdigest(), against) in _compared(compare_digest)


# the body-size limit --------------------------------------------------------------------------------------

def padded(payload: dict, size: int) -> bytes:
    """`payload` as JSON, padded with insignificant whitespace to exactly `size` bytes."""
    raw = dumps(payload)
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


@pytest.mark.parametrize("route", sorted(SIGNERS))
def test_a_webhook_of_1_mib_plus_one_byte_is_413_and_stores_nothing(api, table, route):
    body = padded(payloads.SAMPLES[route](5), LIMIT + 1)
    assert len(body) == LIMIT + 1
    response = post_webhook(api, route, body)
    assert_error(response, json.loads(response.body), 413, "payload_too_large")
    assert snapshot(table) == []
    at_limit = padded(payloads.SAMPLES[route](5), LIMIT)
    response = post_webhook(api, route, at_limit)
    assert response.status_code == 200, response.body  # the limit itself is allowed


POSTS = [(path, method) for path, method in PRIVATE if method in ("POST", "PUT")]


@pytest.mark.parametrize("route", POSTS, ids=[p for p, _ in POSTS])
def test_an_api_body_of_1_mib_plus_one_byte_is_413_and_stores_nothing(api, table, keys, route):
    path, method = route
    message_id = seed_message("big", "stance")
    concrete, body = request_for(path, method, message_id=message_id)
    body = padded(json.loads(body) if body else {}, LIMIT + 1)
    before = snapshot(table)
    response, payload = send(api, method, concrete, keys["admin"], body)
    assert_error(response, payload, 413, "payload_too_large")
    assert snapshot(table) == before


BODIES = [(path, method) for path, method in POSTS if request_for(path, method)[1] is not None]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize("route", BODIES, ids=[p for p, _ in BODIES])
def test_an_api_body_that_is_not_declared_json_is_415_and_stores_nothing(api, table, keys, route, content_type):
    # GIVEN a valid body for the route, sent by a holder of a valid key, as a form or text would be
    path, method = route
    message_id = seed_message("typed", "stance")
    concrete, body = request_for(path, method, message_id=message_id)
    headers = {"Authorization": keys["admin"]["Authorization"]}
    if content_type:
        headers["Content-Type"] = content_type
    before = snapshot(table)
    # WHEN it is posted without saying application/json
    response = api.http.request(method, concrete, headers=headers, body=body)
    payload = json.loads(response.body)
    # THEN it is refused as such and nothing changes
    assert_error(response, payload, 415, "unsupported_media_type")
    assert snapshot(table) == before
    # AND the same request declared as JSON (with a charset) is not refused for its type
    headers["Content-Type"] = "application/json; charset=utf-8"
    assert api.http.request(method, concrete, headers=headers, body=body).status_code != 415


# CORS and error shapes --------------------------------------------------------------------------------

@pytest.mark.skipif(bool(os.environ.get("CORS_ORIGIN")), reason="CORS_ORIGIN is configured in this environment")
def test_cors_is_off_unless_configured(api, table, keys):
    message_id = seed_message("cors", "stance")
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            concrete, body = request_for(path, method.upper(), message_id=message_id)
            concrete = concrete.replace("{platform}", "meta")
            for headers in ({}, keys["admin"]):
                response = api.http.request(method.upper(), concrete, body=body or b"",
                                            headers={"Content-Type": "application/json",
                                                     "Origin": "https://evil.example", **headers})
                assert not any(k.lower().startswith("access-control-") for k in response.headers), (path, method)
            # chalice.test's client cannot read the preflight's empty body: ask its local API Gateway directly
            preflight = api.http._local_gateway.handle_request("OPTIONS", concrete, {
                "Origin": "https://evil.example", "Access-Control-Request-Method": method.upper()}, b"")
            assert "access-control-allow-origin" not in {k.lower() for k in preflight["headers"]}, (path, method)


def test_an_unexpected_content_type_still_gets_the_one_error_shape(api, table, keys):
    """Every error is `{"error": {"code", "message"}}`, also for a GET or DELETE that carries a Content-Type."""
    wrong = []
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            concrete, body = request_for(path, method.upper())
            concrete = concrete.replace("{platform}", "meta")
            response = api.http.request(method.upper(), concrete, body=body or b"",
                                        headers={**keys["admin"], "Content-Type": "text/plain"})
            try:
                if response.status_code >= 400:
                    assert_error(response, json.loads(response.body), response.status_code)
            except (AssertionError, ValueError):
                wrong.append((method.upper(), path, response.status_code, response.body[:80]))
    assert wrong == [], wrong
