"""The review workflow: the table of moves, four eyes, decisions kept, every move audited."""
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent, verify_chain
from piaa.clock import as_utc
from piaa.errors import Conflict, Forbidden, Invalid
from piaa.items import services
from piaa.items.models import ITEM_STATES, ReviewDecision
from piaa.items.services import TRANSITIONS
from tests.items.samples import ITEMS, item


@pytest.fixture
def draft(session, bank, author):
    return services.create_item_from_bank_json(session, bank, ITEMS["single_choice"], actor=author)


def audit_trail(session, item):
    return [(e.action, e.data.get("from"), e.data.get("to"), e.actor_id)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "item",
                                                              AuditEvent.subject_id == str(item.id))
                                     .order_by(AuditEvent.id))]


def test_table_covers_every_state_and_has_no_duplicate_moves():
    targets = {t.target for t in TRANSITIONS}
    assert targets == set(ITEM_STATES)
    moves = [(t.action, t.source, t.target) for t in TRANSITIONS]
    assert len(moves) == len(set(moves))
    assert not [t for t in TRANSITIONS if t.source == "retired"], "retired is final"


def test_approve_path_keeps_decision_and_audits_each_move(session, clock, draft, author, reviewer):
    services.submit_item(session, draft, actor=author)
    clock.advance(hours=2)
    decision = services.review_item(session, draft, reviewer=reviewer, decision="approve",
                                    comments=" Clear and keyed right. ")
    assert draft.state == "approved"
    assert (decision.reviewer_id, decision.decision, decision.comments) == (reviewer.id, "approve",
                                                                           "Clear and keyed right.")
    assert as_utc(decision.at) == clock.current
    assert decision.item_version_id == draft.current.id
    assert audit_trail(session, draft) == [("item.create", None, "draft", author.id),
                                           ("item.submit", "draft", "in_review", author.id),
                                           ("item.approve", "in_review", "approved", reviewer.id)]
    approve_event = session.scalars(select(AuditEvent).where(AuditEvent.action == "item.approve")).one()
    assert approve_event.data["decision_id"] == decision.id
    assert verify_chain(session).ok


def test_return_needs_comments_and_sends_back_to_draft(session, draft, author, reviewer):
    services.submit_item(session, draft, actor=author)
    with pytest.raises(Invalid, match="needs comments"):
        services.review_item(session, draft, reviewer=reviewer, decision="return", comments="  ")
    services.review_item(session, draft, reviewer=reviewer, decision="return", comments="Key is wrong")
    assert draft.state == "draft"
    with pytest.raises(Conflict, match="already reviewed"):
        services.submit_item(session, draft, actor=author)
    version = services.update_item(session, draft, actor=author, content=item("single_choice", key="A"))
    assert version.number == 2
    services.submit_item(session, draft, actor=author)
    services.review_item(session, draft, reviewer=reviewer, decision="approve")
    decisions = services.decisions_for(session, draft)
    assert [(d.item_version.number, d.decision, d.comments) for d in decisions] == [
        (2, "approve", ""), (1, "return", "Key is wrong")]


def test_reviewer_may_not_decide_on_own_version(session, bank, make_user, author):
    admin = make_user(role="admin")
    own = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=admin)
    services.submit_item(session, own, actor=admin)
    with pytest.raises(Forbidden, match="another reviewer"):
        services.review_item(session, own, reviewer=admin, decision="approve")
    assert own.state == "in_review"
    assert session.scalar(select(ReviewDecision.id)) is None


def test_submitter_of_an_imported_draft_may_not_approve_it(session, bank, make_user):
    admin = make_user(role="admin")
    loaded = services.create_item_from_bank_json(session, bank, ITEMS["true_false"])  # command line
    services.submit_item(session, loaded, actor=admin)
    with pytest.raises(Forbidden):
        services.review_item(session, loaded, reviewer=admin, decision="approve")


def test_reviewer_of_another_agency_is_refused(session, draft, author, make_user):
    services.submit_item(session, draft, actor=author)
    outsider = make_user(role="reviewer", organisation="Other Agency")
    with pytest.raises(Forbidden, match="another agency"):
        services.review_item(session, draft, reviewer=outsider, decision="approve")


@pytest.mark.parametrize("role", ["author", "candidate", "psychometrician", "proctor"])
def test_only_reviewers_and_admins_review(session, draft, author, make_user, role):
    services.submit_item(session, draft, actor=author)
    with pytest.raises(Forbidden):
        services.review_item(session, draft, reviewer=make_user(role=role), decision="approve")


def test_illegal_moves_are_refused(session, draft, author, reviewer, make_user):
    with pytest.raises(Conflict, match="is draft: cannot approve"):
        services.transition(session, draft, "approve", actor=reviewer)
    with pytest.raises(Conflict, match="not in review"):
        services.review_item(session, draft, reviewer=reviewer, decision="approve")
    with pytest.raises(Conflict, match="cannot promote"):
        services.promote_item(session, draft, actor=make_user(role="psychometrician"))
    with pytest.raises(Invalid, match="approve or return"):
        services.review_item(session, draft, reviewer=reviewer, decision="maybe")
    services.retire_item(session, draft, actor=author)
    for action in ("submit", "retire", "revise"):
        with pytest.raises(Conflict):
            services.transition(session, draft, action, actor=make_user(role="admin"))
    with pytest.raises(Conflict, match="retired"):
        services.update_item(session, draft, actor=author, content=ITEMS["single_choice"])


def test_author_may_not_submit_for_another_agency_or_promote(session, draft, make_user, author):
    with pytest.raises(Forbidden):
        services.submit_item(session, draft, actor=make_user(role="author", organisation="Other Agency"))
    with pytest.raises(Forbidden):
        services.submit_item(session, draft, actor=make_user(role="reviewer"))
    assert draft.state == "draft"


def test_promote_then_revise_then_retire(session, draft, author, reviewer, make_user):
    psychometrician = make_user(role="psychometrician", organisation="Calibration Unit")
    services.submit_item(session, draft, actor=author)
    services.review_item(session, draft, reviewer=reviewer, decision="approve")
    with pytest.raises(Forbidden):
        services.promote_item(session, draft, actor=author)
    services.promote_item(session, draft, actor=psychometrician)
    assert draft.state == "operational"
    services.update_item(session, draft, actor=author, content=item("single_choice", key="C"))
    assert (draft.state, draft.current_version) == ("draft", 2)
    services.retire_item(session, draft, actor=author, reason="superseded")
    trail = [a for a, *_ in audit_trail(session, draft)]
    assert trail == ["item.create", "item.submit", "item.approve", "item.promote", "item.edited",
                     "item.revise", "item.retire"]


def test_allowed_actions_follow_role_and_state(session, draft, author, reviewer):
    assert services.allowed_actions(draft, author) == ["submit", "retire"]
    assert services.allowed_actions(draft, reviewer) == ["retire"]
    services.submit_item(session, draft, actor=author)
    assert services.allowed_actions(draft, reviewer) == ["approve", "return"]
    assert services.allowed_actions(draft, author) == []


def test_review_queue_shows_others_items_in_own_agency(session, bank, draft, author, reviewer, make_user):
    services.submit_item(session, draft, actor=author)
    assert services.review_queue(session, reviewer) == [draft]
    assert services.review_queue(session, author) == []
    assert services.review_queue(session, make_user(role="reviewer", organisation="Other Agency")) == []
