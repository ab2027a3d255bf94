"""Workplace rounds: invitations by link, ratings, the three-rater anonymity rule, agreement,
and the competency profile beside (never mixed with) the proctored level."""
import pytest
from sqlalchemy import select

from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.workplace import services as svc
from piaa.workplace.models import WorkplaceRater


def _rate(session, assessment, official, relation, levels, n=1):
    """Nominate ``n`` raters of ``relation`` who each give ``levels`` (competency id -> level)."""
    invitations = []
    for i in range(n):
        email = f"{relation}{i}.{len(assessment.raters)}@example.gov.in"
        invitations.append(svc.nominate(session, assessment, relation=relation, name=f"{relation} {i}",
                                        email=email, actor=official))
    for invitation, answer in zip(invitations, levels if isinstance(levels, list) else [levels] * n):
        svc.submit_ratings(session, svc.rater_for_token(session, invitation.token), answer)
    return invitations


def test_a_round_covers_the_position_and_raters_come_in_by_their_link(session, official, dictionary):
    assessment = svc.open_assessment(session, official, actor=official)
    assert set(assessment.competency_ids) == {dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id}
    invitation = svc.nominate(session, assessment, relation="supervisor", name="S", email="S@Example.gov.in",
                              actor=official)
    stored = session.scalar(select(WorkplaceRater))
    assert invitation.token not in stored.token_hash and stored.email == "s@example.gov.in"
    assert svc.rater_for_token(session, invitation.token).id == stored.id
    with pytest.raises(NotFound):
        svc.rater_for_token(session, "guess")
    with pytest.raises(Invalid, match="one supervisor"):
        svc.nominate(session, assessment, relation="supervisor", name="T", email="t@example.gov.in", actor=official)
    with pytest.raises(Conflict):
        svc.nominate(session, assessment, relation="peer", name="S", email="s@example.gov.in", actor=official)


def test_ratings_need_a_level_or_not_observed_for_every_competency_and_come_once(session, official, dictionary):
    assessment = svc.open_assessment(session, official, actor=official)
    rater = svc.rater_for_token(session, svc.nominate(session, assessment, relation="peer", name="P",
                                                      email="p@example.gov.in", actor=official).token)
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    with pytest.raises(Invalid) as caught:
        svc.submit_ratings(session, rater, {noting: "7"})
    assert len(caught.value.problems) == 2
    svc.submit_ratings(session, rater, {noting: "3", rti: svc.NOT_OBSERVED})
    assert {(r.competency_id, r.level) for r in rater.ratings} == {(noting, 3), (rti, None)}
    with pytest.raises(Conflict):
        svc.submit_ratings(session, rater, {noting: "4", rti: "4"})


def test_two_peer_ratings_are_never_shown_nor_pooled(session, official, dictionary):
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    shown = []
    for peer_levels in ([{noting: 5, rti: 5}] * 2, [{noting: 1, rti: 1}] * 2):
        assessment = svc.open_assessment(session, official, actor=official)
        _rate(session, assessment, official, "supervisor", {noting: 3, rti: 2})
        _rate(session, assessment, official, "peer", peer_levels, n=2)
        summary = {s.competency.id: s for s in svc.summarise(session, assessment)}[noting]
        assert summary.groups["peer"].n == 2 and summary.groups["peer"].mean is None
        assert summary.groups["peer"].hidden
        shown.append((summary.supervisor, summary.rating, summary.n_raters, summary.agreement))
    # whatever the two peers said, nothing shown changes
    assert shown[0] == shown[1] == (3, 3.0, 1, None)


def test_three_peers_are_shown_as_a_mean_and_agreement_is_reported(session, official, dictionary):
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    assessment = svc.open_assessment(session, official, actor=official)
    _rate(session, assessment, official, "supervisor", {noting: 4, rti: 1})
    _rate(session, assessment, official, "peer", [{noting: 4, rti: 5}, {noting: 5, rti: 1}, {noting: 3, rti: 5}], n=3)
    _rate(session, assessment, official, "report", [{noting: 4, rti: svc.NOT_OBSERVED}], n=1)
    _rate(session, assessment, official, "self", {noting: 5, rti: 5})
    by_id = {s.competency.id: s for s in svc.summarise(session, assessment)}
    noting_row, rti_row = by_id[noting], by_id[rti]
    assert noting_row.groups["peer"].mean == pytest.approx(4.0)
    assert noting_row.groups["report"].hidden and noting_row.self_rating == 5
    # pooled: supervisor 4 and peers 4, 5, 3 (self and the lone report left out): mean 4,
    # s^2 = 2/3, r_wg = 1 - (2/3)/2 = 2/3
    assert (noting_row.rating, noting_row.n_raters) == (4.0, 4)
    assert noting_row.agreement == pytest.approx(2 / 3) and not noting_row.low_agreement
    # 1, 5, 1, 5: no agreement, flagged
    assert rti_row.agreement == 0.0 and rti_row.low_agreement and rti_row.not_observed == 1


def test_only_the_official_their_mdo_or_an_administrator_open_a_round(session, official, make_user, staff):
    with pytest.raises(Forbidden):
        svc.open_assessment(session, official, actor=make_user(role="candidate"))
    assert svc.open_assessment(session, official, actor=staff).official_id == official.id
    with pytest.raises(Invalid, match="holds no position"):
        lone = make_user(role="candidate")
        svc.open_assessment(session, lone, actor=lone)


def test_the_profile_shows_required_proctored_and_workplace_side_by_side(session, official, dictionary, clock):
    from piaa.certificates.models import Certificate

    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    session.add(Certificate(public_id="c1", attempt_id=999, user_id=official.id, official_name="A",
                            identity_salt="s", competency_code="FN-NOTING", competency_name="Noting",
                            level=2, level_label="Intermediate", level_descriptor="d", agency_name="Agency",
                            assessed_at=clock(), issued_at=clock()))
    assessment = svc.open_assessment(session, official, actor=official)
    _rate(session, assessment, official, "supervisor", {noting: 5, rti: 4})
    rows = {r.competency.code: r for r in svc.competency_profile(session, official)}
    assert (rows["FN-NOTING"].required, rows["FN-NOTING"].proctored.level, rows["FN-NOTING"].gap) == (3, 2, 1)
    # the workplace rating (5) sits beside the proctored level and does not move the gap
    assert rows["FN-NOTING"].workplace.rating == 5.0
    assert (rows["DM-RTI"].proctored, rows["DM-RTI"].gap) == (None, 2)
