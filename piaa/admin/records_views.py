"""Certificates (find one, revoke it with a reason), the audit chain (verify it, see the result
and the newest events), and item banks (export links in every format; bulk submit and bulk
approve of imported drafts, the four-eyes rule kept)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from piaa import audit
from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN
from piaa.admin import bp
from piaa.admin.forms import RevokeForm
from piaa.admin.views import change_by_form, done, me
from piaa.certificates import services as certificates
from piaa.extensions import db
from piaa.i18n import gettext as _
from piaa.items import services as items
from piaa.items.import_views import EXPORT_TYPES
from piaa.items.models import DRAFT, IN_REVIEW
from piaa.i18n import N_

EXPORT_NAMES = {"qti3": N_("QTI 3.0 package"), "csv": N_("CSV"), "xlsx": N_("XLSX"), "json": N_("Bank folder (JSON, zip)")}


# --- certificates ------------------------------------------------------------------------------

@bp.get("/admin/certificates")
@role_required(ADMIN)
def certificates_page():
    query = request.args.get("q", "")
    return render_template("admin/certificates.html", query=query,
                           certificates=certificates.list_certificates(db.session, text=query))


@bp.route("/admin/certificates/<public_id>", methods=["GET", "POST"])
@role_required(ADMIN)
def certificate(public_id: str):
    found = certificates.get_by_public_id(db.session, public_id)
    form = RevokeForm()
    revoked, problems, status = change_by_form(form, lambda: certificates.revoke(
        db.session, public_id=public_id, reason=form.reason.data, actor=me()))
    if revoked is not None:
        return done(_("Certificate {serial} revoked.", serial=found.serial), "admin.certificate",
                    public_id=public_id)
    return render_template("admin/certificate.html", certificate=found, form=form, problems=problems), status


# --- the audit chain ---------------------------------------------------------------------------

@bp.route("/admin/audit", methods=["GET", "POST"])
@role_required(ADMIN)
def audit_page():
    report = audit.verify_chain(db.session) if request.method == "POST" else None
    return render_template("admin/audit.html", report=report, events=audit.recent_events(db.session))


# --- item banks --------------------------------------------------------------------------------

@bp.get("/admin/banks")
@role_required(ADMIN)
def banks():
    found = items.list_banks(db.session, me())
    return render_template("admin/banks.html", banks=found, export_names=EXPORT_NAMES,
                           formats=[f for f in EXPORT_NAMES if f in EXPORT_TYPES],
                           overviews={b.id: items.bank_overview(db.session, b) for b in found})


def _checked_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("item") if v.isdigit()]


@bp.get("/admin/banks/<int:bank_id>/review")
@role_required(ADMIN)
def bulk_review(bank_id: int):
    bank = items.get_bank(db.session, bank_id, me())
    in_review = items.items_in_state(db.session, bank.id, IN_REVIEW)
    return render_template("admin/bulk_review.html", bank=bank,
                           drafts=items.items_in_state(db.session, bank.id, DRAFT), in_review=in_review,
                           own={i.id for i in in_review if items.written_or_submitted_by(i, me())})


def _bulk(bank_id: int, state: str, move, verb: str):
    bank = items.get_bank(db.session, bank_id, me())
    chosen = items.items_in_state(db.session, bank.id, state, _checked_ids())
    if not chosen:
        flash(_("Choose at least one item."), "error")
        return redirect(url_for("admin.bulk_review", bank_id=bank_id))
    outcome = move(chosen)
    db.session.commit()
    flash(_("{n} item(s) {verb}.", n=len(outcome.moved), verb=_(verb)), "success")
    for code, why in outcome.skipped:
        flash(_("{code} was left as it was: {why}", code=code, why=why.in_language()), "error")
    return redirect(url_for("admin.bulk_review", bank_id=bank_id))


@bp.post("/admin/banks/<int:bank_id>/submit")
@role_required(ADMIN)
def bulk_submit(bank_id: int):
    return _bulk(bank_id, DRAFT, lambda chosen: items.submit_items(db.session, chosen, actor=me()),
                 "sent to review")


@bp.post("/admin/banks/<int:bank_id>/approve")
@role_required(ADMIN)
def bulk_approve(bank_id: int):
    return _bulk(bank_id, IN_REVIEW, lambda chosen: items.approve_items(db.session, chosen, reviewer=me()),
                 "approved")
