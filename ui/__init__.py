"""Streamlit pieces shared by the pages: the session, forms and the timeline.

Like the pages, this package only draws and calls flo_comms; it holds no rule
and no SQL.
"""
