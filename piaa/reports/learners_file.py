"""A file of matched learners from elsewhere: read it, check every row, or refuse it whole.

One row per matched learner and competency, with the columns of :data:`REQUIRED` (others are
ignored, except the optional ones of :data:`OPTIONAL`). Every problem is reported by file, row
(the line number a spreadsheet shows, header = 1) and field, through :class:`piaa.errors.Invalid`;
nothing is returned for a file with any problem.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from piaa.errors import Invalid, found_problem
from piaa.i18n import N_

REQUIRED = ("learner", "course", "provider", "mdo", "competency",
            "pre_theta", "pre_se", "post_theta", "post_se")
NUMBERS = ("pre_theta", "pre_se", "post_theta", "post_se")
#: Levels before and after (0..5), the course's target level and the position's required level
#: (1..5); empty cells mean unknown.
OPTIONAL = ("pre_level", "post_level", "target_level", "required_level")
TEXT = ("learner", "course", "provider", "mdo", "competency")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class MatchedLearners:
    """Matched learners as columns: label columns are object arrays of strings (or, from the
    fast read, :class:`pandas.Categorical` of strings), the numeric ones float arrays;
    optional level columns are float arrays with NaN for unknown."""

    learner: np.ndarray
    course: np.ndarray
    provider: np.ndarray
    mdo: np.ndarray
    competency: np.ndarray
    pre_theta: np.ndarray
    pre_se: np.ndarray
    post_theta: np.ndarray
    post_se: np.ndarray
    pre_level: np.ndarray
    post_level: np.ndarray
    target_level: np.ndarray
    required_level: np.ndarray

    def __len__(self) -> int:
        return int(self.pre_theta.shape[0])


def read_learners(path: Path | str) -> MatchedLearners:
    """Read and check ``path``: a typed read first (fast, little memory); a file it refuses
    is read again as text, to name each problem's row and field.

    :raise Invalid: naming file, row and field of each problem (up to 20), if the file is
        missing, lacks a column, has text in a number column, a negative or missing SE, an
        empty label, a level outside 0..5, or the same learner and competency twice.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise Invalid(N_("{name}: no such file"), problems=[{"file": name, "message": N_("no such file")}],
                      values={"name": name})
    fast = _read_arrow(path)
    if fast is None:
        fast = _read_typed(path)
    if fast is not None:
        return fast
    return _read_as_text(path)


def _header(path: Path) -> tuple[list[str], list[str]] | None:
    """The required and optional columns the file has under their exact names, or None when
    a required one is missing or spelt differently (the text read names it)."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    if any(c not in header for c in REQUIRED) or len(set(header)) != len(header):
        return None
    return list(REQUIRED), [c for c in OPTIONAL if c in header]


def _read_arrow(path: Path) -> MatchedLearners | None:
    """The typed read with Arrow's multithreaded CSV reader (about twice as fast as pandas'
    C reader at a million rows); None if pyarrow is missing or anything needs a closer look.
    Label columns stay dictionary-encoded (:class:`pandas.Categorical`)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    import pandas as pd

    columns = _header(path)
    if columns is None:
        return None
    required, optional = columns
    types = {c: pa.dictionary(pa.int32(), pa.string()) for c in TEXT if c != "learner"}
    types.update({"learner": pa.string(), **{c: pa.float64() for c in NUMBERS + tuple(optional)}})
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=required + optional, strings_can_be_null=False,
            null_values=[""]))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    if table.num_rows == 0:
        return None
    numbers = _checked_numbers(lambda c: table[c].to_numpy(), optional, table.num_rows)
    if numbers is None:
        return None
    labels = {}
    for c in TEXT:
        if c == "learner":
            continue
        column = table[c].unify_dictionaries().combine_chunks()
        categories = column.dictionary.to_pylist()
        if any(v != v.strip() or v == "" for v in categories):
            return None
        labels[c] = pd.Categorical.from_codes(column.indices.to_numpy(zero_copy_only=False),
                                              categories=categories)
    learner = table["learner"]
    if pc.any(pc.match_substring_regex(learner, r"^\s|\s$|^$")).as_py():
        return None
    learner_codes = pc.dictionary_encode(learner).combine_chunks().indices.to_numpy(zero_copy_only=False)
    if _repeats(learner_codes, labels["competency"].codes):
        return None
    labels["learner"] = learner.to_numpy()
    return MatchedLearners(**labels, **numbers)


def _checked_numbers(column, optional: list[str], n: int) -> dict[str, np.ndarray] | None:
    """The numeric columns (``column(name)`` gives one) as float arrays, or None if a θ or SE
    is missing or not finite, an SE is negative, or a level lies outside its range."""
    numbers = {c: np.asarray(column(c), dtype=float) for c in NUMBERS}
    if not all(np.isfinite(v).all() for v in numbers.values()):
        return None
    if (numbers["pre_se"] < 0).any() or (numbers["post_se"] < 0).any():
        return None
    for c in OPTIONAL:
        values = np.asarray(column(c), dtype=float) if c in optional else np.full(n, np.nan)
        low = 0 if c in ("pre_level", "post_level") else 1
        known = values[np.isfinite(values)]
        if ((known < low) | (known > 5) | (known != np.round(known))).any():
            return None
        numbers[c] = values
    return numbers


def _repeats(learner_codes, competency_codes) -> bool:
    """Whether a (learner, competency) pair occurs twice."""
    import pandas as pd

    competency = np.asarray(competency_codes, dtype=np.int64)
    key = np.asarray(learner_codes, dtype=np.int64) * (int(competency.max(initial=0)) + 1) + competency
    return bool(pd.Series(key).duplicated().any())


def _read_typed(path: Path) -> MatchedLearners | None:
    """The file read with typed columns, or None if anything in it needs a closer look."""
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        present = {str(c).strip().lower(): c for c in header}
        if any(c not in present or present[c] != c for c in REQUIRED):
            return None
        optional = [c for c in OPTIONAL if present.get(c) == c]
        dtypes = {**{c: "category" for c in TEXT if c != "learner"}, "learner": str,
                  **{c: "float64" for c in NUMBERS + tuple(optional)}}
        frame = pd.read_csv(path, usecols=list(REQUIRED) + optional, dtype=dtypes,
                            keep_default_na=False, na_values={c: [""] for c in optional},
                            encoding="utf-8-sig", engine="c")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError):
        return None
    numbers = _checked_numbers(lambda c: frame[c].to_numpy(dtype=float), optional, len(frame))
    if numbers is None:
        return None
    labels = {}
    for c in TEXT:
        column = frame[c]
        if c != "learner":
            if any(str(v) != str(v).strip() or str(v) == "" for v in column.cat.categories):
                return None
            labels[c] = np.asarray(column.cat.categories, dtype=object)[column.cat.codes.to_numpy()]
        else:
            values = column.to_numpy(dtype=object)
            labels[c] = values
    if (frame["learner"].str.strip() != frame["learner"]).any() or (frame["learner"] == "").any():
        return None
    if _repeats(pd.factorize(labels["learner"])[0], frame["competency"].cat.codes.to_numpy()):
        return None
    return MatchedLearners(**labels, **numbers)


def _read_as_text(path: Path) -> MatchedLearners:
    import pandas as pd

    name = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise Invalid(N_("{name}: not a readable CSV file ({exc})"),
                      problems=[found_problem(N_("not a readable CSV file ({exc})"), {"exc": str(exc)}, file=name)],
                      values={"name": name, "exc": exc}) from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        problems = [{"file": name, "row": 1, "field": c, "message": N_("column missing")} for c in missing]
        raise Invalid(N_("{name} row 1: missing column(s) {missing}"), problems=problems,
                      values={"name": name, "missing": ', '.join(missing)})

    problems: list[dict] = []
    rows = np.arange(len(frame)) + 2  # header is row 1

    def report(mask: np.ndarray, field: str, template: str, shown=None) -> None:
        # ``template`` is a marked text; ``shown(cell)`` gives the values of its placeholders
        for i in np.flatnonzero(mask)[: MAX_PROBLEMS - len(problems)]:
            where = {"file": name, "row": int(rows[i]), "field": field}
            problems.append(found_problem(template, shown(frame[field].iat[i]), **where) if shown
                            else {**where, "message": template})

    labels = {}
    for field in TEXT:
        column = frame[field].str.strip()
        report((column == "").to_numpy(), field, N_("empty"))
        labels[field] = column.to_numpy(dtype=object)
    numbers = {}
    for field in NUMBERS:
        raw = frame[field].str.strip()
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        report(~np.isfinite(values), field, N_("not a number: {value}"), lambda v: {"value": repr(v)})
        if field.endswith("_se"):
            report(np.isfinite(values) & (values < 0), field, N_("negative standard error: {value}"),
                   lambda v: {"value": v})
        numbers[field] = values
    for field in OPTIONAL:
        if field not in frame.columns:
            numbers[field] = np.full(len(frame), np.nan)
            continue
        raw = frame[field].str.strip()
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        report((raw != "").to_numpy() & ~np.isfinite(values), field, N_("not a number: {value}"),
               lambda v: {"value": repr(v)})
        low = 0 if field in ("pre_level", "post_level") else 1
        bad = np.isfinite(values) & ((values < low) | (values > 5) | (values != np.round(values)))
        report(bad, field, N_("not a level {low}..5: {value}"), lambda v: {"low": low, "value": v})
        numbers[field] = values
    keys = pd.DataFrame({"learner": labels["learner"], "competency": labels["competency"]})
    duplicated = keys.duplicated(keep="first").to_numpy()
    report(duplicated, "learner", N_("learner {learner} appears twice for the same competency"),
           lambda v: {"learner": v})
    if problems:
        first = problems[0]
        raise Invalid(N_("{name} row {row}, field {field}: {message}"),
                      problems=problems,
                      values={"name": name, "row": first['row'], "field": first['field'], "message": first['message']})
    return MatchedLearners(**labels, **numbers)
