"""The CoE competency flow: the table of moves, who may make each, comments, audit, the
dictionary written only on approval (so items can be tagged only then), and the duplicate check."""
import numpy as np
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent, verify_chain
from piaa.errors import Conflict, Forbidden, Invalid
from piaa.frac import proposals as flow
from piaa.frac.similarity import char_ngrams, tfidf_cosine
from piaa.items import services as items
from piaa.items.models import Competency
from tests.frac.conftest import new_competency
from tests.items.samples import item as sample_item


def _walk(session, staff, leader, reviewer):
    proposal = flow.draft_proposal(session, staff, new_competency(), area="Negotiation and persuasion")
    flow.move(session, staff, proposal, "submit")
    flow.move(session, leader, proposal, "forward", comment="Satisfied")
    flow.move(session, reviewer, proposal, "return", comment="Level 3 descriptor: fix the grammar")
    record = {**proposal.record, "levels": [{**lvl, "descriptor": lvl["descriptor"] + "."}
                                            for lvl in proposal.record["levels"]]}
    flow.revise_proposal(session, staff, proposal, record)
    flow.move(session, staff, proposal, "resubmit")
    flow.move(session, leader, proposal, "forward")
    flow.move(session, reviewer, proposal, "consent", comment="Framing and language fine")
    return proposal


def test_the_whole_flow_ends_in_the_dictionary_with_every_move_kept(session, dictionary, staff, leader, reviewer):
    proposal = _walk(session, staff, leader, reviewer)
    assert session.scalar(select(Competency).where(Competency.code == "BH-NEGOTIATE")) is None
    flow.move(session, leader, proposal, "approve")
    session.commit()
    competency = items.get_competency(session, "BH-NEGOTIATE")
    assert proposal.state == "approved" and proposal.competency_id == competency.id
    assert competency.level(3).descriptor.endswith(".")
    assert proposal.revision == 2
    assert [(m.action, m.from_state, m.to_state) for m in proposal.moves] == [
        ("submit", "draft", "mdo_scrutiny"), ("forward", "mdo_scrutiny", "coe_review"),
        ("return", "coe_review", "returned"), ("resubmit", "returned", "mdo_scrutiny"),
        ("forward", "mdo_scrutiny", "coe_review"), ("consent", "coe_review", "consented"),
        ("approve", "consented", "approved")]
    assert proposal.moves[2].comment == "Level 3 descriptor: fix the grammar"
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "competency_proposal")
                             .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["proposal.drafted", "proposal.submit", "proposal.forward",
                                          "proposal.return", "proposal.revised", "proposal.resubmit",
                                          "proposal.forward", "proposal.consent", "proposal.approve"]
    assert events[3].data["comment"] == "Level 3 descriptor: fix the grammar"
    assert verify_chain(session).ok


def test_the_reviewer_owns_nothing_cannot_edit_nor_approve(session, dictionary, staff, leader, reviewer):
    proposal = _walk(session, staff, leader, reviewer)
    with pytest.raises(Forbidden):
        flow.move(session, reviewer, proposal, "approve")
    with pytest.raises(Forbidden):
        flow.revise_proposal(session, reviewer, proposal, proposal.record)
    assert not flow.may_edit(reviewer, proposal)
    assert [m.action for m in flow.moves_for(proposal, reviewer)] == []
    assert [m.action for m in flow.moves_for(proposal, leader)] == ["approve"]


def test_mdo_roles_act_only_for_their_own_mdo(session, dictionary, staff, make_user):
    outsider = make_user(role="mdo_leadership", organisation="Department of Elsewhere", kind="mdo")
    proposal = flow.draft_proposal(session, staff, new_competency())
    flow.move(session, staff, proposal, "submit")
    with pytest.raises(Forbidden, match="owning MDO"):
        flow.move(session, outsider, proposal, "forward")


@pytest.mark.parametrize("state,action", [("draft", "forward"), ("draft", "approve"), ("draft", "consent")])
def test_moves_outside_the_table_are_refused(session, dictionary, staff, leader, state, action):
    proposal = flow.draft_proposal(session, staff, new_competency())
    with pytest.raises(Invalid, match="legal here: submit"):
        flow.move(session, leader, proposal, action)
    assert proposal.state == state


def test_returning_needs_a_comment_and_staff_cannot_forward(session, dictionary, staff, leader, reviewer):
    proposal = flow.draft_proposal(session, staff, new_competency())
    flow.move(session, staff, proposal, "submit")
    with pytest.raises(Forbidden):
        flow.move(session, staff, proposal, "forward")
    flow.move(session, leader, proposal, "forward")
    with pytest.raises(Invalid, match="say why"):
        flow.move(session, reviewer, proposal, "return", comment="  ")
    with pytest.raises(Forbidden):  # under review nobody edits
        flow.revise_proposal(session, staff, proposal, proposal.record)


def test_a_draft_must_be_complete_and_its_code_free(session, dictionary, staff):
    with pytest.raises(Invalid):
        flow.draft_proposal(session, staff, {**new_competency(), "levels": []})
    with pytest.raises(Conflict, match="already has"):
        flow.draft_proposal(session, staff, new_competency(code="BH-EMPATHY"))
    flow.draft_proposal(session, staff, new_competency())
    with pytest.raises(Conflict, match="already proposed"):
        flow.draft_proposal(session, staff, new_competency())


def test_only_mdo_staff_draft(session, dictionary, make_user):
    with pytest.raises(Forbidden):
        flow.draft_proposal(session, make_user(role="author"), new_competency())


def test_an_item_can_be_tagged_to_a_proposed_competency_only_after_approval(session, dictionary, staff, leader,
                                                                           reviewer):
    from piaa.accounts.services import get_or_create_organisation

    bank = items.create_bank(session, name="Negotiation bank",
                             organisation=get_or_create_organisation(session, "Test Agency", "agency"))
    proposal = _walk(session, staff, leader, reviewer)
    content = sample_item("single_choice")
    with pytest.raises(Invalid, match="no competency with code 'BH-NEGOTIATE'"):
        items.create_item(session, bank, code="N-1", item_type="single_choice", competency="BH-NEGOTIATE",
                          level=2, content=content)
    flow.move(session, leader, proposal, "approve")
    created = items.create_item(session, bank, code="N-1", item_type="single_choice", competency="BH-NEGOTIATE",
                                level=2, content=content)
    assert created.competency.code == "BH-NEGOTIATE"


# --- the duplicate check ---------------------------------------------------------------------

def test_tfidf_cosine_matches_scikit_learn():
    # Expected values from scikit-learn 1.9.1:
    # TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)).fit([query] + documents), then the
    # dot products of the l2-normalised rows of the documents with the query's row.
    documents = ["noting and drafting of official files", "financial management and budgeting",
                 "drafting notes for files", "a"]
    got = tfidf_cosine("note drafting", documents)
    np.testing.assert_allclose(got, [0.43048902, 0.07747122, 0.53377002, 0.0], atol=1e-8)


def test_char_ngrams_pad_words():
    assert char_ngrams("RTI act") == [" rt", "rti", "ti ", " ac", "act", "ct "]


def test_similar_competencies_find_a_near_duplicate_first(session, dictionary):
    found = flow.similar_competencies(session, "Drafting and noting", "drafting notes on files")
    assert found[0].code == "FN-NOTING"
    assert found[0].score > 2 * found[1].score
    assert flow.similar_competencies(session, "", "") == []
