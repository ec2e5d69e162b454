"""The business hours managers saved, in DynamoDB: one item, replaced only at the revision its editor read.

Until a manager saves them, the operator's settings (SLA_BUSINESS_HOURS, SLA_TIMEZONE, SLA_HOLIDAYS) are the
schedule. Readers on busy paths (a first reply's lateness, the away message) use `schedule()`: one GetItem per
container every CACHE_SECONDS."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..config import get_settings
from ..domain.business_hours import Schedule, parse
from . import settings
from .entities import BusinessHoursKeys

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class SavedHours:
    hours: str | None = None  # None: no business hours (every hour counts)
    timezone: str = "UTC"
    holidays: tuple[str, ...] = field(default_factory=tuple)
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved here (the operator's settings apply)

    def schedule(self) -> Schedule | None:
        return parse(self.hours, self.timezone, ",".join(self.holidays)) if self.hours else None


def get(consistent: bool = True) -> SavedHours:
    item = settings.read(BusinessHoursKeys.SK, consistent)
    if item is None:
        return SavedHours()
    return SavedHours(hours=item.get("hours"), timezone=item.get("timezone", "UTC"),
                      holidays=tuple(item.get("holidays") or ()), updated_by=item.get("updated_by"),
                      updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: SavedHours, read_rev: int) -> SavedHours:
    attributes = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(changed).items()}
    settings.replace_at(BusinessHoursKeys.SK, BusinessHoursKeys.TYPE, attributes, read_rev, lambda: get() == changed,
                        "business hours")
    forget()
    return changed


def _in_force() -> Schedule | None:
    saved = get(consistent=False)
    if not saved.rev:
        return get_settings().sla_schedule()
    try:
        return saved.schedule()
    except ValueError as unreadable:  # read when saved; only a time-zone database without its zone gets here
        from .. import observability

        observability.warning("saved business hours unreadable: the operator's apply", error=str(unreadable))
        return get_settings().sla_schedule()


_copy = settings.ContainerCopy(_in_force, CACHE_SECONDS)
# the schedule in force: the one saved here, else the operator's (None: every hour counts); this container's copy,
# read again once older than CACHE_SECONDS
schedule = _copy.get
forget = _copy.forget
