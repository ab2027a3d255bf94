"""Demo data for a first look: one account per role, with logins printed by ``piaa demo``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from piaa.accounts import services
from piaa.accounts.models import ADMIN, ANALYST, AUTHOR, CANDIDATE, PROCTOR, PSYCHOMETRICIAN, REVIEWER, User
from piaa.extensions import db

DEMO_PASSWORD = "demo-pass-2026"
# The demo authors and reviewers work for the agency that owns the bilingual sample bank.
DEMO_AGENCY = "Institute of Secretariat Training and Management"
DEMO_PROVIDER = "ISTM (demo)"
DEMO_MDO = "Department of Personnel and Training (demo)"
IIPA = "Indian Institute of Public Administration"

DEMO_ACCOUNTS = [
    # email, name, name in Devanagari, role, organisation, kind
    ("candidate@demo.piaa.in", "Asha Verma", "आशा वर्मा", CANDIDATE, DEMO_MDO, "mdo"),
    ("candidate2@demo.piaa.in", "Ravi Kumar", "रवि कुमार", CANDIDATE, DEMO_MDO, "mdo"),
    ("author@demo.piaa.in", "Meera Iyer", "मीरा अय्यर", AUTHOR, DEMO_AGENCY, "agency"),
    ("reviewer@demo.piaa.in", "Sanjay Gupta", "संजय गुप्ता", REVIEWER, DEMO_AGENCY, "agency"),
    # The agency of the data-informed decisions bank, whose items the demo revises and pretests.
    ("author.iipa@demo.piaa.in", "Priya Nair", "प्रिया नायर", AUTHOR, IIPA, "agency"),
    ("reviewer.iipa@demo.piaa.in", "Arjun Mehta", "अर्जुन मेहता", REVIEWER, IIPA, "agency"),
    ("proctor@demo.piaa.in", "Farah Khan", "फ़रहा ख़ान", PROCTOR, DEMO_AGENCY, "agency"),
    ("psychometrician@demo.piaa.in", "Vikram Rao", "विक्रम राव", PSYCHOMETRICIAN, DEMO_AGENCY, "agency"),
    ("analyst@demo.piaa.in", "Neha Singh", "नेहा सिंह", ANALYST, "Capacity Building Commission (demo)", "mdo"),
    ("admin@demo.piaa.in", "Admin", "प्रशासक", ADMIN, DEMO_AGENCY, "agency"),
]

# Later parts of the service add their own demo steps (e.g. open windows) here.
DEMO_STEPS: list = []


def _signing_keys(session, users) -> None:
    """Certificates need keys: make them on the first demo run, keep them after."""
    from flask import current_app

    from piaa.certificates.keys import KeyPaths, SigningKeyError, init_keys, load_keys
    from piaa.clock import now

    paths = KeyPaths.resolve(current_app.instance_path, current_app.config)
    try:
        load_keys(paths)
    except SigningKeyError:
        init_keys(paths, organisation="PIAA (demo)", now=now())
        click.echo(f"signing keys created under {paths.credential_key.parent}")


DEMO_STEPS.append(_signing_keys)


def _sample_banks(session, users) -> None:
    from piaa.items.import_service import load_sample_banks

    load_sample_banks(session, users, echo=click.echo)


DEMO_STEPS.append(_sample_banks)


def _measurement_loop(session, users) -> None:
    from tqdm import tqdm

    from piaa.calibration.demo import run_measurement_loop

    with tqdm(total=7, desc="measurement loop", unit="step", leave=False, disable=None) as bar:
        def step(label: str) -> None:
            if bar.n or label != "field trial, round 1":
                bar.update(1)
            bar.set_postfix_str(label)

        done = run_measurement_loop(session, users, echo=tqdm.write, step=step)
        bar.update(bar.total - bar.n)
    if done.sittings:
        click.echo(f"measurement loop: {done.sittings} simulated field-trial sittings")
    for run in done.runs:
        click.echo(f"  calibration run {run['run']} ({run['scale']}): {run['attempts']} attempts, "
                   f"{run['items']} items, marginal reliability {run['reliability']:.2f}, "
                   f"{run['seconds']:.1f} s; activated")
    if done.excluded:
        click.echo(f"  kept out of scoring (C-class DIF): {', '.join(dict.fromkeys(done.excluded))}")
    if done.promoted or done.left_pretest:
        click.echo(f"  pretest items promoted: {', '.join(done.promoted) or 'none'}; "
                   f"left as pretest: {', '.join(done.left_pretest) or 'none'}")
    if done.cuts:
        click.echo(f"  θ cuts from a bookmark standard setting: {', '.join(f'{c:.2f}' for c in done.cuts)}")
    if done.readiness:
        check = done.readiness
        click.echo(f"  bank readiness ({check['examinees']} simulees): accuracy at the cuts "
                   f"{', '.join(f'{a:.3f}' for a in check['accuracy_at_cuts'])}; busiest item "
                   f"{check['max_exposure']:.3f}; exposure control stored for delivery")


DEMO_STEPS.append(_measurement_loop)


def _delivery_windows(session, users) -> None:
    from piaa.delivery.demo import open_demo_windows

    open_demo_windows(session, users, echo=click.echo)


DEMO_STEPS.append(_delivery_windows)


def _effectiveness(session, users) -> None:
    from piaa.reports.demo_data import add_effectiveness_data

    added = add_effectiveness_data(session, users, echo=click.echo)
    if added:
        click.echo(f"effectiveness: {added['courses']} courses of {added['providers']} providers, "
                   f"{added['runs']} runs, {added['learners']} learners, {added['sittings']} pre/post sittings")


DEMO_STEPS.append(_effectiveness)


def ensure_demo_accounts(session) -> list[User]:
    users = []
    password_hash = None  # one published password: hashed once (argon2 is slow on purpose)
    for email, name, name_hi, role, org_name, kind in DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            org = services.get_or_create_organisation(session, org_name, kind)
            user = services.create_user(session, email=email, name=name, name_hi=name_hi, role=role,
                                        organisation=org)
            password_hash = password_hash or services.hash_password(DEMO_PASSWORD)
            user.password_hash = password_hash
        users.append(user)
    return users


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo accounts (one per role) and print how to sign in."""
    from flask import current_app

    users = ensure_demo_accounts(db.session)
    for step in DEMO_STEPS:
        step(db.session, users)
    db.session.commit()
    click.echo(f"\nPIAA is at {current_app.config['PIAA_BASE_URL']}\n")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for user in users:
        click.echo(f"  {user.role:<16} {user.email}")


commands = [demo_command]
