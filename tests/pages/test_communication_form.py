"""The + New Communication modal, editing and deleting from the ⋮ menu."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.timeline import communication_history_of
from flo_comms.timezones import now_utc, to_local
from ui.communication_form import CANDIDATE_MATCHES

from .helpers import (
    add_candidate,
    dialog_layout,
    log_entry,
    open_dialogs,
    open_profile,
    shown_entries,
    subjects,
    values,
)

FIELD_KEYS = [
    "cf_type",
    "cf_date",
    "cf_time",
    "cf_sent_by",
    "cf_candidate_search",
    "cf_to_candidates",
    "cf_to_members",
    "cf_subject",
    "cf_description",
]


@pytest.fixture
def candidates(database, team) -> dict[str, int]:
    """Casey, whose tab has one call Ada logged, and Olive, whose tab is empty."""
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@example.org")
        call = log_entry(
            engine,
            team.ada,
            casey,
            datetime(2026, 1, 15, 14, 0, tzinfo=UTC),
            subject="Intro call",
            description="Talked through the role.",
        )
    return {"casey": casey, "olive": olive, "call": call}


def open_new_form(at: AppTest) -> AppTest:
    return at.button(key="new_communication").click().run()


def fill_valid_form(at: AppTest, *, olive: int, rita_id: int) -> AppTest:
    """An email to Casey (already chosen), Olive (found by search) and Rita."""
    at.selectbox(key="cf_type").set_value("email")
    at.text_input(key="cf_candidate_search").input("olive").run()
    to_candidates = at.multiselect(key="cf_to_candidates")
    assert to_candidates.options == ["Casey Candidate", "Olive Other"]
    to_candidates.set_value([*to_candidates.value, olive])
    at.multiselect(key="cf_to_members").set_value([rita_id])
    at.text_input(key="cf_subject").input("Offer details discussed")
    at.text_area(key="cf_description").input("Base salary and start date.")
    return at.run()


@pytest.mark.parametrize(
    ("search", "said"),
    [
        ("olive", "Choose from the match in “Sent to: candidates” below."),
        ("example.org", "Choose from the 2 matches in “Sent to: candidates” below."),
        ("nobody", "No candidate's name or email contains “nobody”."),
    ],
)
def test_the_candidate_search_says_where_its_matches_are_or_that_there_are_none(
    app, team, candidates, search, said
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))

    at.text_input(key="cf_candidate_search").input(search).run()

    [dialog] = open_dialogs(at)
    assert said in [caption.value for caption in dialog.caption]


def test_a_search_matching_only_candidates_chosen_already_says_so(
    app, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))

    # Casey, whose profile this is, is in "Sent to: candidates" from the start.
    at.text_input(key="cf_candidate_search").input("casey").run()

    [dialog] = open_dialogs(at)
    assert "Every match is chosen already in “Sent to: candidates”." in [
        caption.value for caption in dialog.caption
    ]


def test_a_search_with_more_matches_than_the_box_offers_says_how_many_it_shows(
    app, database, team, candidates
):
    with database.engine() as engine:
        for n in range(CANDIDATE_MATCHES + 1):
            add_candidate(engine, f"Bulk Person {n}", f"bulk{n}@many.example")
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))

    at.text_input(key="cf_candidate_search").input("many.example").run()

    [dialog] = open_dialogs(at)
    assert (
        f"Choose from the first {CANDIDATE_MATCHES} of {CANDIDATE_MATCHES + 1} "
        "matches in “Sent to: candidates” below."
    ) in [caption.value for caption in dialog.caption]


def test_new_communication_opens_the_modal_filled_with_sensible_defaults(
    app, team, candidates
):
    at = open_profile(app(team.ada), candidates["casey"])
    before = to_local(now_utc(), team.ada.time_zone)

    open_new_form(at)

    after = to_local(now_utc(), team.ada.time_zone)
    [dialog] = open_dialogs(at)
    assert dialog.proto.dialog.title == "New communication"
    assert [key for key in dialog_layout(dialog) if key in FIELD_KEYS] == FIELD_KEYS
    assert at.selectbox(key="cf_type").value is None
    assert at.date_input(key="cf_date").value in {before.date(), after.date()}
    assert at.multiselect(key="cf_sent_by").value == [team.ada.id]
    assert at.multiselect(key="cf_to_candidates").value == [candidates["casey"]]
    assert at.multiselect(key="cf_to_members").value == []
    assert at.text_input(key="cf_subject").value == ""
    assert "In your time zone, America/New_York." in values(dialog.caption)


def test_saving_with_missing_fields_shows_each_message_beside_its_field(
    app, database, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    at.multiselect(key="cf_sent_by").set_value([])
    at.multiselect(key="cf_to_candidates").set_value([])

    at.button(key="cf_save").click().run()

    [dialog] = open_dialogs(at)
    assert [
        key for key in dialog_layout(dialog) if key.startswith(("cf_", "error"))
    ] == [
        "cf_type",
        "error: Choose the type of communication.",
        "cf_date",
        "cf_time",
        "cf_sent_by",
        "error: Choose at least one member who sent it.",
        "cf_candidate_search",
        "cf_to_candidates",
        "cf_to_members",
        "error: Choose at least one candidate or member it was sent to.",
        "cf_subject",
        "error: Enter a subject.",
        "cf_description",
        "cf_save",
        "cf_cancel",
    ]
    assert database.timeline(candidates["casey"]).total == 1
    assert not at.toast


def test_a_date_in_the_future_is_refused_beside_the_date(
    app, database, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    at.selectbox(key="cf_type").set_value("phone call")
    at.text_input(key="cf_subject").input("Call next week")
    at.date_input(key="cf_date").set_value(date.today() + timedelta(days=7))

    at.button(key="cf_save").click().run()

    [dialog] = open_dialogs(at)
    errors = [item for item in dialog_layout(dialog) if item.startswith("error")]
    assert errors == [
        "error: That is in the future. Log contact that has already happened."
    ]
    layout = dialog_layout(dialog)
    assert layout.index(errors[0]) == layout.index("cf_time") + 1
    assert database.timeline(candidates["casey"]).total == 1


def test_a_valid_save_logs_it_on_this_profile_and_every_candidate_sent_to(
    app, database, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    fill_valid_form(at, olive=candidates["olive"], rita_id=team.rita.id)

    at.button(key="cf_save").click().run()

    assert not at.exception
    assert open_dialogs(at) == []
    assert values(at.toast) == ["Communication logged."]
    assert subjects(at) == ["**Offer details discussed**", "**Intro call**"]
    newest = shown_entries(at)[0]
    assert newest.lines[0] == (
        "From Ada Admin <ada.admin@example.com> · To Casey Candidate "
        "<casey@example.org>, Olive Other <olive@example.org>, "
        "Rita Recruiter <rita.recruiter@example.com>"
    )
    assert newest.captions == ["This communication was logged by Ada Admin."]

    casey_tab = database.timeline(candidates["casey"])
    olive_tab = database.timeline(candidates["olive"])
    assert casey_tab.total == 2
    assert [entry.id for entry in olive_tab.entries] == [casey_tab.entries[0].id]
    saved = olive_tab.entries[0]
    assert (saved.comm_type, saved.subject, saved.body) == (
        "email",
        "Offer details discussed",
        "Base salary and start date.",
    )
    assert saved.logged_by_id == team.ada.id


def test_the_saved_entry_shows_on_the_profile_of_a_candidate_sent_to(
    app, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    fill_valid_form(at, olive=candidates["olive"], rita_id=team.rita.id)
    at.button(key="cf_save").click().run()

    open_profile(at, candidates["olive"])

    assert values(at.title) == ["Olive Other"]
    assert subjects(at) == ["**Offer details discussed**"]


def test_a_second_save_of_the_same_opened_form_logs_one_entry(
    app, database, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    fill_valid_form(at, olive=candidates["olive"], rita_id=team.rita.id)
    opened_form = {
        key: at.session_state[key] for key in [*FIELD_KEYS, "communication_form"]
    }
    at.button(key="cf_save").click().run()

    # A second click that left the browser before the first save closed the modal
    # arrives with the same form: same fields, same token.
    for key, value in opened_form.items():
        at.session_state[key] = value
    at.run()
    assert len(open_dialogs(at)) == 1
    assert at.text_input(key="cf_subject").value == "Offer details discussed"
    at.button(key="cf_save").click().run()

    assert not at.exception
    assert open_dialogs(at) == []
    assert database.timeline(candidates["casey"]).total == 2
    assert database.timeline(candidates["olive"]).total == 1
    assert subjects(at).count("**Offer details discussed**") == 1


def test_cancel_closes_the_modal_and_saves_nothing(app, database, team, candidates):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    fill_valid_form(at, olive=candidates["olive"], rita_id=team.rita.id)

    at.button(key="cf_cancel").click().run()

    assert open_dialogs(at) == []
    assert "communication_form" not in at.session_state
    assert database.timeline(candidates["casey"]).total == 1
    assert database.timeline(candidates["olive"]).total == 0


def test_edit_from_the_menu_prefills_the_form_and_saves_the_change_with_history(
    app, database, team, candidates
):
    call = candidates["call"]
    at = open_profile(app(team.ada), candidates["casey"])

    at.button(key=f"edit_{call}").click().run()

    [dialog] = open_dialogs(at)
    assert dialog.proto.dialog.title == "Edit communication"
    assert at.selectbox(key="cf_type").value == "phone call"
    # 14:00 UTC on 15 January is 09:00 in New York.
    assert at.date_input(key="cf_date").value == date(2026, 1, 15)
    assert at.time_input(key="cf_time").value.strftime("%H:%M") == "09:00"
    assert at.multiselect(key="cf_sent_by").value == [team.ada.id]
    assert at.multiselect(key="cf_to_candidates").value == [candidates["casey"]]
    assert at.text_input(key="cf_subject").value == "Intro call"
    assert at.text_area(key="cf_description").value == "Talked through the role."

    at.selectbox(key="cf_type").set_value("video call")
    at.text_input(key="cf_subject").input("Intro video call")
    at.button(key="cf_save").click().run()

    assert not at.exception
    assert open_dialogs(at) == []
    assert values(at.toast) == ["Communication updated."]
    [entry] = shown_entries(at)
    assert entry.subject == "**Intro video call**"
    assert entry.heading == ":material/videocam: Video call · 15 Jan 2026, 09:00 EST"
    with database.engine() as engine:
        [change] = communication_history_of(engine, call)
    assert (change.action, change.changed_by_name) == ("edit", "Ada Admin")
    assert change.previous["subject"] == "Intro call"
    assert change.previous["comm_type"] == "phone call"
    earlier = [text for text in values(at.text) if text.startswith("Type: ")]
    assert earlier == [
        "Type: Phone call\nDate: 15 Jan 2026, 09:00 EST\nSubject: Intro call\n"
        "Sent by: Ada Admin\nTo: Casey Candidate\n\nTalked through the role."
    ]


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_choosing_from_the_menu_closes_it_behind_the_dialog(
    app, team, candidates, action
):
    call = candidates["call"]
    at = open_profile(app(team.ada), candidates["casey"])
    at.session_state[f"menu_{call}"] = True  # the member opened ⋮

    at.button(key=f"{action}_{call}").click().run()

    assert len(open_dialogs(at)) == 1
    assert at.session_state[f"menu_{call}"] is False


def test_delete_from_the_menu_asks_first_and_keep_it_keeps_it(
    app, database, team, candidates
):
    call = candidates["call"]
    at = open_profile(app(team.ada), candidates["casey"])

    at.button(key=f"delete_{call}").click().run()

    [dialog] = open_dialogs(at)
    assert dialog.proto.dialog.title == "Delete this communication?"
    assert "**Intro call**" in values(dialog.markdown)
    assert database.timeline(candidates["casey"]).total == 1

    at.button(key="delete_cancel").click().run()

    assert open_dialogs(at) == []
    assert subjects(at) == ["**Intro call**"]
    assert database.timeline(candidates["casey"]).total == 1


def test_confirming_the_delete_takes_it_off_the_timeline_and_keeps_history(
    app, database, team, candidates
):
    call = candidates["call"]
    at = open_profile(app(team.ada), candidates["casey"])
    at.button(key=f"delete_{call}").click().run()

    at.button(key="delete_confirm").click().run()

    assert not at.exception
    assert open_dialogs(at) == []
    assert values(at.toast) == [
        "Communication deleted. It has left every timeline; its history is kept."
    ]
    assert shown_entries(at) == []
    assert values(at.info) == ["No communications with this candidate yet."]
    assert database.timeline(candidates["casey"]).total == 0
    with database.engine() as engine:
        [change] = communication_history_of(engine, call)
    assert (change.action, change.previous["subject"]) == ("delete", "Intro call")


def test_markdown_and_html_in_a_description_are_shown_exactly_as_typed(
    app, database, team, candidates
):
    typed = "**bold** <script>x</script> [link](http://example.com) # not a heading"
    at = open_new_form(open_profile(app(team.ada), candidates["olive"]))
    at.selectbox(key="cf_type").set_value("letter")
    at.text_input(key="cf_subject").input("<b>Offer</b> *today*")
    at.text_area(key="cf_description").input(typed)

    at.button(key="cf_save").click().run()

    [entry] = shown_entries(at)
    # Plain text elements, which Streamlit never parses: the preview, the details.
    assert entry.lines[1] == typed
    assert entry.details[0] == typed
    # The subject sits in Markdown, so every special character is escaped.
    assert entry.subject == "**\\<b\\>Offer\\</b\\> \\*today\\***"
    assert database.timeline(candidates["olive"]).entries[0].body == typed


def test_a_modal_opened_on_one_profile_does_not_follow_to_another(
    app, database, team, candidates
):
    at = open_new_form(open_profile(app(team.ada), candidates["casey"]))
    at.text_input(key="cf_subject").input("Half-written note")
    assert len(open_dialogs(at)) == 1

    # The browser's Back button, say, while the modal is open.
    open_profile(at, candidates["olive"])

    assert values(at.title) == ["Olive Other"]
    assert open_dialogs(at) == []
    open_profile(at, candidates["casey"])
    assert open_dialogs(at) == []
    assert database.timeline(candidates["casey"]).total == 1
