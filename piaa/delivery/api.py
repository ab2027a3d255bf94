"""Delivery's JSON API: the candidate's sitting, the proctor's watch and actions, and the
administration of assessments, cohorts and windows.

Views parse, call one service, commit once, answer. An answer is acknowledged only after
the commit. Candidate responses are built from ``piaa.delivery.attempts.status`` and
``candidate_item`` only, which carry no key, credit, parameter or unadministered item.
Clients send ``X-PIAA-Client`` (a random id per browser tab, kept across reloads) so the
server can tell a reload from a second tab or another device.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote

from flask import current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType
from flask_login import current_user
from sqlalchemy import select

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, CANDIDATE, PROCTOR, PSYCHOMETRICIAN, Organisation, User
from piaa.api import api_blueprint, openapi, strict
from piaa.clock import as_utc, now
from piaa.delivery import assessments as assessment_service
from piaa.delivery import attempts as attempt_service
from piaa.delivery import candidate_view, forms, proctoring, scoring, states
from piaa.delivery.models import Attempt
from piaa.errors import Conflict, Invalid, NotFound
from piaa.extensions import commit_last, db, limiter
from piaa.i18n import SUPPORTED_LANGUAGES
from piaa.items.models import ItemBank
from piaa.i18n import N_

api = api_blueprint("delivery_api", __name__)
SIGNALS_BODY_BYTES = proctoring.MAX_BATCH * (proctoring.MAX_SIGNAL_DATA_BYTES + 256)
# The browser sends a batch with its heartbeat (at most every few seconds) and on reconnecting.
SIGNAL_CALLS_PER_MINUTE = "30 per minute"
TAG_CANDIDATE, TAG_PROCTOR, TAG_ADMIN = ["delivery: candidate"], ["delivery: proctor"], ["delivery: admin"]


def _body() -> dict[str, Any]:
    """The request's JSON object; no body at all is an empty one.

    :raise UnsupportedMediaType: (415) for a body that is not sent as JSON.
    :raise Invalid: for JSON that is not an object.
    """
    if not request.is_json:
        if request.content_length or request.get_data(cache=True):
            raise UnsupportedMediaType("send the body as JSON (Content-Type: application/json)")
        return {}
    data = request.get_json()  # sent as JSON: must be sound JSON
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise Invalid(N_("the request body must be a JSON object"))
    return data


def _client() -> attempt_service.ClientInfo:
    return attempt_service.ClientInfo(
        client_id=(request.headers.get("X-PIAA-Client") or "")[:64] or None,
        ip=request.remote_addr, user_agent=request.user_agent.string or None)


def _user() -> User:
    return current_user._get_current_object()


def _status(attempt: Attempt, answered: int | None = None) -> dict[str, Any]:
    return candidate_view.status(db.session, attempt, answered)


def _items(attempt: Attempt, lang: str | None = None, rows: list | None = None) -> list[dict[str, Any]]:
    """The candidate's view of ``rows`` (default: ``visible_items``)."""
    return candidate_view.items(db.session, attempt, lang, rows)


def _text(value: Any, field: str) -> str:
    """``value`` as text ("" when absent). :raise Invalid: if it is not text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(N_("{field} must be text"), field=field, values={"field": field})
    return value


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(N_("{field} must be a whole number, got {value}"), field=field,
                      values={"field": field, "value": repr(value)})
    return value


TEXT = {"type": "string"}
REASON = {"type": "string", "maxLength": 1000, "description": "kept in the attempt's record"}
ID = {"type": "integer", "minimum": 1}
# The shapes an answer takes, by item type; which shape and which values fit the item is the
# item type's rule (a 422 naming the answer). null clears a saved answer.
ANSWER_SCHEMA = {
    "description": "an option id (single choice, true/false, situational judgement, Likert, one "
                   "hotspot area), true or false (true/false), text (text entry, extended text), a "
                   "number or numeric text (numeric entry), a list of option or area ids (multiple "
                   "response, ordering, hotspot, graphic order), a list of [source id, target id] "
                   "pairs (matching, graphic gap match) or [id, id] pairs (associate, graphic "
                   "associate), a list of [x, y] points (select point), a number (slider), an "
                   "uploaded file's {file, name, type, size} (upload, drawing), an object of part "
                   "id to that part's answer (composite), or null (clear the answer)",
    "nullable": True,
    "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"},
              {"type": "array", "maxItems": 500, "items": {"anyOf": [
                  {"type": "string"},
                  {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string"}},
                  {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}]}},
              {"type": "object", "maxProperties": 100}]}


STATUS_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "state": {"type": "string"}, "deadline": {"type": "string", "nullable": True},
    "time_left_s": {"type": "number"}, "server_time": {"type": "string"},
    "position": {"type": "integer"}, "planned_items": {"type": "integer"},
    "warnings": {"type": "array"}, "result": {"type": "object", "nullable": True}}}


# --- candidate -----------------------------------------------------------------------------

@api.get("/me/windows")
@role_required(CANDIDATE)
@openapi("Windows the caller may sit now, with any attempt already made", tags=TAG_CANDIDATE,
         responses={200: "windows: [{id, name, opens_at, closes_at, access_code_required, "
                         "assessment: {title, mode, purpose, time_limit_s, languages}, attempt}]"})
def my_windows():
    user = _user()
    out = []
    for window in assessment_service.windows_for(db.session, user):
        latest = db.session.scalar(select(Attempt).where(Attempt.window_id == window.id,
                                                         Attempt.user_id == user.id)
                                   .order_by(Attempt.id.desc()).limit(1))
        assessment = window.assessment
        out.append({"id": window.id, "name": window.name,
                    "opens_at": as_utc(window.opens_at).isoformat(),
                    "closes_at": as_utc(window.closes_at).isoformat(),
                    "access_code_required": window.access_code_hash is not None,
                    "assessment": {"title": assessment.title, "title_hi": assessment.title_hi,
                                   "competency": assessment.competency.name, "mode": assessment.mode,
                                   "purpose": assessment.purpose, "time_limit_s": assessment.time_limit_s,
                                   "navigation": assessment.navigation, "languages": assessment.languages},
                    "attempt": {"id": latest.id, "state": latest.state} if latest else None})
    return jsonify({"windows": out, "server_time": now().isoformat()})


@api.get("/me/attempts")
@role_required(CANDIDATE)
@openapi("The caller's attempts, newest first, with results once scored", tags=TAG_CANDIDATE)
def my_attempts():
    rows = db.session.scalars(select(Attempt).where(Attempt.user_id == _user().id).order_by(Attempt.id.desc()))
    return jsonify({"attempts": [{"id": a.id, "state": a.state, "window_id": a.window_id,
                                  "assessment": a.assessment.title,
                                  "ended_at": as_utc(a.ended_at).isoformat() if a.ended_at else None,
                                  "result": scoring.result_of(a) if a.state == states.SCORED else None}
                                 for a in rows]})


@api.post("/attempts")
@role_required(CANDIDATE)
@openapi("Open an attempt at a window (returns the open one if there is one)", tags=TAG_CANDIDATE,
         request=strict({"window_id": ID, "access_code": TEXT,
                         "language": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)}}, "window_id"),
         responses={201: "the attempt: id, state, deadline, time_left_s, ...",
                    200: "the attempt already open at this window", 409: "window closed or attempts used"})
def create_attempt():
    body = _body()
    window_id = _int(body.get("window_id"), "window_id")
    user = _user()
    before = db.session.scalar(select(Attempt.id).where(Attempt.window_id == window_id,
                                                        Attempt.user_id == user.id,
                                                        Attempt.state.in_(("created", "checked_in",
                                                                           "in_progress", "paused"))))
    attempt = attempt_service.create_attempt(db.session, user, window_id,
                                             access_code=body.get("access_code"),
                                             language=body.get("language"))
    db.session.commit()
    return jsonify(_status(attempt)), 200 if before == attempt.id else 201


def _sitting_call(view):
    """Mark a view the sitting page calls every few seconds (heartbeat, signals, answers and
    moves): its JSON (or empty) answers are never documents, so they go without the document
    policies (Content-Security-Policy, frame and permissions policies), which would be most
    of a heartbeat's bytes and cost each answer the policy's rendering."""
    view.talisman_view_options = {"content_security_policy": None, "frame_options": None,
                                  "permissions_policy": None}
    return view


@api.get("/attempts/<int:attempt_id>")
@role_required(CANDIDATE)
@_sitting_call
@openapi("Current state, server time, deadline and time left, warnings, result once scored. "
         "Also the sitting's heartbeat: the contact is noted; with If-None-Match: the status's "
         "ETag (its version v), an unchanged status is answered 304 with no body",
         tags=TAG_CANDIDATE, parameters=[{"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
         responses={200: "the attempt's status, with its version v (also the ETag)",
                    304: "the status has the version the client knows: nothing to act on but the "
                         "time left, in the header X-PIAA-Time-Left (seconds)"})
def attempt_status(attempt_id: int):
    attempt = attempt_service.poll(db.session, attempt_id, _user(), _client())
    body = _status(attempt)
    commit_last()
    response = _unchanged(body, 304) if request.if_none_match.contains(body["v"]) else jsonify(body)
    response.set_etag(body["v"])
    return response


def _unchanged(status: dict[str, Any], code: int):
    """An answer with no body for a client holding this status's version: only the time
    left, so that its countdown follows the server's clock (a phone asleep stops its own)."""
    response = current_app.response_class(status=code)
    response.headers["X-PIAA-Time-Left"] = f"{status['time_left_s']:.1f}"
    return response


@api.post("/attempts/<int:attempt_id>/check-in")
@role_required(CANDIDATE)
@openapi("Check in: confirm identity, accept the rules, report the system check", tags=TAG_CANDIDATE,
         request=strict({"identity_confirmed": {"type": "boolean"}, "rules_accepted": {"type": "boolean"},
                         "system_check": {"type": "object", "maxProperties": 50,
                                          "description": "what the browser's system check found"}},
                        "identity_confirmed", "rules_accepted"))
def check_in(attempt_id: int):
    body = _body()
    attempt = attempt_service.candidate_attempt(db.session, attempt_id, _user())
    system_check = body.get("system_check") if isinstance(body.get("system_check"), dict) else {}
    attempt = attempt_service.check_in(db.session, attempt, _user(),
                                       identity_confirmed=body.get("identity_confirmed") is True,
                                       rules_accepted=body.get("rules_accepted") is True,
                                       system_check=system_check)
    db.session.commit()
    return jsonify(_status(attempt))


@api.post("/attempts/<int:attempt_id>/start")
@role_required(CANDIDATE)
@openapi("Start the sitting (after check-in, and admission where the policy asks for it); the "
         "reply carries what GET .../items would, so the first question needs no second call",
         tags=TAG_CANDIDATE, parameters=[{"name": "lang", "in": "query", "schema": {"type": "string"}}],
         responses={200: "the attempt, now in progress (status fields), and items: the first item "
                         "(adaptive, linear) or the form, as GET .../items gives them",
                    409: "not checked in, awaiting admission, or window closed"})
def start(attempt_id: int):
    attempt = attempt_service.candidate_attempt(db.session, attempt_id, _user())
    attempt = attempt_service.start(db.session, attempt, _user(), _client())
    items = _items(attempt, request.args.get("lang"))
    body = {**_status(attempt), "items": items}  # read before the commit expires the attempt
    db.session.commit()
    return jsonify(body)


@api.get("/attempts/<int:attempt_id>/items")
@role_required(CANDIDATE)
@openapi("What the candidate may see now: the current item (adaptive, linear) or the form",
         tags=TAG_CANDIDATE, parameters=[{"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)}}],
         responses={200: "attempt: status; items: [{ref, position, content, answer, seq, flagged, locked}]"})
def items(attempt_id: int):
    attempt = attempt_service.poll(db.session, attempt_id, _user(), _client())
    body = {"attempt": None, "items": _items(attempt, request.args.get("lang"))}
    body["attempt"] = _status(attempt)  # read before the commit expires the attempt
    db.session.commit()
    return jsonify(body)


@api.put("/attempts/<int:attempt_id>/responses/<ref>")
@role_required(CANDIDATE)
@_sitting_call
@openapi("Save an answer; acknowledged only after the commit. A seq not above the stored one "
         "changes nothing and returns the stored seq. Adaptive and linear: with next: true the "
         "answer is made final and the reply carries the next item, as POST .../next would "
         "(one round trip instead of two; resending the pair is safe)", tags=TAG_CANDIDATE,
         request=strict({"answer": ANSWER_SCHEMA, "seq": {"type": "integer", "minimum": 1},
                         "next": {"type": "boolean", "default": False,
                                  "description": "also move on from this item (adaptive and linear only)"}},
                        "answer", "seq"),
         responses={200: "ref, seq (the stored one), saved (false: nothing changed); with next: "
                         "true also attempt: status (complete: true when the test is over) and "
                         "items: the next item (empty at the end)",
                    409: "paused, finished, final, time is up (code time_up), or next in free "
                         "navigation (code free_navigation): then nothing is saved",
                    422: "bad answer or seq"})
def save_response(attempt_id: int, ref: str):
    body = _body()
    if "answer" not in body:
        raise Invalid(N_('send {"answer": ..., "seq": n}'), field="answer")
    if body.get("next") is True:
        receipt, attempt, shown, answered = attempt_service.answer_and_advance(
            db.session, attempt_id, _user(), ref, body.get("answer"), body.get("seq"), _client())
        reply = {"ref": receipt.ref, "seq": receipt.seq, "saved": receipt.saved,
                 "items": _items(attempt, rows=shown)}
        reply["attempt"] = _status(attempt, answered)
        commit_last()
        return jsonify(reply)
    receipt = attempt_service.save_answer(db.session, attempt_id, _user(), ref, body.get("answer"),
                                          body.get("seq"), _client())
    commit_last()
    return jsonify({"ref": receipt.ref, "seq": receipt.seq, "saved": receipt.saved})


@api.post("/attempts/<int:attempt_id>/responses/<ref>/file")
@role_required(CANDIDATE)
@limiter.limit("30 per minute", key_func=lambda: _attempt_key())  # per attempt: a centre shares one address
@openapi("Upload the file that answers an upload or drawing item: the file's bytes are the body "
         "(any Content-Type; the type is told from the bytes), its name in X-File-Name. The file is "
         "kept with the attempt, not yet the answer: save the returned answer with PUT "
         ".../responses/{ref}", tags=TAG_CANDIDATE,
         responses={200: "answer: {file (sha256), name, type, size}, to save as the item's answer",
                    404: "not the caller's attempt or item",
                    409: "paused, finished, final or time is up: nothing is kept",
                    413: "larger than the service takes", 422: "the item takes no file, or the file is "
                                                              "empty, too large or of a type it does not take"})
def upload_response_file(attempt_id: int, ref: str):
    from piaa.delivery import uploads

    answer = uploads.store_file(db.session, attempt_id, _user(), ref, request.get_data(cache=False),
                                unquote(request.headers.get("X-File-Name") or ""), _client())
    db.session.commit()
    return jsonify({"answer": answer})


@api.post("/attempts/<int:attempt_id>/responses")
@role_required(CANDIDATE)
@openapi("Save several answers at once (a client's queue after a dead link), each by the rules "
         "of PUT .../responses/{ref}: its own seq, a seq not above the stored one changes nothing. "
         "Adaptive and linear: next names the item to move on from afterwards, as POST .../next",
         tags=TAG_CANDIDATE,
         # The shape of the batch is checked whole; each answer's own rules (its item, its seq
         # of 1 or more, its value) are answered in its result, so one stale answer in a queue
         # sent after a dead link costs the others nothing.
         request=strict({
             "answers": {"type": "array", "minItems": 1, "maxItems": attempt_service.MAX_ANSWERS_PER_BATCH,
                         "items": strict({"ref": TEXT, "answer": ANSWER_SCHEMA, "seq": {
                             "type": "integer", "description": "1 or more (a lower one is refused in its result)"}},
                             "ref", "answer", "seq")},
             "next": {"type": "string", "description": "the ref of the item to move on from"}}, "answers"),
         responses={200: "results: one per answer, in order: {ref, seq, saved} or {ref, error: {code, "
                         "message}} (the others are saved all the same); attempt: status; with next, "
                         "items: the next item, or next_error: {code, message} if the move was refused",
                    404: "not the caller's attempt", 422: "not a list of answers"})
def save_responses(attempt_id: int):
    body = _body()
    results = attempt_service.save_answers(db.session, attempt_id, _user(), body.get("answers"), _client())
    reply: dict[str, Any] = {"results": results}
    attempt, answered, shown = None, None, None
    if isinstance(body.get("next"), str):
        try:
            attempt, shown, answered = attempt_service.advance_and_show(db.session, attempt_id, _user(),
                                                                        body["next"], _client())
        except (Conflict, NotFound) as refused:  # the answers stand; the client hears why it did not move
            reply["next_error"] = refused.to_dict()["error"]
        else:
            reply["items"] = _items(attempt, rows=shown)
    if attempt is None:
        attempt = attempt_service.candidate_attempt(db.session, attempt_id, _user())
    reply["attempt"] = _status(attempt, answered)  # read before the commit expires the attempt
    db.session.commit()
    return jsonify(reply)


@api.post("/attempts/<int:attempt_id>/responses/<ref>/flag")
@role_required(CANDIDATE)
@openapi("Flag an item for review (or unflag it)", tags=TAG_CANDIDATE,
         request=strict({"flagged": {"type": "boolean"}}))
def flag_response(attempt_id: int, ref: str):
    row = attempt_service.set_flag(db.session, attempt_id, _user(), ref, _body().get("flagged") is True,
                                   _client())
    db.session.commit()
    return jsonify({"ref": row.ref, "flagged": row.flagged})


@api.post("/attempts/<int:attempt_id>/next")
@role_required(CANDIDATE)
@_sitting_call
@openapi("Adaptive and linear: make the current answer final and get the next item "
         "(θ is re-estimated and the stopping rule applied). Resending with the same ref is a no-op",
         tags=TAG_CANDIDATE, request=strict({"ref": TEXT}),
         responses={200: "attempt: status (complete: true when the test is over); items: the next item"})
def next_item(attempt_id: int):
    ref = _body().get("ref")
    attempt, shown, answered = attempt_service.advance_and_show(
        db.session, attempt_id, _user(), ref if isinstance(ref, str) else None, _client())
    body = {"attempt": None, "items": _items(attempt, rows=shown)}
    body["attempt"] = _status(attempt, answered)
    commit_last()
    return jsonify(body)


def _attempt_key() -> str:
    return f"attempt:{request.view_args.get('attempt_id')}"


@api.post("/attempts/<int:attempt_id>/events")
@role_required(CANDIDATE)
@limiter.limit(SIGNAL_CALLS_PER_MINUTE, key_func=_attempt_key)
@_sitting_call
@openapi("Proctoring signals in a batch (sent with the heartbeat); answers with status and warnings, "
         "or 204 with no body when known names the status's version v and it is unchanged",
         tags=TAG_CANDIDATE, request=strict({
             "events": {"type": "array", "maxItems": proctoring.MAX_BATCH, "items": strict({
                 "kind": {"type": "string", "enum": list(proctoring.CLIENT_SIGNALS)},
                 "at": {"type": "string", "format": "date-time", "description": "the browser's clock"},
                 "data": {"type": "object", "maxProperties": proctoring.MAX_SIGNAL_DATA_KEYS}}, "kind")},
             # The page sends null before its first status has arrived.
             "known": {"type": "string", "nullable": True,
                       "description": "the version v of the last status the client holds, if any"}}),
         # A full batch of small signals is a few tens of kilobytes; nothing bigger is read.
         max_body_bytes=SIGNALS_BODY_BYTES,
         responses={200: "stored: n (heartbeats are not stored); attempt: status (with warnings)",
                    204: "stored; the status is the version the client knows (time left in the "
                         "header X-PIAA-Time-Left)"})
def signals(attempt_id: int):
    body = _body()
    attempt, stored = proctoring.receive_signals(db.session, attempt_id, _user(), body.get("events", []), _client())
    status = _status(attempt)
    db.session.commit()
    if body.get("known") == status["v"]:
        return _unchanged(status, 204)
    return jsonify({"stored": stored, "attempt": status})


@api.post("/attempts/<int:attempt_id>/warnings/<int:warning_id>/ack")
@role_required(CANDIDATE)
@openapi("Acknowledge a proctor's warning", tags=TAG_CANDIDATE)
def acknowledge(attempt_id: int, warning_id: int):
    proctoring.acknowledge_warning(db.session, attempt_id, _user(), warning_id)
    db.session.commit()
    return jsonify({"acknowledged": warning_id})


@api.post("/attempts/<int:attempt_id>/submit")
@role_required(CANDIDATE)
@openapi("Submit; the attempt is scored at once. After the deadline the server's time-out stands",
         tags=TAG_CANDIDATE, responses={200: "attempt: status; result: {theta, se, level, level_label, "
                                             "level_descriptor, method, classical?}"})
def submit(attempt_id: int):
    attempt = attempt_service.submit(db.session, attempt_id, _user(), _client())
    db.session.commit()
    body = _status(attempt)
    return jsonify({"attempt": body, "result": body["result"]})


# --- proctor -------------------------------------------------------------------------------

@api.get("/proctor/attempts")
@role_required(PROCTOR, ADMIN)
@openapi("Every attempt in the caller's windows: state, position, time left, last seen, flags",
         tags=TAG_PROCTOR, parameters=[{"name": "window_id", "in": "query", "schema": {"type": "integer"}}])
def proctor_attempts():
    window_id = request.args.get("window_id", type=int)
    return jsonify({"attempts": proctoring.overview(db.session, _user(), window_id),
                    "server_time": now().isoformat()})


@api.get("/proctor/attempts/<int:attempt_id>/timeline")
@role_required(PROCTOR, ADMIN)
@openapi("Post-hoc review: the attempt's state changes, signals, proctor actions and item timing",
         tags=TAG_PROCTOR)
def proctor_timeline(attempt_id: int):
    return jsonify(proctoring.timeline(db.session, _user(), attempt_id))


def _proctor_result(attempt: Attempt):
    return jsonify({"id": attempt.id, "state": attempt.state,
                    "time_left_s": round(attempt_service.time_left_s(attempt), 1),
                    "extra_time_s": attempt.extra_time_s, "admitted": attempt.admitted_at is not None})


@api.post("/proctor/attempts/<int:attempt_id>/admit")
@role_required(PROCTOR, ADMIN)
@openapi("Admit the candidate (to start, or to resume on another device)", tags=TAG_PROCTOR)
def proctor_admit(attempt_id: int):
    attempt = proctoring.admit(db.session, _user(), attempt_id)
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/warn")
@role_required(PROCTOR, ADMIN)
@openapi("Send a warning the candidate sees", tags=TAG_PROCTOR,
         request=strict({"message": {"type": "string", "minLength": 1, "maxLength": 500}}, "message"),
         responses={201: "id and message of the warning"})
def proctor_warn(attempt_id: int):
    warning = proctoring.warn(db.session, _user(), attempt_id, _body().get("message"))
    db.session.commit()
    return jsonify({"id": warning.id, "message": warning.data["message"]}), 201


@api.post("/proctor/attempts/<int:attempt_id>/pause")
@role_required(PROCTOR, ADMIN)
@openapi("Pause the attempt", tags=TAG_PROCTOR,
         request=strict({"reason": REASON}))
def proctor_pause(attempt_id: int):
    attempt = proctoring.pause(db.session, _user(), attempt_id, _body().get("reason"))
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/resume")
@role_required(PROCTOR, ADMIN)
@openapi("Resume a paused attempt", tags=TAG_PROCTOR)
def proctor_resume(attempt_id: int):
    attempt = proctoring.resume(db.session, _user(), attempt_id)
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/add-time")
@role_required(PROCTOR, ADMIN)
@openapi("Grant extra time", tags=TAG_PROCTOR,
         request=strict({"seconds": {"type": "integer", "minimum": 1, "maximum": proctoring.MAX_EXTRA_TIME_S},
                         "reason": REASON}, "seconds", "reason"))
def proctor_add_time(attempt_id: int):
    body = _body()
    attempt = proctoring.add_time(db.session, _user(), attempt_id, body.get("seconds"), body.get("reason"))
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/terminate")
@role_required(PROCTOR, ADMIN)
@openapi("Terminate with a reason code (answers so far are scored)", tags=TAG_PROCTOR,
         request=strict({"reason_code": {"type": "string", "enum": list(proctoring.TERMINATION_REASONS)},
                         "note": {**REASON, "description": "required with reason_code other"}}, "reason_code"))
def proctor_terminate(attempt_id: int):
    body = _body()
    attempt = proctoring.terminate(db.session, _user(), attempt_id, body.get("reason_code"), body.get("note"))
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/void")
@role_required(PROCTOR, ADMIN)
@openapi("Void the attempt (it counts for nothing)", tags=TAG_PROCTOR,
         request=strict({"reason": REASON}, "reason"))
def proctor_void(attempt_id: int):
    attempt = proctoring.void(db.session, _user(), attempt_id, _body().get("reason"))
    db.session.commit()
    return _proctor_result(attempt)


@api.post("/proctor/attempts/<int:attempt_id>/notes")
@role_required(PROCTOR, ADMIN)
@openapi("Write an incident note", tags=TAG_PROCTOR,
         request=strict({"text": {"type": "string", "minLength": 1, "maxLength": 5000}}, "text"),
         responses={201: "id of the note"})
def proctor_note(attempt_id: int):
    note = proctoring.incident_note(db.session, _user(), attempt_id, _body().get("text"))
    db.session.commit()
    return jsonify({"id": note.id}), 201


@api.get("/proctor/termination-reasons")
@role_required(PROCTOR, ADMIN)
@openapi("The reason codes a termination may give", tags=TAG_PROCTOR)
def termination_reasons():
    return jsonify({"reasons": [{"code": k, "label": v} for k, v in proctoring.TERMINATION_REASONS.items()]})


# --- administration ------------------------------------------------------------------------

def _assessment_json(a) -> dict[str, Any]:
    return {"id": a.id, "code": a.code, "title": a.title, "competency": a.competency.code,
            "purpose": a.purpose, "mode": a.mode, "blueprint": a.blueprint, "time_limit_s": a.time_limit_s,
            "se_target": a.se_target, "min_items": a.min_items, "max_items": a.max_items,
            "pretest_count": a.pretest_count, "cut_scores": a.cut_scores,
            "percent_cut_scores": a.percent_cut_scores, "certifying_level": a.certifying_level,
            "navigation": a.navigation, "pause_policy": a.pause_policy, "proctoring": a.proctoring,
            "languages": a.languages, "bank_id": a.bank_id, "forms": len(a.forms)}


@api.get("/assessments")
@role_required(ADMIN, PSYCHOMETRICIAN)
@openapi("Every assessment", tags=TAG_ADMIN)
def list_assessments():
    from piaa.delivery.models import Assessment

    rows = db.session.scalars(select(Assessment).order_by(Assessment.code))
    return jsonify({"assessments": [_assessment_json(a) for a in rows]})


ASSESSMENT_FIELDS = ("title_hi", "se_target", "min_items", "max_items", "pretest_count",
                     "percent_cut_scores", "certifying_level", "navigation", "pause_policy",
                     "proctoring", "languages", "exposure_k", "confidence_threshold", "rating_tolerance")


def _cuts(low: float, high: float, where: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 5, "maxItems": 5, "items": {"type": "number", "minimum": low, "maximum": high},
            "description": f"where levels 1 to 5 begin ({where}), rising"}


NULLABLE_LEVEL = {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True}
ASSESSMENT_SCHEMA = strict({
    "code": {"type": "string", "minLength": 1, "maxLength": 64}, "title": {"type": "string", "minLength": 1},
    "title_hi": {"type": "string", "nullable": True}, "competency": {**TEXT, "description": "competency code"},
    "purpose": {"type": "string", "enum": list(assessment_service.PURPOSES)},
    "mode": {"type": "string", "enum": list(assessment_service.MODES)},
    "blueprint": {"type": "object", "description": "sub-area and level targets (checked by the service)"},
    "time_limit_s": {"type": "integer", "minimum": 60, "maximum": 6 * 3600},
    "cut_scores": _cuts(-6, 6, "θ"),
    "percent_cut_scores": {**_cuts(0, 100, "percent correct"), "nullable": True},
    "certifying_level": NULLABLE_LEVEL,
    "navigation": {"type": "string", "enum": list(assessment_service.NAVIGATIONS)},
    "pause_policy": {"type": "string", "enum": list(assessment_service.PAUSE_POLICIES)},
    # Each setting of the proctoring policy, of its default's type (the service checks only the names).
    "proctoring": strict({name: {"type": "boolean"} if isinstance(default, bool) else {"type": "number", "minimum": 0}
                          for name, default in assessment_service.PROCTORING_DEFAULTS.items()}),
    "languages": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)},
                  "description": "en and any others"},
    "exposure_k": {"type": "integer", "minimum": 1, "maximum": 20},
    "se_target": {"type": "number", "minimum": 0, "maximum": 2, "nullable": True},
    "min_items": {"type": "integer", "minimum": 1, "nullable": True},
    "max_items": {"type": "integer", "minimum": 1, "nullable": True},
    "pretest_count": {"type": "integer", "minimum": 0, "maximum": 20},
    "confidence_threshold": {"type": "number", "minimum": 0.5, "maximum": 1},
    "rating_tolerance": {"type": "number", "minimum": 0, "maximum": 100},
    "bank_id": {**ID, "nullable": True},
}, "code", "title", "competency", "purpose", "mode", "blueprint", "time_limit_s", "cut_scores")


@api.post("/assessments")
@role_required(ADMIN)
@openapi("Define an assessment", tags=TAG_ADMIN, request=ASSESSMENT_SCHEMA, responses={201: "the assessment"})
def create_assessment():
    body = _body()
    bank = None
    if body.get("bank_id") is not None:
        bank = db.session.get(ItemBank, _int(body["bank_id"], "bank_id"))
        if bank is None:
            raise Invalid(N_("no item bank {bank_id}"), field="bank_id", values={"bank_id": body['bank_id']})
    extra = {k: body[k] for k in ASSESSMENT_FIELDS if k in body}
    assessment = assessment_service.create_assessment(
        db.session, code=body.get("code"), title=body.get("title"), competency=body.get("competency"),
        purpose=body.get("purpose"), mode=body.get("mode"), blueprint=body.get("blueprint"),
        time_limit_s=body.get("time_limit_s"), cut_scores=body.get("cut_scores"), bank=bank,
        actor=_user(), **extra)
    db.session.commit()
    return jsonify(_assessment_json(assessment)), 201


@api.post("/assessments/<int:assessment_id>/forms")
@role_required(ADMIN)
@openapi("Assemble a fixed form (given item ids, or drawn by the blueprint disjoint from other forms)",
         tags=TAG_ADMIN, request=strict({"item_ids": {"type": "array", "minItems": 1, "maxItems": 500, "items": ID},
                                         "seed": {"type": "integer", "minimum": 0}}),
         responses={201: "number of the form and how many items it holds"})
def assemble_form(assessment_id: int):
    import numpy as np

    body = _body()
    assessment = assessment_service.get_assessment(db.session, assessment_id)
    item_ids = body.get("item_ids")
    if item_ids is not None and (not isinstance(item_ids, list)
                                 or not all(isinstance(i, int) and not isinstance(i, bool) for i in item_ids)):
        raise Invalid(N_("item_ids must be a list of item ids"), field="item_ids")
    seed = body.get("seed")
    if seed is not None and (_int(seed, "seed") < 0):
        raise Invalid(N_("seed must be a whole number of 0 or more, got {seed}"), field="seed", values={"seed": seed})
    form = forms.assemble_fixed_form(db.session, assessment, np.random.default_rng(seed), item_ids)
    db.session.commit()
    return jsonify({"number": form.number, "items": len(form.items)}), 201


@api.post("/cohorts")
@role_required(ADMIN)
@openapi("Create a cohort with its course, provider and members", tags=TAG_ADMIN,
         request=strict({
             "name": {"type": "string", "minLength": 1}, "course": TEXT, "provider": TEXT,
             "members": {"type": "array", "items": strict({"email": TEXT, "time_factor": {"type": "number"}}, "email")},
             "csv": {"type": "string", "description": "email,time_factor rows instead of members"}}, "name"),
         responses={201: "id, name and member count of the cohort"})
def create_cohort():
    body = _body()
    name, course, provider_name = (_text(body.get(field), field) for field in ("name", "course", "provider"))
    provider = None
    if provider_name:
        provider = db.session.scalar(select(Organisation).where(Organisation.name == provider_name))
        if provider is None:
            raise Invalid(N_("no organisation named {provider_name}"), field="provider",
                          values={"provider_name": repr(provider_name)})
    cohort = assessment_service.create_cohort(db.session, name=name, course=course,
                                              provider=provider, actor=_user())
    members = body.get("members") or []
    if body.get("csv"):
        assessment_service.import_cohort_csv(db.session, cohort, str(body["csv"]), actor=_user())
    elif members:
        lines = ["email,time_factor"] + [f"{m.get('email', '')},{m.get('time_factor', 1)}"
                                         for m in members if isinstance(m, dict)]
        assessment_service.import_cohort_csv(db.session, cohort, "\n".join(lines), actor=_user(),
                                             file="members")
    db.session.commit()
    return jsonify({"id": cohort.id, "name": cohort.name, "members": len(cohort.enrolments)}), 201


def _when(value: Any, field: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise Invalid(N_("{field} must be an ISO 8601 time, got {value}"), field=field,
                      values={"field": field, "value": repr(value)}) from None


@api.post("/windows")
@role_required(ADMIN)
@openapi("Open an assessment to a cohort between two times", tags=TAG_ADMIN,
         request=strict({"assessment_id": ID, "cohort_id": ID,
                         "opens_at": {"type": "string", "format": "date-time"},
                         "closes_at": {"type": "string", "format": "date-time"},
                         "name": {"type": "string", "maxLength": 200}, "access_code": TEXT,
                         "max_attempts": {"type": "integer", "minimum": 1, "maximum": 10},
                         "proctors": {"type": "array", "items": {**TEXT, "description": "a proctor's e-mail"}}},
                        "assessment_id", "cohort_id", "opens_at", "closes_at"),
         responses={201: "id and name of the window"})
def create_window():
    from piaa.delivery.models import Cohort

    body = _body()
    assessment = assessment_service.get_assessment(db.session, _int(body.get("assessment_id"), "assessment_id"))
    cohort = db.session.get(Cohort, _int(body.get("cohort_id"), "cohort_id"))
    if cohort is None:
        raise NotFound(N_("no cohort {cohort_id}"), values={"cohort_id": body.get('cohort_id')})
    proctors = []
    for email in body.get("proctors") or []:
        user = db.session.scalar(select(User).where(User.email == str(email).lower()))
        if user is None:
            raise Invalid(N_("no account with e-mail {email}"), field="proctors", values={"email": repr(email)})
        proctors.append(user)
    window = assessment_service.create_window(
        db.session, assessment=assessment, cohort=cohort, opens_at=_when(body.get("opens_at"), "opens_at"),
        closes_at=_when(body.get("closes_at"), "closes_at"), name=body.get("name"),
        access_code=body.get("access_code"), max_attempts=body.get("max_attempts", 1),
        proctors=proctors, actor=_user())
    db.session.commit()
    return jsonify({"id": window.id, "name": window.name}), 201


@api.post("/attempts/<int:attempt_id>/rescore")
@role_required(PSYCHOMETRICIAN, ADMIN)
@openapi("Rescore a scored attempt with the active parameters (recorded with its reason)",
         tags=TAG_ADMIN, request=strict({"reason": {"type": "string", "minLength": 1}}, "reason"))
def rescore(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(N_("no attempt {attempt_id}"), values={"attempt_id": attempt_id})
    score = scoring.rescore(db.session, attempt, actor=_user(), reason=_body().get("reason"))
    db.session.commit()
    return jsonify({"attempt": attempt.id, "score": score.number, "method": score.method,
                    "theta": score.theta, "se": score.se, "level": score.level,
                    "parameter_set_id": score.parameter_set_id})
