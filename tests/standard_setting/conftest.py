"""The delivery fixtures (a competency, its bank, a calibration, assessments and windows)."""
from tests.delivery.conftest import (  # noqa: F401
    _fresh_pool_cache, agency, bank, calibration, candidate, cohort, competency, make_assessment, make_window,
    operational, proctor,
)
