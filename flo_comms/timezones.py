"""UTC in the database, the member's own zone on screen.

>>> format_local(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "America/New_York")
'1 Mar 2026, 12:00 EST'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flo_comms.errors import ValidationError


@lru_cache(maxsize=1)
def all_time_zones() -> list[str]:
    """Every IANA zone name, sorted, for pickers."""
    return sorted(available_timezones())


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_to_utc(local: datetime, zone: str, *, field: str = "occurred_at") -> datetime:
    """Read a wall-clock time in ``zone`` and return it in UTC.

    A time that the zone skips when clocks go forward is refused rather than
    guessed; a time that happens twice when clocks go back means the first one.
    """
    tz = ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            {
                field: f"{local.day} {local:%b %Y, %H:%M} does not exist in "
                f"{zone}: the clocks skip that hour. Pick a time outside the change."
            }
        )
    return aware.astimezone(UTC)


def to_local(moment: datetime, zone: str) -> datetime:
    """Convert a stored time (aware, or naive meaning UTC) into ``zone``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def format_local(moment: datetime, zone: str) -> str:
    """A time as a member reads it: '1 Mar 2026, 12:00 EST'."""
    local = to_local(moment, zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def start_of_local_day(day: date, zone: str) -> datetime:
    """Midnight of ``day`` in ``zone``, in UTC.

    In the few zones whose clocks skip midnight itself, this is the first
    moment of that day that exists.
    """
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).astimezone(ZoneInfo(zone)).astimezone(UTC)
