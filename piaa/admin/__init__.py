"""Administration in the browser: the administrator's dashboard and pages for assessments,
cohorts and enrolments, windows, accounts and organisations, certificates, the audit chain
and item banks; and the landing dashboards of the psychometrician and the analyst.

The pages call the domains' services (``piaa.delivery.assessments``,
``piaa.accounts.services``, ``piaa.certificates.services``, ``piaa.audit``,
``piaa.items.services``); views parse a form, call one service, commit once and render or
redirect.
"""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from piaa.admin import (assessment_views, people_views, records_views,  # noqa: E402,F401
                        views)
