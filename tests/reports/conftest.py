"""Fixtures for the reports: delivery's competency, calibrated bank, assessments and windows
(sittings go through the real delivery and scoring services)."""
from tests.delivery.conftest import (  # noqa: F401  (fixtures)
    _fresh_pool_cache,
    agency,
    bank,
    calibration,
    candidate,
    cohort,
    competency,
    make_assessment,
    make_window,
    operational,
    proctor,
)
