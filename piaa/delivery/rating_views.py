"""The raters' pages: the queue of written answers waiting for a rating, and the page that
rates one against its rubric. Views parse, call one service, commit once, render or redirect."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import RATER
from piaa.delivery import ratings, uploads
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


@ratings_bp.get("/<int:row_id>/file")
@role_required(RATER)
def answer_file(row_id: int):
    """The file a candidate gave as the answer, for a rater who may rate it now."""
    found = uploads.file_for_rater(db.session, current_user, row_id)
    # pictures are shown in the page; a PDF is downloaded (the site's policy runs no plugin)
    inline = found.content_type.startswith("image/") and request.args.get("download") != "1"
    response = send_file(BytesIO(found.data), mimetype=found.content_type, download_name=found.name,
                         as_attachment=not inline, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@ratings_bp.route("/<int:row_id>", methods=["GET", "POST"])
@role_required(RATER)
def rate(row_id: int):
    refused = None
    points = request.form.get("points", "")
    if request.method == "POST":
        try:
            ratings.record_rating(db.session, current_user, row_id, points, request.form.get("comment"))
            db.session.commit()
            flash(_("Rating recorded."))
            return redirect(url_for("ratings.queue"))
        except Invalid as exc:
            db.session.rollback()
            refused = exc
    found = ratings.task(db.session, current_user, row_id)
    problem = None
    if refused is not None:  # beside the box, in plain words
        problem = _("Give whole points from 0 to {most}.", most=found.max_points) \
            if refused.field == "points" else refused.in_language()
    body = found.content.get("body")
    # an imported question's pictures and formulas, from the server's allowlisted copy
    view = {"stem": pick(found.content.get("stem")), "stem_html": for_candidate(pick(body)) if body else None,
            "rubric": pick(found.content.get("rubric")) if found.content.get("rubric") else None}
    return render_template("ratings/rate.html", task=found, view=view, problem=problem, points=points,
                           round_label=ROUND_LABELS[found.needs], round_labels=ROUND_LABELS), \
        (422 if problem else 200)
