"""Importing a bank file into the database, all or nothing, and exporting a bank.

``import_path`` reads any supported source (bank folder or its zip, CSV, XLSX, QTI item file,
QTI content package), checks every item before writing any (the bank format's checks, then
the dictionary and the bank's existing items), and creates the bank, its agency and its items
through the items services in the caller's transaction. A refusal raises ``Invalid`` listing
every problem by file, row, item and field; the caller rolls back, so nothing is stored.

``import_job`` is the same as a background job (``piaa.jobs.enqueue``), for large files and
web uploads: a refusal is its result (``{"ok": false, "problems": [...]}``), not a crash.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import ADMIN, AGENCY, User
from piaa.errors import Forbidden, Invalid, NotFound, format_problem, found_problem
from piaa.i18n import N_
from piaa.items import bank_format
from piaa.items.bank_format import ParsedBank, problem, refuse
from piaa.items.importers import folder, qti, tabular

SOURCE_KINDS = {".csv": "csv", ".xlsx": "xlsx", ".xml": "qti", ".zip": "zip", ".json": "json"}
DEFAULT_LANGUAGES = ["en", "hi"]


@dataclass
class ImportOptions:
    """What the user says where the file does not (command-line options, upload form)."""

    bank: str | None = None
    agency: str | None = None
    competency: str | None = None
    level: int | None = None
    state: str | None = None
    skip_unsupported: bool = False
    refuse_losses: bool = False  # an item that cannot be kept whole is refused, not imported


@dataclass
class ImportReport:
    source: str
    kind: str
    bank: str
    agency: str
    state: str
    created_bank: bool = False
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    losses: list[dict[str, Any]] = field(default_factory=list)  # what imported items lost

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **asdict(self)}

    def summary(self) -> str:
        parts = [f"{len(self.imported)} imported as {self.state}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already in the bank unchanged")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        lossy = {loss.get("item") for loss in self.losses}
        if lossy:
            parts.append(f"{len(lossy)} imported with something not kept (listed)")
        made = " (new bank)" if self.created_bank else ""
        return f"{self.source} -> bank {self.bank!r}{made}: " + ", ".join(parts)


# --- reading any source ----------------------------------------------------------------------

def read_source(path: Path, display: str | None = None) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """Parse ``path`` by its kind; returns the parsed bank and the file-level problems."""
    display = display or path.name
    if path.is_dir():
        if (path / bank_format.MANIFEST_NAME).is_file():
            return folder.read_bank_folder(path)
        if (path / qti.MANIFEST_FILE).is_file():
            return qti.read_qti_path(path, display)
        return ParsedBank(), [problem(N_("the folder holds neither {bank_manifest} nor {qti_manifest}"), file=display,
                                      values={"bank_manifest": bank_format.MANIFEST_NAME,
                                              "qti_manifest": qti.MANIFEST_FILE})]
    if not path.is_file():
        return ParsedBank(), [problem(N_("no such file"), file=display)]
    kind = SOURCE_KINDS.get(path.suffix.lower())
    if kind in ("csv", "xlsx"):
        return tabular.read_tabular(path, display)
    if kind == "qti":
        return qti.read_qti_path(path, display)
    if kind == "zip":
        data = path.read_bytes()
        if folder.is_bank_zip(data):
            with tempfile.TemporaryDirectory(prefix="piaa-bank-") as scratch:
                return folder.read_bank_zip(data, display, Path(scratch))
        return qti.read_qti_file(data, display)
    if kind == "json":
        return _read_json_source(path, display)
    return ParsedBank(), [problem(N_("cannot import a {suffix} file; give a bank folder, .csv, .xlsx, a QTI .xml "
                                     "or a .zip"), file=display, values={"suffix": path.suffix or N_("suffix-less")})]


def _read_json_source(path: Path, display: str) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """``bank.json`` means its folder; a JSON list is one item file on its own."""
    data, problems = bank_format.read_json(path, display)
    if problems:
        return ParsedBank(kind="json"), problems
    if isinstance(data, dict) and data.get("format") == bank_format.BANK_FORMAT:
        return folder.read_bank_folder(path.parent)
    if not isinstance(data, list):
        return ParsedBank(kind="json"), [problem(N_("a JSON source is a bank.json or a list of items"),
                                                 file=display)]
    parsed = ParsedBank(kind="json")
    for position, item in enumerate(data, start=1):
        parsed.add(item, file=display, row=position)
    return parsed, []


# --- checking against the database -----------------------------------------------------------

def _apply_defaults(parsed: ParsedBank, options: ImportOptions) -> None:
    for item in parsed.items:
        if isinstance(item, dict):
            if options.competency and not item.get("competency"):
                item["competency"] = options.competency
            if options.level is not None and item.get("level") is None:
                item["level"] = options.level


def _languages(parsed: ParsedBank, bank) -> list[str]:
    if bank is not None:
        return list(bank.languages)
    if parsed.languages:
        return list(parsed.languages)
    return DEFAULT_LANGUAGES


def _dictionary_problems(session: Session, parsed: ParsedBank) -> list[dict[str, Any]]:
    from piaa.items.models import BEHAVIOURAL, Competency
    from piaa.items.types import ITEM_TYPES

    codes = {i.get("competency") for i in parsed.items if isinstance(i, dict)}
    codes = {c for c in codes if isinstance(c, str)}
    known = dict(session.execute(select(Competency.code, Competency.type)
                                 .where(Competency.code.in_(codes))).all()) if codes else {}
    found = []
    for item, source in zip(parsed.items, parsed.sources):
        if not isinstance(item, dict) or not isinstance(item.get("competency"), str):
            continue
        code, item_id = item["competency"], item.get("id")
        if code not in known:
            found.append(problem(N_("unknown competency {code} (not in the dictionary)"),
                                 item=item_id, field="competency", values={"code": repr(code)}, **source))
        elif getattr(ITEM_TYPES.get(item.get("type")), "polytomous", False) and known[code] != BEHAVIOURAL \
                and not ITEM_TYPES[item["type"]].human_rated:  # a rated essay suits any competency
            found.append(problem(N_("{type} items are for behavioural competencies; {code} is {competency_type}"),
                                 item=item_id, field="type", **source,
                                 values={"type": item["type"], "code": code, "competency_type": known[code]}))
    return found


def _existing(session: Session, bank, parsed: ParsedBank) -> tuple[set[str], list[dict[str, Any]]]:
    """Ids already in the bank: identical ones are left alone, different ones refused."""
    from piaa.items.models import Item
    from piaa.items.services import item_to_bank_json

    if bank is None:
        return set(), []
    ids = [i.get("id") for i in parsed.items if isinstance(i, dict) and isinstance(i.get("id"), str)]
    stored = {item.code: item for item in session.scalars(
        select(Item).where(Item.bank_id == bank.id, Item.code.in_(ids)))} if ids else {}
    unchanged, found = set(), []
    for item, source in zip(parsed.items, parsed.sources):
        if not isinstance(item, dict) or item.get("id") not in stored:
            continue
        held = stored[item["id"]]
        if _same(item_to_bank_json(held), item):
            unchanged.add(item["id"])
        else:
            found.append(problem(N_("bank {bank} already holds item {item_id} ({state}) with other content; "
                                    "change it in the bank (that makes a new version) or give the new item "
                                    "another id"), item=item["id"], field="id", **source,
                                 values={"bank": repr(bank.name), "item_id": item["id"], "state": held.state}))
    return unchanged, found


def _same(stored: dict[str, Any], incoming: dict[str, Any]) -> bool:
    try:
        return bank_format.canonical_item(_without_blanks(stored)) == \
            bank_format.canonical_item(_without_blanks(incoming))
    except (KeyError, TypeError, ValueError):
        return False


def _without_blanks(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def _located(found: list[dict[str, Any]], parsed: ParsedBank) -> list[dict[str, Any]]:
    """Spreadsheet problems name the column to mend, not the JSON path."""
    if parsed.kind not in ("csv", "xlsx"):
        return found
    by_row = {s.get("row"): i for i, s in zip(parsed.items, parsed.sources)}
    located = []
    for p in found:
        item = by_row.get(p.get("row"))
        if isinstance(item, dict) and p.get("field"):
            p = {**p, "field": tabular.field_to_column(p["field"], item)}
            if p["message"] == "missing accepted":
                p["message"] = "missing key (the accepted answers, separated by ';')"
        located.append(p)
    return located


# --- the import ------------------------------------------------------------------------------

def _resolve_owner(session: Session, parsed: ParsedBank, options: ImportOptions,
                   actor: User | None, display: str) -> tuple[Any, str, str, list[dict[str, Any]]]:
    from piaa.items.services import find_bank

    name = options.bank or parsed.name
    if not name:
        return None, "", "", [problem(N_("name the bank (--bank, or the bank field of the upload form)"),
                                      file=display, field="bank")]
    bank = find_bank(session, name)
    agency = options.agency or parsed.agency or (bank.organisation.name if bank else None)
    found = []
    if bank is None and not agency:
        found.append(problem(N_("bank {bank} is new: name its agency (--agency)"), file=display,
                             field="agency", values={"bank": repr(name)}))
    if bank is not None and agency and agency != bank.organisation.name:
        found.append(problem(N_("bank {bank} belongs to {owner}, not {agency}"), file=display, field="agency",
                             values={"bank": repr(name), "owner": repr(bank.organisation.name),
                                     "agency": repr(agency)}))
    if actor is not None and actor.role != ADMIN:
        own = actor.organisation.name if actor.organisation else None
        if agency and agency != own:
            found.append(problem(N_("you may import into your own agency's banks only ({own})"),
                                 file=display, field="agency", values={"own": str(own)}))
    return bank, name, agency or "", found


def check_import(session: Session, parsed: ParsedBank, file_problems: list[dict[str, Any]],
                 options: ImportOptions, actor: User | None, display: str):
    """Every problem the import would meet, without writing anything.

    Returns ``(bank or None, bank name, agency name, ids already held unchanged)``.
    :raise Invalid: listing every problem, if there is any.
    """
    _apply_defaults(parsed, options)
    bank, name, agency, problems = _resolve_owner(session, parsed, options, actor, display)
    problems = list(file_problems) + problems
    state = options.state or parsed.state or "draft"
    if state not in bank_format.LOAD_STATES:
        problems.append(problem(N_("state must be one of {states}, got {state}"), file=display, field="state",
                                values={"states": ", ".join(bank_format.LOAD_STATES), "state": repr(state)}))
    if options.refuse_losses:
        _refuse_lossy(parsed)
    item_checks = bank_format.items_problems(parsed.items, parsed.sources, _languages(parsed, bank))
    item_checks += _dictionary_problems(session, parsed)
    unchanged, conflicts = _existing(session, bank, parsed)
    item_problems = _located(item_checks + conflicts, parsed)
    if options.skip_unsupported:
        item_problems = _skip_items(parsed, item_problems)
    problems += item_problems
    if parsed.unsupported and not options.skip_unsupported:
        problems += [{**p, "message": p["message"] + " (--skip-unsupported imports the others)"}
                     for p in parsed.unsupported]
    if not parsed.items and not problems:
        problems.append(problem(N_("no items to import: all {n_items} items were skipped"), file=display,
                                values={"n_items": len(parsed.unsupported)}) if parsed.unsupported
                        else problem(N_("no items to import"), file=display))
        problems += parsed.unsupported
    refuse(problems, display)
    return bank, name, agency, unchanged


def _refuse_lossy(parsed: ParsedBank) -> None:
    """Items that lost something on conversion become unsupported, each loss its reason."""
    lossy = {loss.get("item") for loss in parsed.losses}
    kept = [(i, s) for i, s in zip(parsed.items, parsed.sources) if i.get("id") not in lossy]
    parsed.unsupported += [found_problem(N_("cannot be kept whole: {loss}"), {"loss": loss["message"]},
                                         **{k: v for k, v in loss.items() if k not in ("message", "template", "values")})
                           for loss in parsed.losses]
    parsed.items, parsed.sources = [i for i, _ in kept], [s for _, s in kept]
    parsed.losses = []


def _skip_items(parsed: ParsedBank, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Skip each item a problem names, one by one; return the problems that name no item."""
    def names(p: dict[str, Any], item: Any, source: dict[str, Any]) -> bool:
        if any(p.get(k) != v for k, v in source.items()):
            return False
        return p.get("item") is None or (isinstance(item, dict) and p.get("item") == item.get("id"))

    remaining, bad = [], set()
    for p in found:
        hits = [i for i, (item, source) in enumerate(zip(parsed.items, parsed.sources))
                if source and names(p, item, source)]
        if hits and (p.get("item") is not None or len(hits) == 1):
            bad.update(hits)
            parsed.unsupported.append(p)
        else:
            remaining.append(p)
    keep = [i for i in range(len(parsed.items)) if i not in bad]
    skipped_ids = {parsed.items[i].get("id") for i in bad if isinstance(parsed.items[i], dict)}
    parsed.items = [parsed.items[i] for i in keep]
    parsed.sources = [parsed.sources[i] for i in keep]
    parsed.losses = [loss for loss in parsed.losses if loss.get("item") not in skipped_ids]
    return remaining


def import_parsed(session: Session, parsed: ParsedBank, file_problems: list[dict[str, Any]], *,
                  display: str, options: ImportOptions | None = None,
                  actor: User | None = None) -> ImportReport:
    """Check everything, then create the bank (and agency) if new and every item.

    Never commits: the caller commits once, or rolls back on an error.
    :raise Invalid: listing every problem; nothing has been written then.
    """
    from piaa.accounts.services import get_or_create_organisation
    from piaa.items import services
    from piaa.jobs import report_progress

    options = options or ImportOptions()
    bank, name, agency, unchanged = check_import(session, parsed, file_problems, options, actor, display)
    todo = [item for item in parsed.items if item["id"] not in unchanged]
    report_progress(0, len(todo))
    state = options.state or parsed.state or "draft"
    report = ImportReport(source=display, kind=parsed.kind, bank=name, agency=agency, state=state,
                          skipped=list(parsed.unsupported), notices=list(parsed.notices),
                          losses=[loss for loss in parsed.losses
                                  if loss.get("item") not in unchanged])
    if bank is None:
        organisation = get_or_create_organisation(session, agency, AGENCY)
        languages = [lang for lang in (parsed.languages or _item_languages(parsed)) if lang]
        bank = services.create_bank(session, name=name, organisation=organisation,
                                    description=parsed.description, languages=languages, actor=actor)
        report.created_bank = True
    elif actor is not None:
        services.require_bank_role(actor, bank, "author")
    report.unchanged = sorted(unchanged)
    services.create_items_from_bank_json(session, bank, todo, actor=actor, state=state,
                                         progress=report_progress)
    _store_media(session, parsed, todo)
    report.imported = [item["id"] for item in todo]
    return report


def _store_media(session: Session, parsed: ParsedBank, items: list[dict[str, Any]]) -> None:
    """The media files the imported items refer to, stored with them."""
    from piaa.items.exporters.qti3 import media_of
    from piaa.items.media import store_media

    # the bodies' files, and each hotspot's picture (the widget's, not the body's), in parts too
    used = {sha for item in items for sha in media_of(item)}
    store_media(session, {sha: f for sha, f in parsed.media.items() if sha in used})


def _item_languages(parsed: ParsedBank) -> list[str]:
    """A new bank without a manifest speaks the languages its stems are written in."""
    seen = {lang for item in parsed.items if isinstance(item.get("stem"), dict) for lang in item["stem"]}
    return ["en"] + sorted(seen - {"en"})


def import_path(session: Session, path: Path | str, *, display: str | None = None,
                options: ImportOptions | None = None, actor: User | None = None) -> ImportReport:
    """Import a bank folder, CSV, XLSX, QTI file or zip; see the module docstring."""
    path = Path(path)
    display = display or path.name
    parsed, file_problems = read_source(path, display)
    return import_parsed(session, parsed, file_problems, display=display, options=options, actor=actor)


def import_job(path: str, display: str | None = None, options: dict[str, Any] | None = None,
               actor_id: int | None = None, remove_after: bool = False) -> dict[str, Any]:
    """Background form of ``import_path`` (run by ``piaa.jobs``); commits its own work.

    Returns the report as a dict, or ``{"ok": False, "problems": [...]}`` on refusal.
    """
    from piaa.extensions import db
    from piaa.jobs import report_progress

    session = db.session
    actor = session.get(User, actor_id) if actor_id is not None else None
    try:
        report = import_path(session, Path(path), display=display,
                             options=ImportOptions(**(options or {})), actor=actor)
        session.commit()
        report_progress(len(report.imported), len(report.imported))
        return report.to_dict()
    except (Invalid, Forbidden, NotFound) as exc:
        session.rollback()
        return {"ok": False, "message": exc.message,
                "problems": exc.problems or [{"message": exc.message}],
                "problem_count": getattr(exc, "problem_count", len(exc.problems) or 1)}
    finally:
        if remove_after:
            Path(path).unlink(missing_ok=True)


# --- listing and exporting -------------------------------------------------------------------

def bank_items(session: Session, bank) -> list[dict[str, Any]]:
    """Every item of ``bank`` except retired ones, in the bank format, by id."""
    from piaa.items.models import RETIRED, Item
    from piaa.items.services import item_to_bank_json

    items = session.scalars(select(Item).where(Item.bank_id == bank.id, Item.state != RETIRED)
                            .order_by(Item.code))
    return [_without_blanks(item_to_bank_json(item)) for item in items]


def bank_facts(bank) -> dict[str, Any]:
    return {"format": bank_format.BANK_FORMAT, "name": bank.name, "agency": bank.organisation.name,
            "description": bank.description or "", "languages": list(bank.languages)}


def export_bank(session: Session, bank_name: str, fmt: str, out: Path) -> dict[str, Any]:
    """Write ``bank_name`` as ``qti3`` (zip), ``csv``/``xlsx`` or ``json`` (a bank folder, or
    its zip when ``out`` ends in .zip). Returns what was written.

    :raise NotFound: if there is no such bank.
    :raise Invalid: if the items cannot be written in that format (e.g. CSV option ids).
    """
    from piaa.items.exporters import bank_folder, qti3
    from piaa.items.exporters import tabular as tabular_out
    from piaa.items.services import find_bank

    bank = find_bank(session, bank_name)
    if bank is None:
        raise NotFound(N_("no item bank named {bank_name}"), field="bank", values={"bank_name": repr(bank_name)})
    items = bank_items(session, bank)
    facts = bank_facts(bank)
    out = Path(out)
    if fmt == "qti3":
        qti3.write_package(facts, items, str(out), media=lambda sha: _stored_media(session, sha))
    elif fmt in ("csv", "xlsx"):
        tabular_out.write(items, out, facts["languages"], fmt)
    elif fmt == "json":
        bank_folder.write(facts, items, out)
    else:
        raise Invalid(N_("export format must be qti3, csv, xlsx or json, got {fmt}"), field="format",
                      values={"fmt": repr(fmt)})
    return {"bank": bank.name, "format": fmt, "items": len(items), "out": str(out)}


def _stored_media(session: Session, sha256: str) -> tuple[bytes, str] | None:
    from piaa.items.media import load_media

    found = load_media(session, sha256)
    return (found.data, found.content_type) if found is not None else None


# --- the sample banks ------------------------------------------------------------------------

def sample_banks_dir() -> Path:
    """``item_banks/`` beside the package in a checkout, else in the working directory."""
    beside = Path(__file__).resolve().parents[2] / "item_banks"
    return beside if beside.is_dir() else Path.cwd() / "item_banks"


def load_sample_banks(session: Session, users: list | None = None, *,
                      root: Path | None = None, echo=print) -> dict[str, str]:
    """Demo step: the competency dictionary, then every bank folder not loaded yet.

    Each bank is all or nothing inside a savepoint, so one faulty folder is reported and
    the others still load. Returns ``{bank folder: outcome}``.
    """
    from piaa.items import services

    root = root or sample_banks_dir()
    dictionary = root / bank_format.COMPETENCIES_FILE
    if dictionary.is_file():
        records = services.read_competency_file(dictionary)
        report = services.import_competencies(session, records, filename=dictionary.name)
        echo(f"competency dictionary: {report.summary()}")
    outcomes: dict[str, str] = {}
    for folder_path in sorted(p for p in root.iterdir() if (p / bank_format.MANIFEST_NAME).is_file()):
        manifest, problems = bank_format.read_json(folder_path / bank_format.MANIFEST_NAME, folder_path.name)
        name = manifest.get("name") if isinstance(manifest, dict) else None
        if name and services.find_bank(session, name) is not None:
            outcomes[folder_path.name] = "already loaded"
            echo(f"{folder_path.name}: already loaded")
            continue
        savepoint = session.begin_nested()
        try:
            report = import_path(session, folder_path)
            savepoint.commit()
            outcomes[folder_path.name] = report.summary()
            echo(report.summary())
        except Invalid as exc:
            savepoint.rollback()
            outcomes[folder_path.name] = f"refused: {exc.message}"
            echo(f"{folder_path.name}: {outcomes[folder_path.name]}")
            for found in exc.problems[:20]:
                echo(f"  {format_problem(found)}")
    return outcomes
