"""Job email settings on the Jobs page: a job's cc and bcc, the status emails.

Saving happens in the buttons' callbacks, which call flo_comms and leave each
field's message in session state to show beside the field.
"""

from __future__ import annotations

import streamlit as st

from flo_comms.email_templates import (
    TEMPLATE_VARIABLES,
    save_status_template,
    status_templates,
)
from flo_comms.errors import FloCommsError, ValidationError
from flo_comms.jobs import job_email_copies, set_job_email_copies
from flo_comms.members import Member, Role, list_members
from flo_comms.timezones import format_local
from ui.communication_form import FLASH_KEY
from ui.session import engine
from ui.text import plain

COPIES_ERRORS_KEY = "copies_errors"
TEMPLATE_ERRORS_KEY = "tpl_errors"


def _errors(key: str, field: str) -> None:
    message = st.session_state.get(key, {}).get(field)
    if message:
        st.error(plain(message), icon=":material/error:")


def _save_copies(member: Member, job_id: int) -> None:
    state = st.session_state
    try:
        copies = set_job_email_copies(
            engine(),
            member,
            job_id,
            state.get(f"copies_cc_{job_id}") or [],
            state.get(f"copies_bcc_{job_id}") or [],
        )
    except ValidationError as error:
        state[COPIES_ERRORS_KEY] = {"_for": job_id, **error.errors}
        return
    except FloCommsError as error:
        state[COPIES_ERRORS_KEY] = {"_for": job_id, "form": str(error)}
        return
    state[COPIES_ERRORS_KEY] = {}
    state[f"copies_cc_{job_id}"] = [m.id for m in copies.cc]
    state[f"copies_bcc_{job_id}"] = [m.id for m in copies.bcc]
    state[FLASH_KEY] = "This job's email copies are saved."


def job_copies_editor(member: Member, job_id: int) -> None:
    """Who the job's emails copy; admins and recruiters change it."""
    state = st.session_state
    if state.get(COPIES_ERRORS_KEY, {}).get("_for") not in (None, job_id):
        state[COPIES_ERRORS_KEY] = {}
    team = {m.id: m.name for m in list_members(engine())}
    if f"copies_cc_{job_id}" not in state or f"copies_bcc_{job_id}" not in state:
        copies = job_email_copies(engine(), job_id)
        state[f"copies_cc_{job_id}"] = [m.id for m in copies.cc]
        state[f"copies_bcc_{job_id}"] = [m.id for m in copies.bcc]
    team |= {
        i: f"member {i}"
        for i in [*state[f"copies_cc_{job_id}"], *state[f"copies_bcc_{job_id}"]]
        if i not in team
    }
    with st.expander("Email copies for this job"):
        _errors(COPIES_ERRORS_KEY, "form")
        st.multiselect(
            "Cc: members",
            list(team),
            key=f"copies_cc_{job_id}",
            format_func=lambda i: team[i],
            help="Every email this job sends copies them visibly.",
        )
        _errors(COPIES_ERRORS_KEY, "cc")
        st.multiselect(
            "Bcc: members",
            list(team),
            key=f"copies_bcc_{job_id}",
            format_func=lambda i: team[i],
            help="Every email this job sends copies them; recipients do not see it.",
        )
        _errors(COPIES_ERRORS_KEY, "bcc")
        st.button(
            "Save copies",
            key=f"copies_save_{job_id}",
            on_click=_save_copies,
            args=(member, job_id),
        )


def _save_template(member: Member, status: str) -> None:
    state = st.session_state
    try:
        save_status_template(
            engine(),
            member,
            status,
            bool(state.get(f"tpl_enabled_{status}")),
            state.get(f"tpl_subject_{status}") or "",
            state.get(f"tpl_body_{status}") or "",
        )
    except ValidationError as error:
        state[TEMPLATE_ERRORS_KEY] = {"_for": status, **error.errors}
        return
    except FloCommsError as error:
        state[TEMPLATE_ERRORS_KEY] = {"_for": status, "form": str(error)}
        return
    state[TEMPLATE_ERRORS_KEY] = {}
    state[FLASH_KEY] = f"The {status} email is saved."


def status_templates_editor(member: Member) -> None:
    """The email each status sends, and whether it sends one; admins only."""
    if member.role != Role.ADMIN:
        return
    state = st.session_state
    templates = {t.status.value: t for t in status_templates(engine())}
    with st.expander("Status emails (admins)"):
        status = st.selectbox("Status", list(templates), key="tpl_status")
        template = templates[status]
        if state.get(TEMPLATE_ERRORS_KEY, {}).get("_for") not in (None, status):
            state[TEMPLATE_ERRORS_KEY] = {}
        if f"tpl_subject_{status}" not in state:
            state[f"tpl_enabled_{status}"] = template.enabled
            state[f"tpl_subject_{status}"] = template.subject
            state[f"tpl_body_{status}"] = template.body
        if template.customised and template.updated_at:
            st.caption(
                plain(
                    f"Last changed by {template.updated_by_name or 'a former member'}"
                    f", {format_local(template.updated_at, member.time_zone)}."
                )
            )
        else:
            st.caption("The text shipped with the app.")
        variables = "\n".join(
            f"- `{{{{ {name} }}}}`: {meaning}"
            for name, meaning in TEMPLATE_VARIABLES.items()
        )
        _errors(TEMPLATE_ERRORS_KEY, "form")
        _errors(TEMPLATE_ERRORS_KEY, "status")
        st.toggle("Send an email on this status", key=f"tpl_enabled_{status}")
        st.text_input(
            "Subject",
            key=f"tpl_subject_{status}",
            help=f"Jinja2. Variables:\n\n{variables}",
        )
        _errors(TEMPLATE_ERRORS_KEY, "subject")
        st.text_area(
            "Body",
            key=f"tpl_body_{status}",
            height=220,
            help=f"Jinja2. Variables:\n\n{variables}",
        )
        _errors(TEMPLATE_ERRORS_KEY, "body")
        st.caption(plain("Variables: " + ", ".join(TEMPLATE_VARIABLES)))
        st.button(
            "Save status email",
            key=f"tpl_save_{status}",
            on_click=_save_template,
            args=(member, status),
        )
