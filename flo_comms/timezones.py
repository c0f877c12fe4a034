"""UTC in the database, the member's own zone on screen.

>>> format_local(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "America/New_York")
'1 Mar 2026, 12:00 EST'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


def utc_offsets(
    zone: str, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """The zone's UTC offset in seconds from ``start`` to ``end``, as spans.

    Each pair is the UTC moment an offset begins and the offset; the first
    begins at ``start``. For New York over March 2026:
    [(1 Mar 00:00, -18000), (8 Mar 07:00, -14400)]. Found by looking once a
    day and narrowing each change down to the second, which finds every change
    that lasts longer than a day (all of them, in the time zone database).
    """
    info = ZoneInfo(zone)
    start, end = start.astimezone(UTC), end.astimezone(UTC)

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(info).utcoffset().total_seconds())

    spans = [(start, offset(start))]
    day = timedelta(days=1)
    moment = start
    while moment < end:
        following = min(moment + day, end)
        if offset(following) != spans[-1][1]:
            before, after = moment, following
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if offset(middle) == spans[-1][1]:
                    before = middle
                else:
                    after = middle
            spans.append((after.replace(microsecond=0), offset(after)))
        moment = following
    return spans
