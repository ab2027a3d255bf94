"""CSV and XLSX items: one row per item, in the columns of the documented template.

The columns (see item_banks/README.md, "Spreadsheet template"):

    id, type, competency, level, sub_area,
    stem_<lang>, option_<X>_<lang>, option_<X>_credit, key, partial_credit,
    case_sensitive, collapse_spaces, tolerance, unit, rationale_<lang>, reference

``<lang>`` is a language code (en, hi), ``<X>`` an option letter A..H; the option's id is the
letter. The ``key`` cell carries the key in the type's own form: ``B`` (single choice),
``A;C`` (multiple response), ``C;A;B`` (ordering), ``true`` (true/false), ``42.5`` (numeric),
``Section Officer; SO=0.5`` (text entry: accepted answers, each with an optional ``=credit``).
Polytomous items leave ``key`` empty and give ``option_<X>_credit``.

Rows become bank-format items; problems name the file, the spreadsheet row (the header is
row 1) and the column.
"""
from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator

from piaa.i18n import N_
from piaa.items.bank_format import ParsedBank, problem

OPTION_LETTERS = "ABCDEFGH"
LANGUAGE = r"[a-z]{2,3}"
SINGLE_COLUMNS = ("id", "type", "competency", "level", "sub_area", "key", "partial_credit",
                  "case_sensitive", "collapse_spaces", "tolerance", "unit", "reference")
REQUIRED_COLUMNS = ("id", "type", "stem_en")
_TEXT_COLUMN = re.compile(rf"^(stem|rationale)_({LANGUAGE})$")
_OPTION_COLUMN = re.compile(rf"^option_([{OPTION_LETTERS}])_({LANGUAGE}|credit)$")
ITEMS_SHEET = "items"
# Rows per file: the largest import benchmarked (benchmarks/bank_import.py) runs in well under
# a minute; a larger bank is several files. Past this the file is refused before any check.
MAX_ROWS = 20_000
LIST_SEPARATOR = re.compile(r"\s*[;,]\s*")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")


def template_columns(languages: Iterable[str] = ("en", "hi"), letters: str = OPTION_LETTERS[:5],
                     credits: bool = True) -> list[str]:
    """The template's header: every column, in the documented order."""
    languages = list(languages)
    columns = ["id", "type", "competency", "level", "sub_area"]
    columns += [f"stem_{lang}" for lang in languages]
    for letter in letters:
        columns += [f"option_{letter}_{lang}" for lang in languages]
        if credits:
            columns.append(f"option_{letter}_credit")
    columns += ["key", "partial_credit", "case_sensitive", "collapse_spaces", "tolerance", "unit"]
    columns += [f"rationale_{lang}" for lang in languages]
    columns.append("reference")
    return columns


def column_problems(header: list[Any], file: str) -> list[dict[str, Any]]:
    """Unknown, duplicate and missing columns, each named."""
    found = []
    seen: set[str] = set()
    for position, raw in enumerate(header, start=1):
        name = _clean_header(raw)
        if not name:
            continue
        if name in seen:
            found.append(problem(N_("column {name} appears twice"), file=file, row=1, field=name,
                                 values={"name": repr(name)}))
        seen.add(name)
        if not (name in SINGLE_COLUMNS or _TEXT_COLUMN.match(name) or _OPTION_COLUMN.match(name)):
            written = str(raw).strip().lstrip("\ufeff")
            template = N_("unknown column {name} (column {position}) (the file seems to use ';' between "
                          "columns: save it with commas); see the template") if ";" in name else \
                N_("unknown column {name} (column {position}); see the template")
            found.append(problem(template, file=file, row=1, field=written,
                                 values={"name": repr(written), "position": position}))
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            found.append(problem(N_("missing column {name}"), file=file, row=1, field=name,
                                 values={"name": repr(name)}))
    return found


def _clean_header(raw: Any) -> str:
    """Header names are case-blind, except that option letters are capitals (ids)."""
    if raw is None:
        return ""
    name = str(raw).strip().lstrip("\ufeff").strip().lower()
    return re.sub(r"^option_([a-z])_", lambda m: f"option_{m.group(1).upper()}_", name)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store 2 as 2.0
    return str(value).strip()


# --- cells to fields -------------------------------------------------------------------------

class _Row:
    """One spreadsheet row and the problems found while reading it."""

    def __init__(self, cells: dict[str, Any], file: str, number: int):
        self.cells, self.file, self.number = cells, file, number
        self.problems: list[dict[str, Any]] = []
        self.item_id = _cell_text(cells.get("id")) or None

    def text(self, column: str) -> str:
        return _cell_text(self.cells.get(column))

    def fail(self, column: str, message: str) -> None:
        self.problems.append(problem(message, file=self.file, row=self.number, item=self.item_id,
                                     field=column))

    def integer(self, column: str) -> int | None:
        raw = self.cells.get(column)
        text = self.text(column)
        if not text:
            return None
        if isinstance(raw, bool):
            self.fail(column, f"must be a whole number, got {raw!r}")
            return None
        try:
            number = float(text)
        except ValueError:
            self.fail(column, f"must be a whole number, got {text!r}")
            return None
        if not number.is_integer():
            self.fail(column, f"must be a whole number, got {text!r}")
            return None
        return int(number)

    def decimal(self, column: str) -> float | int | None:
        raw, text = self.cells.get(column), self.text(column)
        if not text:
            return None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return raw
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            self.fail(column, f"must be a number, got {text!r}")
            return None
        return int(value) if value.is_integer() and "." not in text else value

    def boolean(self, column: str) -> bool | None:
        raw, text = self.cells.get(column), self.text(column).lower()
        if isinstance(raw, bool):
            return raw
        if not text:
            return None
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.fail(column, f"must be true or false, got {self.text(column)!r}")
        return None


@lru_cache(maxsize=4096)
def _language_of(pattern: str, column: str) -> str | None:
    """The language a column holds for a text pattern (cached: asked for every row)."""
    match = re.match(pattern, column)
    return match.group(1) if match else None


def _texts(row: _Row, pattern: str) -> dict[str, str]:
    found = {}
    for column in row.cells:
        lang = _language_of(pattern, column)
        if lang and row.text(column):
            found[lang] = row.text(column).replace("\r\n", "\n")
    return found


def _options(row: _Row) -> list[dict[str, Any]]:
    options = []
    for letter in OPTION_LETTERS:
        text = _texts(row, rf"^option_{letter}_({LANGUAGE})$")
        credit_column = f"option_{letter}_credit"
        credit = row.integer(credit_column) if credit_column in row.cells else None
        if not text and credit is None:
            continue
        option: dict[str, Any] = {"id": letter, "text": text}
        if credit is not None:
            option["credit"] = credit
        options.append(option)
    return options


def _accepted(row: _Row) -> list[dict[str, Any]]:
    accepted = []
    for part in row.text("key").split(";"):
        part = part.strip()
        if not part:
            continue
        value, credit = part, 1.0
        match = re.match(r"^(.*\S)\s*=\s*([0-9]*\.?[0-9]+)$", part)
        if match:
            value, credit = match.group(1), float(match.group(2))
        accepted.append({"value": value, "credit": credit})
    return accepted


def _key(row: _Row, kind: str) -> Any:
    text = row.text("key")
    if not text:
        return None
    if kind in ("single_choice",):
        return text
    if kind in ("multiple_response", "ordering"):
        return [part for part in LIST_SEPARATOR.split(text) if part]
    if kind == "true_false":
        return row.boolean("key")
    if kind == "numeric_entry":
        return row.decimal("key")
    return text  # a key where none belongs: the item check names it


def row_to_item(row: _Row) -> dict[str, Any]:
    """A bank-format item from one row; cells that are empty stay out of the item."""
    kind = row.text("type").lower()
    item: dict[str, Any] = {"id": row.text("id"), "type": kind}
    if row.text("competency"):
        item["competency"] = row.text("competency")
    level = row.integer("level")
    if level is not None:
        item["level"] = level
    if row.text("sub_area"):
        item["sub_area"] = row.text("sub_area")
    item["stem"] = _texts(row, rf"^stem_({LANGUAGE})$")
    options = _options(row)
    if options:
        item["options"] = options
    if kind == "text_entry":
        if row.text("key"):
            item["accepted"] = _accepted(row)
    else:
        key = _key(row, kind)
        if key is not None:
            item["key"] = key
    for flag in ("partial_credit", "case_sensitive", "collapse_spaces"):
        value = row.boolean(flag)
        if value is not None:
            item[flag] = value
    tolerance = row.decimal("tolerance")
    if tolerance is not None:
        item["tolerance"] = tolerance
    if row.text("unit"):
        item["unit"] = row.text("unit")
    rationale = _texts(row, rf"^rationale_({LANGUAGE})$")
    if rationale:
        item["rationale"] = rationale
    if row.text("reference"):
        item["reference"] = row.text("reference")
    return item


def field_to_column(field: str | None, item: dict[str, Any]) -> str | None:
    """Name the spreadsheet column for a problem's JSON path (``options[1].text.hi`` ->
    ``option_B_hi``), so a spreadsheet author is told the cell to mend."""
    if not field:
        return field
    match = re.match(r"^options\[(\d+)\](?:\.(text)\.(\w+)|\.(credit|id))?", field)
    if match:
        index = int(match.group(1))
        options = item.get("options") or []
        letter = options[index]["id"] if index < len(options) and isinstance(options[index], dict) \
            else OPTION_LETTERS[index] if index < len(OPTION_LETTERS) else str(index)
        if match.group(3):
            return f"option_{letter}_{match.group(3)}"
        if match.group(4) == "credit":
            return f"option_{letter}_credit"
        return f"option_{letter}"
    match = re.match(r"^(stem|rationale)\.(\w+)$", field)
    if match:
        return f"{match.group(1)}_{match.group(2)}"
    if field.startswith("accepted"):
        return "key"  # text entry: the key cell lists the accepted answers
    if field in ("stem", "rationale"):
        return f"{field}_en"
    return field


# --- files -----------------------------------------------------------------------------------

def _rows_to_bank(header: list[Any], rows: Iterator[tuple[int, list[Any]]], file: str, kind: str) -> tuple[ParsedBank, list[dict[str, Any]]]:
    problems = column_problems(header, file)
    bank = ParsedBank(kind=kind)
    if problems:
        return bank, problems
    names = [_clean_header(h) for h in header]
    for number, values in rows:
        if number - 1 > MAX_ROWS:
            return ParsedBank(kind=kind), [problem(
                N_("the file has more than {max_rows} rows; split it into files of at most {max_rows} items"),
                file=file, values={"max_rows": f"{MAX_ROWS:,}"})]
        if all(_cell_text(v) == "" for v in values):
            continue  # blank lines between groups of items are harmless
        if len(values) > len(names) and any(_cell_text(v) for v in values[len(names):]):
            problems.append(problem(N_("row has {n_cells} cells but the header has {n_columns} columns "
                                       "(a comma inside a text needs quotes)"), file=file, row=number,
                                    values={"n_cells": len(values), "n_columns": len(names)}))
            continue
        cells = {name: value for name, value in zip(names, values) if name}
        row = _Row(cells, file, number)
        item = row_to_item(row)
        problems.extend(row.problems)
        bank.add(item, file=file, row=number)
    if not bank.items and not problems:
        problems.append(problem(N_("the file has a header but no items"), file=file))
    return bank, problems


def read_csv(data: bytes, file: str) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """Items from CSV bytes (UTF-8, with or without the byte-order mark Excel writes)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParsedBank(kind="csv"), [problem(
            N_("not UTF-8 text (byte {byte}); save the sheet as 'CSV UTF-8'"), file=file, values={"byte": exc.start})]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return ParsedBank(kind="csv"), [problem(N_("the file is empty"), file=file)]
        rows = list(islice(enumerate(reader, start=2), MAX_ROWS + 1))
    except csv.Error as exc:
        return ParsedBank(kind="csv"), [problem(N_("malformed CSV: {reason}"), file=file, values={"reason": str(exc)})]
    return _rows_to_bank(header, iter(rows), file, "csv")


UNREADABLE_XLSX = N_("not a readable XLSX workbook ({reason})")


def read_xlsx(data: bytes, file: str) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """Items from the ``items`` sheet of an XLSX workbook (or its first sheet)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    from piaa.items.importers.archive import ArchiveRefused, open_archive

    try:
        open_archive(data).close()  # an XLSX is a zip: its stated sizes are checked first
    except ArchiveRefused as exc:
        return ParsedBank(kind="xlsx"), [problem(UNREADABLE_XLSX, file=file, values={"reason": str(exc)})]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        return ParsedBank(kind="xlsx"), [problem(UNREADABLE_XLSX, file=file, values={"reason": str(exc)})]
    try:
        sheet = workbook[ITEMS_SHEET] if ITEMS_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return ParsedBank(kind="xlsx"), [problem(N_("the sheet is empty"), file=file)]
        header = list(header)
        while header and header[-1] is None:
            header.pop()
        numbered = ((n, list(values)) for n, values in enumerate(rows, start=2))
        return _rows_to_bank(header, numbered, file, "xlsx")
    finally:
        workbook.close()


def read_tabular(path: Path, display: str | None = None) -> tuple[ParsedBank, list[dict[str, Any]]]:
    display = display or path.name
    data = path.read_bytes()
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(data, display)
    return read_csv(data, display)
