"""domain.business_hours: the open time an SLA counts, across nights, weekends, holidays and clock changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.business_hours import counted, parse, past_sla_before

UTC = timezone.utc
TOKYO = parse("mon-fri 09:00-18:00", "Asia/Tokyo", "2026-12-31")
FRIDAY_1730_JST = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
MONDAY_0945_JST = datetime(2026, 12, 7, 0, 45, tzinfo=UTC)


def test_a_weekend_counts_nothing():
    assert TOKYO.elapsed(FRIDAY_1730_JST, MONDAY_0945_JST) == timedelta(minutes=75)


def test_a_moment_outside_the_hours_counts_from_the_next_opening():
    saturday = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    assert TOKYO.elapsed(saturday, MONDAY_0945_JST) == timedelta(minutes=45)
    assert TOKYO.elapsed(MONDAY_0945_JST, saturday) == timedelta(0)  # backwards: nothing


def test_a_holiday_is_closed_all_day():
    # Wednesday 30 December 17:00 to Friday 1 January 10:00 (Tokyo): one hour on the 30th; the 31st is a holiday
    start = datetime(2026, 12, 30, 8, 0, tzinfo=UTC)
    end = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    assert TOKYO.elapsed(start, end) == timedelta(hours=1) + timedelta(hours=1)  # and an hour on the 1st


def test_the_window_of_an_sla_reaches_back_over_the_weekend():
    # one hour of office time before Monday 09:45 began on Friday at 17:45 (Tokyo)
    assert TOKYO.window_start(MONDAY_0945_JST, timedelta(hours=1)) == datetime(2026, 12, 4, 8, 45, tzinfo=UTC)
    # inside one day
    assert TOKYO.window_start(MONDAY_0945_JST, timedelta(minutes=30)) == MONDAY_0945_JST - timedelta(minutes=30)


@pytest.mark.parametrize("hours", [1, 4, 24, 45])
def test_the_window_and_the_elapsed_time_agree(hours):
    sla = timedelta(hours=hours)
    start = TOKYO.window_start(MONDAY_0945_JST, sla)
    assert TOKYO.elapsed(start, MONDAY_0945_JST) == sla
    assert TOKYO.elapsed(start + timedelta(minutes=1), MONDAY_0945_JST) < sla


def test_the_hours_are_wall_clock_hours_when_the_clocks_change():
    # New York springs forward on Sunday 8 March 2026: Monday's 09:00-17:00 is 13:00-21:00 UTC, the Friday before
    # 14:00-22:00 UTC; a full week is 40 hours either way
    new_york = parse("mon-fri 09:00-17:00", "America/New_York")
    friday = datetime(2026, 3, 6, 0, 0, tzinfo=UTC)
    assert new_york.open_ranges(friday.date())[0][0] == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    assert new_york.open_ranges(monday.date())[0][0] == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert new_york.elapsed(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 14, tzinfo=UTC)) == timedelta(hours=80)


def test_rules_add_up_and_overlaps_count_once():
    schedule = parse("mon-fri 09:00-18:00; fri 17:00-20:00; sat,sun 00:00-24:00", "UTC")
    friday = datetime(2026, 12, 4, tzinfo=UTC)
    assert schedule.elapsed(friday, friday + timedelta(days=1)) == timedelta(hours=11)
    assert schedule.elapsed(friday + timedelta(days=1), friday + timedelta(days=3)) == timedelta(hours=48)


def test_a_day_range_may_wrap_the_week():
    schedule = parse("fri-mon 10:00-11:00", "UTC")
    week = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    assert schedule.elapsed(week, week + timedelta(days=7)) == timedelta(hours=4)


def test_without_a_schedule_every_moment_counts():
    assert counted(None, FRIDAY_1730_JST, MONDAY_0945_JST) == MONDAY_0945_JST - FRIDAY_1730_JST
    assert past_sla_before(None, MONDAY_0945_JST, timedelta(hours=1)) == MONDAY_0945_JST - timedelta(hours=1)
    assert counted(TOKYO, FRIDAY_1730_JST, MONDAY_0945_JST) == timedelta(minutes=75)


@pytest.mark.parametrize("hours, zone, holidays, why", [
    ("weekdays 09:00-18:00", "UTC", None, "unknown day"),
    ("mon-fri 9:00-18:00", "UTC", None, "HH:MM"),
    ("mon-fri 18:00-09:00", "UTC", None, "closes before it opens"),
    ("mon 24:00-24:00", "UTC", None, "not a time of day"),
    ("mon 09:60-10:00", "UTC", None, "not a time of day"),
    ("", "UTC", None, "at least one"),
    ("mon-fri 09:00-18:00", "Mars/Olympus", None, "IANA"),
    ("mon-fri 09:00-18:00", "UTC", "2026-13-01", "not a date"),
])
def test_a_schedule_that_cannot_be_read_says_why(hours, zone, holidays, why):
    with pytest.raises(ValueError, match=why):
        parse(hours, zone, holidays)
