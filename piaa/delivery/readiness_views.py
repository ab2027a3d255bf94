"""The bank-readiness page of an adaptive assessment, for psychometricians and administrators:
the adaptive policy (decision confidence, exposure cap), a button that runs the check, and
the last check's figures. Views parse, call one service, commit once, render or redirect."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, PSYCHOMETRICIAN
from piaa.delivery import readiness
from piaa.delivery.assessments import get_assessment
from piaa.errors import Conflict, Invalid
from piaa.extensions import db
from piaa.i18n import register

readiness_bp = Blueprint("delivery_readiness", __name__)

register("hi", {
    "Bank readiness": "प्रश्न-बैंक की तैयारी",
    "Simulated candidates sit this adaptive assessment on the active parameter set, with its cut "
    "scores, blueprint and stopping rule. The check also sets the exposure control that delivery "
    "uses.": "अनुकरणित अभ्यर्थी इस अनुकूली मूल्यांकन को सक्रिय प्राचल-समूह पर, इसके कट स्कोर, "
             "ब्लूप्रिंट और रोकने के नियम के साथ देते हैं। यह जाँच वह प्रश्न-प्रदर्शन नियंत्रण भी "
             "तय करती है जिसका उपयोग परीक्षा-संचालन करता है।",
    "Adaptive policy": "अनुकूली नीति",
    "Decision confidence (the test may stop, and a certificate be issued, once the level is this probable)":
        "निर्णय का विश्वास (स्तर इतना संभावित होते ही परीक्षा रुक सकती है और प्रमाणपत्र जारी हो सकता है)",
    "Highest share of candidates any item may reach": "किसी प्रश्न तक पहुँचने वाले अभ्यर्थियों का अधिकतम अंश",
    "Simulated candidates": "अनुकरणित अभ्यर्थी",
    "Run the check": "जाँच चलाएँ",
    "Last check": "पिछली जाँच",
    "No check has been run for this assessment yet.": "इस मूल्यांकन की अभी तक कोई जाँच नहीं हुई है।",
    "Share of simulated candidates put on the right side of each cut score":
        "हर कट स्कोर के सही ओर रखे गए अनुकरणित अभ्यर्थियों का अंश",
    "Cut score": "कट स्कोर",
    "Accuracy": "सटीकता",
    "Right level": "सही स्तर",
    "Reliability": "विश्वसनीयता",
    "Average number of items": "प्रश्नों की औसत संख्या",
    "Busiest item reached": "सबसे अधिक दिखाया गया प्रश्न",
    "Parameter set": "प्राचल-समूह",
    "Checked at": "जाँच का समय",
})
READERS = (PSYCHOMETRICIAN, ADMIN)


@readiness_bp.route("/assessments/<int:assessment_id>/readiness", methods=["GET", "POST"])
@role_required(*READERS)
def check(assessment_id: int):
    assessment = get_assessment(db.session, assessment_id)
    problem = None
    if request.method == "POST":
        try:
            readiness.check_from_form(db.session, assessment, request.form.to_dict(),
                                      actor=current_user._get_current_object())
        except (Invalid, Conflict) as error:
            db.session.rollback()
            problem = error.message
        else:
            db.session.commit()
            return redirect(url_for("delivery_readiness.check", assessment_id=assessment_id))
    return render_template("readiness/check.html", assessment=assessment, problem=problem,
                           check=readiness.last_check(assessment),
                           examinees=request.form.get("examinees") or readiness.DEFAULT_EXAMINEES)
