"""Flo Communications: the entry point. Registers every page and asks for sign-in.

The pages live in views/, not pages/: Streamlit treats a folder named pages/
beside the entry file as old-style automatic pages and, on a reload or a first
request to a page's address, runs that page file without this one (no sign-in,
no navigation). Keeping the folder under another name leaves st.navigation as
the only router.
"""

import streamlit as st

from flo_comms.members import Role
from ui.session import current_member, dispatcher, engine, settle_heap, sign_out
from ui.sign_in import sign_in_form
from ui.text import plain

st.set_page_config(page_title="Flo Communications", page_icon="✉️", layout="wide")

pages = [
    st.Page(
        "views/candidates.py", title="Candidates", icon=":material/group:", default=True
    ),
    st.Page("views/jobs.py", title="Jobs", icon=":material/work:", url_path="jobs"),
    st.Page(
        "views/events.py", title="Events", icon=":material/event:", url_path="events"
    ),
    st.Page(
        "views/analytics.py",
        title="Analytics",
        icon=":material/bar_chart:",
        url_path="analytics",
    ),
    st.Page(
        "views/event.py",
        title="Event",
        icon=":material/event_note:",
        url_path="event",
        visibility="hidden",
    ),
    st.Page(
        "views/profile.py",
        title="Candidate profile",
        icon=":material/person:",
        url_path="profile",
        visibility="hidden",
    ),
]

deliveries = st.Page(
    "views/deliveries.py",
    title="Deliveries",
    icon=":material/outbox:",
    url_path="deliveries",
)

# The one page without sign-in: candidates register for an event through the
# link the event's organisers share (?event=<the event's token>).
registration = st.Page(
    "views/register.py",
    title="Event registration",
    icon=":material/how_to_reg:",
    url_path="register",
    visibility="hidden",
)

# Once per process: open the database, then keep what start-up left on the
# heap out of the garbage collector's way (ui.session.settle_heap).
settle_heap()

member = current_member()
if member is None:
    # The requested page and its query parameters stay in the address bar, so a
    # deep link opens where it pointed once the member has signed in.
    requested = st.navigation([*pages, deliveries, registration], position="hidden")
    if requested.url_path == registration.url_path:
        requested.run()
    else:
        sign_in_form(engine())
    st.stop()

# Queued emails go out from this process (see ui.session.dispatcher).
dispatcher()
# Only admins see (and may open) the email deliveries.
visible = [*pages, deliveries] if member.role is Role.ADMIN else pages
navigation = st.navigation([*visible, registration])
with st.sidebar:
    st.write(f"**{plain(member.name)}**  \n{member.role.label} · {member.time_zone}")
    st.button("Sign out", on_click=sign_out, icon=":material/logout:")
navigation.run()
