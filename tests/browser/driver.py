"""Small steps a member takes in the app, written once for the browser tests.

Streamlit draws asynchronously: every step waits for what the member would see
(an expectation with a timeout), never for a fixed time.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from flo_comms.demo import DEMO_PASSWORD
from flo_comms.members import Member

# Streamlit marks the app this way once a script run has finished.
IDLE_APP = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Each timeline entry is a bordered container keyed "communication_<id>".
ENTRY = "[class*='st-key-communication_']"
ENTRY_ID = re.compile(r"\bst-key-communication_(\d+)\b")


def wait_until_idle(page: Page) -> None:
    page.locator(IDLE_APP).wait_for()


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def sign_in(page: Page, member: Member, password: str = DEMO_PASSWORD) -> None:
    """Fill the sign-in form and wait until the sidebar names the member."""
    button = page.get_by_role("button", name="Sign in")
    expect(button).to_be_visible()
    page.get_by_label("Email", exact=True).fill(member.email)
    page.get_by_label("Password", exact=True).fill(password)
    button.click()
    expect(button).to_be_hidden()
    expect(sidebar(page)).to_contain_text(member.name)
    wait_until_idle(page)


def profile_heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, exact=True)


def open_from_search(page: Page, text: str, name: str) -> None:
    """Search the candidates list and open the profile from the name."""
    search = page.get_by_label("Search by name or email")
    search.fill(text)
    search.press("Enter")
    expect(page.get_by_text("1 of 1 candidate")).to_be_visible()
    page.get_by_role("link", name=name).click()
    expect(profile_heading(page, name)).to_be_visible()
    wait_until_idle(page)


MODAL_TITLE = re.compile(r"^(New|Edit) communication$")


def communication_modal(page: Page) -> Locator:
    # By name: the ⋮ menu's popover is a role="dialog" too.
    return page.get_by_role("dialog", name=MODAL_TITLE)


def open_new_communication(page: Page) -> Locator:
    """Click + New Communication and return the modal."""
    page.get_by_role("button", name="+ New Communication").click()
    dialog = communication_modal(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Save")).to_be_visible()
    wait_until_idle(page)
    return dialog


def choose(page: Page, scope: Locator, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def field_message(scope: Locator, field_label: str) -> Locator:
    """The element drawn right after the field: where its error message goes."""
    return scope.locator(
        "[data-testid='stElementContainer']"
        f":has([aria-label='{field_label}'])"
        " + [data-testid='stElementContainer']"
    )


def timeline_entries(page: Page) -> Locator:
    return page.locator(ENTRY)


def entry_by_id(page: Page, communication_id: int) -> Locator:
    return page.locator(f".st-key-communication_{communication_id}")


def entry_id(entry: Locator) -> int:
    match = ENTRY_ID.search(entry.get_attribute("class") or "")
    assert match, "a timeline entry without its communication_<id> key"
    return int(match.group(1))


def menu_button(entry: Locator) -> Locator:
    """The ⋮ popover that offers Edit and Delete."""
    return entry.get_by_role("button", name="⋮")
