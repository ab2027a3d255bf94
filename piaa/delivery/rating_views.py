"""The raters' pages: the queue of written answers waiting for a rating, and the page that
rates one against its rubric. Views parse, call one service, commit once, render or redirect."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import RATER
from piaa.delivery import ratings
from piaa.errors import Invalid
from piaa.extensions import db
from piaa.i18n import _, pick
from piaa.items.types.rich import for_candidate
from piaa.i18n import N_

ratings_bp = Blueprint("ratings", __name__, url_prefix="/ratings")

ROUND_LABELS = {"first": N_("First rating"), "second": N_("Second rating (independent)"),
                "adjudication": N_("Adjudication (the first two raters differ)")}



@ratings_bp.get("/")
@role_required(RATER)
def queue():
    entries = ratings.queue(db.session, current_user)
    return render_template("ratings/queue.html", entries=entries, round_labels=ROUND_LABELS)


@ratings_bp.route("/<int:row_id>", methods=["GET", "POST"])
@role_required(RATER)
def rate(row_id: int):
    problem = None
    if request.method == "POST":
        try:
            ratings.record_rating(db.session, current_user, row_id, request.form.get("points", ""),
                                  request.form.get("comment"))
            db.session.commit()
            flash(_("Rating recorded."))
            return redirect(url_for("ratings.queue"))
        except Invalid as exc:
            db.session.rollback()
            problem = exc.in_language()
    found = ratings.task(db.session, current_user, row_id)
    body = found.content.get("body")
    # an imported question's pictures and formulas, from the server's allowlisted copy
    view = {"stem": pick(found.content.get("stem")), "stem_html": for_candidate(pick(body)) if body else None,
            "rubric": pick(found.content.get("rubric")) if found.content.get("rubric") else None}
    return render_template("ratings/rate.html", task=found, view=view, problem=problem,
                           round_label=ROUND_LABELS[found.needs]), (422 if problem else 200)
