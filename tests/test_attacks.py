"""Issue 12's attacks, replayed as an attacker would (through the HTTP endpoints, no credentials beyond the
one being abused), each beside a legitimate control request: the attack gets its exact refusal and the
table is exactly as before (snapshot), the control still works."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import payloads
from support import (call, dumps, generic_headers, message_items, post_webhook, snapshot, telegram_headers,
                     x_headers)


def body_of(response) -> dict:
    return json.loads(response.body)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.body
    assert body_of(response)["error"]["code"] == code, response.body
    assert "Retry-After" not in response.headers  # permanent: nothing tells the platform to redeliver


def stored(table, message_id: str) -> dict | None:
    return next((m for m in message_items(table) if m["id"] == message_id), None)


# 1. the X CRC endpoint as a signing oracle ---------------------------------------------------------

def crc(api, token: str):
    return api.http.get(f"/webhooks/x?crc_token={quote(token, safe='')}")


def test_the_crc_endpoint_will_not_sign_a_forged_mention_and_nothing_is_stored(api, table):
    # GIVEN a forged urgent mention, the body an attacker wants X's signature for
    forged = dumps(payloads.x_tweet("1700000000000000001", "@brand my account was hacked, refund me now!!"))
    before = snapshot(table)
    # WHEN the attacker asks the CRC endpoint to sign it
    answer = crc(api, forged.decode())
    # THEN it refuses to sign, and the body posted with any token it could get is refused
    assert_refused(answer, 400, "invalid_crc_token")
    assert "response_token" not in answer.body.decode()
    unsigned = post_webhook(api, "x", forged, {"Content-Type": "application/json",
                                               "x-twitter-webhooks-signature": "sha256=" + "A" * 43 + "="})
    assert_refused(unsigned, 401, "invalid_signature")
    assert snapshot(table) == before
    # CONTROL: a CRC token shaped like X's is answered with its HMAC, and a genuinely signed mention is stored
    token = "NDQ0NTQzNjY5MzQzMjU0NDMyOjE3MDAwMDAwMDA="
    legit = crc(api, token)
    assert legit.status_code == 200
    assert body_of(legit) == {"response_token": x_headers(token.encode(), secret="x-consumer-secret")[
        "x-twitter-webhooks-signature"]}
    assert post_webhook(api, "x", forged).status_code == 200
    assert stored(table, "x:1700000000000000001") is not None


def test_the_crc_endpoint_will_not_sign_a_forged_deletion_and_the_real_message_stays(api, table):
    # GIVEN a real mention, delivered and signed by X
    assert body_of(post_webhook(api, "x", dumps(payloads.x_tweet("1700000000000000002", "where is my parcel?"))))[
        "stored"] == 1
    before = snapshot(table)
    forged = dumps({"for_user_id": payloads.BRAND_X_ID,
                    "tweet_delete_events": [{"status": {"id": "1700000000000000002", "user_id": "9000001"}}]})
    # WHEN the attacker tries to have the deletion signed
    assert_refused(crc(api, forged.decode()), 400, "invalid_crc_token")
    # THEN the message is untouched
    assert snapshot(table) == before
    assert stored(table, "x:1700000000000000002")["status"] == "open"


CRC_ALPHABET = re.compile(r"[A-Za-z0-9+/_= -]{1,256}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.from_regex(CRC_ALPHABET, fullmatch=True))
def test_no_token_the_crc_endpoint_signs_is_a_post_body_that_changes_anything(api, table, token):
    # GIVEN any token the CRC endpoint accepts, and the signature it answers
    answer = crc(api, token)
    assert answer.status_code == 200, answer.body
    signature = body_of(answer)["response_token"]
    before = snapshot(table)
    # WHEN that token is posted as a body with that very signature
    response = post_webhook(api, "x", token.encode(), {"Content-Type": "application/json",
                                                        "x-twitter-webhooks-signature": signature})
    # THEN it is not a payload (no JSON object can be written in the token's alphabet): 400, nothing stored
    assert response.status_code == 400, response.body
    assert snapshot(table) == before


# 2. the generic webhook impersonating a platform --------------------------------------------------

def generic(api, payload, timestamp: int | None = None):
    body = dumps(payload)
    return post_webhook(api, "generic", body, generic_headers(body, timestamp))


def impersonation(source: str, native_id: str, text: str, action: str) -> dict:
    return payloads.generic_message(native_id, text, source=source, action=action)


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_the_generic_webhook_cannot_edit_or_remove_a_facebook_message(api, table, action):
    # GIVEN a real Facebook comment, delivered by Meta
    assert body_of(post_webhook(api, "meta", dumps(payloads.page_comment("900001_77", "My order never came"))))[
        "stored"] == 1
    before = snapshot(table)
    # WHEN the holder of the generic secret sends an edit or removal of it as source "facebook"
    response = generic(api, impersonation("facebook", "900001_77", "Great service, nothing to see", action))
    # THEN it is refused, and the message, its history and the counters are exactly as before
    assert_refused(response, 400, "invalid_payload")
    assert "reserved" in body_of(response)["error"]["message"]
    assert snapshot(table) == before
    # CONTROL: the generic sender edits and removes its own LinkedIn message
    assert body_of(generic(api, impersonation("linkedin", "c-1", "Is the menu vegan?", "new")))["stored"] == 1
    assert body_of(generic(api, impersonation("linkedin", "c-1", "Is the spring menu vegan?", action)))[
        "updated" if action == "edit" else "removed"] == 1


@pytest.mark.parametrize("source, route, native_id, real", [
    ("facebook", "meta", "900001_78", lambda i: payloads.page_comment(i, "Order 4471 never arrived")),
    ("instagram", "meta", "17990000000000078", lambda i: payloads.instagram_comment(i, "Where is my order?")),
    ("x", "x", "1700000000000000078", lambda i: payloads.x_tweet(i, "@brand where is my order?")),
    ("telegram", "telegram", "700001:78", lambda i: payloads.telegram_message(78, "Where is my order?")),
])
def test_a_generic_message_cannot_preempt_a_platform_delivery(api, table, source, route, native_id, real):
    before = snapshot(table)
    # WHEN the generic sender posts a message first, claiming the id of one the platform is about to deliver
    forged = generic(api, impersonation(source, native_id, "forged text, ignore", "new"))
    # THEN it is refused and nothing is stored
    assert_refused(forged, 400, "invalid_payload")
    assert snapshot(table) == before
    # AND the real delivery is stored (not answered `duplicate`) with the platform's text
    result = body_of(post_webhook(api, route, dumps(real(native_id))))
    assert (result["stored"], result["duplicate"]) == (1, 0)
    message = stored(table, f"{source}:{native_id}")
    assert message["text"] != "forged text, ignore"
    assert message["history"][0]["actor"] == f"platform:{source}"


@pytest.mark.parametrize("alias", ["messenger", "whatsapp", "twitter", "meta", "generic"])
def test_every_native_platform_name_and_alias_is_reserved(api, table, alias):
    before = snapshot(table)
    assert_refused(generic(api, impersonation(alias, "1", "hello", "new")), 400, "invalid_payload")
    assert snapshot(table) == before


@pytest.mark.parametrize("route, message_id", [("generic", "facebook:1"), ("generic", "x:1"),
                                               ("meta", "linkedin:1"), ("telegram", "facebook:1")])
def test_ingest_refuses_any_event_outside_its_routes_id_space(route, message_id):
    # defense in depth below the generic schema: whatever an adapter produced, its route must own the id
    from chalicelib.errors import InvalidPayload
    from chalicelib.ingest import check_id_spaces
    from chalicelib.models import EventKind, InboundEvent

    with pytest.raises(InvalidPayload) as refused:
        check_id_spaces(route, [InboundEvent(kind=EventKind.REMOVE, message_id=message_id)])
    assert refused.value.code == "foreign_id_space"
    check_id_spaces("generic", [InboundEvent(kind=EventKind.REMOVE, message_id="linkedin:1")])  # control


# 3. permanent errors are 4xx (or skipped), never a retryable 503 ----------------------------------

LONE = "\\ud800"  # as JSON escapes it: valid JSON, not valid Unicode
PAIRED = "\\ud83d\\ude00"  # an emoji, escaped the same way: valid


def with_escape(payload: dict, placeholder: str, escape: str) -> bytes:
    return dumps(payload).replace(placeholder.encode(), escape.encode())


SURROGATE_CASES = {
    "telegram_text": ("telegram", lambda: payloads.telegram_message(91, "hi PLACEHOLDER")),
    "telegram_author": ("telegram", lambda: _telegram_named(92, "Mika PLACEHOLDER")),
    "meta_text": ("meta", lambda: payloads.page_comment("900001_93", "hi PLACEHOLDER")),
    "meta_author": ("meta", lambda: _meta_named("900001_94", "Dana PLACEHOLDER")),
    "generic_text": ("generic", lambda: payloads.generic_message("g-95", "hi PLACEHOLDER")),
    "generic_author": ("generic", lambda: _generic_named("g-96", "Chris PLACEHOLDER")),
}


def _telegram_named(message_id: int, name: str) -> dict:
    payload = payloads.telegram_message(message_id, "Where is my order?")
    payload["message"]["from"]["first_name"] = name
    return payload


def _meta_named(comment_id: str, name: str) -> dict:
    payload = payloads.page_comment(comment_id, "Where is my order?")
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = name
    return payload


def _generic_named(native_id: str, name: str) -> dict:
    payload = payloads.generic_message(native_id, "Where is my order?")
    payload["messages"][0]["author"]["name"] = name
    return payload


@pytest.mark.parametrize("case", sorted(SURROGATE_CASES))
def test_a_lone_surrogate_is_a_400_not_a_503_and_stores_nothing(api, table, case, captured_metrics):
    route, build = SURROGATE_CASES[case]
    before = snapshot(table)
    # WHEN a signed webhook carries an unpaired surrogate in its text or author name
    response = post_webhook(api, route, with_escape(build(), "PLACEHOLDER", LONE))
    # THEN it is refused as invalid Unicode, permanently, with no storage failure counted
    assert_refused(response, 400, "invalid_unicode")
    assert snapshot(table) == before
    assert "StorageFailures" not in captured_metrics()
    # CONTROL: the same payload with a properly paired escape (an emoji) is stored
    control = post_webhook(api, route, with_escape(build(), "PLACEHOLDER", PAIRED))
    assert control.status_code == 200 and body_of(control)["stored"] == 1, control.body


@pytest.mark.parametrize("depth", [330, 900])
@pytest.mark.parametrize("target", ["claim", "webhook"])
def test_a_deeply_nested_body_around_an_escape_is_a_400_not_a_500(api, table, keys, depth, target):
    # GIVEN a body nested hundreds of levels deep around a paired escape (an emoji): json.loads takes it, and
    # the surrogate check that walks every string must not run out of stack on it
    nested = "[" * depth + '"\\ud83d\\ude00"' + "]" * depth
    before = snapshot(table)
    # WHEN an agent posts it as a claim's count, or a signed generic webhook carries it as a thread id
    if target == "claim":
        response = api.http.post("/queues/customer_service/claim", body=('{"count": %s}' % nested).encode(),
                                 headers={**keys["agent_cs"], "Content-Type": "application/json"})
    else:
        payload = payloads.generic_message("deep-1", "Where is my order?")
        payload["messages"][0]["thread_id"] = "PLACEHOLDER"
        raw = dumps(payload)
        response = post_webhook(api, "generic", raw.replace(b'"PLACEHOLDER"', nested.encode()))
    # THEN it is a permanent 400 in the API's error shape, and nothing is stored
    assert response.status_code == 400, (response.status_code, response.body[:300])
    assert "Retry-After" not in response.headers
    assert body_of(response)["error"]["code"], response.body
    assert snapshot(table) == before


@pytest.fixture
def captured_metrics(monkeypatch):
    from chalicelib import observability

    seen: list[str] = []
    original = observability.record_ingest

    def record(route, category, outcome):
        if outcome == observability.STORAGE_FAILED:
            seen.append("StorageFailures")
        return original(route, category, outcome)

    monkeypatch.setattr(observability, "record_ingest", record)
    return lambda: list(seen)


def test_a_900_kb_generic_text_is_stored_cut_at_64_kib_and_flagged(api, table, keys):
    from chalicelib.models import MAX_TEXT_BYTES

    # WHEN a generic message carries about 900 KB of text (under the 1 MiB body limit)
    text = "refund please " * 64_000
    response = generic(api, payloads.generic_message("huge-1", text))
    # THEN it is stored (200, not 503), its text cut at 64 KiB and flagged
    assert response.status_code == 200 and body_of(response)["stored"] == 1, response.body
    message = stored(table, "linkedin:huge-1")
    assert len(message["text"].encode()) <= MAX_TEXT_BYTES and text.startswith(message["text"])
    assert message["text_truncated"] is True
    # AND the item stays far below DynamoDB's 400 KB
    assert len(json.dumps(message).encode()) < 100_000
    status, detail = call(api, "GET", "/messages/linkedin:huge-1", keys["admin"])
    assert status == 200 and detail["text_truncated"] is True
    # CONTROL: a short text is not flagged
    generic(api, payloads.generic_message("short-1", "Is the menu vegan?"))
    assert "text_truncated" not in stored(table, "linkedin:short-1")


def test_a_multibyte_text_is_cut_on_a_character_boundary():
    from chalicelib.models import MAX_TEXT_BYTES, Author, Message

    message = Message(id="generic-src:1", platform="generic-src", channel="comment", author=Author(id="a", name="名" * 400),
                      text="返" * 30_000, created_at=datetime.now(timezone.utc))
    assert message.text_truncated and message.text == "返" * (MAX_TEXT_BYTES // 3)
    assert message.author.name == "名" * (512 // 3)


def test_a_dynamodb_validation_exception_is_a_400_not_a_retryable_503(api, table, captured_metrics, monkeypatch):
    from chalicelib import models

    # GIVEN the text cap lifted, so that moto's own 400 KB item check is what refuses the write
    monkeypatch.setattr(models, "MAX_TEXT_BYTES", 10**6)
    before = snapshot(table)
    response = generic(api, payloads.generic_message("too-big", "x" * 450_000))
    # THEN DynamoDB's ValidationException is a permanent 400, not 503 storage_unavailable
    assert_refused(response, 400, "not_storable")
    assert "ValidationException" not in response.body.decode()  # no internals in the answer
    assert snapshot(table) == before
    assert "StorageFailures" not in captured_metrics()


def test_a_throttled_table_is_still_a_retryable_503_without_internals(api, table, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.store import dynamo

    class Throttled:
        def __getattr__(self, name):
            def fail(**_):
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, name)
            return fail

    monkeypatch.setattr(dynamo, "client", lambda: Throttled())
    response = generic(api, payloads.generic_message("t-1", "where is my order?"))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert body_of(response)["error"] == {"code": "storage_unavailable",
                                          "message": "storage is unavailable; retry later"}


# 4. bounded stats ---------------------------------------------------------------------------------

def test_hourly_stats_are_bounded_to_31_days_and_daily_stats_to_366(api, keys):
    year = "from=2025-12-01T00:00:00Z&to=2026-12-01T00:00:00Z"
    # a year by the hour is served as its first 31 days, and the answer says so
    status, body = call(api, "GET", f"/stats?{year}&granularity=hour", keys["manager"])
    assert status == 200 and (body["from"], body["to"]) == ("2025-12-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")
    csv = api.http.get(f"/stats/export.csv?{year}&granularity=hour", headers=keys["manager"])
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    # CONTROL: the same year by day, 31 days by hour, and a year of spikes (hourly by nature, but small)
    status, body = call(api, "GET", f"/stats?{year}&granularity=day", keys["manager"])
    assert status == 200 and body["to"] == "2026-12-01T00:00:00+00:00"
    assert call(api, "GET", "/stats?from=2026-11-01&to=2026-12-02&granularity=hour", keys["manager"])[0] == 200
    assert call(api, "GET", f"/stats/spikes?{year}", keys["manager"])[0] == 200


def test_the_sliding_baseline_finds_exactly_the_spikes_of_the_naive_trailing_mean(api, keys, table):
    import random

    from chalicelib import stats
    from chalicelib.store import counters, dynamo

    # GIVEN two weeks of random hourly volumes with bursts, in two queues
    rng = random.Random(12)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    hourly = {}
    for queue in ("stance", "community"):
        for h in range(14 * 24):
            count = rng.choice([0, 0, 1, 1, 2, 3]) + (rng.random() < 0.04) * rng.randint(6, 40)
            if count:
                hour = start + timedelta(hours=h)
                hourly[(queue, hour)] = count
                update = counters.volume_update(queue, hour.strftime("%Y-%m-%dT%H"), h % 5,
                                                counters.volume_increments("x", count, False))
                dynamo.client().update_item(**update["Update"])
    # WHEN the spikes of the second week are asked for
    baseline = 72
    status, body = call(api, "GET", f"/stats/spikes?from=2026-11-08T00:00:00Z&to=2026-11-15T00:00:00Z"
                                    f"&baseline_hours={baseline}", keys["manager"])
    assert status == 200
    # THEN they are those of the trailing mean computed naively, hour by hour
    expected = []
    for queue in ("community", "stance"):
        for h in range(7 * 24):
            hour = start + timedelta(days=7, hours=h)
            observed = hourly.get((queue, hour), 0)
            window = sum(hourly.get((queue, hour - timedelta(hours=k)), 0) for k in range(1, baseline + 1))
            mean = max(window / baseline, 0.5)
            if observed >= 5 and stats.poisson_tail(observed, mean) < 0.001:
                expected.append((hour.isoformat(), queue, observed, round(mean, 3)))
    assert expected  # the data has bursts
    assert sorted(expected) == sorted((s["start"], s["queue"], s["observed"], s["expected"]) for s in body["spikes"])


def test_the_poisson_tail_is_exact_far_out_and_cheap_for_huge_hours():
    import math

    from chalicelib.stats import poisson_tail

    def naive(k, mean):  # 1 - P(X < k), fine where the tail is not tiny
        return 1 - sum(math.exp(-mean) * mean ** j / math.factorial(j) for j in range(k))

    for k, mean in [(5, 0.5), (10, 1.3), (30, 20.0), (3, 5.0)]:
        assert poisson_tail(k, mean) == pytest.approx(naive(k, mean), rel=1e-9, abs=1e-15)
    assert 0 < poisson_tail(60, 1.0) < 1e-60  # the upper sum keeps what 1 - lower sum loses
    assert poisson_tail(10**7, 2.0) == 0.0  # a huge hour costs a few terms, not ten million


# 5. smaller ones ----------------------------------------------------------------------------------

@pytest.mark.parametrize("baseline", ["²", "٣٠", "２４", "9" * 5000, "1e2", "-24", "24.0", " 24", "0024"])
def test_a_baseline_that_is_not_ascii_digits_24_to_168_is_our_400(api, keys, baseline):
    status, body = call(api, "GET", f"/stats/spikes?baseline_hours={quote(baseline)}", keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_query", body
    assert call(api, "GET", "/stats/spikes?baseline_hours=24", keys["manager"])[0] == 200  # control


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(baseline=st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=6))
def test_fuzzed_unicode_digits_as_baseline_are_400_unless_ascii_24_to_168(api, keys, baseline):
    status, body = call(api, "GET", f"/stats/spikes?baseline_hours={quote(baseline)}", keys["manager"])
    valid = baseline.isascii() and baseline.isdigit() and len(baseline) <= 3 and 24 <= int(baseline) <= 168
    assert status == (200 if valid else 400), body
    if not valid:
        assert body["error"]["code"] == "invalid_query"


def test_a_replayed_older_generic_edit_cannot_revert_a_newer_one(api, table):
    now = int(time.time())
    assert body_of(generic(api, impersonation("linkedin", "e-1", "Is the menu vegan?", "new"), now - 20))["stored"] == 1
    first = dumps(impersonation("linkedin", "e-1", "I want a refund for my order", "edit"))
    first_headers = generic_headers(first, now - 10)  # captured by the attacker
    assert body_of(post_webhook(api, "generic", first, first_headers))["updated"] == 1
    assert body_of(generic(api, impersonation("linkedin", "e-1", "Thanks, sorted now!", "edit"), now - 5))[
        "updated"] == 1
    before = snapshot(table)
    # WHEN the older signed edit is replayed inside the 300 s window
    replay = post_webhook(api, "generic", first, first_headers)
    # THEN it changes nothing
    assert replay.status_code == 200 and body_of(replay)["unchanged"] == 1
    assert snapshot(table) == before
    assert stored(table, "linkedin:e-1")["text"] == "Thanks, sorted now!"
    # CONTROL: a newer edit still applies
    assert body_of(generic(api, impersonation("linkedin", "e-1", "Actually, one more question", "edit"), now))[
        "updated"] == 1


def test_an_older_edit_replayed_after_an_edit_that_created_the_message_changes_nothing(api, table):
    # GIVEN a message the API first learns of through an edit (its "new" never arrived)
    now = int(time.time())
    older = dumps(impersonation("linkedin", "e-2", "I want a refund for my order", "edit"))
    older_headers = generic_headers(older, now - 100)  # signed earlier, captured by the attacker
    assert body_of(generic(api, impersonation("linkedin", "e-2", "Thanks, sorted now!", "edit"), now))["stored"] == 1
    before = snapshot(table)
    # WHEN the older signed edit is replayed inside the 300 s window
    replay = post_webhook(api, "generic", older, older_headers)
    # THEN it changes nothing: the stored text is the newer edit's
    assert replay.status_code == 200 and body_of(replay)["unchanged"] == 1, replay.body
    assert snapshot(table) == before
    assert stored(table, "linkedin:e-2")["text"] == "Thanks, sorted now!"
    # CONTROL: a newer edit still applies
    assert body_of(generic(api, impersonation("linkedin", "e-2", "One more question", "edit"), now + 1))[
        "updated"] == 1


@pytest.mark.parametrize("challenge", ["<script>alert(1)</script>", "abc", "", "1" * 65, "42\n"])
def test_the_meta_handshake_echoes_only_digits(api, challenge):
    base = "/webhooks/meta?hub.mode=subscribe&hub.verify_token=meta-verify-token"
    refused = api.http.get(f"{base}&hub.challenge={quote(challenge)}")
    assert_refused(refused, 400, "invalid_challenge")
    ok = api.http.get(f"{base}&hub.challenge=1158201444")  # control: what Meta sends
    assert ok.status_code == 200 and ok.body == b"1158201444"
    assert ok.headers["X-Content-Type-Options"] == "nosniff" and ok.headers["Content-Type"].startswith("text/plain")


def test_every_response_carries_the_security_headers(api, table, keys):
    issued = api.http.post("/admin/keys", body=dumps({"role": "agent", "name": "N", "queues": ["stance"]}),
                           headers={"Content-Type": "application/json", **keys["admin"]})
    assert issued.status_code == 201
    post_webhook(api, "meta", dumps(payloads.page_comment("900001_5", "Where is my order?")))
    responses = [issued, api.http.get("/health"), api.http.get("/queues"),  # 401
                 api.http.get("/messages/facebook:900001_5", headers=keys["admin"]),
                 api.http.get("/queues/stance/messages", headers=keys["admin"]),
                 api.http.get("/webhooks/x?crc_token={bad}")]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("body, hidden", [
    (b'{"count": ' + b"9" * 5000 + b"}", ["sys.", "set_int_max_str_digits", "4300"]),
    (b"[" * 100_000 + b"]" * 100_000, ["recursion", "Recursion"]),
    (b'{"count": 1,}', ["JSONDecodeError", "json.decoder"]),
    (b'{"count": "\xff"}', ["UnicodeDecodeError", "codec"]),
])
def test_error_messages_do_not_expose_python_internals(api, table, keys, body, hidden):
    response = api.http.post("/queues/stance/claim", body=body,
                             headers={"Content-Type": "application/json", **keys["admin"]})
    assert response.status_code == 400, response.body
    message = body_of(response)["error"]["message"]
    assert message.startswith("body is not valid JSON")
    for word in hidden:
        assert word not in message
    assert not re.search(r"\b[A-Z][a-z]+(Error|Exception)\b", message)


def test_the_local_access_log_leaves_out_query_strings(capsys):
    from app import app
    from local.run import request_handler

    handler = object.__new__(request_handler(app))
    handler.path = "/webhooks/meta?hub.mode=subscribe&hub.verify_token=sekrit-token&hub.challenge=1"
    handler.command, handler.client_address, handler.requestline = "GET", ("127.0.0.1", 5), "GET ... HTTP/1.1"
    handler.log_request(200)
    line = capsys.readouterr().err
    assert '"GET /webhooks/meta" 200' in line and "sekrit" not in line and "verify_token" not in line


def test_make_run_shows_the_admin_key_only_on_a_terminal(monkeypatch):
    import builtins

    from local import run

    key = "st_0123456789abcdef_secret-part"
    monkeypatch.setattr(run.sys.stdout, "isatty", lambda: True, raising=False)
    assert run.terminal_only(key) == key
    # WHEN stdout is a file or a pipe and there is no terminal to write to
    monkeypatch.setattr(run.sys.stdout, "isatty", lambda: False, raising=False)
    real_open = builtins.open

    def no_tty(path, *args, **kwargs):
        if path == "/dev/tty":
            raise OSError("no terminal")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_tty)
    shown = run.terminal_only(key)
    # THEN the key is not printed at all
    assert key not in shown and "secret-part" not in shown and "TRIAGE_BOOTSTRAP_ADMIN_KEY" in shown


# 6. what held and must keep holding ---------------------------------------------------------------

def test_a_cursor_only_works_for_the_queue_it_came_from(api, table, keys):
    from support import seed_message

    for i in range(4):
        seed_message(f"cs{i}", "customer_service")
        seed_message(f"st{i}", "stance")
    status, page = call(api, "GET", "/queues/stance/messages?limit=2", keys["manager"])
    assert status == 200 and page["next_cursor"]
    # WHEN an agent of customer_service replays a stance cursor on their own queue
    status, body = call(api, "GET", f"/queues/customer_service/messages?cursor={page['next_cursor']}",
                        keys["agent_cs"])
    # THEN it is refused: a cursor cannot walk another queue's index
    assert status == 400 and body["error"]["code"] == "invalid_cursor"
    # CONTROL: the cursor on its own queue gives the rest of it
    status, rest = call(api, "GET", f"/queues/stance/messages?cursor={page['next_cursor']}", keys["manager"])
    assert status == 200 and len(rest["messages"]) == 2


def test_no_csv_cell_can_start_a_spreadsheet_formula(api, table, keys):
    import csv
    import io

    # GIVEN messages from sources whose names an attacker chooses, as far as the generic schema allows
    for source in ("cmd", "0-hyperlink", "x_2b"):
        assert generic(api, payloads.generic_message("f-1", "=HYPERLINK(\"http://evil\")", source=source)).status_code == 200
    for bad in ("=cmd", "+sum", "-1", "@a"):
        assert_refused(generic(api, payloads.generic_message("f-2", "hi", source=bad)), 400, "invalid_payload")
    response = api.http.get("/stats/export.csv?granularity=day", headers=keys["manager"])
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.body.decode())) for cell in row]
    assert "bucket_messages_cmd" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


# found by the tenth session's audit of its new routes ------------------------------------------------------

LAMBDA_ANSWER_LIMIT = 6_291_556  # bytes of the function's answer, API Gateway's envelope included


def enveloped_size(response) -> int:
    """The answer as Lambda returns it to API Gateway: the body as a JSON string inside the proxy envelope."""
    return len(json.dumps({"statusCode": response.status_code, "headers": dict(response.headers),
                           "body": response.body.decode()}))


@pytest.mark.parametrize("path", ["/queues/customer_service/conversations", "/queues/customer_service/messages",
                                  "/queues/customer_service/conversations?q=refund&"])
def test_a_forged_cursor_nested_deep_is_a_400_not_a_500(api, keys, path):
    import base64

    forged = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=")
    joiner = "" if path.endswith("&") else "?"
    status, body = call(api, "GET", f"{path}{joiner}cursor={forged}", keys["agent_cs"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor", body


def test_a_bulk_id_past_dynamodbs_key_limit_names_nothing_and_the_rest_go_on(api, keys):
    from support import seed_message

    resolved = seed_message("after-long", "stance")
    long_id = "x:" + "é" * 1098  # 2,200 bytes: DynamoDB refuses a partition key past 2,048
    status, body = call(api, "POST", "/conversations/bulk", keys["manager"],
                        {"action": "resolve", "conversation_ids": [long_id, resolved]})
    assert status == 200, body
    assert [r["outcome"] for r in body["results"]] == ["unknown_conversation", "done"]
    status, body = call(api, "GET", f"/conversations/{quote(long_id, safe=':')}", keys["manager"])
    assert status == 404 and body["error"]["code"] == "unknown_conversation", body


def test_every_saved_reply_at_its_worst_still_lists_within_lambdas_answer_limit(api, keys):
    from chalicelib.domain.saved_replies import MAX_SAVED_REPLIES, MAX_TEXT_CHARS, MAX_TITLE_CHARS

    # GIVEN the most saved replies, each as long as allowed in the character JSON writes longest (12 bytes)
    for i in range(MAX_SAVED_REPLIES):
        status, body = call(api, "POST", "/saved-replies", keys["manager"], {
            "title": f"{i:03d}" + "\U0001d54f" * (MAX_TITLE_CHARS - 3), "text": "\U0001d54f" * MAX_TEXT_CHARS})
        assert status == 201, body
    # WHEN an agent lists them THEN the answer fits what Lambda may return, with room to spare
    response = api.http.get("/saved-replies", headers=keys["agent_cs"])
    assert response.status_code == 200 and len(json.loads(response.body)["saved_replies"]) == MAX_SAVED_REPLIES
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT * 0.75, enveloped_size(response)


def test_a_conversation_at_its_worst_still_opens_within_lambdas_answer_limit(api, keys):
    from chalicelib.domain.notes import MAX_NOTE_CHARS, MAX_NOTES

    # GIVEN a thread of 64 KiB messages of control characters (JSON writes each as \u0001) from one customer,
    # and as many notes as a conversation keeps, as long as allowed, in 12-byte characters
    for i in range(16):
        body = dumps({"messages": [{"source": "linkedin", "id": f"worst-{i}", "channel": "direct_message", "action": "new",
                                    "conversation_id": "worst-thread", "author": {"id": "li-1"},
                                    "text": "\u0001" * 65_536, "created_at": "2026-11-20T10:00:00+00:00"}]})
        response = post_webhook(api, "generic", body, generic_headers(body, int(time.time())))
        assert response.status_code == 200, response.body
    conversation = next(iter(
        c["id"] for q in ("customer_service", "stance", "community")
        for c in call(api, "GET", f"/queues/{q}/conversations", keys["manager"])[1]["conversations"]))
    for i in range(MAX_NOTES):
        status, body = call(api, "POST", f"/conversations/{conversation}/notes", keys["manager"],
                            {"text": "\U0001d54f" * MAX_NOTE_CHARS, "idempotency_key": f"worst-note-{i:03d}"})
        assert status == 201, body
    # WHEN it is opened THEN the answer fits what Lambda may return, and says that earlier messages are left out
    response = api.http.get(f"/conversations/{conversation}", headers=keys["manager"])
    assert response.status_code == 200
    assert json.loads(response.body)["earlier_cursor"]
    assert enveloped_size(response) < LAMBDA_ANSWER_LIMIT * 0.75, enveloped_size(response)


def test_a_saved_reply_revision_must_be_a_whole_number(api, keys):
    status, saved = call(api, "POST", "/saved-replies", keys["manager"], {"title": "T", "text": "Thanks"})
    assert status == 201
    for rev in (True, "1", 1.5):
        status, body = call(api, "PUT", f"/saved-replies/{saved['id']}", keys["manager"],
                            {"title": "T", "text": "Thanks!", "rev": rev})
        assert status == 400, (rev, body)


# found by the eleventh session: the listings at their worst ----------------------------------------------------

WORST_TEXT = "\u0001" * 65_536  # 64 KiB of control characters: JSON writes each as \u0001, six bytes


@pytest.fixture
def worst_queue(api, keys):
    """30 open conversations in one queue, each as heavy as JSON can make a stored text: one DynamoDB read of
    1 MB holds 15 of them, 6.9 MB as an answer; 30 once a filter gathers two reads."""
    from support import seed_message

    return [seed_message(f"worst-{i:02d}", "community", author="spammer-1", text=WORST_TEXT) for i in range(30)]


@pytest.mark.parametrize("path", ["/queues/community/conversations?limit=100", "/queues/community/messages?limit=100",
                                  "/queues/community/conversations?limit=100&author=spammer-1"])
def test_a_queue_of_the_heaviest_texts_still_lists_within_lambdas_answer_limit_and_pages_through_all(
        api, keys, worst_queue, path):
    seen, cursor = [], None
    while True:
        response = api.http.get(path + (f"&cursor={cursor}" if cursor else ""), headers=keys["manager"])
        # THEN every page fits what Lambda may return, with room to spare
        assert response.status_code == 200 and enveloped_size(response) < LAMBDA_ANSWER_LIMIT * 0.75, \
            enveloped_size(response)
        page = json.loads(response.body)
        listed = page.get("conversations", page.get("messages"))
        assert listed or page["next_cursor"]
        seen += [m["id"] for m in listed]
        cursor = page["next_cursor"]
        if not cursor:
            break
    # AND the pages together list each conversation once, whole
    assert sorted(seen) == sorted(worst_queue)


def test_claiming_the_heaviest_texts_hands_over_every_message_claimed(api, keys, worst_queue):
    # WHEN a manager claims 50 of a queue whose texts are the heaviest JSON can write
    response = api.http.post("/queues/community/claim", headers={**keys["manager"], "Content-Type": "application/json"},
                             body=json.dumps({"count": 50}))
    # THEN the answer fits what Lambda may return, and it names every message the claim took
    assert response.status_code == 200 and enveloped_size(response) < LAMBDA_ANSWER_LIMIT * 0.75, enveloped_size(response)
    claimed = {m["id"] for m in json.loads(response.body)["claimed"]}
    assert claimed and len(claimed) < 50
    _, queues = call(api, "GET", "/queues", keys["manager"])
    assert next(q for q in queues["queues"] if q["queue"] == "community")["claimed"] == len(claimed)
    # AND what the caller holds lists them within the limit too, saying how many it left out
    while len(claimed) < len(worst_queue):
        status, more = call(api, "POST", "/queues/community/claim", keys["manager"], {"count": 50})
        assert status == 200 and more["claimed"], more
        claimed |= {m["id"] for m in more["claimed"]}
    response = api.http.get("/me/conversations", headers=keys["manager"])
    assert response.status_code == 200 and enveloped_size(response) < LAMBDA_ANSWER_LIMIT * 0.75, enveloped_size(response)
    mine = json.loads(response.body)
    assert mine["conversations"] and len(mine["conversations"]) + mine["left_out"] == len(worst_queue)
