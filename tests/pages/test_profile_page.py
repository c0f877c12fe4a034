"""A candidate profile: the Communications tab, its filters and paging, the ⋮ menu."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from flo_comms.communications import (
    CommunicationDraft,
    Participant,
    ParticipantRole,
    log_communication,
)
from flo_comms.delivery import OutboxTransport, deliver_due
from flo_comms.job_emails import change_status
from flo_comms.jobs import create_application, create_job
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email
from ui.text import plain

from .helpers import (
    add_candidate,
    add_system_email,
    log_entry,
    open_profile,
    shown_entries,
    subjects,
    values,
)

FROM = "Flo Communications <no-reply@flo-comms.localhost>"
LONG_NOTES = (
    "Casey asked about the interview loop, the take-home exercise and the team. "
    "We went through each step, who she would meet, and how long the decision "
    "usually takes. She will send her availability for next week by Friday."
)
NO_MATCH = "No communication matches these filters; clear one to see more."
# The subjects on Casey's tab, newest first, as the page writes them in Markdown.
VIDEO_CALL = "**Second round with the hiring manager**"
SYSTEM_EMAIL = "**Your application\\: Interview Scheduled**"
LATE_CALL = "**Evening check\\-in**"
NOTES_EMAIL = "**Follow\\-up on the interview**"
FIRST_CALL = "**Intro call about the Data Analyst role**"
NEWEST_FIRST = [VIDEO_CALL, SYSTEM_EMAIL, LATE_CALL, NOTES_EMAIL, FIRST_CALL]


@pytest.fixture
def candidates(database, team) -> dict[str, int]:
    """Casey's tab has four manual entries and one system email; Olive's is empty.

    Newest first: a video call in July (summer time), the system email, a late
    evening call on 15 January in New York (already the 16th in Berlin), an email
    on 15 January, and the first call on 2 January.
    """
    ada, rita = team.ada, team.rita
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@example.org")
        log_entry(engine, ada, casey, datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
        log_entry(
            engine,
            rita,
            casey,
            datetime(2026, 1, 15, 14, 0, tzinfo=UTC),
            comm_type="email",
            subject="Follow-up on the interview",
            description=LONG_NOTES,
        )
        log_entry(
            engine,
            ada,
            casey,
            datetime(2026, 1, 16, 3, 0, tzinfo=UTC),
            subject="Evening check-in",
            description="Quick call after her shift.",
        )
        add_system_email(engine, casey, ada, datetime(2026, 2, 10, 12, 0, tzinfo=UTC))
        log_entry(
            engine,
            ada,
            casey,
            datetime(2026, 7, 15, 14, 0, tzinfo=UTC),
            comm_type="video call",
            subject="Second round with the hiring manager",
            description="Went well.",
        )
    return {"casey": casey, "olive": olive}


def headings(at) -> list[str]:
    return [entry.heading for entry in shown_entries(at)]


def test_a_deep_link_shows_the_candidates_name_and_communications_tab(
    app, team, candidates
):
    at = open_profile(app(team.ada), candidates["casey"])

    assert not at.exception
    assert values(at.title) == ["Casey Candidate"]
    assert "casey@example\\.org · referral" in values(at.caption)
    assert [tab.label for tab in at.tabs] == ["Communications", "Profile"]
    assert at.button(key="new_communication").label == "+ New Communication"
    assert "1–5 of 5, newest first" in values(at.tabs[0].caption)


@pytest.mark.parametrize("raw_id", ["abc", "12abc", "-3", "1.5"])
def test_an_id_that_is_not_a_number_says_so(app, team, candidates, raw_id):
    at = open_profile(app(team.ada), raw_id)

    assert not at.exception
    assert values(at.error) == [
        f"“{raw_id}” is not a candidate id: open a profile from the candidates list."
    ]
    assert values(at.main.get("page_link")) == ["Go to candidates"]
    assert not at.tabs


def test_a_profile_without_an_id_says_no_candidate_was_chosen(app, team, candidates):
    at = open_profile(app(team.ada), "")

    assert not at.exception
    assert values(at.error) == [
        "No candidate chosen: open a profile from the candidates list."
    ]
    assert values(at.main.get("page_link")) == ["Go to candidates"]
    assert not at.tabs


def test_an_unknown_id_says_there_is_no_such_candidate(app, team, candidates):
    at = open_profile(app(team.ada), 9999)

    assert not at.exception
    assert values(at.error) == ["There is no candidate with id 9999."]
    assert values(at.main.get("page_link")) == ["Go to candidates"]
    assert not at.tabs


def test_a_superscript_digit_id_gets_the_clear_error_not_a_traceback(
    app, team, candidates
):
    at = open_profile(app(team.ada), "²")

    assert not at.exception
    assert len(at.error) == 1


def test_entries_are_newest_first_in_new_york_time_for_a_new_york_member(
    app, team, candidates
):
    at = open_profile(app(team.ada), candidates["casey"])

    assert subjects(at) == NEWEST_FIRST
    assert headings(at) == [
        ":material/videocam: Video call · 15 Jul 2026, 10:00 EDT",
        ":material/mail: Email · 10 Feb 2026, 07:00 EST"
        " · :blue-badge[System generated]",
        ":material/call: Phone call · 15 Jan 2026, 22:00 EST",
        ":material/mail: Email · 15 Jan 2026, 09:00 EST",
        ":material/call: Phone call · 2 Jan 2026, 05:00 EST",
    ]


def test_a_berlin_member_sees_the_same_entries_in_berlin_time(app, team, candidates):
    at = open_profile(app(team.rita), candidates["casey"])

    assert subjects(at) == NEWEST_FIRST
    assert headings(at) == [
        ":material/videocam: Video call · 15 Jul 2026, 16:00 CEST",
        ":material/mail: Email · 10 Feb 2026, 13:00 CET"
        " · :blue-badge[System generated]",
        ":material/call: Phone call · 16 Jan 2026, 04:00 CET",
        ":material/mail: Email · 15 Jan 2026, 15:00 CET",
        ":material/call: Phone call · 2 Jan 2026, 11:00 CET",
    ]


def test_an_entry_shows_sender_recipient_preview_and_who_logged_it(
    app, team, candidates
):
    at = open_profile(app(team.ada), candidates["casey"])

    notes = shown_entries(at)[3]
    assert notes.lines[0] == (
        f"From Rita Recruiter <{team.rita.email}>"
        " · To Casey Candidate <casey@example.org>"
    )
    # The preview is the start of the message, cut at a word, on one line.
    preview = notes.lines[1]
    assert preview.endswith("…")
    assert LONG_NOTES.startswith(preview.removesuffix("…"))
    assert len(preview) <= 160
    assert notes.captions == ["This communication was logged by Rita Recruiter."]
    # The details expander holds the whole message and its metadata.
    assert notes.details[0] == LONG_NOTES
    assert "**Source:** Logged by hand" in notes.details[1]
    assert "**Date:** 15 Jan 2026, 09:00 EST" in notes.details[1]


def test_a_system_email_is_marked_and_names_no_one_who_logged_it(app, team, candidates):
    at = open_profile(app(team.ada), candidates["casey"])

    system = shown_entries(at)[1]
    assert system.heading.endswith(":blue-badge[System generated]")
    assert system.lines == [
        f"From Ada Admin <{team.ada.email}> · To Casey Candidate <casey@example.org>",
        "We would like to invite you to an interview.",
    ]
    assert system.captions == []
    assert "**Source:** System generated" in system.details[1]
    assert "**Email:** job status" in system.details[1]


def test_a_candidate_without_communications_says_so(app, team, candidates):
    at = open_profile(app(team.ada), candidates["olive"])

    assert values(at.title) == ["Olive Other"]
    assert values(at.info) == ["No communications with this candidate yet."]
    assert shown_entries(at) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (["system"], [SYSTEM_EMAIL]),
        (["manual"], [VIDEO_CALL, LATE_CALL, NOTES_EMAIL, FIRST_CALL]),
        (["system", "manual"], NEWEST_FIRST),
    ],
)
def test_the_source_filter_narrows_the_list(app, team, candidates, source, expected):
    at = open_profile(app(team.ada), candidates["casey"])

    at.multiselect(key="tl_sources").set_value(source).run()

    assert subjects(at) == expected


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["video call"], [VIDEO_CALL]),
        (["email"], [SYSTEM_EMAIL, NOTES_EMAIL]),
        (["phone call", "video call"], [VIDEO_CALL, LATE_CALL, FIRST_CALL]),
        (["letter"], []),
    ],
)
def test_the_type_filter_narrows_the_list(app, team, candidates, types, expected):
    at = open_profile(app(team.ada), candidates["casey"])

    at.multiselect(key="tl_types").set_value(types).run()

    assert subjects(at) == expected
    assert values(at.info) == ([] if expected else [NO_MATCH])


def test_the_date_range_is_whole_days_in_the_viewers_time_zone(
    app, database, team, candidates
):
    with database.engine() as engine:
        # 03:00 UTC on the 15th: still the 14th in New York, the 15th in Berlin.
        log_entry(
            engine,
            team.rita,
            candidates["casey"],
            datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
            subject="Early call",
        )
    january_15th = (date(2026, 1, 15), date(2026, 1, 15))
    new_york = open_profile(app(team.ada), candidates["casey"])
    berlin = open_profile(app(team.rita), candidates["casey"])

    new_york.date_input(key="tl_dates").set_value(january_15th).run()
    berlin.date_input(key="tl_dates").set_value(january_15th).run()

    # The late call is on the 15th in New York and on the 16th in Berlin.
    assert subjects(new_york) == [LATE_CALL, NOTES_EMAIL]
    assert subjects(berlin) == [NOTES_EMAIL, "**Early call**"]
    assert new_york.date_input(key="tl_dates").label == (
        "Date range (America/New_York)"
    )


def test_a_date_range_spanning_months_includes_both_ends(app, team, candidates):
    at = open_profile(app(team.ada), candidates["casey"])

    at.date_input(key="tl_dates").set_value((date(2026, 1, 2), date(2026, 2, 10)))
    at.run()

    assert subjects(at) == [SYSTEM_EMAIL, LATE_CALL, NOTES_EMAIL, FIRST_CALL]


def test_a_range_with_only_its_start_chosen_shows_that_day_on_and_says_so(
    app, team, candidates
):
    at = open_profile(app(team.ada), candidates["casey"])

    # The 16th in New York: the late call of the 16th UTC is still the 15th.
    at.date_input(key="tl_dates").set_value((date(2026, 1, 16),))
    at.run()

    assert subjects(at) == [VIDEO_CALL, SYSTEM_EMAIL]
    assert "From 16 Jan 2026 on; pick an end date to close it." in values(at.caption)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # In two subjects and in the first call's description, in any case.
        ("INTERVIEW", [SYSTEM_EMAIL, NOTES_EMAIL, FIRST_CALL]),
        ("take-home", [NOTES_EMAIL]),  # only in the description
        ("her shift", [LATE_CALL]),
    ],
)
def test_the_text_search_looks_in_subject_and_description(
    app, team, candidates, text, expected
):
    at = open_profile(app(team.ada), candidates["casey"])

    at.text_input(key="tl_text").input(text).run()

    assert subjects(at) == expected


def test_filters_that_match_nothing_show_the_empty_message(app, team, candidates):
    at = open_profile(app(team.ada), candidates["casey"])

    at.multiselect(key="tl_sources").set_value(["system"])
    at.text_input(key="tl_text").input("hiring manager").run()

    assert shown_entries(at) == []
    assert values(at.info) == [NO_MATCH]


def test_the_menu_appears_only_on_entries_the_viewer_logged(app, team, candidates):
    ada_sees = shown_entries(open_profile(app(team.ada), candidates["casey"]))
    rita_sees = shown_entries(open_profile(app(team.rita), candidates["casey"]))

    def menus(entries) -> dict[str, list[str]]:
        return {e.subject: e.menu_buttons for e in entries if e.menu_buttons}

    ids = {entry.subject: entry.communication_id for entry in ada_sees}

    def buttons(subject: str) -> list[str]:
        return [f"edit_{ids[subject]}", f"delete_{ids[subject]}"]

    # Ada triggered the system email too; no one may change what the system sent.
    assert menus(ada_sees) == {
        subject: buttons(subject) for subject in (VIDEO_CALL, LATE_CALL, FIRST_CALL)
    }
    assert menus(rita_sees) == {NOTES_EMAIL: buttons(NOTES_EMAIL)}


def test_a_manager_reads_the_tab_without_new_edit_or_delete_buttons(
    app, team, candidates
):
    at = open_profile(app(team.manu), candidates["casey"])

    assert subjects(at) == NEWEST_FIRST
    # No + New Communication, and no ⋮ menu with Edit or Delete anywhere.
    assert [button.label for button in at.button] == ["Sign out"]
    assert not at.get("popover")
    manager_note = "Managers read communications; admins and recruiters log them."
    assert manager_note in values(at.caption)
    assert all(entry.menu_buttons == [] for entry in shown_entries(at))


@pytest.fixture
def busy_candidate(database, team) -> int:
    """A candidate with 25 calls by Ada, one a day: more than the 20 a page holds."""
    first_day = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    with database.engine() as engine:
        busy = add_candidate(engine, "Busy Bee")
        for day in range(25):
            log_entry(
                engine,
                team.ada,
                busy,
                first_day + timedelta(days=day),
                subject=f"Call number {day + 1:02d}",
            )
    return busy


def call_subjects(numbers) -> list[str]:
    return [f"**Call number {n:02d}**" for n in numbers]


def test_more_than_twenty_entries_are_paged_newest_first(app, team, busy_candidate):
    at = open_profile(app(team.ada), busy_candidate)

    [pager] = at.get("pagination")
    assert pager.num_pages == 2
    assert subjects(at) == call_subjects(range(25, 5, -1))
    assert "1–20 of 25, newest first" in values(at.caption)

    pager.select(2).run()

    assert subjects(at) == call_subjects(range(5, 0, -1))
    assert "21–25 of 25, newest first" in values(at.caption)


def test_changing_a_filter_goes_back_to_the_first_page(app, team, busy_candidate):
    at = open_profile(app(team.ada), busy_candidate)
    at.get("pagination")[0].select(2).run()

    at.text_input(key="tl_text").input("call number").run()

    assert subjects(at) == call_subjects(range(25, 5, -1))


def test_deleting_the_only_entry_of_the_last_page_shows_the_page_before(
    app, database, team
):
    with database.engine() as engine:
        bee = add_candidate(engine, "Bea Twentyone")
        for day in range(21):
            log_entry(
                engine,
                team.ada,
                bee,
                datetime(2026, 3, 1, 15, 0, tzinfo=UTC) + timedelta(days=day),
                subject=f"Call number {day + 1:02d}",
            )
    at = open_profile(app(team.ada), bee)
    at.get("pagination")[0].select(2).run()
    [oldest] = shown_entries(at)

    at.button(key=f"delete_{oldest.communication_id}").click().run()
    at.button(key="delete_confirm").click().run()

    assert subjects(at) == call_subjects(range(21, 1, -1))


def test_filters_set_on_one_profile_do_not_follow_to_the_next(app, team, candidates):
    at = open_profile(app(team.ada), candidates["casey"])
    at.text_input(key="tl_text").input("hiring manager").run()
    assert subjects(at) == ["**Second round with the hiring manager**"]

    at = open_profile(at, candidates["olive"])
    at = open_profile(at, candidates["casey"])

    assert at.text_input(key="tl_text").value == ""
    assert len(subjects(at)) == 5


def test_opening_another_recipients_profile_from_details_moves_the_address_too(
    app, database, team, candidates
):
    with database.engine() as engine:
        draft = CommunicationDraft(
            comm_type="email",
            occurred_local=datetime(2026, 8, 1, 9, 0),
            time_zone=team.ada.time_zone,
            sender_member_ids=(team.ada.id,),
            recipient_candidate_ids=(candidates["casey"], candidates["olive"]),
            recipient_member_ids=(),
            subject="Invitation to both",
            description="",
        )
        entry_id = log_communication(
            engine, team.ada, draft, logged_from_candidate_id=candidates["casey"]
        )
    at = open_profile(app(team.ada), candidates["casey"])

    at.button(key=f"open_{entry_id}_{candidates['olive']}").click().run()

    assert at.query_params["candidate"] == str(candidates["olive"])
    assert values(at.title) == ["Olive Other"]
    assert subjects(at) == ["**Invitation to both**"]


def test_a_system_emails_details_say_how_far_its_delivery_got(
    app, database, team, candidates, tmp_path
):
    def email(subject: str) -> SystemEmail:
        return SystemEmail(
            kind=EmailKind.JOB_STATUS,
            subject=subject,
            body="We would like to invite you to an interview.",
            sent_by_member_id=team.ada.id,
            sender=Participant(ParticipantRole.SENDER, "Ada Admin", "ada@example.com"),
            to=[
                Participant(
                    ParticipantRole.TO,
                    "Olive Other",
                    "olive@example.org",
                    candidate_id=candidates["olive"],
                )
            ],
            candidate_ids=[candidates["olive"]],
        )

    outbox = OutboxTransport(tmp_path / "outbox")
    with database.engine() as engine:
        with engine.begin() as connection:
            sent = log_system_email(connection, email("Delivered"), from_address=FROM)
        deliver_due(engine, outbox)
        with engine.begin() as connection:
            log_system_email(connection, email("Still waiting"), from_address=FROM)

    at = open_profile(app(team.ada), candidates["olive"])

    details = {entry.subject: "\n".join(entry.details) for entry in shown_entries(at)}
    assert "**Delivery:** queued" in details["**Still waiting**"]
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert f"**Delivery:** {plain(f'sent, to {eml}')}" in details["**Delivered**"]
    assert sent


def test_the_job_and_email_kind_filters_narrow_the_tab(app, database, team):
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Jobs", "casey.jobs@example.org")
        analyst = create_job(engine, "Data Analyst")
        designer = create_job(engine, "Product Designer")
        for job, status in ((analyst, "Interview Scheduled"), (designer, "Offer")):
            application = create_application(engine, job, casey)
            change_status(engine, team.ada, application, status, from_address=FROM)
        log_entry(engine, team.ada, casey, datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
    at = open_profile(app(team.ada), casey)
    assert len(subjects(at)) == 3

    at.multiselect(key="tl_jobs").set_value([designer]).run()
    only_designer = shown_entries(at)
    at.multiselect(key="tl_jobs").set_value([]).run()
    at.multiselect(key="tl_kinds").set_value(["job status"]).run()

    [designer_email] = only_designer
    assert "**Job:** Product Designer" in "\n".join(designer_email.details)
    job_status_emails = shown_entries(at)
    assert len(job_status_emails) == 2
    assert all(
        "**Email:** job status" in "\n".join(entry.details)
        for entry in job_status_emails
    )
