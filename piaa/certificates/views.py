"""Certificate pages and endpoints: public verification (by id and by upload), the issuer
profile and status lists, the official's own certificates, and revocation by an administrator."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import public, role_required
from piaa.api import api_blueprint, openapi
from piaa.errors import Forbidden, Invalid, NotFound
from piaa.extensions import csrf, db, limiter
from piaa.i18n import register

from . import services

bp = Blueprint("certificates", __name__)
api = api_blueprint("certificates_api", __name__, url_prefix="/certificates")

VERIFY_LIMIT = "30 per minute"
UPLOAD_LIMIT = "10 per minute"
MAX_UPLOAD = 5 * 1024 * 1024
LD_JSON = "application/ld+json"

register("hi", {
    "Verify a certificate": "प्रमाणपत्र सत्यापित करें",
    "Valid certificate": "मान्य प्रमाणपत्र",
    "Revoked certificate": "निरस्त प्रमाणपत्र",
    "Certificate not found": "प्रमाणपत्र नहीं मिला",
    "Holder": "धारक",
    "Competency": "दक्षता",
    "Proficiency level": "प्रवीणता स्तर",
    "Date of assessment": "मूल्यांकन तिथि",
    "Assessing agency": "मूल्यांकन एजेंसी",
    "Issuer": "जारीकर्ता",
    "Serial number": "क्रमांक",
    "Revoked on": "निरस्तीकरण तिथि",
    "Download the credential (JSON)": "क्रेडेंशियल डाउनलोड करें (JSON)",
    "Check a copy": "प्रति की जाँच करें",
    "My certificates": "मेरे प्रमाणपत्र",
    "You have no certificates yet.": "अभी आपके पास कोई प्रमाणपत्र नहीं है।",
    "Download the PDF": "PDF डाउनलोड करें",
    "being prepared": "तैयार हो रहा है",
    "revoked": "निरस्त",
    "Revoke": "निरस्त करें",
    "Reason": "कारण",
    "Decision confidence": "निर्णय की विश्वसनीयता",
    "We are {percent}% confident that the holder's level is level {level} or higher.":
        "हमें {percent}% विश्वास है कि धारक का स्तर {level} या उससे ऊपर है।",
})


def _json_ld(document: dict) -> Response:
    response = jsonify(document)
    response.mimetype = LD_JSON
    return response


# --- public verification ------------------------------------------------------------------

@bp.get("/verify/<public_id>")
@public
@limiter.limit(VERIFY_LIMIT)
def verify_page(public_id: str):
    try:
        view = services.public_view(services.get_by_public_id(db.session, public_id))
    except NotFound:
        return render_template("certificates/verify.html", view=None, public_id=public_id), 404
    return render_template("certificates/verify.html", view=view, public_id=public_id)


@bp.get("/verify/<public_id>/credential.json")
@public
@limiter.limit(VERIFY_LIMIT)
def credential_download(public_id: str):
    certificate = services.get_by_public_id(db.session, public_id)
    response = _json_ld(certificate.credential)
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.serial}.json"'
    return response


@bp.route("/verify", methods=["GET", "POST"])
@public
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def verify_upload():
    report = None
    if request.method == "POST":
        report = services.verify_uploaded(db.session, _uploaded_bytes())
    return render_template("certificates/verify_upload.html", report=report)


def _uploaded_bytes() -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("choose a PDF certificate or a credential JSON file", field="file")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid("the file is larger than 5 MB; a certificate is far smaller", field="file")
    return data


@bp.get("/certificates/issuer")
@public
def issuer_profile():
    return _json_ld(services.issuer_profile_document())


@bp.get("/certificates/status/<int:list_number>")
@public
def status_list(list_number: int):
    response = _json_ld(services.status_list_document(db.session, list_number))
    # Revocation must show at once: no shared cache may keep an old list.
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- the official's own certificates ------------------------------------------------------

@bp.get("/certificates/mine")
@role_required()
def my_certificates():
    return render_template("certificates/mine.html", certificates=services.certificates_of(db.session, current_user))


@bp.get("/certificates/<public_id>/certificate.pdf")
@role_required()
def certificate_pdf(public_id: str):
    certificate = services.get_by_public_id(db.session, public_id)
    if certificate.user_id != current_user.id and current_user.role != "admin":
        raise Forbidden("only the holder or an administrator may download this certificate")
    if certificate.pdf is None:
        raise NotFound("the PDF of this certificate is still being prepared")
    return Response(certificate.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{certificate.serial}.pdf"'})


# --- revocation -------------------------------------------------------------------------

@bp.route("/certificates/<public_id>/revoke", methods=["GET", "POST"])
@role_required("admin")
def revoke(public_id: str):
    certificate = services.get_by_public_id(db.session, public_id)
    if request.method == "POST":
        services.revoke(db.session, public_id=public_id, reason=request.form.get("reason", ""), actor=current_user)
        db.session.commit()
        flash(f"Certificate {certificate.serial} revoked.", "success")
        return redirect(url_for("certificates.verify_page", public_id=public_id))
    return render_template("certificates/revoke.html", certificate=certificate)


# --- JSON API ---------------------------------------------------------------------------

@api.get("/verify/<public_id>")
@public
@limiter.limit(VERIFY_LIMIT)
@openapi("Status of a certificate by its public identifier", tags=["certificates"],
         responses={200: "valid or revoked, with what the certificate states", 404: "no such certificate"})
def api_verify(public_id: str):
    certificate = services.get_by_public_id(db.session, public_id)
    body = services.public_view(certificate).to_dict()
    body["credential_url"] = url_for("certificates.credential_download", public_id=public_id, _external=True)
    return jsonify(body)


@bp.post("/verify.json")
@public
@csrf.exempt
@limiter.limit(UPLOAD_LIMIT)
def verify_upload_json():
    """The upload check for machines: it changes nothing and reads no session, so it needs no
    CSRF token. (It lives outside /api/v1 because the API asks cookie-less callers for one.)"""
    return jsonify(services.verify_uploaded(db.session, _uploaded_bytes()).to_dict())
