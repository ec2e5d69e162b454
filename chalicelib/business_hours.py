"""Business hours: managers read and change them (`GET`/`PUT /business-hours`); the SLAs and the away message follow
them (store.business_hours.schedule). Until a manager saves some, the operator's settings are the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .config import get_settings
from .domain.business_hours import parse
from .domain.errors import InvalidRequest
from .domain.workflow import Actor
from .store import business_hours as store
from .store.entities import iso


@dataclass(frozen=True)
class HoursView:
    hours: str | None
    timezone: str
    holidays: list[str]
    text: str | None
    open_now: bool | None
    source: str  # saved | operator | none
    updated_by: str | None
    updated_at: str | None
    rev: int


def _view(saved: store.SavedHours, now: datetime) -> HoursView:
    settings = get_settings()
    if saved.rev:
        hours, zone, holidays, source = saved.hours, saved.timezone, list(saved.holidays), "saved"
    elif settings.sla_business_hours:
        hours, zone, source = settings.sla_business_hours, settings.sla_timezone, "operator"
        holidays = [d.strip() for d in (settings.sla_holidays or "").split(",") if d.strip()]
    else:
        hours, zone, holidays, source = None, settings.sla_timezone, [], "none"
    try:
        schedule = parse(hours, zone, ",".join(holidays)) if hours else None
    except ValueError:  # saved in a zone the time-zone database has since dropped: shown as saved, to be fixed
        schedule = None
    return HoursView(hours=hours, timezone=zone, holidays=holidays, text=schedule.text if schedule else None,
                     open_now=schedule.is_open(now) if schedule else None, source=source,
                     updated_by=saved.updated_by, updated_at=saved.updated_at, rev=saved.rev)


def current(now: datetime) -> HoursView:
    return _view(store.get(), now)


def change(actor: Actor, hours: str | None, timezone: str, holidays: list[date], rev: int,
           now: datetime) -> HoursView:
    """Save the schedule at the revision read; one that cannot be read is refused, saying why."""
    days = tuple(sorted({d.isoformat() for d in holidays}))
    hours = " ".join(hours.split()) if hours and hours.strip() else None
    try:
        parse(hours or "mon 00:00-24:00", timezone, ",".join(days))  # the zone and days are checked without hours too
    except ValueError as wrong:
        raise InvalidRequest(str(wrong), code="invalid_business_hours") from None
    saved = store.save(store.SavedHours(hours=hours, timezone=timezone, holidays=days, updated_by=actor.id,
                                        updated_at=iso(now), rev=rev + 1), rev)
    return _view(saved, now)
