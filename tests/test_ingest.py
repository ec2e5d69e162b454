"""Webhook ingestion through the API: verify, normalize, triage, store exactly once."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from support import (SIGNERS, dumps, generic_headers, item_count, message_items, meta_headers, post_webhook,
                     scan_items, telegram_headers, x_headers)
import payloads


def post(api, route: str, payload, headers=None, raw: bytes | None = None):
    return post_webhook(api, route, raw if raw is not None else dumps(payload), headers)


# handshakes -----------------------------------------------------------------------------------

def test_meta_handshake_echoes_challenge_only_for_the_configured_token(api):
    ok = api.http.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=1158201444")
    assert ok.status_code == 200
    assert ok.body == b"1158201444"
    assert ok.headers["Content-Type"].startswith("text/plain")
    for query in ("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
                  "hub.mode=unsubscribe&hub.verify_token=meta-verify-token&hub.challenge=1", ""):
        denied = api.http.get(f"/webhooks/meta?{query}")
        assert denied.status_code == 403
        assert json.loads(denied.body)["error"]["code"] == "verification_failed"


def test_x_crc_answers_the_documented_response_token(api):
    import base64
    import hashlib
    import hmac

    response = api.http.get("/webhooks/x?crc_token=abc123")
    expected = base64.b64encode(hmac.new(b"x-consumer-secret", b"abc123", hashlib.sha256).digest()).decode()
    assert response.status_code == 200
    assert json.loads(response.body) == {"response_token": f"sha256={expected}"}


# storing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["meta", "x", "telegram", "generic"])
def test_a_message_from_each_platform_is_triaged_and_stored_open_in_its_queue(api, table, route):
    # GIVEN a signed single-message webhook WHEN it is posted
    response = post(api, route, payloads.SAMPLES[route](1))
    # THEN it is stored once, triaged, open in the queue of its category
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["stored"] == 1
    [stored] = message_items(table)
    triage = stored["triage"]
    assert triage["category"] in ("customer_service", "stance", "community")
    assert stored["queue"] == triage["category"] and stored["status"] == "open"
    assert abs(sum(triage["scores"].values()) - 1) < 1e-6
    assert triage["top_terms"] and triage["model_version"].startswith("triage-")
    assert [h["event"] for h in stored["history"]] == ["received", "classified"]
    assert stored["priority"] > 0 and stored["priority_reasons"]


def test_the_sample_messages_land_in_the_queues_a_person_would_choose(api, table):
    for route in ("meta", "telegram", "generic"):
        post(api, route, payloads.SAMPLES[route](7))
    queues = {m["platform"]: m["queue"] for m in message_items(table)}
    assert queues == {"facebook": "customer_service", "telegram": "customer_service", "linkedin": "stance"}


def test_a_batch_with_many_entries_stores_each_message(api, table):
    payload = payloads.page_comments([(f"900001_{i}", f"comment number {i} about my late delivery") for i in range(5)])
    response = post(api, "meta", payload)
    assert json.loads(response.body)["stored"] == 5
    assert len(message_items(table)) == 5


def test_redelivery_in_the_same_and_a_later_post_stores_once(api, table):
    payload = payloads.page_comments([("900001_1", "where is my refund"), ("900001_1", "where is my refund")])
    first = json.loads(post(api, "meta", payload).body)
    items_after_first = item_count(table)
    later = json.loads(post(api, "meta", payloads.page_comment("900001_1", "where is my refund")).body)
    assert (first["stored"], first["duplicate"]) == (1, 1)
    assert (later["stored"], later["duplicate"]) == (0, 1)
    assert len(message_items(table)) == 1
    assert item_count(table) == items_after_first  # no counter moved either


def test_the_brands_own_comments_echoes_and_receipts_are_accepted_never_triaged(api, table):
    # GIVEN the Page's reply, a Messenger echo and delivery reports: events of the brand's side of a thread
    own = payloads.page_comment("900001_5", "Thanks for reaching out!", author_id=payloads.PAGE_ID)
    echo = payloads.messenger_dm("m_1", "We are on it", echo=True)
    receipts = (payloads.messenger_receipt("delivery", mids=["m_1"], watermark=1714965199000),
                payloads.whatsapp_status("wamid.1", "read"))
    for payload in (own, echo, *receipts):
        response = post(api, "meta", payload)
        # THEN each is accepted as an event (not skipped) and nothing is triaged or queued
        assert response.status_code == 200
        body = json.loads(response.body)
        assert (body["received"], body["skipped"]) == (1, []), body
    assert not [item for item in message_items(table) if "triage" in item or "queue" in item]


def test_the_brands_own_top_level_post_is_skipped(api, table):
    own_post = payloads.page_comment("", "Our spring menu is out!", author_id=payloads.PAGE_ID)
    own_post["entry"][0]["changes"][0]["value"].update(item="status", comment_id=None, parent_id=None)
    body = json.loads(post(api, "meta", own_post).body)
    assert [s["reason"] for s in body["skipped"]] == ["own_post"]
    assert message_items(table) == []


def test_a_removed_comment_is_marked_removed_and_leaves_the_queue(api, table):
    post(api, "meta", payloads.page_comment("900001_9", "my card was charged twice"))
    removal = payloads.page_comment("900001_9", "", verb="remove")
    assert json.loads(post(api, "meta", removal).body)["removed"] == 1
    [stored] = message_items(table)
    # out of the open index; in the retention index by when it was removed (domain.privacy)
    assert stored["status"] == "removed" and stored["gsi2pk"] == "CLOSED#customer_service"
    assert stored["gsi2sk"] == f"{stored['removed_at']}#{stored['id']}"
    assert stored["gsi1pk"].endswith("#removed")
    assert json.loads(post(api, "meta", removal).body)["unchanged"] == 1  # redelivered removal


def test_an_edit_updates_the_text_and_triages_again(api, table):
    post(api, "telegram", payloads.telegram_message(41, "my order has not arrived"))
    edit = payloads.telegram_message(41, "Boycott! You caved on diversity and equality, shame on your company",
                                     edited=True)
    assert json.loads(post(api, "telegram", edit).body)["updated"] == 1
    [stored] = message_items(table)
    assert stored["text"].startswith("Boycott!")
    assert stored["queue"] == stored["triage"]["category"] == "stance"
    assert [h["event"] for h in stored["history"]][-1] == "edited"
    assert json.loads(post(api, "telegram", edit).body)["unchanged"] == 1


def test_an_edit_of_an_unknown_message_is_stored_as_new(api, table):
    edit = payloads.telegram_message(77, "the app logs me out every hour", edited=True)
    assert json.loads(post(api, "telegram", edit).body)["stored"] == 1


# bad input -------------------------------------------------------------------------------------

BAD_INPUT = [
    ("malformed_json", lambda route: (b"{not json", None), 400),
    ("missing_signature", lambda route: (dumps(payloads.SAMPLES[route](1)), {"Content-Type": "application/json"}), 401),
    ("signed_other_body", lambda route: (dumps(payloads.SAMPLES[route](1)),
                                         SIGNERS[route](b"another body")) if route != "telegram" else
     (dumps(payloads.SAMPLES[route](1)), telegram_headers(b"", secret="telegram-secret-tokeN")), 401),
    ("wrong_secret", lambda route: (dumps(payloads.SAMPLES[route](1)),
                                    SIGNERS[route](dumps(payloads.SAMPLES[route](1)), secret="not-the-secret")), 401),
    ("wrong_shape", lambda route: (dumps({"object": 5, "entry": "x", "messages": 3, "update_id": "u",
                                          "tweet_create_events": 7}), None), 400),
    ("wrong_content_type", lambda route: (dumps(payloads.SAMPLES[route](1)),
                                          {**SIGNERS[route](dumps(payloads.SAMPLES[route](1))),
                                           "Content-Type": "text/plain"}), 415),
    ("too_large", lambda route: (b'{"pad": "' + b"a" * 1_100_000 + b'"}', None), 413),
]


@pytest.mark.parametrize("route", ["meta", "x", "telegram", "generic"])
@pytest.mark.parametrize("case,build,status", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_a_json_4xx_and_stores_nothing(api, table, route, case, build, status):
    before = item_count(table)
    body, headers = build(route)
    response = post_webhook(api, route, body, headers)
    assert response.status_code == status, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] and error["message"]
    assert item_count(table) == before


def test_generic_refuses_a_timestamp_outside_five_minutes(api, table):
    import time

    body = dumps(payloads.SAMPLES["generic"](1))
    response = api.http.post("/webhooks/generic", body=body, headers=generic_headers(body, int(time.time()) - 301))
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "stale_timestamp"


def test_signature_is_checked_over_the_raw_bytes_not_reserialized_json(api, table):
    # GIVEN a body with spacing and key order that json.dumps would not reproduce
    raw = b'{ "update_id": 9,  "message": {"text": "hi there, where is my parcel?", "message_id": 3, "date": 1700000000,' \
          b' "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": false, "first_name": "A"}}}'
    assert post(api, "telegram", None, headers=telegram_headers(raw), raw=raw).status_code == 200
    meta_raw = b'{"object":"page",  "entry":[]}'
    assert post(api, "meta", None, headers=meta_headers(meta_raw), raw=meta_raw).status_code == 200
    x_raw = b'{"for_user_id": "1",   "tweet_create_events": []}'
    assert post(api, "x", None, headers=x_headers(x_raw), raw=x_raw).status_code == 200


# failure semantics -----------------------------------------------------------------------------

def test_storage_failure_answers_503_and_a_retry_completes_without_duplicates(api, table):
    from chalicelib.store import dynamo

    payload = payloads.page_comments([(f"900001_{i}", f"refund please, order {i}") for i in range(3)])
    real_client = dynamo.client()
    calls = {"n": 0}
    original = real_client.transact_write_items

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second message's write fails after the first committed
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "TransactWriteItems")
        return original(**kwargs)

    with mock.patch.object(real_client, "transact_write_items", side_effect=flaky):
        failed = post(api, "meta", payload)
    assert failed.status_code == 503
    assert failed.headers.get("Retry-After")
    assert len(message_items(table)) == 1
    retried = json.loads(post(api, "meta", payload).body)
    assert (retried["stored"], retried["duplicate"]) == (2, 1)
    assert sorted(m["id"] for m in message_items(table)) == [f"facebook:900001_{i}" for i in range(3)]


def test_a_message_id_too_long_for_a_key_is_a_400_and_stores_nothing(api, table):
    # GIVEN a signed Messenger DM whose mid passes Meta's schema but is longer than a key may hold
    response = post(api, "meta", payloads.messenger_dm("m_" + "x" * 600, "where is my order?"))
    # THEN the whole request is refused with the reason, and nothing is stored
    assert response.status_code == 400, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == "invalid_payload" and "ids are at most 512 bytes" in error["message"]
    assert item_count(table) == 0


def test_a_message_id_with_a_lone_surrogate_is_a_400_and_stores_nothing(api, table):
    # GIVEN a DM whose mid JSON-escapes a lone surrogate (valid JSON, not valid Unicode)
    body = dumps(payloads.messenger_dm("m_PLACEHOLDER", "hello")).replace(b"m_PLACEHOLDER", b"m_\\ud800")
    response = post(api, "meta", None, raw=body)
    # THEN it is refused as a payload that cannot make a message, and nothing is stored
    assert response.status_code == 400, response.body
    assert "valid Unicode" in json.loads(response.body)["error"]["message"]
    assert item_count(table) == 0


# channel health ----------------------------------------------------------------------------------

class Clock:
    """The webhook path's clock, set by the test (the channel interval is in minutes: no waiting)."""

    def __init__(self, moment):
        self.moment = moment

    def now(self, tz=None):
        return self.moment


@pytest.fixture
def channel_webhooks(table, monkeypatch):
    """Meta webhooks whose messages name the Page they reached (as the adapters do once they fill `account`),
    on a set clock; yields the clock and the channel item's writes (UpdateItem calls on CHANNEL keys)."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from chalicelib import ingest
    from chalicelib.platforms import get_adapter
    from chalicelib.store import dynamo

    adapter = get_adapter("meta")
    parse = adapter.parse

    def parse_with_account(request):
        batch = parse(request)
        batch.events = [replace(e, message=replace(e.message, account="104857600000001")) if e.message else e
                        for e in batch.events]
        return batch

    monkeypatch.setattr(adapter, "parse", parse_with_account)
    clock = Clock(datetime.now(timezone.utc).replace(microsecond=0))
    monkeypatch.setattr(ingest, "datetime", clock)
    writes: list[dict] = []

    def record(params, **_):
        if params["Key"]["pk"] == {"S": "CHANNEL"}:
            writes.append(params)

    dynamo.client().meta.events.register("before-parameter-build.dynamodb.UpdateItem", record)
    return clock, writes


def channel_item(table) -> dict | None:
    from support import scan_items

    items = [i for i in scan_items(table) if i["pk"] == "CHANNEL"]
    assert len(items) <= 1
    return items[0] if items else None


def test_a_verified_webhook_records_when_its_channel_last_heard_from_the_platform(api, table, channel_webhooks):
    from chalicelib.store.entities import iso

    clock, writes = channel_webhooks
    # GIVEN a Page comment signed with the app secret WHEN it is posted
    assert post(api, "meta", payloads.page_comment("900001_1", "where is my refund")).status_code == 200
    # THEN the Page's channel item holds the webhook's time
    item = channel_item(table)
    assert (item["platform"], item["account"], item["last_webhook_at"]) == ("facebook", "104857600000001",
                                                                            iso(clock.moment))
    # AND a webhook whose signature fails records nothing more
    body = dumps(payloads.page_comment("900001_2", "hello"))
    assert post(api, "meta", None, headers=meta_headers(body, secret="wrong"), raw=body).status_code == 401
    assert len(writes) == 1


def test_a_burst_of_webhooks_writes_the_channel_item_at_most_once_a_minute(api, table, channel_webhooks):
    from datetime import timedelta

    from chalicelib.store.entities import iso

    clock, writes = channel_webhooks
    start = clock.moment
    # GIVEN a burst of 30 webhooks to one Page over 59 seconds
    for n in range(30):
        clock.moment = start + timedelta(seconds=2 * n)
        assert post(api, "meta", payloads.page_comment(f"900001_{n}", f"comment {n}")).status_code == 200
    # THEN the channel item was written once
    assert len(writes) == 1 and channel_item(table)["last_webhook_at"] == iso(start)
    # WHEN the next webhook comes a minute after the first THEN the time moves (one more write)
    clock.moment = start + timedelta(seconds=61)
    post(api, "meta", payloads.page_comment("900001_99", "still here"))
    assert len(writes) == 2 and channel_item(table)["last_webhook_at"] == iso(clock.moment)
    assert len(message_items(table)) == 31


def test_a_channel_that_cannot_be_recorded_never_fails_the_webhook(api, table, channel_webhooks):
    from chalicelib.store import dynamo

    client = dynamo.client()
    original = client.update_item

    def failing(**kwargs):
        if kwargs["Key"]["pk"] == {"S": "CHANNEL"}:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateItem")
        return original(**kwargs)

    with mock.patch.object(client, "update_item", side_effect=failing):
        response = post(api, "meta", payloads.page_comment("900001_1", "where is my refund"))
    assert response.status_code == 200 and json.loads(response.body)["stored"] == 1
    assert channel_item(table) is None


def test_messages_without_an_account_record_no_channel(api, table):
    # a generic source that names no account of the brand
    assert post(api, "generic", payloads.generic_message("c-1", "where is my refund")).status_code == 200
    assert all(i["pk"] != "CHANNEL" for i in scan_items(table))
