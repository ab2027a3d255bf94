"""The JSON API under /api/v1: blueprint factory, JSON errors and the OpenAPI document."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from piaa.errors import DomainError
from piaa.i18n import N_

API_PREFIX = "/api/v1"


def api_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint whose routes live under /api/v1 and answer errors as JSON."""
    return Blueprint(name, import_name, url_prefix=API_PREFIX + url_prefix)


def openapi(summary: str, *, request: dict | None = None, responses: dict | None = None,
            tags: list[str] | None = None, parameters: list[dict] | None = None,
            max_body_bytes: int | None = None,
            request_problems: Callable[[Any], list[dict]] | None = None) -> Callable:
    """Document an API view; the document at /api/v1/openapi.json is built from these.

    What is documented here is also enforced before the view runs, so the document and the
    behaviour cannot drift apart: the JSON body against the ``request`` schema
    (``piaa.request_bodies``), and the query parameters: a value outside a parameter's
    ``enum``, or not a whole number where an integer is documented, is refused (422).
    ``max_body_bytes`` bounds what is read of the body below the service's own limit (413);
    ``request_problems(body)`` adds an operation's own checks to a refusal (see ``BodySchema``).
    """
    from piaa.request_bodies import BodySchema, check_request_body

    query = [p for p in parameters or [] if p.get("in") == "query"]
    body = BodySchema(request, request_problems) if request else None

    def mark(view: Callable) -> Callable:
        if query or body:
            inner = view

            @wraps(inner)
            def view(*args, **kwargs):
                if query:
                    check_query(query)
                if body:
                    check_request_body(body, max_body_bytes)
                return inner(*args, **kwargs)

        view._request_body = body
        view._openapi = {"summary": summary, "request": request, "responses": responses or {},
                         "tags": tags or [], "parameters": parameters or []}
        return view

    return mark


def strict(properties: dict[str, Any], *required: str, **more: Any) -> dict[str, Any]:
    """The schema of an object of exactly these fields (an unknown one is refused by name):
    what a request body is, unless the operation says why it takes others."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False, **more}
    if required:
        schema["required"] = list(required)
    return schema


def check_query(parameters: list[dict]) -> None:
    """:raise Invalid: if a query value breaks its documented schema (``enum``, integer with
    ``minimum``/``maximum``), or a required one is missing, each problem named by its
    parameter as a body's are by their path (``piaa.request_bodies``)."""
    from piaa.request_bodies import body_refused

    problems = []
    for parameter in parameters:
        name, schema = parameter["name"], parameter.get("schema", {})
        value = request.args.get(name)
        if value is None:
            if parameter.get("required"):
                problems.append({"field": name, "message": "is required"})
            continue
        if schema.get("type") == "integer":
            if not value.lstrip("-").isdigit() or len(value) > 18:
                problems.append({"field": name, "message": f"must be a whole number, got {value[:40]!r}"})
                continue
            number = int(value)
            if number < schema.get("minimum", number) or number > schema.get("maximum", number):
                problems.append({"field": name, "message": f"must be between {schema.get('minimum', '-')} "
                                                           f"and {schema.get('maximum', '-')}, got {number}"})
        if "enum" in schema and value not in schema["enum"]:
            problems.append({"field": name, "message": f"must be one of {', '.join(map(str, schema['enum']))}, "
                                                       f"got {value[:40]!r}"})
    if problems:
        raise body_refused(problems)


def request_object() -> dict[str, Any]:
    """The request's JSON body.

    :raise Invalid: if it is not a JSON object.
    """
    from piaa.errors import Invalid

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(N_("the request body must be a JSON object"))
    return data


def iso_time(moment) -> str | None:
    """An aware ISO 8601 time (UTC) for a response, None for None."""
    from piaa.clock import as_utc

    return as_utc(moment).isoformat() if moment else None


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def wants_json_errors() -> bool:
    """The API, and the few JSON endpoints outside it (``/verify.json``), answer errors as JSON."""
    return is_api_request() or request.path.endswith(".json")


def error_response(status: int, code: str, message: str, field: str | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify({"error": body}), status


def register_error_handlers(app: Flask) -> None:
    """API callers always get ``{"error": {...}}``, never an HTML page or a stack trace."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        from piaa.extensions import db

        db.session.rollback()
        if wants_json_errors():
            body = exc.to_dict()
            # A page's script shows the message to its reader (the sitting's "Could not save: ...");
            # callers with a token get it as raised, in English, like every other field.
            if not g.get("authenticated_by_token"):
                body["error"]["message"] = exc.in_language()
            return jsonify(body), exc.status
        from flask import render_template

        return render_template("error.html", error=exc, status=exc.status), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json_errors():
            code = (exc.name or "error").lower().replace(" ", "_")
            response, status = error_response(exc.code or 500, code, exc.description or exc.name)
            for name, value in exc.get_headers():  # Allow on a 405, Retry-After, ...
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response, status
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        from piaa.extensions import db
        from piaa.errors import Invalid
        from piaa.input_bounds import is_number_out_of_range, is_text_with_nul

        db.session.rollback()
        if is_number_out_of_range(exc):  # a number read by hand from a query or a form
            return domain_error(Invalid(N_("a number in the request is out of range"), code="number_out_of_range"))
        if is_text_with_nul(exc):
            return domain_error(Invalid(N_("text in the request holds the NUL character"), code="text_with_nul"))
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json_errors():
            return error_response(500, "internal_error", "The service failed; the error is logged.")
        from flask import render_template

        return render_template("error.html", error=None, status=500), 500


def _path_template(rule: str) -> tuple[str, list[dict]]:
    """Turn Flask's ``/x/<int:id>`` into OpenAPI's ``/x/{id}`` with its parameters."""
    import re

    params = []

    def repl(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def openapi_document(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, "_openapi", None)
        path, path_params = _path_template(rule.rule[len(API_PREFIX):] or "/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {"operationId": f"{rule.endpoint}_{method.lower()}",
                                  "summary": doc["summary"] if doc else rule.endpoint,
                                  "parameters": path_params + (doc["parameters"] if doc else []),
                                  "responses": {"default": {"$ref": "#/components/responses/Error"}}}
            if doc:
                op["tags"] = doc["tags"]
                for status, description in doc["responses"].items():
                    op["responses"][str(status)] = {"description": description}
                if doc["request"]:
                    op["requestBody"] = {"content": {"application/json": {"schema": doc["request"]}}}
            if "200" not in op["responses"] and "201" not in op["responses"]:
                op["responses"]["200"] = {"description": "OK"}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "PIAA API", "version": "1",
                 "description": "Proctored, Independent, Authorised Assessment service."},
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "responses": {"Error": {"description": "An error",
                                    "content": {"application/json": {"schema": {
                                        "$ref": "#/components/schemas/Error"}}}}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "field": {"type": "string"}}}}}},
        },
        "security": [{"bearer": []}, {"session": []}],
    }


meta = api_blueprint("api_meta", __name__)


def _public(view: Callable) -> Callable:
    view._public = True  # same marker as piaa.accounts.auth.public, without the import cycle
    return view


@meta.get("/openapi.json")
@_public
@openapi("This document: the OpenAPI 3 description of the API", tags=["meta"])
def openapi_json():
    from flask import current_app

    return jsonify(openapi_document(current_app))
