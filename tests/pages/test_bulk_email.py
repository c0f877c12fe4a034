"""Emailing candidates selected on the candidates page."""

from __future__ import annotations

from flo_comms.candidates import CandidateSource, create_candidate

from .helpers import add_candidate


def test_selected_candidates_each_get_an_email_and_one_without_address_is_named(
    app, database, team
):
    with database.engine() as engine:
        ann = add_candidate(engine, "Ann Able", "ann.able@example.org")
        bo = add_candidate(engine, "Bo Busy", "bo.busy@example.org")
        cy = create_candidate(
            engine, name="Cy Phoneonly", email=None, source=CandidateSource.REFERRAL
        )
    at = app(team.ada).run()
    for candidate_id in (ann, bo, cy):
        at.checkbox(key=f"pick_{candidate_id}").check().run()

    at.button(key="email_picked").click().run()
    at.text_input(key="se_subject").input("Hello {{ candidate.first_name }}")
    at.text_area(key="se_body").input("Thanks for your time, {{ candidate.name }}.")
    at.button(key="se_send").click().run()

    assert not at.exception
    [toast] = [t.value for t in at.toast]
    assert "Cy Phoneonly" in toast
    assert database.timeline(ann).entries[0].subject == "Hello Ann"
    assert database.timeline(bo).entries[0].subject == "Hello Bo"
    assert database.timeline(cy).total == 0
    assert at.session_state["picked_candidates"] == []
    assert not any(box.value for box in at.checkbox)


def test_a_manager_sees_no_selection_boxes(app, database, team):
    with database.engine() as engine:
        add_candidate(engine, "Ann Able", "ann.able@example.org")

    at = app(team.manu).run()

    assert not at.checkbox
    assert not [b for b in at.button if b.key == "email_picked"]
