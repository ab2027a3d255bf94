"""Regenerate migrations/versions/0001_initial.py from the models.

Used only until the first production release: after that every schema change is a new
revision made with `alembic revision --autogenerate`.
"""
import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piaa import create_app  # noqa: E402
from piaa.cli import alembic_config  # noqa: E402

target = ROOT / "migrations" / "versions" / "0001_initial.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{tmp}/empty.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        command.revision(alembic_config(url), message="initial schema", autogenerate=True,
                         rev_id="0001")
generated = next((ROOT / "migrations" / "versions").glob("0001_*.py"))
generated.rename(target)
print(f"wrote {target.relative_to(ROOT)}")
