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
from piaa.i18n import _, pick, register
from piaa.items.types.rich import for_candidate

ratings_bp = Blueprint("ratings", __name__, url_prefix="/ratings")

ROUND_LABELS = {"first": "First rating", "second": "Second rating (independent)",
                "adjudication": "Adjudication (the first two raters differ)"}

register("hi", {
    "Written answers to rate": "जाँचने के लिए लिखित उत्तर",
    "Each answer is shown without the candidate's name and without any other rater's points. "
    "Rate it against the rubric alone.":
        "हर उत्तर अभ्यर्थी के नाम और किसी अन्य मूल्यांकक के अंकों के बिना दिखाया जाता है। "
        "केवल अंक-योजना के अनुसार अंक दें।",
    "Nothing is waiting for you to rate.": "आपके जाँचने के लिए कुछ भी प्रतीक्षा में नहीं है।",
    "Assessment": "मूल्यांकन",
    "Question": "प्रश्न",
    "Round": "चरण",
    "Sitting ended": "परीक्षा समाप्त हुई",
    "Rate": "अंक दें",
    "First rating": "पहला मूल्यांकन",
    "Second rating (independent)": "दूसरा मूल्यांकन (स्वतंत्र)",
    "Adjudication (the first two raters differ)": "निर्णायक मूल्यांकन (पहले दो मूल्यांकक असहमत हैं)",
    "Rate a written answer": "लिखित उत्तर को अंक दें",
    "Rubric": "अंक-योजना",
    "The item came without a rubric; ask its authors for one before rating.":
        "यह प्रश्न बिना अंक-योजना के आया है; अंक देने से पहले इसके लेखकों से अंक-योजना माँगें।",
    "The answer": "उत्तर",
    "Points (0 to {most})": "अंक (0 से {most})",
    "Comment for the record (optional)": "अभिलेख के लिए टिप्पणी (वैकल्पिक)",
    "Record the rating": "मूल्यांकन दर्ज करें",
    "Rating recorded.": "मूल्यांकन दर्ज हो गया।",
    "Back to the queue": "सूची पर लौटें",
})


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
            problem = exc.message
    found = ratings.task(db.session, current_user, row_id)
    body = found.content.get("body")
    # an imported question's pictures and formulas, from the server's allowlisted copy
    view = {"stem": pick(found.content.get("stem")), "stem_html": for_candidate(pick(body)) if body else None,
            "rubric": pick(found.content.get("rubric")) if found.content.get("rubric") else None}
    return render_template("ratings/rate.html", task=found, view=view, problem=problem,
                           round_label=ROUND_LABELS[found.needs]), (422 if problem else 200)
