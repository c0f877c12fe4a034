"""Flo Communications: the entry point. Registers every page and asks for sign-in.

The pages live in views/, not pages/: Streamlit treats a folder named pages/
beside the entry file as old-style automatic pages and, on a reload or a first
request to a page's address, runs that page file without this one (no sign-in,
no navigation). Keeping the folder under another name leaves st.navigation as
the only router.
"""

import streamlit as st

from flo_comms.members import Role
from ui.session import current_member, dispatcher, engine, sign_out
from ui.sign_in import sign_in_form
from ui.text import plain

st.set_page_config(page_title="Flo Communications", page_icon="✉️", layout="wide")

pages = [
    st.Page(
        "views/candidates.py", title="Candidates", icon=":material/group:", default=True
    ),
    st.Page("views/jobs.py", title="Jobs", icon=":material/work:", url_path="jobs"),
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

member = current_member()
if member is None:
    # The requested page and its query parameters stay in the address bar, so a
    # deep link opens where it pointed once the member has signed in.
    st.navigation([*pages, deliveries], position="hidden")
    sign_in_form(engine())
    st.stop()

# Queued emails go out from this process (see ui.session.dispatcher).
dispatcher()
# Only admins see (and may open) the email deliveries.
navigation = st.navigation([*pages, deliveries] if member.role is Role.ADMIN else pages)
with st.sidebar:
    st.write(f"**{plain(member.name)}**  \n{member.role.label} · {member.time_zone}")
    st.button("Sign out", on_click=sign_out, icon=":material/logout:")
navigation.run()
