"""Bank folders (``bank.json`` plus item files) and the competency dictionary file.

A folder may also arrive as a zip of that folder (the web upload), with the manifest at the
top or one folder down.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from piaa.items.bank_format import (MANIFEST_NAME, ParsedBank,
                                    competencies_problems, manifest_problems, problem, read_json,
                                    refuse)
from piaa.items.importers.archive import ArchiveRefused, extract, open_archive


def read_bank_folder(folder: Path) -> tuple[ParsedBank, list[dict[str, Any]]]:
    """The manifest and every item file of ``folder``; problems name the file (relative to
    the folder's parent, e.g. ``aso-office/items/level1.json``) and the item's position."""
    prefix = folder.name
    manifest, problems = read_json(folder / MANIFEST_NAME, f"{prefix}/{MANIFEST_NAME}")
    if problems:
        return ParsedBank(kind="folder"), problems
    problems = manifest_problems(manifest, f"{prefix}/{MANIFEST_NAME}")
    if problems:
        return ParsedBank(kind="folder"), problems
    bank = ParsedBank(name=manifest["name"], agency=manifest["agency"],
                      description=manifest.get("description", ""),
                      languages=manifest.get("languages", ["en"]),
                      state=manifest.get("state", "draft"), kind="folder")
    for relative in manifest["item_files"]:
        display = f"{prefix}/{relative}"
        path = (folder / relative).resolve()
        if folder.resolve() not in path.parents:
            problems.append(problem("item file lies outside the bank folder", file=display))
            continue
        items, file_problems = read_json(path, display)
        problems.extend(file_problems)
        if file_problems:
            continue
        if not isinstance(items, list):
            problems.append(problem("an item file must hold a JSON list of items", file=display))
            continue
        for position, item in enumerate(items, start=1):
            # For a JSON list the "row" is the item's position in it (1-based).
            bank.add(item, file=display, row=position)
    return bank, problems


def read_bank_zip(data: bytes, display: str, scratch: Path) -> tuple[ParsedBank, list[dict]]:
    """A zipped bank folder: unpacked into ``scratch`` (a fresh directory) within the
    archive limits of ``piaa.items.importers.archive``, then read."""
    try:
        with open_archive(data) as zipped:
            extract(zipped, scratch)
    except ArchiveRefused as exc:
        return ParsedBank(kind="folder"), [problem(str(exc), file=display)]
    manifests = sorted(p for p in scratch.rglob(MANIFEST_NAME) if len(p.relative_to(scratch).parts) <= 2)
    if len(manifests) != 1:
        return ParsedBank(kind="folder"), [problem(
            f"the archive must hold one {MANIFEST_NAME} at its top or one folder down, "
            f"found {len(manifests)}", file=display)]
    return read_bank_folder(manifests[0].parent)


def is_bank_zip(data: bytes) -> bool:
    """A zip holding a bank manifest (and no QTI ``imsmanifest.xml``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            names = [PurePosixPath(n).name for n in zipped.namelist()]
    except zipfile.BadZipFile:
        return False
    return MANIFEST_NAME in names and "imsmanifest.xml" not in names


def read_competencies(path: Path, display: str | None = None) -> list[dict[str, Any]]:
    """The competency dictionary's entries, checked against its schema.

    :raise Invalid: listing every problem, if the file is not a sound dictionary.
    """
    display = display or path.name
    data, problems = read_json(path, display)
    if not problems:
        problems = competencies_problems(data, display)
    refuse(problems, f"the competency dictionary {display}")
    return data["competencies"]
