"""Candidates: search by name or email; a name opens the candidate's profile."""

import streamlit as st

from flo_comms.candidates import SEARCH_PAGE_SIZE, search_candidates
from flo_comms.direct_emails import MAX_CANDIDATES
from flo_comms.timezones import format_local
from ui.communication_form import FLASH_KEY, forget_open_dialogs
from ui.email_forms import (
    PICKED_KEY,
    clear_picked_candidates,
    draw_bulk_email,
    open_bulk_email,
)
from ui.session import engine, require_member
from ui.status_change import forget_status_change
from ui.text import plain, shown_of

member = require_member()
forget_open_dialogs()
forget_status_change()
draw_bulk_email(member)
if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash)
st.title("Candidates")

# Candidates ticked for an email, kept across searches and pages.
picked: list[int] = st.session_state.setdefault(PICKED_KEY, [])


def _toggle(candidate_id: int) -> None:
    if st.session_state[f"pick_{candidate_id}"]:
        picked.append(candidate_id)
    elif candidate_id in picked:
        picked.remove(candidate_id)


# Streamlit forgets a widget's value once a run no longer draws it (on the
# profile page, say); the search and page are kept beside it so that coming
# back to this list finds them as they were.
if "candidate_search" not in st.session_state:
    st.session_state["candidate_search"] = st.session_state.get("kept_search", "")
text = st.text_input(
    "Search by name or email",
    key="candidate_search",
    placeholder="e.g. Garcia or @gmail.com",
)
# A new search gets a new pager, which starts on page 1.
page_key = f"candidates_page_{text.strip().lower()}"
kept_page = st.session_state.get("kept_pages", {}).get(page_key, 1)
page_number = st.session_state.get(page_key, kept_page)
st.session_state["kept_search"] = text
st.session_state["kept_pages"] = {page_key: page_number}
result = search_candidates(engine(), text, page=page_number)

if result.total == 0:
    if text.strip():
        st.info(f"No candidate's name or email contains “{plain(text.strip())}”.")
    else:
        st.info("There are no candidates yet.")
    st.stop()

first = (page_number - 1) * SEARCH_PAGE_SIZE + 1
st.caption(shown_of(first, len(result.rows), result.total, "candidate", "candidates"))

can_send = member.role.can_log_communications
if can_send and picked:
    summary, send, clear = st.columns([3, 2, 2])
    summary.write(f"{len(picked)} selected")
    if len(picked) > MAX_CANDIDATES:
        summary.error(f"Select at most {MAX_CANDIDATES} candidates for one email.")
    send.button(
        "Email selected",
        key="email_picked",
        icon=":material/mail:",
        on_click=open_bulk_email,
        args=(member, list(picked)),
        disabled=len(picked) > MAX_CANDIDATES,
    )
    clear.button(
        "Clear selection", key="clear_picked", on_click=clear_picked_candidates
    )

widths = [0.4, 3, 3, 1.4, 2.2, 1.6]
header = st.columns(widths)
for column, label in zip(
    header,
    ["", "Name", "Email", "Source", "Latest contact", "Communications"],
    strict=True,
):
    column.markdown(f"**{label}**" if label else " ")
for row in result.rows:
    pick, name, email, source, latest, count = st.columns(widths)
    if can_send:
        pick.checkbox(
            f"Select {plain(row.name)}",
            value=row.id in picked,
            key=f"pick_{row.id}",
            on_change=_toggle,
            args=(row.id,),
            label_visibility="collapsed",
        )
    name.page_link(
        "views/profile.py", label=plain(row.name), query_params={"candidate": row.id}
    )
    email.text(row.email or "—")
    source.text(row.source)
    latest.text(
        format_local(row.last_contact_at, member.time_zone)
        if row.last_contact_at
        else "never"
    )
    count.text(str(row.communication_count))

page_count = -(-result.total // SEARCH_PAGE_SIZE)
if page_count > 1:
    st.pagination(page_count, default=min(kept_page, page_count), key=page_key)
