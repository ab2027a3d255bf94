"""Test helpers: per-cent cuts from a recorded modified-Angoff setting, and a pilot."""
from __future__ import annotations

from piaa.standard_setting import services as standard_setting


def angoff_cuts(session, assessment, cuts, actor, panel=("Panellist A", "Panellist B")):
    """Apply ``cuts`` (per cent, levels 1..5) as the result of a recorded Angoff setting in
    which every panellist rates every item at cut/100."""
    setting = standard_setting.start(session, assessment, method="angoff", actor=actor, panellists=panel)
    for panellist in setting.panellists:
        ratings = {(level, item): cut / 100 for level, cut in zip(range(1, 6), cuts) for item in setting.items}
        standard_setting.record_angoff(session, setting, panellist.id, ratings, actor=actor)
    standard_setting.apply(session, setting, actor=actor, note="test panel")
    session.commit()
    return setting


# A 10-mark form whose pilot scored a mean of 6 with SD 2.5 and KR-20 .90.
PILOT_OF_TEN = {"reliability": 0.90, "mean": 6.0, "sd": 2.5, "max_score": 10.0, "n": 200, "items": [],
                "recorded_at": "2026-01-01T00:00:00+00:00"}
