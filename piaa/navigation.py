"""The main menu each role sees in the page header."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from piaa.accounts.models import (ADMIN, ANALYST, AUTHOR, CANDIDATE, COE_REVIEWER, MDO_LEADERSHIP,
                                  MDO_STAFF, PROCTOR, PSYCHOMETRICIAN, RATER, REVIEWER, WORKPLACE_RATER)

# (label, endpoint) in menu order; labels are translated in the template.
MENU: dict[str, list[tuple[str, str]]] = {
    CANDIDATE: [("My assessments", "delivery_pages.dashboard"),
                ("My certificates", "certificates.my_certificates"),
                ("About me", "about_me.my_attributes"),
                ("My competency profile", "workplace.me")],
    AUTHOR: [("Item banks", "items.banks"), ("Import", "imports.upload"),
             ("Competency dictionary", "items.competencies")],
    REVIEWER: [("Review queue", "items.review_queue"), ("Item banks", "items.banks"),
               ("Competency dictionary", "items.competencies")],
    PROCTOR: [("Live proctoring", "delivery_pages.proctor_dashboard")],
    PSYCHOMETRICIAN: [("Item banks", "items.banks"), ("Calibration", "calibration.index"),
                      ("Standard setting", "standard_setting.index"),
                      ("Competency dictionary", "items.competencies")],
    ANALYST: [("Effectiveness reports", "reports.overview"), ("Competency dictionary", "items.competencies")],
    ADMIN: [("Administration", "admin.dashboard"), ("Item banks", "items.banks"), ("Import", "imports.upload"),
            ("Live proctoring", "delivery_pages.proctor_dashboard"),
            ("Competency dictionary", "items.competencies"), ("Calibration", "calibration.index")],
    MDO_STAFF: [("Positions", "frac.positions"), ("New competencies", "frac.proposals"), ("Gap map", "frac.gaps"),
                ("Competency dictionary", "items.competencies")],
    MDO_LEADERSHIP: [("New competencies", "frac.proposals"), ("Positions", "frac.positions"), ("Gap map", "frac.gaps"),
                     ("Competency dictionary", "items.competencies")],
    COE_REVIEWER: [("New competencies", "frac.proposals"), ("Competency dictionary", "items.competencies")],
    WORKPLACE_RATER: [("Rating requests", "workplace.requests")],
    RATER: [("Written answers to rate", "ratings.queue")],
}


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def menu():
        def nav_links() -> list[tuple[str, str]]:
            if not current_user.is_authenticated:
                return []
            return [(label, endpoint) for label, endpoint in MENU.get(current_user.role, [])
                    if endpoint in app.view_functions]

        return {"nav_links": nav_links}
