"""Business hours for the SLA (Zendesk's schedules, Chatwoot's "business hours only" SLA): a team that works 09:00 to
18:00 in Tokyo has not broken a one-hour SLA with a message that came at 3 a.m. and was answered at 09:30.

A schedule is weekly opening hours in one IANA time zone, with holidays (whole local days closed):

    SLA_BUSINESS_HOURS="mon-fri 09:00-18:00; sat 10:00-14:00"   SLA_TIMEZONE=Asia/Tokyo
    SLA_HOLIDAYS="2026-12-31,2027-01-01"

Each rule is days (`mon-fri`, `sat,sun`, `tue`) and one local range (`00:00-24:00` is the whole day; a night shift
across midnight is two rules). With a schedule, a queue's SLA counts only open time: `open_past_sla` counts the
conversations that have waited longer than their SLA in business time, and a first reply is late when the business
time between the customer's message and it is longer. Response-time histograms stay in clock time (what the customer
lived). Without a schedule (the default) every hour counts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the farthest a walk through the calendar goes: an SLA is hours or days, a first reply may come years late
FARTHEST = timedelta(days=3700)
_RULE = re.compile(r"^(?P<days>[a-z,\-]+)\s+(?P<open>\d{2}:\d{2})-(?P<close>\d{2}:\d{2})$")


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # per weekday (Monday 0): open ranges in minutes since midnight
    holidays: frozenset[date]
    text: str  # as configured, for people

    def open_ranges(self, day: date) -> list[tuple[datetime, datetime]]:
        """That local day's open ranges, in UTC."""
        if day in self.holidays:
            return []
        return [(self._at(day, start), self._at(day, end)) for start, end in self.weekly[day.weekday()]]

    def _at(self, day: date, minutes: int) -> datetime:
        # wall-clock time: 09:00 on the day the clocks change is still 09:00 there; 24:00 is the next midnight
        whole_days, minute = divmod(minutes, 1440)
        local = datetime.combine(day + timedelta(days=whole_days), time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(timezone.utc)

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two moments (none when end is not after start)."""
        if end <= start:
            return timedelta(0)
        end = min(end, start + FARTHEST)
        total = timedelta(0)
        day = self._local_day(start) - timedelta(days=1)  # a range of the day before may run past midnight
        while day <= self._local_day(end):
            for opens, closes in self.open_ranges(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        day = self._local_day(moment)
        return any(opens <= moment < closes for d in (day - timedelta(days=1), day) for opens, closes in self.open_ranges(d))

    def closed_since(self, moment: datetime) -> datetime:
        """When the closed time holding `moment` began: the latest closing at or before it (far in the past when
        the calendar holds none). Only meaningful while closed."""
        day = self._local_day(moment)
        earliest = moment - FARTHEST
        while day >= earliest.date():
            closings = [closes for _, closes in self.open_ranges(day) if closes <= moment]
            if closings:
                return max(closings)
            day -= timedelta(days=1)
        return earliest

    def window_start(self, now: datetime, length: timedelta) -> datetime:
        """The moment from which `length` of open time runs until `now`: whoever has waited since before it has waited
        longer than `length` in business time. Far in the past when the calendar holds too little open time."""
        left = length
        day = self._local_day(now)
        earliest = now - FARTHEST
        while day >= earliest.date():
            for opens, closes in reversed(self.open_ranges(day)):
                closes = min(closes, now)
                if closes <= opens:
                    continue
                if closes - opens >= left:
                    return closes - left
                left -= closes - opens
            day -= timedelta(days=1)
        return earliest


def _days(text: str) -> set[int]:
    chosen: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {text!r}: use {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last or first)
        chosen |= set(range(a, b + 1)) if a <= b else set(range(a, 7)) | set(range(0, b + 1))  # fri-mon wraps
    return chosen


def _minutes(text: str, *, closing: bool) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not closing)):
        raise ValueError(f"{text} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


@functools.lru_cache(maxsize=8)
def parse(hours: str, zone: str, holidays: str | None = None) -> Schedule:
    """A schedule from its settings; ValueError saying what is wrong (the settings refuse to start with it)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone!r} is not an IANA time zone (e.g. Asia/Tokyo, Europe/Paris, UTC)") from None
    weekly: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for rule in filter(None, (r.strip().lower() for r in hours.split(";"))):
        found = _RULE.match(rule)
        if not found:
            raise ValueError(f"{rule!r} is not `<days> HH:MM-HH:MM` (e.g. `mon-fri 09:00-18:00`)")
        opens, closes = _minutes(found["open"], closing=False), _minutes(found["close"], closing=True)
        if closes <= opens:
            raise ValueError(f"{rule!r} closes before it opens (a night shift is two rules, one each side of midnight)")
        for day in _days(found["days"]):
            weekly[day].append((opens, closes))
    if not any(weekly):
        raise ValueError("business hours need at least one open range")
    merged = tuple(tuple(_merged(sorted(ranges))) for ranges in weekly)
    closed_days: set[date] = set()
    for text in filter(None, (d.strip() for d in (holidays or "").split(","))):
        try:
            closed_days.add(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return Schedule(zone=tz, weekly=merged, holidays=frozenset(closed_days), text=f"{hours.strip()} ({zone})")


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ranges of one day as one (so no minute counts twice)."""
    out: list[tuple[int, int]] = []
    for start, end in ranges:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def counted(schedule: Schedule | None, start: datetime, end: datetime) -> timedelta:
    """The time an SLA counts between two moments: open time with a schedule, all of it without."""
    return max(end - start, timedelta(0)) if schedule is None else schedule.elapsed(start, end)


def past_sla_before(schedule: Schedule | None, now: datetime, sla: timedelta) -> datetime:
    """Whoever has waited since before this moment is past the SLA now."""
    return now - sla if schedule is None else schedule.window_start(now, sla)
