"""Manager stats: exact volumes under redelivery and re-routes, time zones, response times, SLA,
live model accuracy, spikes and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from support import call, seed_message

T0 = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)  # 23:30 in Tokyo
RANGE = "from=2026-11-19T00:00:00Z&to=2026-11-22T00:00:00Z"


def stats(api, keys, query: str, who: str = "manager"):
    status, body = call(api, "GET", f"/stats?{query}", keys[who])
    assert status == 200, body
    return body


def test_volumes_are_exact_under_redelivery_and_follow_reroutes(api, keys):
    # GIVEN three messages in one hour, one delivered twice
    seed_message("v1", "customer_service", received_at=T0)
    seed_message("v1", "customer_service", received_at=T0)  # redelivery: the transaction's condition fails
    seed_message("v2", "customer_service", received_at=T0, platform="instagram")
    seed_message("v3", "stance", received_at=T0 + timedelta(minutes=10))
    body = stats(api, keys, RANGE + "&granularity=day")
    [bucket] = body["buckets"]
    assert bucket["messages"] == {"customer_service": 2, "stance": 1, "community": 0}
    assert bucket["platforms"] == {"facebook": 2, "instagram": 1}
    # WHEN an agent moves one to community, THEN the count moves with it
    call(api, "POST", "/messages/facebook:v1/reroute", keys["manager"], {"queue": "community", "reason": "fan chat"})
    [bucket] = stats(api, keys, RANGE + "&granularity=day")["buckets"]
    assert bucket["messages"] == {"customer_service": 1, "stance": 1, "community": 1}
    assert bucket["total"] == 3


def test_tz_sets_the_day_boundaries(api, keys):
    seed_message("before", "community", received_at=T0)  # 2026-11-20 23:30 JST
    seed_message("after", "community", received_at=T0 + timedelta(hours=1))  # 2026-11-21 00:30 JST
    utc = stats(api, keys, RANGE + "&granularity=day&tz=UTC")["buckets"]
    tokyo = stats(api, keys, RANGE + "&granularity=day&tz=Asia/Tokyo")["buckets"]
    assert [(b["start"], b["total"]) for b in utc] == [("2026-11-20T00:00:00+00:00", 2)]
    assert [(b["start"], b["total"]) for b in tokyo] == [("2026-11-20T00:00:00+09:00", 1),
                                                          ("2026-11-21T00:00:00+09:00", 1)]
    hourly = stats(api, keys, RANGE + "&granularity=hour")["buckets"]
    assert [b["start"] for b in hourly] == ["2026-11-20T14:00:00+00:00", "2026-11-20T15:00:00+00:00"]


def test_filters_by_platform_and_queue(api, keys):
    seed_message("f1", "stance", received_at=T0, platform="x")
    seed_message("f2", "stance", received_at=T0, platform="facebook")
    seed_message("f3", "community", received_at=T0, platform="x")
    [bucket] = stats(api, keys, RANGE + "&platform=x&queue=stance")["buckets"]
    assert bucket["messages"] == {"stance": 1} and bucket["platforms"] == {"x": 1}


def test_response_times_from_claim_and_resolve(api, keys, monkeypatch):
    import app as app_module

    received = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    seed_message("rt", "customer_service", received_at=received)
    monkeypatch.setattr(app_module, "now", lambda: received + timedelta(minutes=10))
    call(api, "POST", "/queues/customer_service/claim", keys["agent_cs"], {"count": 1, "lease_seconds": 3600})
    monkeypatch.setattr(app_module, "now", lambda: received + timedelta(minutes=50))
    assert call(api, "POST", "/messages/facebook:rt/resolve", keys["agent_cs"], {})[0] == 200
    monkeypatch.undo()
    [bucket] = stats(api, keys, "granularity=day")["buckets"]
    times = bucket["response_times"]["customer_service"]
    assert times["resolved"] == 1
    assert 600 * 0.9 <= times["time_to_first_claim_p50_seconds"] <= 600 * 1.1
    assert 3000 * 0.9 <= times["time_to_resolve_p90_seconds"] <= 3000 * 1.1


def test_with_a_platform_chosen_response_times_are_that_platforms(api, keys, monkeypatch):
    import app as app_module

    # GIVEN a WhatsApp message resolved after 10 minutes and an X message after 5 hours, in one queue and hour
    received = datetime.now(timezone.utc).replace(microsecond=0, minute=0) - timedelta(hours=6)
    seed_message("wa", "customer_service", received_at=received, platform="whatsapp")
    seed_message("tw", "customer_service", received_at=received, platform="x")
    for message_id, after in (("whatsapp:wa", timedelta(minutes=10)), ("x:tw", timedelta(hours=5))):
        monkeypatch.setattr(app_module, "now", lambda after=after: received + after)
        assert call(api, "POST", f"/messages/{message_id}/resolve", keys["manager"], {})[0] == 200
    monkeypatch.undo()
    query = f"granularity=day&queue=customer_service&from={received.date().isoformat()}"

    def times(extra: str) -> dict:
        [bucket] = [b for b in stats(api, keys, query + extra)["buckets"] if b["response_times"]["customer_service"]["resolved"]]
        return bucket["response_times"]["customer_service"]

    # WHEN the manager reads each platform's THEN each has its own resolve time; all of them, both
    assert times("&platform=whatsapp")["resolved"] == 1
    assert 600 * 0.9 <= times("&platform=whatsapp")["time_to_resolve_p90_seconds"] <= 600 * 1.1
    assert 18_000 * 0.9 <= times("&platform=x")["time_to_resolve_p50_seconds"] <= 18_000 * 1.1
    assert times("")["resolved"] == 2
    # AND a platform with nothing resolved has no times
    telegram = [b["response_times"]["customer_service"] for b in stats(api, keys, query + "&platform=telegram")["buckets"]]
    assert all(t["resolved"] == 0 and t["time_to_resolve_p50_seconds"] is None for t in telegram)  # or no bucket


def test_open_messages_past_sla(api, keys):
    now = datetime.now(timezone.utc)
    seed_message("late", "customer_service", received_at=now - timedelta(hours=2))  # SLA 1 h
    seed_message("fresh", "customer_service", received_at=now - timedelta(minutes=5))
    seed_message("stance-ok", "stance", received_at=now - timedelta(hours=2))  # SLA 4 h
    sla = {row["queue"]: row for row in stats(api, keys, "")["sla"]}
    assert sla["customer_service"]["open_past_sla"] == 1 and sla["customer_service"]["sla_seconds"] == 3600
    assert sla["stance"]["open_past_sla"] == 0


def test_live_model_accuracy_per_version_and_queue(api, keys):
    for i in range(4):
        seed_message(f"acc{i}", "customer_service", received_at=T0, needs_review=(i == 0))
    call(api, "POST", "/messages/facebook:acc1/reroute", keys["manager"], {"queue": "stance", "reason": "values"})
    call(api, "POST", "/messages/facebook:acc1/reroute", keys["manager"], {"queue": "community", "reason": "no"})
    accuracy = stats(api, keys, RANGE)["model_accuracy"]
    [row] = [r for r in accuracy["by_version"] if r["queue"] == "customer_service"]
    assert (row["model_version"], row["classified"], row["rerouted"]) == ("triage-test", 4, 1)
    assert row["rerouted_share"] == 0.25 and row["needs_review_share"] == 0.25
    assert accuracy["reroutes"] == {"customer_service": {"stance": 1}, "stance": {"community": 1}}


def test_a_stance_surge_is_reported_as_a_spike(api, keys, table):
    from chalicelib.store import counters, dynamo

    def count(hour: datetime, messages: int) -> None:
        """Counters as ingestion writes them, spread over two shards of the hour."""
        for shard, share in ((3, messages // 2), (11, messages - messages // 2)):
            if share:
                update = counters.volume_update("stance", hour.strftime("%Y-%m-%dT%H"), shard,
                                                counters.volume_increments("x", share, False))
                dynamo.client().update_item(**update["Update"])

    # GIVEN a quiet week of about one stance message an hour
    start = datetime(2026, 11, 13, 0, tzinfo=timezone.utc)
    for h in range(168):
        count(start + timedelta(hours=h), 1 + (h % 3 == 0))
    # AND a surge of 25 in one hour
    count(start + timedelta(hours=168), 25)
    status, body = call(api, "GET", "/stats/spikes?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z",
                        keys["manager"])
    assert status == 200
    [spike] = body["spikes"]
    assert (spike["queue"], spike["observed"], spike["start"]) == ("stance", 25, "2026-11-20T00:00:00+00:00")
    assert 1.2 < spike["expected"] < 1.5 and spike["p_value"] < 1e-6
    assert "Poisson" in body["method"]


def test_csv_export_has_the_same_numbers(api, keys):
    seed_message("c1", "customer_service", received_at=T0)
    seed_message("c2", "stance", received_at=T0, platform="x")
    body = stats(api, keys, RANGE + "&granularity=day&tz=Asia/Tokyo")
    response = api.http.get(f"/stats/export.csv?{RANGE}&granularity=day&tz=Asia/Tokyo", headers=keys["admin"])
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert len(rows) == len(body["buckets"]) * 3
    for row in rows:
        bucket = next(b for b in body["buckets"] if b["start"] == row["bucket_start"])
        assert int(row["messages"]) == bucket["messages"][row["queue"]]
        assert int(row["bucket_messages_x"]) == bucket["platforms"].get("x", 0)


@pytest.mark.parametrize("query", ["tz=Mars/Olympus", "tz=../../etc/passwd", "granularity=week", "from=yesterday",
                                   "to=2026-02-30", "queue=sales", "platform=" + "p" * 101])
def test_bad_stats_queries_are_400(api, keys, query):
    status, body = call(api, "GET", f"/stats?{query}", keys["manager"])
    assert status == 400 and body["error"]["code"] == "invalid_query"


@pytest.mark.parametrize("query,served", [
    # at most 366 days from `from` by the day, 31 by the hour
    ("from=2020-01-01&to=2026-01-01&granularity=day", ("2020-01-01T00:00:00+00:00", "2021-01-01T00:00:00+00:00")),
    ("from=2020-01-01&to=2026-01-01", ("2020-01-01T00:00:00+00:00", "2020-02-01T00:00:00+00:00")),
    # from after to: an empty range at from
    ("from=2026-11-20&to=2026-11-19", ("2026-11-20T00:00:00+00:00", "2026-11-20T00:00:00+00:00")),
    # only 2000-2099 is served
    ("from=1990-01-01&to=2000-01-02", ("2000-01-01T00:00:00+00:00", "2000-01-02T00:00:00+00:00")),
    ("from=0001-01-01&to=0001-01-02&tz=Asia/Tokyo", ("2000-01-01T09:00:00+09:00", "2000-01-01T09:00:00+09:00")),
    ("from=9999-12-31T23:59:59-05:00", ("2100-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00")),
])
def test_the_answer_says_the_range_served(api, keys, query, served):
    """Any pair of valid dates is answered (the document cannot say `from < to`): the range is cut to what is
    served, and the answer says so."""
    status, body = call(api, "GET", f"/stats?{query}", keys["manager"])
    assert status == 200, body
    assert (body["from"], body["to"]) == served
    if served[0] == served[1]:
        assert body["buckets"] == [] and body["model_accuracy"]["by_version"] == []


def test_spike_baseline_outside_24_to_168_hours_is_400(api, keys):
    assert call(api, "GET", "/stats/spikes?baseline_hours=12", keys["manager"])[0] == 400
    assert call(api, "GET", "/stats/spikes?baseline_hours=abc", keys["manager"])[0] == 400


@pytest.mark.parametrize("path", ["/stats", "/stats/spikes", "/stats/export.csv", "/stats/people"])
def test_stats_are_for_managers_and_admins_only(api, keys, path):
    for who in ("agent_cs", "agent_stance", "agent_both"):
        status, body = call(api, "GET", path, keys[who])
        assert status == 403 and body["error"]["code"] == "forbidden_role"
    assert call(api, "GET", path, {})[0] == 401


def test_time_to_first_reply_and_late_first_replies_per_queue(api, keys):
    # GIVEN two conversations opened at T0, answered by the brand on the platform after 10 minutes and 3 hours
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    seed_message("f1", "customer_service", received_at=T0)
    seed_message("f2", "customer_service", received_at=T0)
    for native, waited in (("f1", timedelta(minutes=10)), ("f2", timedelta(hours=3))):
        at = T0 + waited
        answer = Message(id=f"facebook:ans-{native}", platform="facebook", channel=Channel.REPLY,
                         author=Author(id="page"), text="Thanks, we are on it", direction="outbound",
                         created_at=at, received_at=at, parent_id=f"facebook:{native}")
        assert conversations.save_outbound(answer, at).value == "stored"
    # WHEN a manager reads the stats THEN first-reply times are per queue, and the 3-hour one is late (SLA 1 h)
    body = stats(api, keys, RANGE + "&granularity=day")
    times = body["buckets"][0]["response_times"]["customer_service"]
    assert times["first_replied"] == 2 and times["first_replies_late"] == 1
    assert 300 <= times["time_to_first_reply_p50_seconds"] <= 1200
    assert times["time_to_first_reply_p90_seconds"] >= 3600
    [sla] = [s for s in body["sla"] if s["queue"] == "customer_service"]
    assert (sla["first_replied"], sla["first_replies_late"]) == (2, 1)


def test_each_persons_resolves_and_replies_by_the_hour_they_did_them(api, keys, monkeypatch, fake_platforms):
    import app as app_module
    import payloads
    from support import dumps, post_webhook

    # GIVEN Cy resolves two conversations 10 and 40 minutes after they came in, Bo one, and the sweep another
    received = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    for name in ("c1", "c2", "b1", "auto"):
        seed_message(name, "customer_service", received_at=received)
    for name, who, minutes in (("c1", "agent_cs", 10), ("c2", "agent_cs", 40), ("b1", "agent_both", 20)):
        monkeypatch.setattr(app_module, "now", lambda m=minutes: received + timedelta(minutes=m))
        assert call(api, "POST", f"/conversations/facebook:{name}/claim", keys[who], {})[0] == 200
        assert call(api, "POST", f"/conversations/facebook:{name}/resolve", keys[who], {})[0] == 200
    monkeypatch.setattr(app_module, "now", lambda: datetime.now(timezone.utc))  # (undo() would drop the platforms')
    from chalicelib.store import queue

    queue.sweep("customer_service", received + timedelta(days=30), timedelta(hours=1))
    # AND Cy sends a reply on a Messenger conversation she holds
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm("m.p1", "Where is my parcel?")))
    assert response.status_code == 200, response.body
    assert call(api, "POST", "/conversations/messenger:m.p1/claim", keys["agent_cs"], {})[0] == 200
    status, sent = call(api, "POST", "/conversations/messenger:m.p1/replies", keys["agent_cs"],
                        {"text": "It left the depot this morning", "idempotency_key": "people-0001"})
    assert status == 201, sent
    # WHEN a manager reads what each person did
    status, body = call(api, "GET", "/stats/people", keys["manager"])
    assert status == 200, body
    people = {p["name"]: p for p in body["people"]}
    # THEN Cy resolved two (p50 between her 10 and 40 minutes) and sent one reply; Bo resolved one; nobody else
    # did anything, and the sweep is nobody's
    assert [p["name"] for p in body["people"]] == ["Cy", "Bo"]
    assert (people["Cy"]["resolved"], people["Cy"]["replies"]) == (2, 1)
    assert 600 * 0.9 <= people["Cy"]["time_to_resolve_p50_seconds"] <= 2400 * 1.1
    assert (people["Bo"]["resolved"], people["Bo"]["replies"]) == (1, 0)
    assert 1200 * 0.9 <= people["Bo"]["time_to_resolve_p50_seconds"] <= 1200 * 1.1
    # AND a range before any of it lists nobody
    _, earlier = call(api, "GET", "/stats/people?from=2026-01-01&to=2026-01-08", keys["manager"])
    assert earlier["people"] == [] and earlier["from"].startswith("2026-01-01")


@pytest.fixture
def tokyo_office_hours(monkeypatch):
    """The SLA counts Monday to Friday, 09:00-18:00 in Tokyo, without New Year's Eve."""
    from support import reset_caches

    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-fri 09:00-18:00")
    monkeypatch.setenv("SLA_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("SLA_HOLIDAYS", "2026-12-31")
    reset_caches()
    yield
    monkeypatch.undo()
    reset_caches()


def test_with_business_hours_a_first_reply_is_late_only_by_the_open_time_it_took(api, keys, tokyo_office_hours):
    # GIVEN three conversations opened Friday 23:30 in Tokyo (T0), after closing time
    from chalicelib.models import Author, Channel, Message
    from chalicelib.store import conversations

    for native in ("b1", "b2", "b3"):
        seed_message(native, "customer_service", received_at=T0)
    # WHEN the brand answers them 3 hours later (Saturday 02:30), Monday 09:45 and Monday 10:30 (Tokyo)
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # 09:00 in Tokyo
    for native, at in (("b1", T0 + timedelta(hours=3)), ("b2", monday + timedelta(minutes=45)),
                       ("b3", monday + timedelta(minutes=90))):
        answer = Message(id=f"facebook:ans-{native}", platform="facebook", channel=Channel.REPLY,
                         author=Author(id="page"), text="Thanks, we are on it", direction="outbound",
                         created_at=at, received_at=at, parent_id=f"facebook:{native}")
        assert conversations.save_outbound(answer, at).value == "stored"
    # THEN only the one answered after an hour and a half of office time is late (SLA 1 h), though all three waited
    # hours on the clock, which the first-reply times still show
    body = stats(api, keys, RANGE + "&granularity=day")
    [sla] = [s for s in body["sla"] if s["queue"] == "customer_service"]
    assert (sla["first_replied"], sla["first_replies_late"]) == (3, 1)
    assert sla["business_hours"] == "mon-fri 09:00-18:00 (Asia/Tokyo)"
    times = body["buckets"][0]["response_times"]["customer_service"]
    assert times["time_to_first_reply_p50_seconds"] >= 2 * 86400


def test_with_business_hours_open_past_sla_counts_the_office_time_waited(api, keys, tokyo_office_hours, monkeypatch):
    import app as app_module

    # GIVEN Monday 09:30 in Tokyo, a message from Friday 17:45 (45 minutes of office time) and one from Friday 16:00
    now = datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(app_module, "now", lambda: now)
    seed_message("fri-late", "customer_service", received_at=datetime(2026, 11, 20, 8, 45, tzinfo=timezone.utc))
    seed_message("fri-early", "customer_service", received_at=datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc))
    # WHEN a manager reads the SLA
    [sla] = [s for s in stats(api, keys, "")["sla"] if s["queue"] == "customer_service"]
    # THEN only the one that has waited 2.5 office hours is past its 1-hour SLA
    assert sla["open_past_sla"] == 1


@pytest.mark.parametrize("variable, value", [("SLA_BUSINESS_HOURS", "weekdays 9-6"),
                                             ("SLA_BUSINESS_HOURS", "mon-fri 18:00-09:00"),
                                             ("SLA_TIMEZONE", "Tokyo"), ("SLA_HOLIDAYS", "31/12/2026")])
def test_business_hours_that_cannot_be_read_stop_the_settings_at_start(monkeypatch, variable, value):
    from pydantic import ValidationError

    from chalicelib.config import Settings

    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-fri 09:00-18:00")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()
