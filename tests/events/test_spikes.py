"""Scheduled spike detection: the test /stats/spikes uses, one spike.detected per (category, hour)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib import stats
from chalicelib.events import derive, spikes
from chalicelib.models import QUEUES
from event_stream import StreamReader
from support import seed_message

NOW = datetime(2026, 11, 20, 9, 40, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def lean():
    from local.dynamodb import lean_transactions

    lean_transactions()  # moto would deep-copy the table and its whole stream on every transaction


def spike_events(reader):
    return [e for r in reader.read() for e in derive.from_record(r) if e.type == "spike.detected"]


def test_a_spike_is_announced_once_per_category_and_hour_however_often_the_schedule_runs(table):
    reader = StreamReader(table, os.environ["TABLE_NAME"])
    # GIVEN a quiet week for community (one message every 8 hours) and a burst of stance messages this hour
    for n in range(21):
        seed_message(f"quiet{n}", "community", received_at=NOW - timedelta(hours=8 * n + 3))
    for n in range(30):
        seed_message(f"burst{n}", "stance", received_at=NOW - timedelta(minutes=n))
    reader.read()
    # WHEN the schedule runs three times within the hour
    first = spikes.detect(NOW)
    later = spikes.detect(NOW + timedelta(minutes=5)) + spikes.detect(NOW + timedelta(minutes=15))
    # THEN the burst is recorded once, with what /stats/spikes reports for that hour
    query = stats.StatsQuery(start=NOW.replace(minute=0), end=NOW, granularity="hour", tz=ZoneInfo("UTC"),
                             platform=None, queues=QUEUES)
    assert first == stats.spikes(query) and [s["queue"] for s in first] == ["stance"]
    assert later == []
    (event,) = spike_events(reader)
    assert (event.category, event.hour, event.observed) == ("stance", "2026-11-20T09:00:00Z", 30)
    assert event.expected == first[0]["expected"] and event.p_value == first[0]["p_value"]
    assert event.baseline_hours == stats.MAX_BASELINE_HOURS and event.method == stats.SPIKE_METHOD


def test_the_previous_hour_is_checked_too_and_a_new_hour_is_a_new_spike(table):
    reader = StreamReader(table, os.environ["TABLE_NAME"])
    for n in range(12):
        seed_message(f"late{n}", "customer_service", received_at=NOW.replace(minute=50) - timedelta(hours=1, minutes=n))
    # a run in the first minutes of the next hour still sees the hour that just ended
    assert [s["queue"] for s in spikes.detect(NOW.replace(minute=2))] == ["customer_service"]
    for n in range(12):
        seed_message(f"again{n}", "customer_service", received_at=NOW.replace(minute=30) + timedelta(seconds=n))
    assert [s["queue"] for s in spikes.detect(NOW.replace(minute=45))] == ["customer_service"]
    hours = sorted(e.hour for e in spike_events(reader))
    assert hours == ["2026-11-20T08:00:00Z", "2026-11-20T09:00:00Z"]


def test_a_quiet_hour_records_nothing(table):
    for n in range(3):
        seed_message(f"calm{n}", "stance", received_at=NOW - timedelta(minutes=n))
    assert spikes.detect(NOW) == []
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=os.environ["TABLE_NAME"])["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("SPIKE#")]


def test_the_scheduled_function_runs_detection(table):
    from app import detect_spikes

    for n in range(8):
        seed_message(f"now{n}", "community", received_at=datetime.now(timezone.utc) - timedelta(seconds=n))
    event = {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "123456789012", "time": "2026-11-20T09:40:00Z",
             "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/detect"], "detail": {}}
    result = detect_spikes(event, None)
    assert [s["queue"] for s in result["recorded"]] == ["community"]
