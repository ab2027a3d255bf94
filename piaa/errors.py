"""Domain errors raised by services, and how the web and API tiers show them."""
from __future__ import annotations

from typing import Any, Iterable


MAX_MESSAGE = 500


def shorten(text: Any, limit: int = MAX_MESSAGE) -> str:
    """``text`` as a string of at most ``limit`` characters, saying how long it was if cut."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _shortened(problem: Any) -> Any:
    """A problem (a plain message, or a dict with a ``message``) with its message cut short."""
    if isinstance(problem, str):
        return shorten(problem)
    if isinstance(problem, dict) and isinstance(problem.get("message"), str):
        return {**problem, "message": shorten(problem["message"])}
    return problem


def found_problem(template: str, values: dict[str, Any] | None = None, **where: Any) -> dict[str, Any]:
    """A problem (``file``, ``row``, ``field`` in ``where``) whose message is a marked text with
    ``{name}`` placeholders: it reads filled in, in English (the API, the command line), and a
    page shows it in the reader's language from its ``template`` and ``values``."""
    values = values or {}
    return {**where, "message": template.format(**values), "template": template, "values": values}


def for_the_api(problem: Any) -> Any:
    """A problem as the API sends it: without the page's ``template`` and ``values``."""
    if isinstance(problem, dict) and "template" in problem:
        return {k: v for k, v in problem.items() if k not in ("template", "values")}
    return problem


def _filled(values: dict[str, Any], translate=None) -> dict[str, Any]:
    """Placeholder values as shown: a list of codes reads "a or b", each translated when asked."""
    def shown(value):
        if isinstance(value, (list, tuple)):
            words = [shown(v) for v in value]
            return (translate(" or ") if translate else " or ").join(words)
        return translate(value) if translate and isinstance(value, str) else value

    return {name: shown(value) for name, value in values.items()}


def problem_in_language(problem: Any) -> str:
    """A problem's message as a page shows it: from its ``template`` and ``values`` in the
    reader's language (values that are codes, such as a state, read as their words where the
    catalogue has them), else its message looked up as written."""
    from piaa.i18n import gettext

    if isinstance(problem, dict) and "template" in problem:
        return shorten(gettext(problem["template"], **_filled(problem.get("values") or {}, gettext)))
    return gettext(problem["message"] if isinstance(problem, dict) else problem)


class DomainError(Exception):
    """A rule of the service was broken; carries what the user needs to mend it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 problems: list[dict[str, Any]] | None = None, values: dict[str, Any] | None = None):
        # With ``values``, ``message`` is an English text with ``{name}`` placeholders that a
        # page shows in the reader's language (``in_language``); the API sends it filled in.
        self.template, self.values = message, values or {}
        message = shorten(message.format(**_filled(self.values)) if values else message)
        super().__init__(message)
        self.message = message
        self.field = shorten(field, 100) if field else field
        self.problems = [_shortened(p) for p in problems or []]
        if code:
            self.code = code

    def in_language(self) -> str:
        """The message in the reader's language where the catalogue has it, else as raised."""
        from piaa.i18n import gettext

        return shorten(gettext(self.template, **_filled(self.values, gettext))) if self.values else gettext(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.problems:
            body["problems"] = [for_the_api(p) for p in self.problems]
        return {"error": body}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    """Input that cannot be accepted; ``problems`` lists each one by file, row, item and field."""

    status = 422
    code = "invalid"


def json_path(parts: Iterable[Any]) -> str:
    """Where a problem is in a JSON document: ``options[2].text.en``."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def listed(problems: list[dict[str, Any]]) -> str:
    """Problems on one line, each after its field: ``key: ...; options: ...``."""
    return "; ".join(f"{p['field']}: {p['message']}" for p in problems)


def format_problem(problem: dict[str, Any]) -> str:
    """One line per problem, saying where first: ``bank.csv row 4, field key: ...``."""
    where = []
    if problem.get("file"):
        where.append(str(problem["file"]))
    if problem.get("row") is not None:
        where.append(f"row {problem['row']}")
    if problem.get("item"):
        where.append(f"item {problem['item']}")
    if problem.get("field"):
        where.append(f"field {problem['field']}")
    prefix = ", ".join(where)
    return f"{prefix}: {problem['message']}" if prefix else problem["message"]
