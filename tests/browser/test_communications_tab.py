"""The Communications tab in a real browser: find, open, log, and who sees ⋮."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .driver import (
    choose,
    communication_modal,
    entry_by_id,
    entry_id,
    field_message,
    menu_button,
    open_from_search,
    open_new_communication,
    profile_heading,
    sidebar,
    sign_in,
    timeline_entries,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

EMPTY_TIMELINE = "No communications with this candidate yet."
READ_ONLY_NOTE = "Managers read communications; admins and recruiters log them."


def profile_url(base_url: str, candidate_id: int) -> str:
    return f"{base_url}/profile?candidate={candidate_id}"


def url_of_profile(candidate_id: int) -> re.Pattern[str]:
    return re.compile(rf"/profile\?candidate={candidate_id}$")


def test_a_logged_communication_tops_the_timeline_and_only_its_author_sees_the_menu(
    app, open_page
):
    world = app.world
    candidate = world.profiles["logging"]
    subject = f"Phone screen about the *offer* {uuid.uuid4().hex[:8]}"
    description = "Talked salary.\nShe asked for <b>remote</b> days."

    # The admin finds the candidate and opens the profile from the name.
    page = open_page()
    page.goto(app.base_url)
    sign_in(page, world.admin)
    open_from_search(page, "quintrell", candidate.name)
    expect(page).to_have_url(url_of_profile(candidate.id))
    expect(timeline_entries(page)).to_have_count(len(world.recruiter_entry_ids))

    # The modal starts with the admin as sender and this candidate as recipient.
    dialog = open_new_communication(page)
    expect(
        dialog.get_by_test_id("stMultiSelect").filter(has_text="Sent by")
    ).to_contain_text(world.admin.name)
    expect(
        dialog.get_by_test_id("stMultiSelect").filter(has_text="Sent to: candidates")
    ).to_contain_text(candidate.name)
    choose(page, dialog, "Communication type", "Phone call")
    dialog.get_by_label("Subject", exact=True).fill(subject)
    dialog.get_by_label("Description", exact=True).fill(description)
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    entries = timeline_entries(page)
    expect(entries).to_have_count(len(world.recruiter_entry_ids) + 1)
    newest = entries.first
    expect(newest).to_contain_text(subject)
    expect(newest).to_contain_text("Phone call")
    expect(newest).to_contain_text("She asked for <b>remote</b> days.")
    expect(newest.locator("b")).to_have_count(0)
    expect(newest).to_contain_text(
        f"This communication was logged by {world.admin.name}."
    )
    expect(sidebar(page)).to_contain_text(world.admin.name)
    expect(menu_button(newest)).to_have_count(1)
    logged_id = entry_id(newest)
    for older_id in world.recruiter_entry_ids:
        expect(entry_by_id(page, older_id)).to_be_visible()
        expect(menu_button(entry_by_id(page, older_id))).to_have_count(0)

    # Another member follows a deep link: sign-in first, then the same profile.
    other = open_page()
    other.goto(profile_url(app.base_url, candidate.id))
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    expect(profile_heading(other, candidate.name)).to_have_count(0)
    sign_in(other, world.recruiter)
    expect(profile_heading(other, candidate.name)).to_be_visible()
    expect(other).to_have_url(url_of_profile(candidate.id))
    theirs = entry_by_id(other, logged_id)
    expect(timeline_entries(other).first).to_contain_text(subject)
    expect(theirs).to_contain_text(
        f"This communication was logged by {world.admin.name}."
    )
    expect(theirs).to_be_visible()
    expect(menu_button(theirs)).to_have_count(0)
    # The recruiter's own entries do carry the menu: the page draws it at all.
    for older_id in world.recruiter_entry_ids:
        expect(menu_button(entry_by_id(other, older_id))).to_have_count(1)


def test_reloading_a_profile_asks_to_sign_in_again_and_keeps_the_candidate(
    app, open_page
):
    world = app.world
    candidate = world.profiles["reload"]
    page = open_page()
    page.goto(profile_url(app.base_url, candidate.id))
    sign_in(page, world.admin)
    expect(profile_heading(page, candidate.name)).to_be_visible()

    page.reload()

    # Streamlit keeps sessions in memory per connection: a reload is a new one.
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(profile_heading(page, candidate.name)).to_have_count(0)
    expect(page).to_have_url(url_of_profile(candidate.id))
    sign_in(page, world.admin)
    expect(profile_heading(page, candidate.name)).to_be_visible()
    expect(page).to_have_url(url_of_profile(candidate.id))


def test_saving_without_a_subject_says_so_beside_the_field_and_adds_nothing(
    app, open_page
):
    world = app.world
    candidate = world.profiles["validation"]
    page = open_page()
    page.goto(profile_url(app.base_url, candidate.id))
    sign_in(page, world.admin)
    expect(page.get_by_text(EMPTY_TIMELINE)).to_be_visible()

    dialog = open_new_communication(page)
    choose(page, dialog, "Communication type", "Text message")
    dialog.get_by_label("Description", exact=True).fill("Asked about start dates.")
    dialog.get_by_role("button", name="Save").click()

    expect(field_message(dialog, "Subject").get_by_role("alert")).to_contain_text(
        "Enter a subject."
    )
    expect(dialog.get_by_test_id("stAlert")).to_have_count(1)
    expect(dialog.get_by_label("Description", exact=True)).to_have_value(
        "Asked about start dates."
    )
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(EMPTY_TIMELINE)).to_be_visible()
    expect(timeline_entries(page)).to_have_count(0)

    # Opened again, the form is fresh: no leftover text or message.
    dialog = open_new_communication(page)
    expect(dialog.get_by_label("Description", exact=True)).to_have_value("")
    expect(dialog.get_by_text("Enter a subject.")).to_have_count(0)


def _local_now_rounded(zone: str) -> datetime:
    """Now on the member's wall clock, down to 5 minutes, as the modal fills it."""
    now = datetime.now(ZoneInfo(zone)).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 5)


def _shown(moment: datetime) -> str:
    # As flo_comms.timezones.format_local writes it: "3 Dec 2026, 07:45 EST".
    return f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}"


def test_times_follow_the_members_time_zone_not_the_browsers(app, open_page):
    world = app.world
    zone = world.admin.time_zone
    assert zone == "America/New_York"
    candidate = world.profiles["time_zone"]
    page = open_page(timezone_id="Asia/Tokyo")
    page.goto(profile_url(app.base_url, candidate.id))
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == (
        "Asia/Tokyo"
    )
    sign_in(page, world.admin)

    before = _local_now_rounded(zone)
    dialog = open_new_communication(page)
    after = _local_now_rounded(zone)
    expect(dialog.get_by_text(f"In your time zone, {zone}.")).to_be_visible()
    date_value = dialog.locator("[data-testid='stDateInput'] input").input_value()
    time_value = dialog.locator("[data-testid='stTimeInput'] input").input_value()
    prefilled = {
        (f"{moment:%Y-%m-%d}", f"{moment:%H:%M}:00") for moment in (before, after)
    }
    assert (date_value, time_value) in prefilled

    choose(page, dialog, "Communication type", "Video call")
    dialog.get_by_label("Subject", exact=True).fill("Video call across the ocean")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    occurred = datetime.fromisoformat(f"{date_value}T{time_value}").replace(
        tzinfo=ZoneInfo(zone)
    )
    newest = timeline_entries(page).first
    expect(newest).to_contain_text("Video call across the ocean")
    expect(newest).to_contain_text(f"Video call · {_shown(occurred)}")
    assert re.search(r"\b(EST|EDT)\b", newest.inner_text())
    expect(page.get_by_text(re.compile(r"\bJST\b|GMT\+9"))).to_have_count(0)


def test_a_manager_reads_the_tab_but_cannot_log(app, open_page):
    world = app.world
    candidate = world.profiles["manager"]
    page = open_page()
    page.goto(profile_url(app.base_url, candidate.id))
    sign_in(page, world.manager)

    expect(profile_heading(page, candidate.name)).to_be_visible()
    expect(page.get_by_text(READ_ONLY_NOTE)).to_be_visible()
    expect(page.get_by_role("button", name="+ New Communication")).to_have_count(0)


def test_a_double_click_on_save_logs_the_communication_once(app, open_page):
    world = app.world
    candidate = world.profiles["double_submit"]
    page = open_page()
    page.goto(profile_url(app.base_url, candidate.id))
    sign_in(page, world.recruiter)
    expect(page.get_by_text(EMPTY_TIMELINE)).to_be_visible()

    dialog = open_new_communication(page)
    choose(page, dialog, "Communication type", "Email")
    dialog.get_by_label("Subject", exact=True).fill("Sent the offer letter")
    dialog.get_by_role("button", name="Save").dblclick()

    expect(dialog).to_be_hidden()
    wait_until_idle(page)
    expect(timeline_entries(page)).to_have_count(1)
    # A new session reads the database afresh, after any late second run.
    other = open_page()
    other.goto(profile_url(app.base_url, candidate.id))
    sign_in(other, world.admin)
    expect(timeline_entries(other)).to_have_count(1)
    expect(timeline_entries(other).first).to_contain_text("Sent the offer letter")


def test_leaving_a_profile_closes_the_modal_opened_on_it(app, open_page):
    world = app.world
    first = world.profiles["left_with_modal_open"]
    second = world.profiles["visited_next"]
    page = open_page()
    page.goto(app.base_url)
    sign_in(page, world.admin)
    open_from_search(page, "morland", first.name)
    open_new_communication(page)

    page.go_back()
    expect(page.get_by_label("Search by name or email")).to_be_visible()
    wait_until_idle(page)
    open_from_search(page, "brightwater", second.name)

    # Short: a modal carried along would show at once.
    expect(communication_modal(page)).to_have_count(0, timeout=3_000)


def test_edit_from_the_menu_opens_the_form_and_closes_the_menu(app, open_page):
    world = app.world
    candidate = world.profiles["logging"]
    page = open_page()
    page.goto(profile_url(app.base_url, candidate.id))
    sign_in(page, world.recruiter)
    entry = entry_by_id(page, world.recruiter_entry_ids[0])

    menu_button(entry).click()
    edit = page.get_by_role("button", name="Edit", exact=True)
    expect(edit).to_be_visible()
    edit.click()

    dialog = communication_modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Edit communication")).to_be_visible()
    # The menu is gone, not left on top of the form.
    expect(edit).to_be_hidden()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
