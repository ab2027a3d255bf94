"""piaa.psychometrics must stay a pure numpy/scipy library.

Importing it in a fresh interpreter must not pull in Flask, SQLAlchemy,
pandas, click or any other part of piaa (DESIGN.md, rules of the house).
"""

import json
import subprocess
import sys

FORBIDDEN_ROOTS = ("flask", "sqlalchemy", "pandas", "click", "werkzeug", "jinja2")


def _modules_after_import() -> list:
    code = (
        "import json, sys, pkgutil, importlib\n"
        "import piaa.psychometrics as p\n"
        "for m in pkgutil.walk_packages(p.__path__, 'piaa.psychometrics.'):\n"
        "    if not m.name.endswith('_girth_engine'):\n"
        "        importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_psychometrics_imports_no_web_or_database_code():
    loaded = _modules_after_import()
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS]
    assert bad == []


def test_psychometrics_imports_no_other_piaa_package():
    loaded = _modules_after_import()
    other = [m for m in loaded if m.startswith("piaa.") and not m.startswith("piaa.psychometrics")]
    assert other == []
    assert "piaa.psychometrics.calibration" in loaded


def test_purity_check_can_fail():
    # The check itself must notice a forbidden import.
    code = "import json, sys, json as flask; import email; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert [m for m in loaded if m.split(".")[0] in ("email",)]


def test_public_api_is_declared_and_complete():
    import importlib

    import piaa.psychometrics as psy

    names = psy.__all__
    assert len(names) == len(set(names))
    assert all(hasattr(psy, n) for n in names)
    # Every function and result type a module declares public is reachable from
    # the package, except module-local constants (method lists) and cat's names,
    # which live in the cat subpackage.
    local_only = {"PARAM_COLUMNS", "SIMULATION_MODELS", "METHODS"}
    for module in ("irt", "quadrature", "calibration", "polytomous", "simulation", "estimation",
                   "fit", "classical", "dif", "linking", "standard_setting"):
        declared = set(importlib.import_module(f"piaa.psychometrics.{module}").__all__)
        assert declared - local_only <= set(names), (module, declared - local_only - set(names))
    cat = importlib.import_module("piaa.psychometrics.cat")
    assert all(hasattr(cat, n) for n in cat.__all__)
