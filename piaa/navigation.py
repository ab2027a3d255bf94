"""The main menu each role sees in the page header."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from piaa.accounts.models import (ADMIN, ANALYST, AUTHOR, CANDIDATE, COE_REVIEWER, MDO_LEADERSHIP,
                                  MDO_STAFF, PROCTOR, PSYCHOMETRICIAN, RATER, REVIEWER, WORKPLACE_RATER)
from piaa.i18n import N_

# (label, endpoint) in menu order; labels are translated in the template.
MENU: dict[str, list[tuple[str, str]]] = {
    CANDIDATE: [(N_("My assessments"), "delivery_pages.dashboard"),
                (N_("My certificates"), "certificates.my_certificates"),
                (N_("About me"), "about_me.my_attributes"),
                (N_("My competency profile"), "workplace.me")],
    AUTHOR: [(N_("Item banks"), "items.banks"), (N_("Import"), "imports.upload"),
             (N_("Competency dictionary"), "items.competencies")],
    REVIEWER: [(N_("Review queue"), "items.review_queue"), (N_("Item banks"), "items.banks"),
               (N_("Competency dictionary"), "items.competencies")],
    PROCTOR: [(N_("Live proctoring"), "delivery_pages.proctor_dashboard")],
    PSYCHOMETRICIAN: [(N_("Item banks"), "items.banks"), (N_("Calibration"), "calibration.index"),
                      (N_("Standard setting"), "standard_setting.index"),
                      (N_("Competency dictionary"), "items.competencies")],
    ANALYST: [(N_("Effectiveness reports"), "reports.overview"), (N_("Competency dictionary"), "items.competencies")],
    ADMIN: [(N_("Administration"), "admin.dashboard"), (N_("Item banks"), "items.banks"), (N_("Import"), "imports.upload"),
            (N_("Live proctoring"), "delivery_pages.proctor_dashboard"),
            (N_("Competency dictionary"), "items.competencies"), (N_("Calibration"), "calibration.index")],
    MDO_STAFF: [(N_("Positions"), "frac.positions"), (N_("New competencies"), "frac.proposals"), (N_("Gap map"), "frac.gaps"),
                (N_("Competency dictionary"), "items.competencies")],
    MDO_LEADERSHIP: [(N_("New competencies"), "frac.proposals"), (N_("Positions"), "frac.positions"), (N_("Gap map"), "frac.gaps"),
                     (N_("Competency dictionary"), "items.competencies")],
    COE_REVIEWER: [(N_("New competencies"), "frac.proposals"), (N_("Competency dictionary"), "items.competencies")],
    WORKPLACE_RATER: [(N_("Rating requests"), "workplace.requests")],
    RATER: [(N_("Written answers to rate"), "ratings.queue")],
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
