"""How the events pages write an event's times, kind, lead times and results.

An event's times are shown in its own time zone, and beside them in the
member's when the two differ:

>>> span(datetime(2026, 5, 8, 8, 0, tzinfo=UTC), datetime(2026, 5, 8, 9, 30,
...      tzinfo=UTC), "Europe/Berlin")
'Fri 8 May 2026, 10:00–11:30 CEST'
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from flo_comms.timezones import now_utc, to_local

# A result that names people (who was added, approved, put into a slot) is
# shown on the event page until the next click, where a toast would vanish.
NOTICE_KEY = "event_notice"


def span(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """'Fri 8 May 2026, 10:00–11:30 CEST'; the end's date only if it differs."""
    start = to_local(starts_at, zone)
    end = to_local(ends_at, zone)
    until = f"{end:%H:%M}" if end.date() == start.date() else _day(end, short=True)
    return f"{_day(start)}, {start:%H:%M}–{until} {start.tzname()}"


def _day(moment: datetime, *, short: bool = False) -> str:
    if short:
        return f"{moment.day} {moment:%b}, {moment:%H:%M}"
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def when_lines(
    starts_at: datetime, ends_at: datetime, event_zone: str, viewer_zone: str
) -> list[str]:
    """The event's time in its own zone, then in the viewer's if that differs."""
    lines = [f"{span(starts_at, ends_at, event_zone)} ({event_zone})"]
    if viewer_zone != event_zone:
        lines.append(f"your time: {span(starts_at, ends_at, viewer_zone)}")
    return lines


def has_ended(ends_at: datetime) -> bool:
    if ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=UTC)
    return ends_at <= now_utc()


def hours(minutes: int) -> str:
    """60 -> '1 hour', 480 -> '8 hours', 10080 -> '1 week'."""
    if minutes % (7 * 24 * 60) == 0:
        weeks = minutes // (7 * 24 * 60)
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    if minutes % 60 == 0:
        count = minutes // 60
        return f"{count} hour" + ("s" if count != 1 else "")
    return f"{minutes} minutes"


def names(people: tuple[str, ...] | list[str]) -> str:
    """'Ana, Bo and Cy'."""
    people = list(people)
    if len(people) <= 1:
        return "".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


def candidates_count(count: int) -> str:
    return f"{count} candidate" + ("" if count == 1 else "s")


def set_notice(event_id: int, message: str) -> None:
    st.session_state[NOTICE_KEY] = {"event_id": event_id, "message": message}


def pop_notice(event_id: int) -> str | None:
    """The result of the last action on this event, once."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice is None or notice["event_id"] != event_id:
        return None
    return notice["message"]
