"""Counts of what a database holds, for scripts and health checks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.schema import candidates, communications, members


def database_counts(engine: Engine) -> dict:
    """Candidates, members, and communications by source and by type.

    Deleted communications are not counted: they have left every timeline.

    >>> database_counts(engine)  # doctest: +SKIP
    {'candidates': 300, 'members': 12, 'communications': 595,
     'communications_by_source': {'manual': 595},
     'communications_by_type': {'email': 150, 'phone call': 180, ...}}
    """
    live = communications.c.deleted_at.is_(None)
    with engine.connect() as connection:
        candidate_count = connection.execute(
            sa.select(sa.func.count()).select_from(candidates)
        ).scalar_one()
        member_count = connection.execute(
            sa.select(sa.func.count()).select_from(members)
        ).scalar_one()
        by_source = dict(
            connection.execute(
                sa.select(communications.c.source, sa.func.count())
                .where(live)
                .group_by(communications.c.source)
            ).all()
        )
        by_type = dict(
            connection.execute(
                sa.select(communications.c.comm_type, sa.func.count())
                .where(live)
                .group_by(communications.c.comm_type)
            ).all()
        )
    return {
        "candidates": candidate_count,
        "members": member_count,
        "communications": sum(by_source.values()),
        "communications_by_source": by_source,
        "communications_by_type": by_type,
    }
