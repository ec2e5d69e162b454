"""domain.sla: which conversation breaches its SLA now, and what is kept of the wait."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.sla import breached, record, waiting_since

CUTOFF = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)  # whoever waits since before this is past the SLA
BEFORE, AFTER = "2026-12-06T08:59:59.000000Z", "2026-12-06T09:00:00.000001Z"


@pytest.mark.parametrize("status, since, marked, breaches", [
    ("open", BEFORE, None, True),
    ("open", AFTER, None, False),  # still within the SLA
    ("claimed", BEFORE, None, False),  # someone is on it
    ("snoozed", BEFORE, None, False),
    ("resolved", BEFORE, None, False),
    ("open", BEFORE, {"waiting_since": BEFORE}, False),  # this wait is marked already
    ("open", BEFORE, {"waiting_since": "2026-12-06T07:00:00.000000Z"}, True),  # a new wait since then
])
def test_an_open_conversation_nobody_holds_breaches_once_per_wait(status, since, marked, breaches):
    assert breached(status, since, CUTOFF, marked) is breaches


def test_the_wait_runs_from_the_customers_latest_message():
    assert waiting_since("2026-12-06T08:00:00.000000Z", "2026-12-06T07:00:00.000000Z") == "2026-12-06T08:00:00.000000Z"
    assert waiting_since(None, "2026-12-06T07:00:00.000000Z") == "2026-12-06T07:00:00.000000Z"


def test_the_record_says_which_wait_broke_which_sla_and_when_in_utc():
    found = datetime(2026, 12, 6, 18, 5, tzinfo=timezone(timedelta(hours=9)))
    assert record(BEFORE, 3600, True, found) == {"waiting_since": BEFORE, "sla_seconds": 3600, "business_hours": True,
                                                 "at": "2026-12-06T09:05:00.000000Z"}
