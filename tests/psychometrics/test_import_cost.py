"""``import piaa.psychometrics`` stays cheap: heavy modules are imported where they are used.

scipy.stats alone took 1.1 s of a 1.6 s import (pulled in by dif.py for two
distribution functions that scipy.special provides); scipy.optimize about
0.2 s more. Every command-line call and worker start pays the import, so the
check runs in a fresh interpreter and looks at what the import loaded. Timing
it instead would be flaky on a shared machine.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
HEAVY = ("scipy.stats", "scipy.optimize", "dask", "distributed")


def _loaded_after(statement: str) -> set:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPOSITORY)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_package_loads_no_heavy_module():
    # The package's names are loaded on first use; using the ones whose modules once pulled
    # in scipy.stats must not load it either.
    loaded = _loaded_after("import piaa.psychometrics as p\np.mantel_haenszel, p.s_x2, p.link, p.fit_polytomous")
    assert {"piaa.psychometrics.dif", "piaa.psychometrics.fit", "piaa.psychometrics.linking"} <= loaded
    assert sorted(m for m in HEAVY if m in loaded) == []


@pytest.mark.parametrize("statement, heavy", [
    ("import scipy.stats", "scipy.stats"),
    ("from scipy.optimize import minimize", "scipy.optimize"),
])
def test_the_import_check_can_fail(statement, heavy):
    assert heavy in _loaded_after(f"import piaa.psychometrics\n{statement}")
