"""FRAC pages under /frac: positions (browse, search, import, export, approve) and the CoE
competency flow (duplicate check, draft, revise, moves)."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import (ADMIN, ANALYST, COE_REVIEWER, MDO, MDO_LEADERSHIP, MDO_STAFF, Organisation)
from piaa.accounts.views import ROLE_HOME
from piaa.errors import Forbidden, Invalid
from piaa.extensions import db
from piaa.items.models import COMPETENCY_TYPES, DEFAULT_LEVEL_LABELS, PROFICIENCY_LEVELS
from piaa.i18n import N_

from . import positions as position_service
from . import proposals as proposal_service

bp = Blueprint("frac", __name__, url_prefix="/frac")
bp.add_app_template_global(position_service.activities_in_language, "activities_in_language")

POSITION_READERS = (MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER, ANALYST, ADMIN)
FLOW_READERS = (MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER, ADMIN)
ROLE_HOME.setdefault(MDO_STAFF, "frac.positions")
ROLE_HOME.setdefault(MDO_LEADERSHIP, "frac.proposals")
ROLE_HOME.setdefault(COE_REVIEWER, "frac.proposals")
EXPORT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def own_mdo() -> Organisation | None:
    """The signed-in user's organisation if it is an MDO (what MDO staff and leadership act for)."""
    org = current_user.organisation
    return org if org is not None and org.kind == MDO else None


def _mdo_arg() -> Organisation | None:
    name = (request.values.get("mdo") or "").strip()
    return position_service.require_mdo(db.session, name) if name else None


# --- positions ---------------------------------------------------------------------------------

@bp.get("/positions")
@role_required(*POSITION_READERS)
def positions():
    q = request.args.get("q", "")
    competency = (request.args.get("competency") or "").strip() or None
    mdo = _mdo_arg()
    found = position_service.search_positions(db.session, text=q, mdo=mdo, competency=competency)
    return render_template("frac/positions.html", positions=found, q=q, competency=competency or "",
                           mdo=mdo, own_mdo=own_mdo())


@bp.get("/positions/<int:position_id>")
@role_required(*POSITION_READERS)
def position(position_id: int):
    found = position_service.get_position(db.session, position_id)
    may_approve = (current_user.role == ADMIN or (current_user.role == MDO_LEADERSHIP
                                                  and current_user.organisation_id == found.mdo_id))
    return render_template("frac/position.html", position=found, may_approve=may_approve)


@bp.post("/positions/<int:position_id>/approve")
@role_required(MDO_LEADERSHIP, ADMIN)
def approve_position(position_id: int):
    found = position_service.get_position(db.session, position_id)
    if current_user.role != ADMIN and current_user.organisation_id != found.mdo_id:
        raise Forbidden(N_("only the owning MDO's leadership approves its positions"))
    position_service.approve_position(db.session, found, actor=current_user)
    db.session.commit()
    return redirect(url_for("frac.position", position_id=found.id))


@bp.route("/positions/import", methods=["GET", "POST"])
@role_required(MDO_STAFF, ADMIN)
def import_positions():
    if request.method == "GET":
        return render_template("frac/import.html", own_mdo=own_mdo(), report=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(N_("choose a position file (.json, .csv or .xlsx)"), field="file")
    mdo = own_mdo() if current_user.role == MDO_STAFF else _mdo_arg()
    if mdo is None:
        raise Invalid(N_("say which MDO the positions belong to"), field="mdo")
    name = Path(upload.filename).name
    data = upload.read()
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        records = position_service.parse_position_xlsx(data, name)
    elif suffix in (".json", ".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(N_("{name}: not UTF-8 text"), field="file", values={"name": name}) from None
        parse = position_service.parse_position_json if suffix == ".json" else position_service.parse_position_csv
        records = parse(text, name)
    else:
        raise Invalid(N_("{name}: a position file must end in .json, .csv or .xlsx"), field="file",
                      values={"name": name})
    report = position_service.import_positions(db.session, mdo, records, actor=current_user, filename=name)
    db.session.commit()
    return render_template("frac/import.html", own_mdo=own_mdo(), report=report, filename=name)


@bp.get("/positions/export.<fmt>")
@role_required(*POSITION_READERS)
def export_positions(fmt: str):
    if fmt not in EXPORT_TYPES:
        raise Invalid(N_("export as json, csv or xlsx, not {fmt}"), field="fmt", values={"fmt": repr(fmt)})
    mdo = _mdo_arg() or own_mdo()
    if mdo is None:
        raise Invalid(N_("say which MDO's positions to export (?mdo=...)"), field="mdo")
    document = position_service.export_positions(db.session, mdo)
    if fmt == "json":
        body: str | bytes = json.dumps(document, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        body = position_service.table_csv(position_service.position_table(document))
    else:
        body = position_service.table_xlsx(position_service.position_table(document))
    return Response(body, mimetype=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="positions.{fmt}"'})


# --- the CoE competency flow ------------------------------------------------------------------

def _record_from_form() -> tuple[dict, str]:
    form = request.form
    record = {"code": form.get("code", "").strip(), "name": form.get("name", "").strip(),
              "type": form.get("type", "").strip(), "description": form.get("description", "").strip(),
              "levels": [{"level": n, "label": form.get(f"label{n}", "").strip() or DEFAULT_LEVEL_LABELS[n - 1],
                          "descriptor": form.get(f"level{n}", "").strip()} for n in PROFICIENCY_LEVELS]}
    if form.get("name_hi", "").strip():
        record["name_hi"] = form["name_hi"].strip()
    return record, form.get("area", "")


@bp.get("/competencies")
@role_required(*FLOW_READERS)
def proposals():
    return render_template("frac/proposals.html",
                           proposals=proposal_service.proposals_for(db.session, current_user))


@bp.get("/competencies/new")
@role_required(MDO_STAFF)
def new_proposal():
    """Step 1 searches the dictionary (the duplicate check); the draft form comes with it."""
    name, text = request.args.get("name", "").strip(), request.args.get("text", "").strip()
    similar = proposal_service.similar_competencies(db.session, name, text) if (name or text) else None
    return render_template("frac/proposal_form.html", proposal=None, similar=similar, name=name, text=text,
                           record={"name": name, "description": text, "levels": []}, area="",
                           types=COMPETENCY_TYPES, labels=DEFAULT_LEVEL_LABELS)


@bp.post("/competencies/new")
@role_required(MDO_STAFF)
def create_proposal():
    record, area = _record_from_form()
    created = proposal_service.draft_proposal(db.session, current_user, record, area=area)
    db.session.commit()
    return redirect(url_for("frac.proposal", proposal_id=created.id))


@bp.get("/competencies/<int:proposal_id>")
@role_required(*FLOW_READERS)
def proposal(proposal_id: int):
    found = proposal_service.get_proposal(db.session, proposal_id)
    proposal_service.check_readable(current_user, found)
    return render_template("frac/proposal.html", proposal=found,
                           moves=proposal_service.moves_for(found, current_user),
                           may_edit=proposal_service.may_edit(current_user, found),
                           action_labels=proposal_service.ACTION_LABELS,
                           types=COMPETENCY_TYPES, labels=DEFAULT_LEVEL_LABELS)


@bp.post("/competencies/<int:proposal_id>/edit")
@role_required(MDO_STAFF)
def revise_proposal(proposal_id: int):
    found = proposal_service.get_proposal(db.session, proposal_id)
    record, area = _record_from_form()
    proposal_service.revise_proposal(db.session, current_user, found, record, area=area)
    db.session.commit()
    return redirect(url_for("frac.proposal", proposal_id=found.id))


@bp.post("/competencies/<int:proposal_id>/move")
@role_required(MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER)
def move_proposal(proposal_id: int):
    found = proposal_service.get_proposal(db.session, proposal_id)
    proposal_service.move(db.session, current_user, found, request.form.get("action", ""),
                          comment=request.form.get("comment", ""))
    db.session.commit()
    return redirect(url_for("frac.proposal", proposal_id=found.id))


# --- gap maps ----------------------------------------------------------------------------------

@bp.get("/gaps")
@role_required(MDO_STAFF, MDO_LEADERSHIP, ANALYST, ADMIN)
def gaps():
    from . import gap_files
    from . import gaps as gap_service

    mdo = own_mdo() if current_user.role in (MDO_STAFF, MDO_LEADERSHIP) else _mdo_arg()
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "csv", "xlsx", "pdf"):
        raise Invalid(N_("format must be html, csv, xlsx or pdf, not {fmt}"), field="format", values={"fmt": repr(fmt)})
    found = gap_service.gap_map(db.session, mdo) if mdo is not None else None
    if found is None:
        return render_template("frac/gaps.html", gaps=None, mdo=mdo, minimum=gap_service.MIN_OFFICIALS)
    if fmt == "html":
        return render_template("frac/gaps.html", gaps=found, mdo=mdo, minimum=gap_service.MIN_OFFICIALS,
                               heat_svg=gap_files.heat_map_svg(found))
    if fmt == "pdf":
        body: str | bytes = gap_files.gaps_pdf(found)
        mimetype, name = "application/pdf", "gap-map.pdf"
    elif fmt == "csv":
        table = request.args.get("table", "gaps")
        body, mimetype, name = gap_files.gaps_csv(found, table), EXPORT_TYPES["csv"], f"gap-map-{table}.csv"
    else:
        body, mimetype, name = gap_files.gaps_xlsx(found), EXPORT_TYPES["xlsx"], "gap-map.xlsx"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
