"""The benchmark: every measured question, ours beside raw DuckDB and SQLite.

    .venv/bin/python -m benchmarks.run --candidates 250000 --communications 5000000

makes (or reuses) a DuckDB file of that size with flo_comms.scale, a SQLite
twin holding the same rows, and copies of both for the writes, then prints
one table: for each question the median and 95th percentile of our code on
DuckDB, the raw floor on DuckDB and our code on SQLite, with the ratios
measured in the same run. docs/performance.md holds the figures and says how
to read them.
"""

from __future__ import annotations

import argparse
import logging
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tqdm import tqdm

from benchmarks.measure import NotRun, Timing, measure
from benchmarks.page import opening_a_profile
from benchmarks.reads import find_subjects, raw_replay, read_questions
from benchmarks.sqlite_twin import complete_sqlite_twin, make_sqlite_twin
from benchmarks.writes import (
    EventSetup,
    a_recruiter,
    data_now,
    dispatching_reminders,
    logging_one_entry,
    raw_dispatching_reminders,
    raw_logging_one_entry,
    raw_updating_an_event,
    updating_an_event,
)
from flo_comms.config import DATA_DIR
from flo_comms.db import create_engine, create_sqlite_engine
from flo_comms.migrate import upgrade
from flo_comms.scale import ScaleSize, fill_scale_database
from flo_comms.schema import candidates, communications
from flo_comms.startup import freeze_start_up_heap

Result = Timing | NotRun | None
# Seconds to spend on each write question: ours sends 10,000 emails a run.
WRITE_BUDGET = 300.0
DEFAULT_REGISTRANTS = 10_000


@dataclass(frozen=True)
class Row:
    question: str
    target: str
    ours: Result
    raw: Result
    sqlite: Result
    # What "met" means for this row: (p95 at most, ratio to raw at most).
    limit: tuple[float | None, float | None] = (None, None)


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    database = Path(arguments.database or _default_path(arguments, "duckdb"))
    size = ScaleSize(arguments.candidates, arguments.communications)
    _ensure_generated(database, size, arguments.seed)
    arguments.registrants = _registrants(database, arguments.registrants)
    sqlite_path = Path(arguments.sqlite or database.with_suffix(".sqlite"))
    if not arguments.no_sqlite:
        _ensure_sqlite_twin(database, sqlite_path)
    with tempfile.TemporaryDirectory(dir=database.parent, prefix="bench-") as scratch:
        rows = _measure_all(arguments, database, sqlite_path, Path(scratch))
    print(render(rows, arguments, database))
    return 0


def _registrants(database: Path, asked: int | None) -> int:
    """How many registrants the event writes get: the events need candidates
    with an address, so a small database cannot give 10,000."""
    engine = create_engine(f"duckdb:///{database}")
    try:
        with engine.connect() as connection:
            addressed = connection.execute(
                sa.select(sa.func.count())
                .select_from(candidates)
                .where(candidates.c.email.is_not(None))
            ).scalar_one()
    finally:
        engine.dispose()
    if asked is None:
        return min(DEFAULT_REGISTRANTS, addressed)
    if asked > addressed:
        raise SystemExit(
            f"--registrants {asked:,} is more than the {addressed:,} candidates with "
            f"an address in {database}: ask for {addressed:,} or fewer."
        )
    return asked


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__
    )
    parser.add_argument("--candidates", type=int, default=250_000)
    parser.add_argument("--communications", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database",
        help="the DuckDB file (made with flo-comms scale if missing; default "
        "data/benchmark-<candidates>-<communications>.duckdb)",
    )
    parser.add_argument("--sqlite", help="the SQLite twin (default: beside it)")
    parser.add_argument("--runs", type=int, default=30, help="runs of each read")
    parser.add_argument("--write-runs", type=int, default=3, help="runs of each write")
    parser.add_argument("--page-runs", type=int, default=10, help="runs of the page")
    parser.add_argument(
        "--read-budget",
        type=float,
        default=60.0,
        help="seconds to spend on each read on DuckDB, ours and raw (at least 3 runs)",
    )
    parser.add_argument(
        "--sqlite-budget",
        type=float,
        default=20.0,
        help="seconds to spend on each SQLite question (at least 2 runs)",
    )
    parser.add_argument(
        "--registrants",
        type=int,
        help="registrants of the event update and reminders due for the dispatcher "
        "(default 10,000, or every candidate with an address if fewer)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    return parser


def _default_path(arguments: argparse.Namespace, suffix: str) -> Path:
    return (
        DATA_DIR
        / f"benchmark-{arguments.candidates}-{arguments.communications}.{suffix}"
    )


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _ensure_generated(database: Path, size: ScaleSize, seed: int) -> None:
    engine = create_engine(f"duckdb:///{database}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            held = connection.execute(
                sa.select(
                    sa.select(sa.func.count())
                    .select_from(candidates)
                    .scalar_subquery(),
                    sa.select(sa.func.count())
                    .select_from(communications)
                    .scalar_subquery(),
                )
            ).one()
        if held == (0, 0):
            _log(
                f"generating {size.candidates:,} candidates, "
                f"{size.communications:,} communications"
            )
            with tqdm(
                total=size.communications, unit=" communications", file=sys.stderr
            ) as bar:
                fill_scale_database(
                    engine,
                    size,
                    seed=seed,
                    progress=bar.update,
                    stage=bar.set_description,
                )
        elif held[0] != size.candidates or held[1] < size.communications:
            raise SystemExit(
                f"{database} holds {held[0]:,} candidates and {held[1]:,} "
                "communications, not the size asked for: name another --database."
            )
    finally:
        engine.dispose()


def _ensure_sqlite_twin(database: Path, sqlite_path: Path) -> None:
    engine = create_engine(f"duckdb:///{database}")
    try:
        with tqdm(unit=" rows", unit_scale=True, file=sys.stderr) as bar:

            def progress(table: str, count: int) -> None:
                bar.set_description(table)
                bar.update(count)

            if sqlite_path.exists():
                # Made by an earlier run: only tables whose counts differ are
                # copied again (those a newer schema added, say).
                copied = complete_sqlite_twin(engine, sqlite_path, progress=progress)
                _log(f"SQLite twin {sqlite_path}: copied again {copied or 'nothing'}")
                return
            _log(f"copying every row into the SQLite twin {sqlite_path}")
            # Made under another name and renamed once whole: an interrupted
            # copy is never taken for a twin.
            partial = sqlite_path.with_suffix(".partial.sqlite")
            make_sqlite_twin(engine, partial, progress=progress).dispose()
            partial.replace(sqlite_path)
    finally:
        engine.dispose()


def _measure_all(
    arguments: argparse.Namespace, database: Path, sqlite_path: Path, scratch: Path
) -> list[Row]:
    # Writes go to copies made before anything else opens the files.
    write_duckdb = scratch / "writes.duckdb"
    shutil.copyfile(database, write_duckdb)
    write_sqlite = scratch / "writes.sqlite"
    if not arguments.no_sqlite:
        _copy_sqlite(sqlite_path, write_sqlite)
    engine = create_engine(f"duckdb:///{database}")
    sqlite_engine = None if arguments.no_sqlite else create_sqlite_engine(sqlite_path)
    try:
        subjects = find_subjects(engine)
        # As the dashboard does once it has started (ui.session.settle_heap):
        # what the imports and the engines made stays out of the collector's
        # full passes, which would otherwise add 40 ms to one read in five.
        freeze_start_up_heap()
        rows = _reads(arguments, engine, sqlite_engine, subjects)
        rows.append(_page(arguments, database, engine, subjects.longest_candidate))
        _log(_line(rows[-1]))
    finally:
        engine.dispose()
        if sqlite_engine is not None:
            sqlite_engine.dispose()
    rows += _writes(arguments, write_duckdb, write_sqlite, subjects.average_candidate)
    return rows


def _copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)


def _reads(
    arguments: argparse.Namespace,
    engine: Engine,
    sqlite_engine: Engine | None,
    subjects,
) -> list[Row]:
    rows = []
    for question in read_questions(subjects):
        _log(question.name)
        ours = measure(
            lambda q=question: q.ask(engine), runs=arguments.runs, budget=120
        )
        raw = measure(raw_replay(engine, question), runs=arguments.runs, budget=120)
        sqlite = None
        if sqlite_engine is not None:
            # The page cache is warm from copying the rows in; a warm-up run
            # of a question SQLite takes half a minute over would double that.
            sqlite = measure(
                lambda q=question: q.ask(sqlite_engine),
                runs=arguments.runs,
                budget=arguments.sqlite_budget,
                warm_up=0,
                at_least=2,
            )
        rows.append(
            Row(
                question.name,
                question.target,
                ours,
                raw,
                sqlite,
                _limit(question.target),
            )
        )
        _log(_line(rows[-1]))
    return rows


def _limit(target: str) -> tuple[float | None, float | None]:
    if target.startswith("p95 ≤ 20 ms"):
        return 0.020, 1.5
    if target.startswith("≤ 150 ms"):
        return 0.150, 1.5
    return None, None


def _page(
    arguments: argparse.Namespace, database: Path, engine: Engine, candidate: int
) -> Row:
    _log("profile page under AppTest")
    page = opening_a_profile(f"duckdb:///{database}", a_recruiter(engine), candidate)
    ours = measure(page, runs=arguments.page_runs)
    # The app's session module sends the domain's log to the console; the
    # writes below would fill it.
    logging.getLogger("flo_comms").setLevel(logging.WARNING)
    return Row(
        "Profile page under AppTest, longest timeline",
        "< 1 s",
        ours,
        NotRun("a whole page"),
        NotRun("the dashboard opens DuckDB and PostgreSQL only"),
        (1.0, None),
    )


def _writes(
    arguments: argparse.Namespace, duckdb_path: Path, sqlite_path: Path, candidate: int
) -> list[Row]:
    engine = create_engine(f"duckdb:///{duckdb_path}")
    sqlite_engine = None if arguments.no_sqlite else create_sqlite_engine(sqlite_path)
    runs = arguments.write_runs
    try:
        clock = data_now(engine).replace(microsecond=0)
        rows = []
        _log("logging one communication")
        rows.append(
            Row(
                "log_communication (one phone call)",
                "",
                measure(logging_one_entry(engine, candidate), runs=max(runs, 10)),
                measure(raw_logging_one_entry(engine, candidate), runs=max(runs, 10)),
                _on_sqlite(
                    sqlite_engine,
                    lambda e: measure(
                        logging_one_entry(e, candidate), runs=max(runs, 10)
                    ),
                ),
            )
        )
        _log(_line(rows[-1]))
        registrants = arguments.registrants
        label = f"{registrants:,}"
        _log(f"event update to {label} registrants")
        rows.append(
            Row(
                f"update_event, {label} approved registrants",
                "< 3 s",
                *_event_write(
                    engine, sqlite_engine, clock, registrants, runs, update=True
                ),
                (3.0, None),
            )
        )
        _log(_line(rows[-1]))
        _log(f"dispatcher run with {label} reminders due")
        rows.append(
            Row(
                f"dispatch_event_emails, {label} reminders due",
                "< 3 s",
                *_event_write(
                    engine, sqlite_engine, clock, registrants, runs, update=False
                ),
                (3.0, None),
            )
        )
        _log(_line(rows[-1]))
    finally:
        engine.dispose()
        if sqlite_engine is not None:
            sqlite_engine.dispose()
    return rows


def _on_sqlite(sqlite_engine: Engine | None, run: Callable[[Engine], Timing]) -> Result:
    return None if sqlite_engine is None else run(sqlite_engine)


def _event_write(
    engine: Engine,
    sqlite_engine: Engine | None,
    clock: datetime,
    registrants: int,
    runs: int,
    *,
    update: bool,
) -> tuple[Result, Result, Result]:
    def timed(database: Engine, ours: bool) -> Timing:
        setup = EventSetup(
            database, a_recruiter(database), clock, registrants, not update
        )
        if update:
            setup.add()
            work = updating_an_event(setup) if ours else raw_updating_an_event(setup)
            return measure(work, runs=runs, warm_up=0)
        work = (
            dispatching_reminders(setup) if ours else raw_dispatching_reminders(setup)
        )
        return measure(work, runs=runs, warm_up=0, before_each=setup.add)

    return (
        timed(engine, True),
        timed(engine, False),
        _on_sqlite(sqlite_engine, lambda e: timed(e, True)),
    )


# --- the table ----------------------------------------------------------------------


def _ms(seconds: float) -> str:
    milliseconds = seconds * 1000
    if milliseconds < 10:
        return f"{milliseconds:.2f} ms"
    if milliseconds < 1000:
        return f"{milliseconds:.1f} ms"
    return f"{seconds:,.2f} s"


def _cell(result: Result) -> str:
    if isinstance(result, NotRun):
        return f"n/a ({result.reason})"
    if result is None:
        return "not run"
    return _ms(result.median)


def _ratio(top: Result, bottom: Result) -> str:
    if not isinstance(top, Timing) or not isinstance(bottom, Timing):
        return "–"
    return f"{top.median / bottom.median:,.1f}×"


def _runs(*results: Result) -> str:
    return "/".join(str(len(r.runs)) if isinstance(r, Timing) else "–" for r in results)


def _verdict(row: Row) -> str:
    if not row.target or not isinstance(row.ours, Timing):
        return row.target
    most, ratio = row.limit
    met = most is None or row.ours.p95 <= most
    if ratio is not None and isinstance(row.raw, Timing):
        met = met and row.ours.median <= ratio * row.raw.median
    return f"{row.target}: {'met' if met else '**missed**'}"


def render(rows: list[Row], arguments: argparse.Namespace, database: Path) -> str:
    header = (
        "| question | median | p95 | raw DuckDB | ours ÷ raw | SQLite | SQLite ÷ ours "
        "| runs (ours/raw/SQLite) | target |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|---|"
    )
    lines = [_line(row) for row in rows]
    return "\n".join([_machine(arguments, database), "", header, *lines])


def _line(r: Row) -> str:
    """One row of the table."""
    return (
        f"| {r.question} | {_cell(r.ours)} | "
        f"{_ms(r.ours.p95) if isinstance(r.ours, Timing) else '–'} | {_cell(r.raw)} | "
        f"{_ratio(r.ours, r.raw)} | {_cell(r.sqlite)} | {_ratio(r.sqlite, r.ours)} | "
        f"{_runs(r.ours, r.raw, r.sqlite)} | {_verdict(r)} |"
    )


def _machine(arguments: argparse.Namespace, database: Path) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    cores = len(
        [
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("processor")
        ]
    )
    size_gb = database.stat().st_size / 1e9
    on_sqlite = (
        " (SQLite skipped)"
        if arguments.no_sqlite
        else f", on SQLite {arguments.sqlite_budget:g} s (at least 2 runs)"
    )
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cores} cores ({cpu}) · "
        f"{memory_kb / 1024**2:.1f} GiB memory · Python {platform.python_version()} · "
        f"DuckDB {duckdb.__version__} · SQLite {sqlite3.sqlite_version}\n"
        f"{arguments.candidates:,} candidates, {arguments.communications:,} "
        f"communications; DuckDB file {size_gb:.1f} GB · "
        f"up to {arguments.runs} runs per read, {arguments.write_runs} per write; a "
        f"read stops once {arguments.read_budget:g} s are spent on it (at least 3 "
        f"runs){on_sqlite}, an event write {WRITE_BUDGET:g} s (at least 2 runs)"
    )


if __name__ == "__main__":
    sys.exit(main())
