"""A status change on the Jobs page, and its email on the candidate's timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import STATUS_JOB_TITLE
from .driver import (
    choose,
    profile_heading,
    sign_in,
    timeline_entries,
    wait_until_idle,
)

pytestmark = pytest.mark.browser


def test_a_status_change_emails_the_candidate_and_shows_on_the_timeline(app, open_page):
    world = app.world
    candidate = world.profiles["status_change"]
    page = open_page()
    page.goto(f"{app.base_url}/jobs")
    sign_in(page, world.recruiter)
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    job = page.get_by_role("combobox", name="Job", exact=True)
    expect(job).to_have_value(f"{STATUS_JOB_TITLE} · 1 applications")
    expect(page.get_by_role("link", name=candidate.name)).to_be_visible()

    page.get_by_role("button", name="Change status").click()
    dialog = page.get_by_role("dialog", name="Change status")
    expect(dialog).to_be_visible()
    wait_until_idle(page)
    choose(page, dialog, "New status", "Interview Scheduled")
    expect(dialog).to_contain_text(f"To: {candidate.name} <")
    expect(dialog).to_contain_text("This change sends an email.")
    dialog.get_by_role("button", name="Change status").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_text("the email to")).to_be_visible()
    expect(page.get_by_text("Interview Scheduled", exact=True)).to_be_visible()

    page.get_by_role("link", name=candidate.name).click()
    expect(profile_heading(page, candidate.name)).to_be_visible()
    wait_until_idle(page)
    entries = timeline_entries(page)
    expect(entries).to_have_count(1)
    email = entries.first
    expect(email).to_contain_text("System generated")
    expect(email).to_contain_text(f"To {candidate.name}")
    email.get_by_text("details").click()
    expect(email).to_contain_text(f"Job: {STATUS_JOB_TITLE}")
    expect(email).to_contain_text(f"Sent by: {world.recruiter.name}")
    expect(email).to_contain_text("Email: job status")
    expect(email).to_contain_text("Source: System generated")
