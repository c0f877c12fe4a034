"""Flo Communications: every rule and every query behind the dashboard.

This package does not import Streamlit; use it from a notebook or a script:

    from flo_comms.startup import open_database
    from flo_comms.timeline import candidate_timeline
    engine = open_database()
    candidate_timeline(engine, candidate_id=1).entries
"""
