"""Timing a question: repeated runs, their median and 95th percentile."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Seconds each run took."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(np.median(self.runs))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.runs, 95))


@dataclass(frozen=True)
class NotRun:
    """A question one side cannot answer, and why; shown in its cell."""

    reason: str


def measure(
    question: Callable[[], object],
    *,
    runs: int,
    budget: float = float("inf"),
    warm_up: int = 1,
    at_least: int = 3,
    before_each: Callable[[], object] | None = None,
) -> Timing:
    """Time ``question`` ``runs`` times, after ``warm_up`` untimed runs.

    Stops early, after at least ``at_least`` runs, once ``budget`` seconds are
    spent: the slow side of a comparison (SQLite over millions of rows) would
    otherwise take hours. ``before_each`` runs untimed before every run.
    """
    for _ in range(warm_up):
        if before_each:
            before_each()
        question()
    taken: list[float] = []
    spent = 0.0
    while len(taken) < runs and (len(taken) < at_least or spent < budget):
        if before_each:
            before_each()
        started = time.perf_counter()
        question()
        taken.append(time.perf_counter() - started)
        spent += taken[-1]
    return Timing(tuple(taken))
