"""The read questions: timelines, the candidates search, every analytics function.

Each question is asked three ways. Ours: the domain function, as the pages
call it. Raw: the very statements ours sends (recorded once from the driver),
replayed on DuckDB's own connection and fetched as tuples, with no SQLAlchemy,
no pool and no Python objects built: the floor under our code. SQLite: the
same domain function on the SQLite twin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms import analytics
from flo_comms.candidates import search_candidates
from flo_comms.timeline import TimelineFilter, candidate_timeline

VIEWER_ZONE = "America/New_York"
TEXT_FILTER = "salary"
SEARCH_TEXT = "smith"


@dataclass(frozen=True)
class Subjects:
    """What the questions are about, found in the data once."""

    average_candidate: int
    average_entries: int
    longest_candidate: int
    longest_entries: int
    quarter: tuple[date, date]


@dataclass(frozen=True)
class ReadQuestion:
    name: str
    target: str
    ask: Callable[[Engine], object]


def find_subjects(engine: Engine) -> Subjects:
    """The candidate nearest the mean timeline length, the longest, the last quarter."""
    live = (
        sa.select(
            sa.literal_column("cc.candidate_id").label("candidate_id"),
            sa.func.count().label("entries"),
        )
        .select_from(sa.text("communication_candidates cc"))
        .join(
            sa.text("communications c"),
            sa.text("c.id = cc.communication_id AND c.deleted_at IS NULL"),
        )
        .group_by(sa.literal_column("cc.candidate_id"))
        .subquery()
    )
    with engine.connect() as connection:
        counts = connection.execute(
            sa.select(live.c.candidate_id, live.c.entries).order_by(live.c.candidate_id)
        ).all()
        latest = connection.execute(
            sa.text("SELECT max(logged_at) FROM communications")
        )
        now = latest.scalar_one()
    mean = sum(n for _, n in counts) / len(counts)
    average = min(counts, key=lambda row: (abs(row[1] - mean), row[0]))
    longest = max(counts, key=lambda row: (row[1], -row[0]))
    return Subjects(average[0], average[1], longest[0], longest[1], last_quarter(now))


def last_quarter(today: date) -> tuple[date, date]:
    """The last whole calendar quarter before ``today``'s: 3 Dec 2026 -> Q3 2026."""
    first_month = (today.month - 1) // 3 * 3 + 1
    year, month = today.year, first_month - 3
    if month < 1:
        year, month = year - 1, month + 12
    start = date(year, month, 1)
    end_month, end_year = month + 3, year
    if end_month > 12:
        end_month, end_year = end_month - 12, end_year + 1
    end = date.fromordinal(date(end_year, end_month, 1).toordinal() - 1)
    return start, end


ANALYTICS = (
    analytics.outreach_volume,
    analytics.outreach_by_event,
    analytics.volume_by_source,
    analytics.manual_by_type,
    analytics.system_by_origin,
    analytics.job_emails_by_job,
    analytics.job_emails_by_status,
    analytics.delivery_volume,
    analytics.headline_figures,
)
TIMELINE_TARGET = "p95 ≤ 20 ms, ≤ 1.5× raw"
ANALYTICS_TARGET = "≤ 150 ms, ≤ 1.5× raw"


def read_questions(subjects: Subjects) -> list[ReadQuestion]:
    average, longest = subjects.average_candidate, subjects.longest_candidate
    text = TimelineFilter(text=TEXT_FILTER, time_zone=VIEWER_ZONE)
    questions = [
        ReadQuestion(
            f"Timeline first page, average candidate "
            f"({subjects.average_entries:,} entries)",
            TIMELINE_TARGET,
            lambda engine: candidate_timeline(engine, average),
        ),
        ReadQuestion(
            f"Timeline first page, longest ({subjects.longest_entries:,} entries)",
            TIMELINE_TARGET,
            lambda engine: candidate_timeline(engine, longest),
        ),
        ReadQuestion(
            f"Timeline first page, average candidate, text “{TEXT_FILTER}”",
            TIMELINE_TARGET,
            lambda engine: candidate_timeline(engine, average, text),
        ),
        ReadQuestion(
            f"Timeline first page, longest, text “{TEXT_FILTER}”",
            TIMELINE_TARGET,
            lambda engine: candidate_timeline(engine, longest, text),
        ),
        ReadQuestion(
            "Candidates page, no search text",
            "",
            lambda engine: search_candidates(engine),
        ),
        ReadQuestion(
            f"Candidates page, search “{SEARCH_TEXT}”",
            "",
            lambda engine: search_candidates(engine, SEARCH_TEXT),
        ),
    ]
    start, end = subjects.quarter
    ranges = {
        "whole range": analytics.AnalyticsFilter(time_zone=VIEWER_ZONE),
        f"{start:%b}–{end:%b %Y}": analytics.AnalyticsFilter(
            start_date=start, end_date=end, time_zone=VIEWER_ZONE
        ),
    }
    for function in ANALYTICS:
        for label, criteria in ranges.items():
            questions.append(
                ReadQuestion(
                    f"analytics.{function.__name__}, {label}",
                    ANALYTICS_TARGET,
                    lambda engine, f=function, c=criteria: f(engine, c),
                )
            )
    questions.append(
        ReadQuestion(
            "analytics.data_version (each Analytics page run)",
            ANALYTICS_TARGET,
            analytics.data_version,
        )
    )
    return questions


class Recorder:
    """The statements and parameters an engine sends its driver, while recording."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def _record(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        self.statements.append((statement, parameters))

    def __enter__(self) -> Recorder:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def raw_replay(engine: Engine, question: ReadQuestion) -> Callable[[], None]:
    """The statements ``question`` sends, replayed straight on DuckDB."""
    with Recorder(engine) as recorder:
        question.ask(engine)
    statements = list(recorder.statements)
    duckdb_connection = engine.raw_connection().driver_connection

    def replay() -> None:
        for statement, parameters in statements:
            duckdb_connection.execute(statement, parameters).fetchall()

    return replay
