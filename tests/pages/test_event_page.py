"""One event's page: its facts and link, registrations, Add candidates, Quick
Review, editing, time slots, the final schedule, cancelling and deleting."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.errors import NotFound
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_rules import EventType, ReviewState
from flo_comms.event_slots import add_slot, assign_to_slot, list_slots
from flo_comms.events import EventState, cancel_event, get_event
from flo_comms.registrations import list_registrations, review_candidates
from flo_comms.timezones import to_local
from ui.text import plain

from .event_helpers import (
    FROM_ADDRESS,
    add_event,
    email_kinds,
    in_days,
    open_event,
    register,
)
from .helpers import add_candidate, open_dialogs, values


@pytest.fixture
def people(database) -> dict[str, int]:
    """Casey and Olive, Pat and Nora (who has no email address)."""
    with database.engine() as engine:
        return {
            "casey": add_candidate(engine, "Casey Candidate", "casey@example.org"),
            "olive": add_candidate(engine, "Olive Other", "olive@example.org"),
            "pat": add_candidate(engine, "Pat Pending", "pat@example.org"),
            "nora": create_candidate(
                engine, name="Nora Nomail", email=None, source=CandidateSource.REFERRAL
            ),
        }


@pytest.fixture
def evening(database, team, people) -> int:
    """An open in-person event in Berlin with Casey and Olive registered."""
    with database.engine() as engine:
        event_id = add_event(engine, team.ada, "Data careers evening")
        register(engine, team.ada, event_id, people["casey"], people["olive"])
    return event_id


@pytest.fixture
def webinar(database, team, people) -> int:
    """An invite-only webinar with Casey, Olive and Pat waiting for review."""
    with database.engine() as engine:
        event_id = add_event(
            engine,
            team.rita,
            "Analytics webinar",
            event_type=EventType.WEBINAR,
            invite_only=True,
        )
        register(
            engine, team.rita, event_id, people["casey"], people["olive"], people["pat"]
        )
    return event_id


@pytest.fixture
def chat(database, team, people) -> int:
    """An open virtual chat with Casey, Olive and Pat registered, no slots yet."""
    with database.engine() as engine:
        event_id = add_event(
            engine, team.ada, "Coffee chat", event_type=EventType.VIRTUAL_CHAT
        )
        register(
            engine, team.ada, event_id, people["casey"], people["olive"], people["pat"]
        )
    return event_id


def registration_texts(at: AppTest, candidate_id: int) -> list[str]:
    [row] = [
        block
        for block in at.main
        if getattr(block, "key", None) == f"registration_{candidate_id}"
    ]
    return values(row.text)


def button_keys(at: AppTest) -> set[str]:
    return {button.key for button in at.main.button}


def notice(at: AppTest) -> str:
    [shown] = at.success
    return shown.value


# --- what the page shows --------------------------------------------------------------


def test_the_page_shows_the_events_facts_link_and_registrations(
    app, team, database, evening, people
):
    at = open_event(app(team.ada), evening)

    assert not at.exception
    assert values(at.title) == ["Data careers evening"]
    assert "In-person event, open · scheduled" in values(at.caption)
    when = values(at.main.text)[0].split("\n")
    assert when[0].endswith("18:00–20:00 CET (Europe/Berlin)")
    assert when[1].startswith("your time: ") and when[1].endswith("12:00–14:00 EST")
    assert "Place: Rua Augusta 12, Lisbon" in values(at.main.text)
    assert "2 registered" in values(at.main.text)
    # Under AppTest the browser gives no address: the link is the path to share.
    with database.engine() as engine:
        token = get_event(engine, evening).registration_token
    assert values(at.code) == [f"/register?event={token}"]
    assert [tab.label for tab in at.tabs] == [
        "Details",
        "Registrations",
        "Reminders and follow-ups",
    ]
    casey = registration_texts(at, people["casey"])
    assert casey[0] == "casey@example.org"
    assert casey[1].startswith("added by a member\n")
    # An open event: no review column, the emails follow the joining.
    assert casey[2].startswith("confirmation · ")
    assert len(casey) == 3
    links = {link.value: link.proto for link in at.main.get("page_link")}
    assert links["Casey Candidate"].page == "profile"
    assert links["Casey Candidate"].query_string == f"candidate={people['casey']}"


@pytest.mark.parametrize(
    ("raw_id", "message"),
    [
        ("999", "There is no event with id 999: it may have been deleted."),
        ("abc", "“abc” is not an event id: open an event from the events list."),
    ],
)
def test_an_unknown_event_says_so_and_links_back(app, team, raw_id, message):
    at = open_event(app(team.ada), raw_id)

    assert not at.exception
    assert values(at.error) == [message]
    assert values(at.main.get("page_link")) == ["Go to events"]


def test_the_registrations_filter_by_review_state_and_search(
    app, team, database, webinar, people
):
    with database.engine() as engine:
        review_candidates(
            engine,
            team.rita,
            webinar,
            [people["olive"]],
            approve=True,
            from_address=FROM_ADDRESS,
        )
    at = open_event(app(team.rita), webinar)
    assert "3 registered: 1 approved, 2 pending, 0 denied" in values(at.main.text)

    at.multiselect(key=f"reg_states_{webinar}").set_value(["approved"]).run()
    registered = [link.value for link in at.main.get("page_link")]
    assert registered == ["Olive Other"]
    assert registration_texts(at, people["olive"])[3].count("approval · ") == 1

    at.multiselect(key=f"reg_states_{webinar}").set_value([]).run()
    at.text_input(key=f"reg_text_{webinar}").input("pat@").run()
    assert [link.value for link in at.main.get("page_link")] == ["Pat Pending"]


# --- adding candidates ----------------------------------------------------------------


def open_add(at: AppTest) -> AppTest:
    return at.button(key="event_add_candidates").click().run()


def test_adding_existing_candidates_and_a_csv_file_names_everyone(
    app, team, database, evening, people
):
    at = open_add(open_event(app(team.rita), evening))
    at.text_input(key="evd_add_search").input("o").run()
    at.multiselect(key="evd_add_ids").set_value(
        [people["olive"], people["pat"], people["nora"]]
    ).run()
    at.file_uploader[0].upload(
        "people.csv",
        b"name,email,notes\nDana Data,dana@example.org,met at the fair\n"
        b"Casey Again,CASEY@example.org,\n",
        "text/csv",
    )
    at.checkbox(key="evd_add_profile").check()
    at.button(key="evd_add_confirm").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    # Chosen candidates first, then the file's people, in the file's order.
    assert notice(at) == plain(
        "Added Pat Pending and Dana Data (2 emailed a profile request). "
        "Registered already, not emailed again: Olive Other and Casey Candidate. "
        "Not added, no email address: Nora Nomail."
    )
    with database.engine() as engine:
        rows = list_registrations(engine, evening).rows
    assert [row.name for row in rows] == [
        "Casey Candidate",
        "Dana Data",
        "Olive Other",
        "Pat Pending",
    ]
    dana = next(row.candidate_id for row in rows if row.name == "Dana Data")
    assert email_kinds(database, dana) == ["profile request"]
    assert email_kinds(database, people["pat"]) == ["profile request"]
    assert email_kinds(database, people["olive"]) == ["confirmation"]
    assert database.timeline(people["nora"]).total == 0


def test_a_bad_csv_line_is_named_beside_the_upload_and_nobody_is_added(
    app, team, database, evening, people
):
    at = open_add(open_event(app(team.ada), evening))
    at.file_uploader[0].upload(
        "people.csv",
        b"name,email\nDana Data,dana@example.org\nBad Line,not-an-address\n",
        "text/csv",
    )
    at.text_input(key="evd_add_search").input("pat").run()
    at.multiselect(key="evd_add_ids").set_value([people["pat"]])
    at.button(key="evd_add_confirm").click().run()

    [dialog] = open_dialogs(at)
    [error] = dialog.error
    assert error.value == plain(
        "Correct these lines: line 3: “not-an-address” is not an email address."
    )
    with database.engine() as engine:
        assert list_registrations(engine, evening).total == 2
    assert database.timeline(people["pat"]).total == 0


def test_adding_nobody_is_refused_in_the_modal(app, team, evening):
    at = open_add(open_event(app(team.ada), evening))
    at.button(key="evd_add_confirm").click().run()

    [dialog] = open_dialogs(at)
    assert values(dialog.error) == [plain("Choose at least one candidate to add.")]


# --- Quick Review ---------------------------------------------------------------------


def test_quick_review_approves_and_denies_the_ticked_candidates(
    app, team, database, webinar, people
):
    at = open_event(app(team.rita), webinar)
    assert [tab.label for tab in at.tabs][2] == "Quick Review"
    at.checkbox(key=f"qr_{webinar}_{people['casey']}").check()
    at.checkbox(key=f"qr_{webinar}_{people['pat']}").check().run()
    assert at.button(key=f"qr_approve_{webinar}").label == "Approve selected (2)"
    at.button(key=f"qr_approve_{webinar}").click().run()

    assert not at.exception
    assert notice(at) == plain(
        "Approved Casey Candidate and Pat Pending: 2 emailed an approval."
    )
    assert f"qr_{webinar}_{people['casey']}" not in {box.key for box in at.checkbox}
    assert email_kinds(database, people["casey"]) == ["approval", "confirmation"]

    at.checkbox(key=f"qr_all_{webinar}").check().run()
    assert at.checkbox(key=f"qr_{webinar}_{people['olive']}").value
    at.button(key=f"qr_deny_{webinar}").click().run()
    # A denial asks first; keeping them pending emails nobody.
    assert values(at.warning) == [
        "Deny this candidate? They get a denial email now, and a denial cannot "
        "be undone."
    ]
    at.button(key=f"qr_deny_keep_{webinar}").click().run()
    assert not at.warning
    assert email_kinds(database, people["olive"]) == ["confirmation"]
    at.button(key=f"qr_deny_{webinar}").click().run()
    at.button(key=f"qr_deny_confirm_{webinar}").click().run()

    assert notice(at) == plain("Denied Olive Other: 1 emailed a denial.")
    assert "Nobody is waiting for review." in values(at.info)
    with database.engine() as engine:
        states = {
            row.name: row.review_state
            for row in list_registrations(engine, webinar).rows
        }
    assert states == {
        "Casey Candidate": ReviewState.APPROVED,
        "Olive Other": ReviewState.DENIED,
        "Pat Pending": ReviewState.APPROVED,
    }
    assert email_kinds(database, people["olive"]) == ["denial", "confirmation"]


def test_quick_review_buttons_wait_for_a_ticked_candidate(app, team, webinar):
    at = open_event(app(team.rita), webinar)

    assert at.button(key=f"qr_approve_{webinar}").disabled
    assert at.button(key=f"qr_deny_{webinar}").disabled


# --- editing --------------------------------------------------------------------------


def open_edit(at: AppTest) -> AppTest:
    return at.button(key="event_edit").click().run()


def test_a_visible_change_emails_an_update_to_each_candidate(
    app, team, database, evening, people
):
    at = open_edit(open_event(app(team.ada), evening))
    [dialog] = open_dialogs(at)
    assert dialog.proto.dialog.title == "Edit event"
    assert at.selectbox(key="ev_type").disabled
    assert at.text_input(key="ev_place").value == "Rua Augusta 12, Lisbon"
    at.text_input(key="ev_place").input("Praça do Comércio 1, Lisbon")
    at.button(key="ev_save").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert at.toast[0].value == (
        "Saved (place changed). 2 candidates were emailed an update."
    )
    assert "Place: Praça do Comércio 1, Lisbon" in values(at.main.text)
    for candidate in ("casey", "olive"):
        latest = database.timeline(people[candidate]).entries[0]
        assert latest.email_kind == "update"
        assert "Praça do Comércio 1, Lisbon" in latest.body


def test_changing_only_the_internal_notes_emails_nobody(
    app, team, database, evening, people
):
    at = open_edit(open_event(app(team.rita), evening))
    at.text_area(key="ev_notes").input("Bring the banner.")
    at.button(key="ev_save").click().run()

    assert "nobody was emailed" in at.toast[0].value
    assert "Bring the banner." in values(at.main.text)
    with database.engine() as engine:
        assert get_event(engine, evening).internal_notes == "Bring the banner."
    assert email_kinds(database, people["casey"]) == ["confirmation"]
    assert email_kinds(database, people["olive"]) == ["confirmation"]


def test_an_edit_with_a_mistake_is_refused_beside_the_field(
    app, team, database, evening
):
    at = open_edit(open_event(app(team.ada), evening))
    at.text_input(key="ev_title").input("   ")
    at.button(key="ev_save").click().run()

    [dialog] = open_dialogs(at)
    assert values(dialog.error) == [plain("Enter the event's title.")]
    with database.engine() as engine:
        assert get_event(engine, evening).title == "Data careers evening"


# --- the final schedule ---------------------------------------------------------------


def test_the_final_schedule_says_who_gets_it_and_sends_it(
    app, team, database, evening, people
):
    at = open_event(app(team.ada), evening)
    at.button(key="event_final_schedule").click().run()

    [dialog] = open_dialogs(at)
    assert any("2 candidates will receive it" in m.value for m in dialog.markdown)
    at.button(key="evd_final_send").click().run()

    assert at.toast[0].value == "Final schedule sent to 2 candidates."
    assert email_kinds(database, people["casey"])[0] == "final schedule"

    at.button(key="event_final_schedule").click().run()
    assert at.button(key="evd_final_send").disabled
    at.checkbox(key="evd_final_everyone").check().run()
    at.button(key="evd_final_send").click().run()

    assert at.toast[0].value == "Final schedule sent to 2 candidates."
    assert email_kinds(database, people["olive"])[:2] == [
        "final schedule",
        "final schedule",
    ]


# --- time slots -----------------------------------------------------------------------


def test_slots_are_added_filled_emptied_and_deleted_with_cancellations(
    app, team, database, chat, people
):
    at = open_event(app(team.rita), chat)
    assert "Time slots" in [tab.label for tab in at.tabs]
    assert "No time slots yet. Add the first below." in values(at.info)
    keys = {name: f"slot_{name}_{chat}" for name in ("day", "start", "end", "capacity")}
    at.number_input(key=keys["capacity"]).set_value(2)
    at.button(key=f"slot_add_{chat}").click().run()

    assert not at.exception
    assert at.toast[0].value == "Time slot added."
    assert not at.warning  # within the chat's own hours
    with database.engine() as engine:
        [slot] = list_slots(engine, chat)
    start = to_local(slot.starts_at, "Europe/Berlin")
    assert (start.hour, start.minute, slot.capacity) == (18, 0, 2)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=30)
    # The next slot's times follow on from the one just added.
    assert at.time_input(key=keys["start"]).value.strftime("%H:%M") == "18:30"

    at.multiselect(key=f"slot_people_{chat}").set_value(
        [people["casey"], people["olive"]]
    )
    at.selectbox(key=f"slot_target_{chat}").set_value(slot.id)
    at.button(key=f"slot_assign_{chat}").click().run()

    assert notice(at) == plain(
        "Put Casey Candidate and Olive Other into the slot (no email now: "
        "their reminder names the slot)."
    )
    assert email_kinds(database, people["casey"]) == ["confirmation"]
    [box] = [b for b in at.main if getattr(b, "key", None) == f"slot_{slot.id}"]
    assert "2 of 2 places taken, 0 free" in values(box.caption)

    at.multiselect(key=f"slot_people_{chat}").set_value([people["pat"]])
    at.selectbox(key=f"slot_target_{chat}").set_value(slot.id)
    at.button(key=f"slot_assign_{chat}").click().run()
    assert any("0 of 2 places left" in e.value for e in at.main.error)
    assert email_kinds(database, people["pat"]) == ["confirmation"]

    at.button(key=f"unslot_{people['casey']}").click().run()
    [dialog] = open_dialogs(at)
    assert values(dialog.warning) == ["They get a cancellation email."]
    at.button(key="evd_unslot_confirm").click().run()

    assert notice(at) == plain(
        "Casey Candidate was taken out of their slot and sent a cancellation."
    )
    assert email_kinds(database, people["casey"]) == ["cancellation", "confirmation"]

    at.button(key=f"delete_slot_{slot.id}").click().run()
    [dialog] = open_dialogs(at)
    assert "1 candidate is in it" in dialog.warning[0].value
    at.button(key="evd_slot_delete_confirm").click().run()

    assert at.toast[0].value == "Time slot deleted; 1 candidate sent a cancellation."
    assert email_kinds(database, people["olive"]) == ["cancellation", "confirmation"]
    with database.engine() as engine:
        assert list_slots(engine, chat) == []
        assert all(row.slot_id is None for row in list_registrations(engine, chat).rows)


def test_an_impossible_slot_is_refused_beside_its_fields(app, team, database, chat):
    at = open_event(app(team.ada), chat)
    at.time_input(key=f"slot_end_{chat}").set_value(
        at.time_input(key=f"slot_start_{chat}").value
    )
    at.button(key=f"slot_add_{chat}").click().run()

    assert values(at.main.error) == [plain("The end must come after the start.")]
    with database.engine() as engine:
        assert list_slots(engine, chat) == []


# --- reminders and follow-ups ---------------------------------------------------------


def test_reminders_sent_and_skipped_are_listed(app, team, database, chat, people):
    with database.engine() as engine:
        event = get_event(engine, chat)
        slot = add_slot(
            engine,
            team.ada,
            chat,
            day=in_days(14),
            start_time=to_local(event.starts_at, event.time_zone).time(),
            end_time=to_local(event.ends_at, event.time_zone).time(),
            capacity=5,
        )
        assign_to_slot(
            engine, team.ada, chat, [people["casey"]], slot, from_address=FROM_ADDRESS
        )
        # An hour before the chat: Casey's reminder is due; the others have no
        # slot yet, so theirs wait.
        dispatch_event_emails(
            engine, from_address=FROM_ADDRESS, now=event.starts_at - timedelta(hours=1)
        )
    at = open_event(app(team.ada), chat)

    texts = values(at.main.text)
    row = texts.index("Casey Candidate")
    assert texts[row + 1 : row + 3] == ["reminder", "sent"]
    assert email_kinds(database, people["casey"])[0] == "reminder"


# --- cancelling and deleting ----------------------------------------------------------


def test_cancelling_says_nobody_is_emailed_and_leaves_no_action(
    app, team, database, webinar, people
):
    at = open_event(app(team.rita), webinar)
    at.button(key="event_cancel").click().run()

    [dialog] = open_dialogs(at)
    assert "Nobody is emailed" in dialog.warning[0].value
    assert "Reminders and follow-ups not sent yet are dropped" in (
        dialog.warning[0].value
    )
    at.button(key="evd_cancel_confirm").click().run()

    assert not at.exception
    assert "Event cancelled. Nobody was emailed" in at.toast[0].value
    assert "Webinar, invite only · cancelled" in values(at.caption)
    assert values(at.warning) == [
        "This event was cancelled: it takes no more changes and sends no more email."
    ]
    assert not button_keys(at)
    assert not at.checkbox
    assert not at.code
    with database.engine() as engine:
        assert get_event(engine, webinar).state is EventState.CANCELLED
    assert email_kinds(database, people["casey"]) == ["confirmation"]


def test_an_event_cancelled_meanwhile_takes_no_edit(app, team, database, evening):
    at = open_edit(open_event(app(team.ada), evening))
    at.text_input(key="ev_place").input("Somewhere else")
    with database.engine() as engine:
        cancel_event(engine, team.rita, evening)
    at.button(key="ev_save").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert "In-person event, open · cancelled" in values(at.caption)
    with database.engine() as engine:
        assert get_event(engine, evening).place == "Rua Augusta 12, Lisbon"


def test_keeping_the_event_changes_nothing(app, team, database, evening):
    at = open_event(app(team.ada), evening)
    at.button(key="event_cancel").click().run()
    at.button(key="evd_cancel_keep").click().run()

    assert not open_dialogs(at)
    with database.engine() as engine:
        assert get_event(engine, evening).state is EventState.SCHEDULED


def test_deleting_goes_back_to_the_list(app, team, database, evening, people):
    at = open_event(app(team.ada), evening)
    at.button(key="event_delete").click().run()
    [dialog] = open_dialogs(at)
    assert "Nobody is emailed" in dialog.warning[0].value
    at.button(key="evd_delete_confirm").click().run()

    assert not at.exception
    assert values(at.title) == ["Events"]
    assert "Event deleted. Nobody was emailed (2 candidates registered)" in (
        at.toast[0].value
    )
    with database.engine() as engine, pytest.raises(NotFound):
        get_event(engine, evening)
    # The emails it sent stay on the timelines.
    assert email_kinds(database, people["casey"]) == ["confirmation"]


# --- managers -------------------------------------------------------------------------


def test_a_manager_reads_everything_and_has_no_action(app, team, database, people):
    with database.engine() as engine:
        event_id = add_event(
            engine,
            team.ada,
            "Invite-only chat",
            event_type=EventType.VIRTUAL_CHAT,
            invite_only=True,
        )
        register(engine, team.ada, event_id, people["casey"], people["olive"])
        review_candidates(
            engine,
            team.ada,
            event_id,
            [people["casey"]],
            approve=True,
            from_address=FROM_ADDRESS,
        )
        slot = add_slot(
            engine,
            team.ada,
            event_id,
            day=in_days(14),
            start_time=time(18, 0),
            end_time=time(18, 30),
            capacity=3,
        )
        assign_to_slot(
            engine,
            team.ada,
            event_id,
            [people["casey"]],
            slot,
            from_address=FROM_ADDRESS,
        )
    at = open_event(app(team.manu), event_id)

    assert not at.exception
    assert [tab.label for tab in at.tabs] == [
        "Details",
        "Registrations",
        "Quick Review",
        "Time slots",
        "Reminders and follow-ups",
    ]
    # Everything is there to read: the pending candidate, the slot and who is in it.
    shown = values(at.main.text)
    assert any(line.startswith("Olive Other · olive@example.org") for line in shown)
    assert "Casey Candidate · casey@example.org" in shown
    [box] = [b for b in at.main if getattr(b, "key", None) == f"slot_{slot}"]
    assert "1 of 3 places taken, 2 free" in values(box.caption)
    # And nothing to act with: no button, no tick box, no form.
    assert not button_keys(at)
    assert not at.checkbox
    assert [m.key for m in at.main.multiselect] == [f"reg_states_{event_id}"]
    assert not [w for w in at.main.time_input]
    assert "Managers read events; admins and recruiters run them." in values(at.caption)


def test_a_slot_outside_the_chats_hours_is_flagged_on_the_page(
    app, team, database, chat
):
    """The chat runs 18:00-20:00 Berlin; a slot running past 20:00 is kept,
    with a warning in its box."""
    with database.engine() as engine:
        event = get_event(engine, chat)
        day = to_local(event.starts_at, event.time_zone).date()
        late = add_slot(
            engine,
            team.ada,
            chat,
            day=day,
            start_time=time(19, 45),
            end_time=time(20, 15),
            capacity=3,
        )
    at = open_event(app(team.rita), chat)

    [box] = [b for b in at.main if getattr(b, "key", None) == f"slot_{late}"]
    assert values(box.warning) == [
        "Outside the chat's own date and hours: change the slot or the chat if "
        "that is not meant. Reminders follow the slot."
    ]
