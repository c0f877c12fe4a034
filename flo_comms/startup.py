"""Opening the database the way the dashboard and the command line both need."""

from __future__ import annotations

import gc
import logging

from sqlalchemy.engine import Engine

from flo_comms import timeline_store, volume_counts
from flo_comms.config import DatabaseSettings, database_settings
from flo_comms.db import open_engine
from flo_comms.members import count_members
from flo_comms.migrate import upgrade

logger = logging.getLogger(__name__)


def open_database(settings: DatabaseSettings | None = None) -> Engine:
    """Open the configured database and bring its schema up to date.

    The embedded default is filled with demo data the first time it is opened
    empty, so that a fresh checkout shows a living app. A database named by
    FLO_COMMS_DATABASE_URL is never filled unless someone asks (flo-comms demo).
    The analytics counts are folded when enough deltas have piled up.
    """
    settings = settings or database_settings()
    engine = open_engine(settings.url)
    upgrade(engine)
    # Before anyone reads: sorting the timelines' copy rewrites it, and the
    # deltas of the analytics counts that pile up with every write are folded
    # (flo_comms.timeline_store, flo_comms.volume_counts).
    timeline_store.tidy(engine)
    volume_counts.tidy(engine)
    if settings.is_embedded_default and count_members(engine) == 0:
        from flo_comms.demo import create_demo_data

        logger.info("empty embedded database: creating demo data")
        create_demo_data(engine)
    return engine


def freeze_start_up_heap() -> None:
    """Take every object alive now out of the garbage collector's full passes.

    For a long-lived process (the dashboard), once its imports and its engine
    are in place; only the first call in a process does anything. A full pass
    of Python's cyclic collector walks every object it tracks, and what the
    imports leave is most of them: on this project's machine a full pass took
    25 ms after importing pandas alone, 126 ms after streamlit, altair and
    pandas. The analytics' frames set one off every few calls, so one call in
    five took 40 ms more than the rest, and in the dashboard each pass stalls
    every session. Those objects live as long as the process, so walking them
    finds nothing; ``gc.freeze`` leaves them out of every later pass. What is
    made afterwards is collected as before: later calls freeze nothing more,
    since what a session holds at that moment is not meant to live forever.
    The garbage of start-up is collected first, so that none of it is kept.
    """
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()


_heap_frozen = False
