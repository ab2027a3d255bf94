"""Demo step: the FRAC at work for the demo ministry. Its staff describe a position, its
leadership approves it, the demo candidate is posted to it and rated by a supervisor (the
workplace rater's request), and a new competency drafted by the staff waits for the Centre
of Excellence's review (``piaa demo``)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import CANDIDATE, COE_REVIEWER, MDO_LEADERSHIP, MDO_STAFF, WORKPLACE_RATER, User
from piaa.frac import positions, proposals
from piaa.frac.models import CompetencyProposal, Position
from piaa.i18n import N_

# Texts of the position are data an MDO writes; the catalogue holds their Hindi.
POSITION = {
    "code": "DEMO-SO", "title": "Section Officer (demo)", "title_hi": "अनुभाग अधिकारी (डेमो)",
    "description": N_("Leads a section of the department: its files, its notes and drafts, and the people who deal with it."),
    "roles": [
        {"name": N_("Noting and drafting"),
         "activities": [N_("Puts up notes on files"), N_("Drafts replies to references")]},
        {"name": N_("Running the section"),
         "activities": [N_("Keeps the section's files moving"), N_("Answers citizens' grievances")]},
    ],
    "competencies": [{"code": "FN-NOTING", "level": 3}, {"code": "FN-OFFPROC", "level": 3},
                     {"code": "BH-EMPATHY", "level": 2}],
}

PROPOSAL = {
    "code": "DEMO-GRIEVANCE", "name": "Grievance redress", "name_hi": "शिकायत निवारण", "type": "behavioural",
    "description": "Receives, examines and settles citizens' grievances fairly and on time, and learns from them.",
    "description_hi": "नागरिकों की शिकायतें प्राप्त करता, जाँचता और निष्पक्षता से समय पर निपटाता है, और उनसे सीखता है।",
    "levels": [
        {"level": 1, "label": "Basic", "descriptor": "Registers a grievance correctly and tells the citizen what happens next.",
         "descriptor_hi": "शिकायत सही ढंग से दर्ज करता है और नागरिक को बताता है कि आगे क्या होगा।"},
        {"level": 2, "label": "Intermediate", "descriptor": "Examines a grievance against the rules and replies within the time limit.",
         "descriptor_hi": "नियमों के अनुसार शिकायत की जाँच करता है और समय-सीमा में उत्तर देता है।"},
        {"level": 3, "label": "Proficient", "descriptor": "Settles grievances that cross sections and explains the decision plainly.",
         "descriptor_hi": "कई अनुभागों से जुड़ी शिकायतें निपटाता है और निर्णय सरल शब्दों में समझाता है।"},
        {"level": 4, "label": "Advanced", "descriptor": "Finds the causes behind repeated grievances and changes the procedure.",
         "descriptor_hi": "बार-बार आने वाली शिकायतों के कारण खोजता है और प्रक्रिया बदलता है।"},
        {"level": 5, "label": "Expert", "descriptor": "Designs a department's grievance system and reports on it publicly.",
         "descriptor_hi": "किसी विभाग की शिकायत निवारण प्रणाली रचता है और उस पर सार्वजनिक रूप से रिपोर्ट करता है।"},
    ],
}


def add_frac_demo(session: Session, users: list[User], echo: Callable[[str], None] = print) -> None:
    """Once: the position, the candidate's posting and workplace round, the draft competency."""
    from piaa.workplace import services as workplace
    from piaa.workplace.models import SUPERVISOR

    by_role = {}
    for user in users:
        by_role.setdefault(user.role, user)
    staff, leadership = by_role.get(MDO_STAFF), by_role.get(MDO_LEADERSHIP)
    candidate, rater = by_role.get(CANDIDATE), by_role.get(WORKPLACE_RATER)
    if None in (staff, leadership, candidate, rater, by_role.get(COE_REVIEWER)) or staff.organisation is None:
        return
    mdo = staff.organisation
    if session.scalar(select(Position.id).where(Position.mdo_id == mdo.id, Position.code == POSITION["code"])) is None:
        positions.save_position(session, mdo, POSITION, actor=staff)
        position = session.scalar(select(Position).where(Position.mdo_id == mdo.id, Position.code == POSITION["code"]))
        positions.approve_position(session, position, actor=leadership)
        if candidate.organisation_id == mdo.id:
            positions.transfer(session, candidate, position, actor=staff)
            round_ = workplace.open_assessment(session, candidate, actor=staff)
            workplace.nominate(session, round_, relation=SUPERVISOR, name=rater.name, email=rater.email, actor=staff)
        echo(f"FRAC: position {POSITION['code']} approved; {candidate.email} posted to it, rated by {rater.email}")
    if session.scalar(select(CompetencyProposal.id).where(CompetencyProposal.code == PROPOSAL["code"])) is None:
        proposal = proposals.draft_proposal(session, staff, PROPOSAL)
        proposals.move(session, staff, proposal, "submit")
        proposals.move(session, leadership, proposal, "forward")
        echo(f"FRAC: competency {PROPOSAL['code']} proposed, waiting for the Centre of Excellence")
