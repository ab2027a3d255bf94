"""CSV and XLSX export: one row per item in the columns of the import template.

Reading the written file back with ``piaa.items.importers.tabular`` gives the same items.
Options are columns ``option_A`` .. ``option_H``, so items whose option ids are other than
those letters cannot be written as rows; they are refused by name (use json or qti3).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.bank_format import PACKAGE_ONLY_TYPES
from piaa.items.importers.tabular import ITEMS_SHEET, OPTION_LETTERS, template_columns


def _key_cell(item: dict[str, Any]) -> Any:
    kind = item["type"]
    if kind == "text_entry":
        return "; ".join(a["value"] if a.get("credit", 1.0) == 1.0 else f"{a['value']}={a['credit']:g}"
                         for a in item["accepted"])
    key = item.get("key")
    if isinstance(key, list):
        return ";".join(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else key


def _flag(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def item_row(item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": item["id"], "type": item["type"], "competency": item["competency"],
                           "level": item["level"], "sub_area": item.get("sub_area", "")}
    for name in ("stem", "rationale"):
        for lang, text in (item.get(name) or {}).items():
            row[f"{name}_{lang}"] = text
    for option in item.get("options") or []:
        for lang, text in option["text"].items():
            row[f"option_{option['id']}_{lang}"] = text
        if "credit" in option:
            row[f"option_{option['id']}_credit"] = option["credit"]
    row["key"] = _key_cell(item)
    for name in ("partial_credit", "case_sensitive", "collapse_spaces"):
        row[name] = _flag(item.get(name))
    row["tolerance"] = item.get("tolerance", "")
    unit = item.get("unit")
    row["unit"] = unit.get("en", "") if isinstance(unit, dict) else (unit or "")
    row["reference"] = item.get("reference", "")
    return row


def _columns(items: list[dict[str, Any]], languages: Iterable[str]) -> list[str]:
    wanted = max((len(i.get("options") or []) for i in items), default=0)
    return template_columns(languages, OPTION_LETTERS[:max(wanted, 2)])


def _refuse_unwritable(items: list[dict[str, Any]]) -> None:
    problems = []
    for item in items:
        if item.get("type") in PACKAGE_ONLY_TYPES:
            problems.append({"item": item["id"], "field": "type",
                             "message": f"a {item['type']} item has no spreadsheet row; export as json"})
            continue
        if item.get("scoring") or item.get("key_missing"):
            what = "is scored by its own QTI processing" if item.get("scoring") else "has no key yet"
            problems.append({"item": item["id"], "field": "scoring" if item.get("scoring") else "key_missing",
                             "message": f"the item {what}, which a spreadsheet row cannot carry; "
                                        "export as json or qti3"})
            continue
        bad = [o["id"] for o in item.get("options") or [] if o["id"] not in OPTION_LETTERS]
        if bad:
            problems.append({"item": item["id"], "field": "options",
                             "message": f"option ids {', '.join(bad)} are not letters A-H, "
                                        "which spreadsheet columns need; export as json or qti3"})
        if isinstance(item.get("unit"), dict) and set(item["unit"]) != {"en"}:
            problems.append({"item": item["id"], "field": "unit",
                             "message": N_("a unit in several languages has one spreadsheet cell; "
                                        "export as json or qti3")})
    if problems:
        raise Invalid(N_("{n_problems} item(s) cannot be written as spreadsheet rows"),
                      problems=problems,
                      values={"n_problems": len(problems)})


def rows(items: list[dict[str, Any]], languages: Iterable[str]) -> tuple[list[str], list[list[Any]]]:
    _refuse_unwritable(items)
    columns = _columns(items, languages)
    return columns, [[item_row(item).get(c, "") for c in columns] for item in items]


def csv_text(items: list[dict[str, Any]], languages: Iterable[str]) -> str:
    columns, body = rows(items, languages)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(body)
    return buffer.getvalue()


def xlsx_bytes(items: list[dict[str, Any]], languages: Iterable[str],
               guide: list[tuple[str, str]] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns, body = rows(items, languages)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ITEMS_SHEET
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in body:
        sheet.append([v if v != "" else None for v in values])
    sheet.freeze_panes = "A2"
    if guide:
        notes = workbook.create_sheet("guide")
        notes.append(["column", "what to write"])
        for row in guide:
            notes.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write(items: list[dict[str, Any]], out: Path, languages: Iterable[str], fmt: str = "csv") -> None:
    if fmt == "xlsx" or out.suffix.lower() == ".xlsx":
        out.write_bytes(xlsx_bytes(items, languages))
    else:
        # BOM: Excel then opens the Devanagari text as UTF-8
        out.write_text(csv_text(items, languages), encoding="utf-8-sig")
