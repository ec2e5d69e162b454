"""Manager statistics from counters kept in the same transactions as the messages (never a scan).

- volumes: messages per category and platform for each hour or day (in any IANA time zone);
- response times: time to first claim and to resolve (p50/p90, from log-spaced histograms) per queue;
- SLA: open messages older than each queue's SLA, now;
- live model accuracy: per model version and queue, the share re-routed by agents and the from-to table;
- spikes: buckets whose volume is improbably high for the category's own trailing baseline.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from . import histogram
from .config import get_settings
from .domain import business_hours, surveys
from .errors import BadRequest
from .models import QUEUES
from .store import business_hours as hours_store
from .store import counters
from .store.counters import accuracy_counters, volume_counters
from .store.entities import iso

MAX_RANGE = timedelta(days=366)
# hourly buckets: 31 days is 744 buckets per answer, well inside API Gateway/Lambda's 6 MB response
MAX_HOURLY_RANGE = timedelta(days=31)
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
DEFAULT_RANGE = timedelta(days=7)
SPIKE_P_VALUE = 0.001
SPIKE_MIN_COUNT = 5
MIN_BASELINE_HOURS, MAX_BASELINE_HOURS = 24, 168
SPIKE_METHOD = (
    "Poisson upper tail: for each hour and category, expected = mean hourly volume over the trailing "
    "baseline_hours (24-168, default 168; at least 0.5/hour); a spike is observed >= 5 with "
    "P(X >= observed | Poisson(expected)) < 0.001."
)


@dataclass(frozen=True)
class StatsQuery:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    granularity: str
    tz: ZoneInfo
    platform: str | None
    queues: tuple[str, ...]


def window(query, now: datetime, *, bound_hourly: bool = True) -> StatsQuery:
    """The range a validated query (schemas.StatsQuery) asks for, as served: from/to read in tz, then cut to
    2000-2099 and to at most 366 days from `from` (31 days for hourly buckets, so that the answer fits API
    Gateway's 6 MB, unless the caller answers only a few of them: spikes); from >= to is an empty range. The
    answer says the range served, so a cut is never silent."""
    tz = ZoneInfo(query.tz)
    end = _served(_moment(query.to, tz)) if query.to else now
    start = max(_served(_moment(query.from_, tz)) if query.from_ else end - DEFAULT_RANGE, EARLIEST)
    granularity = getattr(query, "granularity", "hour")  # people's activity: hourly, every queue and platform
    longest = MAX_HOURLY_RANGE if bound_hourly and granularity == "hour" else MAX_RANGE
    end = max(start, min(end, start + longest))
    queue = getattr(query, "queue", None)
    return StatsQuery(start, end, granularity, tz, getattr(query, "platform", None), (queue,) if queue else QUEUES)


def _served(moment: datetime) -> datetime:
    return min(max(moment, EARLIEST), LATEST)


def _moment(value: str, tz: ZoneInfo) -> datetime:
    """An ISO date (midnight in `tz`) or date-time (naive means `tz`), as UTC; years beyond the served
    range are held at its ends."""
    if len(value) == 10:
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tz)
    else:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999
        return EARLIEST if moment.year < EARLIEST.year else LATEST


# reading counters (the store sums their shards) -------------------------------------------------------

def open_past_sla(queue: str, now: datetime) -> int:
    """Open conversations whose customer has waited longer than the queue's SLA (in business time, with a schedule)."""
    settings = get_settings()
    sla = timedelta(seconds=settings.sla_seconds(queue))
    return counters.open_past(queue, business_hours.past_sla_before(hours_store.schedule(), now, sla))


# shaping ------------------------------------------------------------------------------------------

def _hour_start(hour: str) -> datetime:
    return datetime.fromisoformat(f"{hour}:00+00:00")


def _bucket_start(hour: str, query: StatsQuery) -> datetime:
    local = _hour_start(hour).astimezone(query.tz)
    if query.granularity == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=4096)
def _role(name: str) -> tuple[str, Any, str | None]:
    """What a counter attribute is, and the platform it counts (None: every platform):
    ("platform", name, name) for `messages:<platform>`, ("ttc"|"ttr"|"ttfr", bin, ...) or (name, None, ...)."""
    if name.startswith("messages:"):
        return "platform", name[len("messages:"):], name[len("messages:"):]
    name, _, platform = name.partition(":")
    kind, _, index = name.partition("_")
    if kind in ("ttc", "ttr", "ttfr") and index.isdigit():
        return kind, int(index), platform or None
    if kind == "rating" and index.isdigit():  # rating_<score>: how many gave that score
        return kind, int(index), platform or None
    return name, None, platform or None


@dataclass
class _Cell:
    """One queue's numbers in one bucket."""

    messages: int = 0
    needs_review: int = 0
    resolved: int = 0
    auto_resolved: int = 0
    snoozed: int = 0
    platforms: dict[str, int] = field(default_factory=dict)
    ttc: dict[int, int] = field(default_factory=dict)
    ttr: dict[int, int] = field(default_factory=dict)
    ttfr: dict[int, int] = field(default_factory=dict)
    first_replied: int = 0
    first_reply_late: int = 0
    away_sent: int = 0
    rule_replies_sent: int = 0
    sla_breaches: int = 0
    surveys_sent: int = 0
    ratings: int = 0
    rating_sum: int = 0
    ratings_satisfied: int = 0
    ratings_by_score: dict[int, int] = field(default_factory=dict)

    def response_times(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resolved": self.resolved, "auto_resolved": self.auto_resolved,
                               "snoozed": self.snoozed, "first_replied": self.first_replied,
                               "first_replies_late": self.first_reply_late, "away_sent": self.away_sent,
                               "rule_replies_sent": self.rule_replies_sent, "sla_breaches": self.sla_breaches,
                               "surveys_sent": self.surveys_sent, "ratings": self.ratings,
                               "rating_average": _average(self.rating_sum, self.ratings)}
        for counts, name in ((self.ttc, "first_claim"), (self.ttfr, "first_reply"), (self.ttr, "resolve")):
            for q, label in ((0.5, "p50"), (0.9, "p90")):
                value = histogram.percentile(counts, q)
                out[f"time_to_{name}_{label}_seconds"] = round(value, 1) if value is not None else None
        return out


def _summarize(counts: dict[str, int], platform: str | None) -> _Cell:
    """A (summed) counter's attributes as a cell: every platform's, or with a platform filter that platform's
    (its messages, review flags and response times: `<name>:<platform>`)."""
    own = (lambda name: f"{name}:{platform}") if platform else (lambda name: name)
    cell = _Cell(messages=counts.get(own("messages"), 0), needs_review=counts.get(own("needs_review"), 0),
                 resolved=counts.get(own("resolved"), 0), auto_resolved=counts.get(own("auto_resolved"), 0),
                 snoozed=counts.get(own("snoozed"), 0), first_replied=counts.get(own("first_replied"), 0),
                 first_reply_late=counts.get(own("first_reply_late"), 0), away_sent=counts.get(own("away_sent"), 0),
                 rule_replies_sent=counts.get(own("rule_replies_sent"), 0),
                 sla_breaches=counts.get(own("sla_breaches"), 0),
                 surveys_sent=counts.get(own("surveys_sent"), 0), ratings=counts.get(own("ratings"), 0),
                 rating_sum=counts.get(own("rating_sum"), 0), ratings_satisfied=counts.get(own("ratings_satisfied"), 0))
    for name, value in counts.items():
        role, detail, counted_platform = _role(name)
        if role == "rating" and counted_platform == platform:
            cell.ratings_by_score[detail] = value
        elif role == "platform":
            if value and (platform is None or detail == platform):
                cell.platforms[detail] = value
        elif role in ("ttc", "ttr", "ttfr") and counted_platform == platform:
            getattr(cell, role)[detail] = value
    return cell


def volume_cells(query: StatsQuery) -> dict[datetime, dict[str, _Cell]]:
    """Per bucket start and queue: the summed counters of the hours in the bucket (the key condition already bounds
    the hours to those overlapping the range)."""
    starts: dict[str, datetime] = {}  # each hour is met once per queue
    sums: dict[tuple[datetime, str], dict[str, int]] = {}
    for queue in query.queues:
        for hour, counts in volume_counters(queue, query.start, query.end):
            start = starts.get(hour)
            if start is None:
                start = starts[hour] = _bucket_start(hour, query)
            total = sums.get((start, queue))
            if total is None:
                sums[(start, queue)] = counts
            else:  # several hours in one bucket (days): the counters add up
                for name, value in counts.items():
                    total[name] = total.get(name, 0) + value
    cells: dict[datetime, dict[str, _Cell]] = defaultdict(dict)
    for (start, queue), counts in sums.items():
        cells[start][queue] = _summarize(counts, query.platform)
    return cells


def volumes(query: StatsQuery, cells: dict[datetime, dict[str, _Cell]] | None = None) -> list[dict[str, Any]]:
    """Per bucket: messages per category and per platform, needs_review, and response times per queue.

    With a platform filter, every number is that platform's (response times counted per platform since they
    were first kept so; earlier hours have none for a platform).
    """
    cells = volume_cells(query) if cells is None else cells
    out = []
    empty = _Cell()
    for start in sorted(cells):
        row = [cells[start].get(q, empty) for q in query.queues]
        if query.platform and not any(c.messages for c in row):
            continue
        platforms: dict[str, int] = defaultdict(int)
        for cell in row:
            for name, value in cell.platforms.items():
                platforms[name] += value
        out.append({
            "start": start.isoformat(),
            "messages": {q: c.messages for q, c in zip(query.queues, row)},
            "total": sum(c.messages for c in row),
            "platforms": dict(sorted(platforms.items())),
            "needs_review": {q: c.needs_review for q, c in zip(query.queues, row)},
            "response_times": {q: c.response_times() for q, c in zip(query.queues, row)},
        })
    return out


def model_accuracy(query: StatsQuery) -> dict[str, Any]:
    """Per model version and the queue the model chose: re-route share, needs_review share, from-to table."""
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for queue in query.queues:
        for counter in accuracy_counters(queue, query.start, query.end):
            row = rows[(counter["model_version"], queue)]
            for name, value in counter.items():
                if name in ("classified", "needs_review", "rerouted"):
                    row[name] += value
                elif name.startswith("reroute_"):
                    source, _, target = name[len("reroute_"):].partition("__")
                    matrix[source][target] += value
    versions = [
        {
            "model_version": version, "queue": queue, "classified": row.get("classified", 0),
            "rerouted": row.get("rerouted", 0), "needs_review": row.get("needs_review", 0),
            "rerouted_share": _share(row.get("rerouted", 0), row.get("classified", 0)),
            "needs_review_share": _share(row.get("needs_review", 0), row.get("classified", 0)),
        }
        for (version, queue), row in sorted(rows.items())
    ]
    return {"by_version": versions, "reroutes": {s: dict(t) for s, t in sorted(matrix.items())}}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _ratings(cells: list[_Cell]) -> dict[str, Any]:
    """A queue's satisfaction numbers over the range (its cells: every bucket's)."""
    ratings, total = sum(c.ratings for c in cells), sum(c.rating_sum for c in cells)
    by_score = {str(score): sum(c.ratings_by_score.get(score, 0) for c in cells) for score in surveys.SCORES}
    return {"surveys_sent": sum(c.surveys_sent for c in cells), "ratings": ratings,
            "rating_average": _average(total, ratings),
            "satisfied_share": _share(sum(c.ratings_satisfied for c in cells), ratings),
            "ratings_by_score": by_score}


def stats(query: StatsQuery, now: datetime) -> dict[str, Any]:
    settings = get_settings()
    schedule = hours_store.schedule()
    cells = volume_cells(query)
    buckets = volumes(query, cells)
    first_replies = {q: (sum(b["response_times"][q]["first_replied"] for b in buckets),
                         sum(b["response_times"][q]["first_replies_late"] for b in buckets)) for q in query.queues}
    away_sent = {q: sum(b["response_times"][q]["away_sent"] for b in buckets) for q in query.queues}
    rule_replies = {q: sum(b["response_times"][q]["rule_replies_sent"] for b in buckets) for q in query.queues}
    breaches = {q: sum(b["response_times"][q]["sla_breaches"] for b in buckets) for q in query.queues}
    return {
        "from": query.start.astimezone(query.tz).isoformat(),
        "to": query.end.astimezone(query.tz).isoformat(),
        "granularity": query.granularity,
        "tz": str(query.tz),
        "platform": query.platform,
        "buckets": buckets,
        "sla": [{"queue": q, "sla_seconds": settings.sla_seconds(q), "open_past_sla": open_past_sla(q, now),
                 "first_replied": first_replies[q][0], "first_replies_late": first_replies[q][1],
                 "away_sent": away_sent[q], "rule_replies_sent": rule_replies[q], "sla_breaches": breaches[q],
                 **_ratings([row[q] for row in cells.values() if q in row]),
                 "business_hours": schedule.text if schedule else None}
                for q in query.queues],
        "model_accuracy": model_accuracy(query),
    }


# people -------------------------------------------------------------------------------------------

def people(query: StatsQuery, keys: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each person did in the range (by the UTC hour it happened; up to 366 days, see
    counters.person_counters): conversations resolved with their time to resolve (from the customer's first
    message), replies sent, and the customers' ratings of the conversations they resolved. Everyone who did something, revoked keys included (last month's work stays
    theirs), most resolved first."""
    out = []
    first, last = iso(query.start), iso(query.end)
    for record in keys:
        if record["created_at"] >= last or (record.get("revoked_at") or "9") < first:
            continue  # nobody could act with it in the range: no read
        totals: dict[str, int] = defaultdict(int)
        for _, counts in counters.person_counters(record["key_id"], query.start, query.end):
            for name, value in counts.items():
                totals[name] += value
        if not any(totals.values()):
            continue
        ttr = {int(name[4:]): value for name, value in totals.items() if name.startswith("ttr_") and name[4:].isdigit()}
        times = {label: histogram.percentile(ttr, q) for q, label in ((0.5, "p50"), (0.9, "p90"))}
        ratings = totals.get("ratings", 0)
        out.append({"key_id": record["key_id"], "name": record["name"], "role": record["role"],
                    "revoked": bool(record.get("revoked_at")), "resolved": totals.get("resolved", 0),
                    "replies": totals.get("replies", 0), "ratings": ratings,
                    "rating_average": _average(totals.get("rating_sum", 0), ratings),
                    "satisfied_share": _share(totals.get("ratings_satisfied", 0), ratings),
                    **{f"time_to_resolve_{label}_seconds": None if value is None else round(value, 1)
                       for label, value in times.items()}})
    return sorted(out, key=lambda p: (-p["resolved"], -p["replies"], p["name"].casefold(), p["key_id"]))


# spikes -------------------------------------------------------------------------------------------

def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    if observed > expected:
        # the upper tail directly: its terms shrink at least geometrically past the mean, so a huge hour
        # costs a few dozen terms, not `observed` of them, and tiny p-values keep their precision
        log_first = -expected + observed * math.log(expected) - math.lgamma(observed + 1)
        total, term, k = 0.0, 1.0, observed
        while term > 1e-17 * total or total == 0.0:
            total += term
            k += 1
            term *= expected / k
        return max(0.0, min(1.0, math.exp(log_first) * total))
    log_terms = [-expected + k * math.log(expected) - math.lgamma(k + 1) for k in range(observed)]
    top = max(log_terms)
    below = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    return max(0.0, min(1.0, 1.0 - below))


def spikes(query: StatsQuery, baseline_hours: int = MAX_BASELINE_HOURS) -> list[dict[str, Any]]:
    """Hours in range where a category's volume is improbably high against its trailing baseline.

    Expected = mean hourly volume of the category over the `baseline_hours` before that hour (floor
    0.5/hour); a spike is observed >= 5 with a Poisson upper-tail p-value under 0.001.
    """
    if not MIN_BASELINE_HOURS <= baseline_hours <= MAX_BASELINE_HOURS:
        raise BadRequest(f"baseline_hours must be between {MIN_BASELINE_HOURS} and {MAX_BASELINE_HOURS}",
                         code="invalid_query")
    found = []
    first = query.start.replace(minute=0, second=0, microsecond=0)
    origin = first - timedelta(hours=baseline_hours)  # index 0 of the hourly series
    size = baseline_hours + math.ceil((query.end - first) / timedelta(hours=1))
    name = f"messages:{query.platform}" if query.platform else "messages"
    for queue in query.queues:
        hourly = [0] * size
        for hour, counts in volume_counters(queue, origin, query.end):
            index = (_hour_start(hour) - origin) // timedelta(hours=1)
            if 0 <= index < size:
                hourly[index] += counts.get(name, 0)
        window = sum(hourly[:baseline_hours])  # the trailing baseline, slid one hour at a time
        for index in range(baseline_hours, size):
            observed = hourly[index]
            if observed >= SPIKE_MIN_COUNT:
                expected = max(window / baseline_hours, 0.5)
                p_value = poisson_tail(observed, expected)
                if p_value < SPIKE_P_VALUE:
                    hour = origin + timedelta(hours=index)
                    found.append({"queue": queue, "start": hour.astimezone(query.tz).isoformat(),
                                  "observed": observed, "expected": round(expected, 3), "p_value": p_value})
            window += observed - hourly[index - baseline_hours]
    return sorted(found, key=lambda s: (s["start"], s["queue"]))


# CSV ----------------------------------------------------------------------------------------------

def to_csv(buckets: Iterable[dict[str, Any]], queues: Iterable[str]) -> str:
    """One row per bucket and queue: the same numbers as the JSON buckets, for a spreadsheet."""
    buckets, queues = list(buckets), list(queues)
    platforms = sorted({p for b in buckets for p in b["platforms"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    times = ["time_to_first_claim_p50_seconds", "time_to_first_claim_p90_seconds",
             "time_to_first_reply_p50_seconds", "time_to_first_reply_p90_seconds",
             "time_to_resolve_p50_seconds", "time_to_resolve_p90_seconds"]
    writer.writerow(["bucket_start", "queue", "messages", "needs_review", "resolved", "auto_resolved", "snoozed", *times,
                     "away_sent", "rule_replies_sent", "sla_breaches", "surveys_sent", "ratings", "rating_average",
                     *[f"bucket_messages_{p}" for p in platforms]])
    for b in buckets:
        for q in queues:
            rt = b["response_times"][q]
            writer.writerow([b["start"], q, b["messages"][q], b["needs_review"][q], rt["resolved"], rt["auto_resolved"], rt["snoozed"],
                             *["" if rt[t] is None else rt[t] for t in times], rt["away_sent"], rt["rule_replies_sent"],
                             rt["sla_breaches"], rt["surveys_sent"], rt["ratings"], "" if rt["rating_average"] is None else rt["rating_average"],
                             *[b["platforms"].get(p, 0) for p in platforms]])
    return out.getvalue()
