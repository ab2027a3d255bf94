"""JSON export: a bank folder (``bank.json`` plus one item file per competency), or its zip."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from piaa.items.bank_format import MANIFEST_NAME


def _item_files(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        files.setdefault(f"items/{item['competency']}.json", []).append(item)
    return files


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def folder_files(bank: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, str]:
    """``{relative path: JSON text}`` of the bank folder."""
    files = _item_files(items)
    manifest = {**bank, "item_files": sorted(files)}
    return {MANIFEST_NAME: _dump(manifest), **{path: _dump(group) for path, group in files.items()}}


def write(bank: dict[str, Any], items: list[dict[str, Any]], out: Path) -> None:
    """Into the folder ``out`` (created), or a zip of it if ``out`` ends in .zip."""
    files = folder_files(bank, items)
    if out.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, text in files.items():
                archive.writestr(path, text)
        out.write_bytes(buffer.getvalue())
        return
    for path, text in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
