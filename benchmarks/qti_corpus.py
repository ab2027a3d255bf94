"""How much of a corpus of QTI items written by others PIAA imports, and why the rest is refused.

Every QTI 2.x / 3.0 assessment item file under the corpus folder (manifests, tests, response
templates and stimuli are left aside) is read as a single item file would be, with the files
beside it for its media, then checked against the bank format as an import checks it (with a
placeholder competency and level, which a single item file gets from the importer's options).
Each item then gets one outcome:

* ``imported``: converted and sound, nothing lost;
* ``imported, losses listed``: converted and sound, with what was not kept named per item;
* ``refused: <reason>``: sound QTI PIAA cannot take, the reason grouped;
* ``invalid: <field>``: converted but failing the bank-format checks (an importer fault);
* ``malformed``: not well-formed XML or not a QTI item.

An imported item is also written out as a QTI 3.0 package and read back: ``round trip`` counts
those that come back with the same type and keys (the checks ``tests/items`` make on PIAA's own
items, here on the corpus). With the official schemas at hand (``PIAA_QTI3_XSD_DIR`` and
``PIAA_QTI3_ITEM_XSD``, as for ``tests/items/test_export.py``; see
``piaa/items/schemas/QTI3-SCHEMAS.md``), the package's manifest and item are validated too, and
an export the schemas refuse counts as a failed round trip with the schema's first complaint.

"Delivered" items are those whose interactions are all ones PIAA delivers (the importer's
``DELIVERED_INTERACTIONS``, end-attempt buttons aside); the issue's target is 85% of them.
Of those, the items scored from one submission with fixed values (not adaptive, no template
processing) are counted apart: an adaptive or templated item cannot be one item of a sitting.
Files with identical bytes are counted once.

    python benchmarks/qti_corpus.py CORPUS_FOLDER [--list REASON_SUBSTRING] [--json OUT]

The 1EdTech ``qti-examples`` repository is the corpus the target is set on; its licence does
not allow copying its files here, so it is read from wherever it was unpacked.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import os
import re
import zipfile
import sys
from collections import Counter, defaultdict
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from piaa.items import bank_format  # noqa: E402
from piaa.items.exporters import qti3  # noqa: E402
from piaa.items.importers import qti  # noqa: E402

ITEM_ROOTS = {"assessmentItem", "qti-assessment-item"}
# What tells one item's keys: the fields a re-import must give back unchanged.
KEY_FIELDS = ("type", "key", "accepted", "tolerance", "options", "sources", "targets", "areas",
              "partial_credit", "parts", "rubric", "max_points", "scoring", "mapping", "choices", "lower",
              "upper", "step", "max_choices", "max_associations")


def item_files(corpus: Path) -> list[Path]:
    """Every assessment item file under ``corpus``, once per distinct content."""
    seen: set[str] = set()
    found = []
    for path in sorted(corpus.rglob("*.xml")):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        try:
            root = etree.fromstring(data, qti._SAFE_PARSER)
        except etree.XMLSyntaxError:
            if re.search(rb"<(qti-assessment-item|assessmentItem)\b", data[:4000]):
                found.append(path)
                seen.add(digest)
            continue
        if etree.QName(root).localname in ITEM_ROOTS:
            found.append(path)
            seen.add(digest)
    return found


def one_submission(data: bytes) -> bool:
    """The item is scored from one submission with fixed values: not adaptive, no template
    processing (which no single sitting of fixed items can reproduce)."""
    try:
        root = etree.fromstring(data, qti._SAFE_PARSER)
    except etree.XMLSyntaxError:
        return True
    if etree.QName(root).namespace in qti.QTI2_NAMESPACES:
        qti._to_qti3_names(root)
    return not qti._bool(root.get("adaptive"), False) and not qti._descendants(root, "qti-template-processing")


def interactions(data: bytes) -> list[str]:
    """The QTI 3.0 names of the interactions in an item (end-attempt buttons aside)."""
    try:
        root = etree.fromstring(data, qti._SAFE_PARSER)
    except etree.XMLSyntaxError:
        return []
    if etree.QName(root).namespace in qti.QTI2_NAMESPACES:
        qti._to_qti3_names(root)
    names = [qti._name(e) for e in root.iter(etree.Element) if qti._name(e).endswith("-interaction")]
    return [n for n in names if n not in qti.IGNORED_INTERACTIONS]


def reason_group(message: str) -> str:
    """A refusal's reason without what is particular to one item (names, numbers, values)."""
    message = re.sub(r"^cannot be imported: ", "", message)
    message = message.split("; ")[0]  # the first reason names the group; the rest is detail
    message = re.sub(r"\s*\((?:qti-[a-z-]+(?:, )?)+\)", "", message)
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    message = re.sub(r"\{.*\}|\[.*\]", "…", message)
    message = re.sub(r"(?<![A-Za-z])-?\d+(\.\d+)?", "N", message)
    return message[:150]


def same_keys(before: dict, after: dict) -> bool:
    a = bank_format.canonical_item(before)
    b = bank_format.canonical_item(after)
    return all(a.get(k) == b.get(k) for k in KEY_FIELDS)


@functools.cache
def official_schemas() -> tuple[etree.XMLSchema, etree.XMLSchema] | None:
    """The QTI 3.0 package and item schemas, where the environment names copies of them."""
    folder, item_xsd = os.environ.get("PIAA_QTI3_XSD_DIR"), os.environ.get("PIAA_QTI3_ITEM_XSD")
    if not (folder and item_xsd):
        return None
    package = etree.XMLSchema(etree.parse(str(Path(folder) / "imsqtiv3p0_imscpv1p2_v1p0.xsd")))
    return package, etree.XMLSchema(etree.parse(item_xsd))


def schema_complaint(package: bytes) -> str | None:
    """The first thing the official schemas refuse in an exported package, if they are at hand."""
    schemas = official_schemas()
    if schemas is None:
        return None
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            schema = schemas[0] if name == "imsmanifest.xml" else schemas[1] if name.startswith("items/") else None
            if schema is not None and not schema.validate(etree.fromstring(archive.read(name))):
                return f"export breaks the QTI 3.0 schema: {schema.error_log.last_error.message}"
    return None


def round_trip(item: dict, media: dict) -> str | None:
    """None when the item's QTI 3.0 export imports again to the same keys, else why not."""
    def load(sha: str):
        found = media.get(sha)
        return (found.data, found.content_type) if found is not None else None

    try:
        package = qti3.package_bytes({"name": "corpus"}, [item], load)
    except Exception as exc:  # noqa: BLE001 - any failure is the figure being measured
        return f"export failed: {exc}"
    complaint = schema_complaint(package)
    if complaint:
        return complaint
    parsed, problems = qti.read_qti_file(package, "re-export.zip")
    if problems or parsed.unsupported or len(parsed.items) != 1:
        return f"re-import failed: {(problems or parsed.unsupported or [{'message': 'no item'}])[0]['message']}"
    return None if same_keys(item, parsed.items[0]) else "re-import changed the keys"


def outcome_of(path: Path, data: bytes) -> tuple[str, str, list[str], str | None]:
    """(outcome, detail, losses, round-trip failure) of one item file."""
    try:
        converted = qti.read_item(data, str(path), {}, qti._folder_resolver(path.parent))
    except qti.Malformed as exc:
        return "malformed", str(exc), [], None
    except qti.Unsupported as exc:
        return "refused", reason_group(str(exc)), [], None
    item = {**converted.item, "competency": "CORPUS", "level": 1}
    lang = next(iter(item["stem"]), "en") if isinstance(item.get("stem"), dict) else "en"
    languages = sorted({"en", lang})
    found = bank_format.item_problems(item, languages=languages)
    if found:
        first = found[0]
        return "invalid", f"{first.get('field')}: {reason_group(first['message'])}", converted.losses, None
    outcome = "imported, losses listed" if converted.losses else "imported"
    return outcome, item["type"], converted.losses, round_trip(item, converted.media)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder holding the QTI items (searched recursively)")
    parser.add_argument("--list", metavar="TEXT", help="list the files whose outcome or reason contains TEXT")
    parser.add_argument("--json", metavar="OUT", type=Path, help="write every file's outcome as JSON")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a folder")

    files = item_files(args.corpus)
    delivered = set(getattr(qti, "DELIVERED_INTERACTIONS", qti.SUPPORTED_INTERACTIONS))
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    types: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    trips: Counter[str] = Counter()
    by_interaction: dict[str, Counter[str]] = defaultdict(Counter)
    delivered_total = delivered_imported = single_total = single_imported = 0
    rows = []
    for path in files:
        data = path.read_bytes()
        outcome, detail, lost, trip = outcome_of(path, data)
        names = interactions(data)
        is_delivered = bool(names) and all(n in delivered for n in names)
        imported = outcome.startswith("imported")
        delivered_total += is_delivered
        delivered_imported += is_delivered and imported
        if is_delivered and one_submission(data):
            single_total += 1
            single_imported += imported
        outcomes[outcome] += 1
        group = "several interactions" if len(names) > 1 else (names[0] if names else "no interaction")
        by_interaction[group]["imported" if imported else "not"] += 1
        if imported:
            types[detail] += 1
            trips["same keys" if trip is None else reason_group(trip)] += 1
            for loss in lost:
                losses[reason_group(loss)] += 1
        else:
            reasons[f"{outcome}: {detail}"] += 1
        rows.append({"file": str(path.relative_to(args.corpus)), "outcome": outcome, "detail": detail,
                     "interactions": names, "delivered": is_delivered, "losses": lost,
                     "round_trip": trip or "same keys" if imported else None})

    def table(title: str, counter: Counter[str]) -> None:
        print(f"\n{title}")
        for name, count in counter.most_common():
            print(f"  {count:5d}  {name}")

    total = len(files)
    imported = sum(v for k, v in outcomes.items() if k.startswith("imported"))
    print(f"QTI corpus: {args.corpus}")
    print(f"item files (distinct): {total}")
    print(f"imported: {imported} ({imported / max(total, 1):.1%} of all items)")
    print(f"items whose interactions PIAA delivers: {delivered_total}; imported {delivered_imported} "
          f"({delivered_imported / max(delivered_total, 1):.1%})")
    print(f"  of which scored from one submission (not adaptive, no template processing): {single_total}; "
          f"imported {single_imported} ({single_imported / max(single_total, 1):.1%})")
    table("outcome", outcomes)
    table("not imported, by reason", reasons)
    table("imported, by PIAA type", types)
    table("losses listed on imported items (one item may have several)", losses)
    table("re-export as QTI 3.0 and import again", trips)
    print("\nby interaction (imported / not)")
    for name, counts in sorted(by_interaction.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"  {counts['imported']:5d} / {counts['not']:<5d} {name}")
    if args.list:
        print(f"\nfiles matching {args.list!r}")
        for row in rows:
            if args.list in f"{row['outcome']}: {row['detail']}" or \
                    any(args.list in loss for loss in row["losses"]) or args.list in (row["round_trip"] or ""):
                print(f"  {row['file']}: {row['outcome']}: {row['detail']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
