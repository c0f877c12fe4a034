"""Making two writers meet inside a transaction, in race tests."""

from __future__ import annotations

import contextlib
import threading


class MeetIfPossible:
    """A barrier that waits for the other threads a moment, then goes on alone.

    Race tests use it to make two writers overlap inside a transaction. Where
    the code under test lets only one in at a time (which is the fix for such
    races), the other never arrives: the first goes on after ``timeout``
    instead of failing, and the test checks the outcome.
    """

    def __init__(self, parties: int, timeout: float = 2.0) -> None:
        self._barrier = threading.Barrier(parties, timeout=timeout)

    def wait(self) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            self._barrier.wait()
