"""Command-line psychometrics: calibrate items, score persons, simulate data sets.

These commands work on plain CSV files so a psychometrician can run a
calibration outside the web service (or check one made inside it):

* ``piaa calibrate RESPONSES.csv --model 2pl --out PARAMS.csv`` (add
  ``--scheduler tcp://host:8786`` to run its E-step on a Dask cluster)
* ``piaa score RESPONSES.csv --params PARAMS.csv --method eap --out THETAS.csv``
* ``piaa simulate --model grm --persons 500 --items 10 --seed 1 --out DIR``

RESPONSES is either wide (a ``person`` column and one column per item, an
empty cell = not administered) or long (columns ``person,item,response``, one
row per administered item). PARAMS has one row per item: ``item``, ``model``,
then ``a, b, c, d`` (dichotomous) or ``a, b1..bK`` (polytomous), then the
standard errors ``se_a, se_b, ...``.

On a terminal, ``calibrate`` draws a progress bar on stderr that advances
with every EM cycle and shows the log-likelihood; piped or redirected output
gets none.

Bad input stops the command with a message naming the column or the row (rows
numbered as a spreadsheet shows them: the header is row 1). Output files are
written to a temporary name and renamed only on success, so a failed run
leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pandas as pd

# The library's model names, repeated so that loading the ``piaa`` command line
# does not import the numerical package (about a second) for every command;
# a test keeps the two lists equal.
DICHOTOMOUS = ("rasch", "1pl", "2pl", "3pl", "4pl")
POLYTOMOUS = ("grm", "gpcm")
MODELS = DICHOTOMOUS + POLYTOMOUS
MISSING_TOKENS = {"", "na", "nan"}
LONG_COLUMNS = ("person", "item", "response")


class InputError(click.ClickException):
    """Bad input file; the message names the file, column and/or row."""


def _row(index: int) -> int:
    """Spreadsheet row number of data row ``index`` (the header is row 1)."""
    return int(index) + 2


# --------------------------------------------------------------------------- reading


@dataclass
class Responses:
    persons: list
    items: list
    matrix: np.ndarray          # (n_persons, n_items), NaN = not administered
    rows: list                  # spreadsheet row of each person (first row for long form)


_TEXT_COLUMNS = {"person": str, "item": str, "model": str}


def _read_table(path: str) -> pd.DataFrame:
    """Read a CSV; numeric columns parse as numbers, anything else stays text for checking."""
    try:
        frame = pd.read_csv(path, dtype=_TEXT_COLUMNS, keep_default_na=False,
                            na_values=["", "NA", "NaN", "nan"], skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})")
    frame.columns = [str(c).strip() for c in frame.columns]
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise InputError(f"{path}: column {dup[0]!r} appears more than once in the header")
    for col in _TEXT_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].fillna("").astype(str)
    return frame


def _numbers(values: pd.Series, path: str, column: str, row_of) -> np.ndarray:
    """One column as floats: empty/NA -> NaN; a cell that is not a number is an error."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    text = values.astype(str).str.strip()
    missing = values.isna() | text.str.lower().isin(MISSING_TOKENS)
    parsed = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = parsed.isna() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{path}: column {column!r}, row {row_of(i)}: {values.iloc[i]!r} is not a number"
        )
    return parsed.to_numpy(dtype=float)


def read_responses(path: str) -> Responses:
    """Read wide or long responses; see the module docstring for the formats."""
    frame = _read_table(path)
    if "person" not in frame.columns:
        raise InputError(
            f"{path}: no 'person' column; the header must name a 'person' id column "
            "and one column per item (or be person,item,response)"
        )
    if set(LONG_COLUMNS) == set(frame.columns):
        return _read_long(frame, path)
    return _read_wide(frame, path)


def _check_person_ids(ids: pd.Series, path: str, rows_of):
    blank = ids.str.strip() == ""
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError(f"{path}: column 'person', row {rows_of(i)}: the person id is empty")


def _read_wide(frame: pd.DataFrame, path: str) -> Responses:
    ids = frame["person"]
    _check_person_ids(ids, path, _row)
    dup = ids.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        raise InputError(
            f"{path}: column 'person', row {_row(i)}: person {ids.iloc[i]!r} already "
            f"appears in row {_row(first)}"
        )
    items = [c for c in frame.columns if c != "person"]
    if not items:
        raise InputError(f"{path}: no item columns besides 'person'")
    matrix = np.column_stack([_numbers(frame[c], path, c, _row) for c in items]) if len(frame) else np.empty((0, len(items)))
    return Responses(list(ids), items, matrix, [_row(i) for i in range(len(frame))])


def _read_long(frame: pd.DataFrame, path: str) -> Responses:
    _check_person_ids(frame["person"], path, _row)
    blank_item = frame["item"].str.strip() == ""
    if blank_item.any():
        i = int(np.flatnonzero(blank_item.to_numpy())[0])
        raise InputError(f"{path}: column 'item', row {_row(i)}: the item is empty")
    values = _numbers(frame["response"], path, "response", _row)
    if np.isnan(values).any():
        i = int(np.flatnonzero(np.isnan(values))[0])
        raise InputError(
            f"{path}: column 'response', row {_row(i)}: empty; long form lists only "
            "administered items, each with its response"
        )
    pair = frame["person"] + "\x00" + frame["item"]
    dup = pair.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((pair == pair.iloc[i]).to_numpy())[0])
        raise InputError(
            f"{path}: row {_row(i)}: person {frame['person'].iloc[i]!r} answered item "
            f"{frame['item'].iloc[i]!r} already in row {_row(first)}"
        )
    # persons and items in order of first appearance, as the user sees the file
    persons = pd.unique(frame["person"])
    items = pd.unique(frame["item"])
    p_idx = pd.Index(persons).get_indexer(frame["person"])
    i_idx = pd.Index(items).get_indexer(frame["item"])
    matrix = np.full((len(persons), len(items)), np.nan)
    matrix[p_idx, i_idx] = values
    first = frame.drop_duplicates("person").index
    return Responses(list(persons), list(items), matrix, [_row(i) for i in first])


@dataclass
class ItemParams:
    model: str
    items: list
    params: np.ndarray          # (J, 4) or (J, Kmax)
    rows: list


def read_params(path: str, model: str | None = None) -> ItemParams:
    """Read a PARAMS file (the format ``calibrate`` writes)."""
    frame = _read_table(path)
    for col in ("item", "model", "a"):
        if col not in frame.columns:
            raise InputError(f"{path}: no {col!r} column; PARAMS needs item, model, a, then b (or b1..bK)")
    if len(frame) == 0:
        raise InputError(f"{path}: no items")
    models = frame["model"].str.strip().str.lower()
    unknown = ~models.isin(MODELS)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"{path}: column 'model', row {_row(i)}: unknown model {frame['model'].iloc[i]!r}; use one of {', '.join(MODELS)}")
    kinds = models.unique()
    if len(kinds) > 1:
        i = int(np.flatnonzero((models != models.iloc[0]).to_numpy())[0])
        raise InputError(f"{path}: column 'model', row {_row(i)}: {models.iloc[i]!r} differs from {models.iloc[0]!r} in row 2; one model per file")
    found = kinds[0]
    if model is not None and found != model:
        raise InputError(f"{path}: items are {found!r} but --model is {model!r}")
    dup = frame["item"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{path}: column 'item', row {_row(i)}: item {frame['item'].iloc[i]!r} is listed twice")
    if found in DICHOTOMOUS:
        cols = ["a", "b", "c", "d"]
        for col in cols[:2]:
            if col not in frame.columns:
                raise InputError(f"{path}: no {col!r} column for {found} items")
        values = np.column_stack([
            _numbers(frame[c], path, c, _row) if c in frame.columns else np.full(len(frame), np.nan)
            for c in cols
        ])
        values[:, 2] = np.where(np.isnan(values[:, 2]), 0.0, values[:, 2])
        values[:, 3] = np.where(np.isnan(values[:, 3]), 1.0, values[:, 3])
        cols_needed = ["a", "b"]
    else:
        thresholds = sorted((c for c in frame.columns if re.fullmatch(r"b\d+", c)), key=lambda c: int(c[1:]))
        if not thresholds:
            raise InputError(f"{path}: no threshold columns b1, b2, ... for {found} items")
        cols = ["a"] + thresholds
        values = np.column_stack([_numbers(frame[c], path, c, _row) for c in cols])
        cols_needed = ["a", "b1"]
    for k, col in enumerate(cols_needed):
        j = cols.index(col)
        empty = np.isnan(values[:, j])
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise InputError(f"{path}: column {col!r}, row {_row(i)}: empty")
    items = [str(v).strip() for v in frame["item"]]
    try:
        _validate(found, values)
    except ValueError as exc:
        raise InputError(f"{path}: {_name_items(str(exc), items, [_row(i) for i in range(len(items))])}")
    return ItemParams(found, items, values, [_row(i) for i in range(len(frame))])


def _validate(model, values):
    from piaa.psychometrics import irt, polytomous

    if model in DICHOTOMOUS:
        irt.validate_params(values)
    else:
        polytomous.validate_poly_params(values, model)


def _name_items(message: str, items: list, rows: list | None = None) -> str:
    """Replace the library's 0-based ``item j`` with the item's column name (and row)."""
    def repl(m):
        j = int(m.group(1))
        if not 0 <= j < len(items):
            return m.group(0)
        where = f" (row {rows[j]})" if rows else ""
        return f"item {items[j]!r}{where}"
    return re.sub(r"\bitem (\d+)\b", repl, message)


# --------------------------------------------------------------------------- checking


def _check_for_model(resp: Responses, model: str, path: str) -> None:
    """Cells, variance and sample size the model needs; errors name column and row."""
    x = resp.matrix
    for j, name in enumerate(resp.items):
        col = x[:, j]
        seen = ~np.isnan(col)
        vals = col[seen]
        if model in DICHOTOMOUS:
            bad = (vals != 0) & (vals != 1)
            rule = "is not 0 or 1 (a dichotomous model needs 0/1 scores)"
        else:
            bad = (vals < 0) | (vals != np.round(vals))
            rule = "is not a category 0, 1, 2, ... (polytomous scores count from 0)"
        if bad.any():
            i = int(np.flatnonzero(seen)[np.flatnonzero(bad)[0]])
            raise InputError(f"{path}: column {name!r}, row {resp.rows[i]}: {_fmt(col[i])} {rule}")
        if vals.size == 0:
            raise InputError(f"{path}: column {name!r}: no one was administered this item")
        if np.all(vals == vals[0]):
            raise InputError(
                f"{path}: column {name!r}: every response is {_fmt(vals[0])}; an item with "
                "no variance cannot be calibrated"
            )


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _parameters_per_item(model: str, x: np.ndarray) -> np.ndarray:
    n_items = x.shape[1]
    if model in POLYTOMOUS:
        return np.nanmax(x, axis=0).astype(int) + 1     # slope + K-1 thresholds
    return np.full(n_items, {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3, "4pl": 4}[model])


def _distinct_patterns(codes: np.ndarray, enough: int) -> int:
    """Number of distinct rows of ``codes``, or a lower bound of it that is at least ``enough``.

    Identical rows have identical projections on any vector, so the distinct
    projections never outnumber the distinct rows; when they already reach
    ``enough``, the exact count (a sort of whole rows: seconds at 100,000 x
    100) is not needed.
    """
    projected = np.unique(codes @ np.random.default_rng(0).random(codes.shape[1])).size
    return projected if projected >= enough else np.unique(codes, axis=0).shape[0]


def _check_identifiable(resp: Responses, model: str, anchored: set, path: str) -> None:
    """Each estimated item needs more respondents than its parameters, and the
    sample more distinct response patterns than free parameters: with fewer,
    the multinomial of observed patterns has fewer degrees of freedom than the
    model has parameters."""
    x = resp.matrix
    per_item = _parameters_per_item(model, x)
    free = np.array([name not in anchored for name in resp.items])
    counts = (~np.isnan(x)).sum(axis=0)
    short = free & (counts <= per_item)
    if short.any():
        j = int(np.flatnonzero(short)[0])
        raise InputError(
            f"{path}: column {resp.items[j]!r}: {counts[j]} persons answered it but a {model} "
            f"item has {per_item[j]} parameters; it needs at least {per_item[j] + 1}"
        )
    n_free = int(per_item[free].sum()) + (1 if model == "rasch" else 0)
    if model == "1pl":
        n_free = int(free.sum()) + 1
    patterns = _distinct_patterns(np.where(np.isnan(x), -1.0, x), n_free + 1)
    if patterns - 1 < n_free:
        raise InputError(
            f"{path}: {x.shape[0]} persons with {patterns} distinct response patterns cannot "
            f"identify the {n_free} free parameters of a {model} model on {int(free.sum())} items; "
            "more persons are needed"
        )


# --------------------------------------------------------------------------- writing


def _atomic_write(frames: dict) -> None:
    """Write every {path: DataFrame} to a temporary file, then rename them all.

    A failure before the renames leaves no output at all; the renames
    themselves are atomic per file.
    """
    temps = []
    try:
        for path, frame in frames.items():
            target = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent if str(target.parent) else ".")
            with os.fdopen(fd, "w", newline="") as fh:
                frame.to_csv(fh, index=False, float_format="%.6g", na_rep="")
            temps.append((tmp, target))
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in temps:
        os.replace(tmp, target)


def params_frame(model: str, items: list, params: np.ndarray, se: np.ndarray) -> pd.DataFrame:
    """PARAMS table: item, model, parameters, then their standard errors."""
    if model in DICHOTOMOUS:
        names = ["a", "b", "c", "d"]
    else:
        names = ["a"] + [f"b{k}" for k in range(1, params.shape[1])]
    data = {"item": items, "model": [model] * len(items)}
    for k, name in enumerate(names):
        data[name] = params[:, k]
    for k, name in enumerate(names):
        data[f"se_{name}"] = se[:, k]
    return pd.DataFrame(data)


def _check_output_dir(path: str) -> None:
    parent = Path(path).parent
    if str(parent) and not parent.is_dir():
        raise click.BadParameter(f"folder {str(parent)!r} does not exist", param_hint="--out")


# --------------------------------------------------------------------------- calibrate


def _progress_stream():
    """Where progress goes: stderr, so that stdout stays the result summary."""
    return sys.stderr


class _Progress:
    """A per-EM-cycle progress bar on a terminal; nothing when stderr is not one.

    Called as ``progress(iteration, loglik)`` after every E-step of the
    calibration, it advances one step and shows the current log-likelihood,
    so a long calibration shows how fast it moves and that it still climbs.
    EM stops when it converges, not after a known number of cycles, so the
    bar counts cycles (with their rate) rather than filling up to a total.
    """

    def __init__(self, label: str, stream=None):
        stream = _progress_stream() if stream is None else stream
        self.bar = None
        if stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(desc=label, unit=" EM cycles", file=stream, leave=False,
                            dynamic_ncols=True)

    def __call__(self, iteration: int, loglik: float) -> None:
        if self.bar is not None:
            self.bar.update(iteration - self.bar.n)
            self.bar.set_postfix_str(f"loglik {loglik:.4f}", refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _anchor_map(anchor_file: str | None, model: str, resp: Responses) -> dict:
    if anchor_file is None:
        return {}
    anchors = read_params(anchor_file, model)
    index = {name: j for j, name in enumerate(resp.items)}
    out = {}
    for name, row, values in zip(anchors.items, anchors.rows, anchors.params):
        if name not in index:
            raise InputError(f"{anchor_file}: column 'item', row {row}: item {name!r} is not a column of the responses")
        out[index[name]] = values[~np.isnan(values)] if model in POLYTOMOUS else values
    return out


# How long ``--scheduler`` waits for the cluster to answer before giving up.
SCHEDULER_TIMEOUT_S = 20


def _fit(model, x, anchors, quadrature, engine, progress, cluster=None):
    from piaa.psychometrics.calibration import IRTCalibrator

    cal = IRTCalibrator(model=model, n_quadrature=quadrature, engine=engine, callback=progress)
    cal.fit(x if cluster is None else cluster(x), anchors=anchors or None)
    r = cal.result_
    return r.params, r.se, r.loglik, r.aic, r.bic, r.n_iter, r.converged, list(r.warnings)


@click.command("calibrate")
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", type=click.Choice(MODELS, case_sensitive=False), required=True,
              help="IRT model to fit.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="PARAMS.csv to write.")
@click.option("--anchors", "anchor_file", type=click.Path(exists=True, dir_okay=False),
              help="PARAMS-format file of items held fixed at their values.")
@click.option("--quadrature", type=click.IntRange(min=5), default=61, show_default=True,
              help="Quadrature points on [-6, 6].")
@click.option("--engine", type=click.Choice(["piaa", "girth"]), default="piaa", show_default=True,
              help="Estimator: ours, or girth's for comparison.")
@click.option("--scheduler", metavar="ADDRESS",
              help="A running Dask scheduler (tcp://host:8786): the E-step runs over blocks of "
                   "persons on its workers (dichotomous models, engine piaa).")
@click.option("--partitions", type=click.IntRange(min=1),
              help="With --scheduler: blocks of persons to spread (default: one per worker thread).")
def calibrate(responses, model, out_path, anchor_file, quadrature, engine, scheduler, partitions):
    """Calibrate item parameters from RESPONSES (marginal maximum likelihood)."""
    model = model.lower()
    if scheduler and (model in POLYTOMOUS or engine != "piaa"):
        raise click.UsageError(
            f"--scheduler takes the dichotomous models ({', '.join(DICHOTOMOUS)}) with engine piaa; "
            f"got --model {model} --engine {engine}")
    if partitions and not scheduler:
        raise click.UsageError("--partitions needs --scheduler")
    _check_output_dir(out_path)
    resp = read_responses(responses)
    _check_for_model(resp, model, responses)
    anchors = _anchor_map(anchor_file, model, resp)
    _check_identifiable(resp, model, {resp.items[j] for j in anchors}, responses)
    client = _connect(scheduler) if scheduler else None
    progress = _Progress(f"calibrating {model}")
    try:
        params, se, loglik, aic, bic, n_iter, converged, warnings = _fit(
            model, resp.matrix, anchors, quadrature, engine, progress,
            cluster=None if client is None else _partitioner(client, partitions))
    except ValueError as exc:
        raise InputError(f"{responses}: {_name_items(str(exc), resp.items)}")
    finally:
        progress.close()
        if client is not None:
            client.close()
    _atomic_write({out_path: params_frame(model, resp.items, params, se)})
    state = f"converged after {n_iter} EM cycles" if converged else f"NOT converged after {n_iter} EM cycles"
    click.echo(f"{model}: {len(resp.items)} items, {len(resp.persons)} persons")
    click.echo(f"log-likelihood = {loglik:.4f}   AIC = {aic:.3f}   BIC = {bic:.3f}")
    click.echo(state)
    for w in warnings:
        click.echo(f"warning: {_name_items(str(w), resp.items)}", err=True)
    click.echo(f"wrote {out_path}")



def _connect(address: str):
    """A Dask client of the cluster at ADDRESS, or a message saying why there is none."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise click.ClickException("--scheduler needs dask.distributed: pip install 'dask[distributed]'")
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise click.ClickException(
            f"--scheduler {address}: no Dask scheduler answered within {SCHEDULER_TIMEOUT_S} s ({exc})")


def _partitioner(client, partitions):
    """Responses -> DistributedResponses in ``partitions`` blocks of persons (default: one per worker thread)."""
    from piaa.psychometrics.distributed import DistributedResponses

    def split(x):
        n = partitions or max(1, sum(client.nthreads().values()))
        return DistributedResponses(client, np.array_split(x, min(n, x.shape[0])))

    return split

# --------------------------------------------------------------------------- score


@click.command("score")
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="PARAMS.csv from calibrate.")
@click.option("--method", type=click.Choice(["eap", "map", "mle"], case_sensitive=False),
              default="eap", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="THETAS.csv to write (person, theta, se).")
def score(responses, params_file, method, out_path):
    """Estimate each person's ability from RESPONSES with calibrated PARAMS."""
    from piaa.psychometrics.estimation import estimate_ability

    _check_output_dir(out_path)
    items = read_params(params_file)
    resp = read_responses(responses)
    columns = {name: j for j, name in enumerate(resp.items)}
    for name, row in zip(items.items, items.rows):
        if name not in columns:
            raise InputError(f"{params_file}: column 'item', row {row}: item {name!r} is not a column of {responses}")
    known = set(items.items)
    extra = [c for c in resp.items if c not in known]
    if extra:
        raise InputError(f"{responses}: column {extra[0]!r} has no parameters in {params_file}")
    x = resp.matrix[:, [columns[name] for name in items.items]]
    order = Responses(resp.persons, items.items, x, resp.rows)
    _check_cells(order, items, responses)
    params = items.params
    if items.model in POLYTOMOUS:
        width = int(np.max(np.sum(~np.isnan(params), axis=1)))
        params = params[:, :width]
    try:
        est = estimate_ability(x, params, model=items.model, method=method.lower())
    except ValueError as exc:
        raise InputError(f"{responses}: {_name_items(str(exc), items.items)}")
    frame = pd.DataFrame({"person": resp.persons, "theta": est.theta, "se": est.se})
    _atomic_write({out_path: frame})
    click.echo(f"scored {len(resp.persons)} persons ({method.lower()}); wrote {out_path}")


def _check_cells(resp: Responses, items: ItemParams, path: str) -> None:
    """Every response must be a category its item has."""
    if items.model in DICHOTOMOUS:
        top = np.ones(len(items.items))
    else:
        top = np.sum(~np.isnan(items.params[:, 1:]), axis=1).astype(float)
    for j, name in enumerate(resp.items):
        col = resp.matrix[:, j]
        seen = ~np.isnan(col)
        bad = seen & ((col < 0) | (col > top[j]) | (col != np.round(np.nan_to_num(col))))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            allowed = "0 or 1" if items.model in DICHOTOMOUS else f"0..{int(top[j])}"
            raise InputError(f"{path}: column {name!r}, row {resp.rows[i]}: {_fmt(col[i])} is not a category of this item ({allowed})")


# --------------------------------------------------------------------------- simulate


@click.command("simulate")
@click.option("--model", type=click.Choice(MODELS, case_sensitive=False), required=True)
@click.option("--persons", type=click.IntRange(min=1), required=True)
@click.option("--items", type=click.IntRange(min=1), required=True)
@click.option("--categories", type=click.IntRange(min=2), default=4, show_default=True,
              help="Categories per item (grm, gpcm).")
@click.option("--missing", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.0,
              show_default=True, help="Share of cells not administered (at random).")
@click.option("--seed", type=int, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for responses.csv, params.csv and thetas.csv.")
def simulate(model, persons, items, categories, missing, seed, out_dir):
    """Simulate a data set with known item parameters and abilities."""
    from piaa.psychometrics.simulation import simulate_params, simulate_responses, simulate_theta

    model = model.lower()
    rng = np.random.default_rng(seed)
    params = simulate_params(model, items, rng, n_categories=categories)
    theta = simulate_theta(persons, rng)
    x = simulate_responses(theta, params, model, rng, missing=missing)
    width = max(len(str(persons)), 4)
    person_ids = [f"P{i:0{width}d}" for i in range(1, persons + 1)]
    item_ids = [f"I{j:0{max(len(str(items)), 3)}d}" for j in range(1, items + 1)]
    cells = pd.DataFrame(x, columns=item_ids).astype("Int64")
    responses = pd.concat([pd.Series(person_ids, name="person"), cells], axis=1)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write({
        folder / "responses.csv": responses,
        folder / "params.csv": params_frame(model, item_ids, params, np.full_like(params, np.nan)),
        folder / "thetas.csv": pd.DataFrame({"person": person_ids, "theta": theta}),
    })
    click.echo(f"simulated {persons} persons x {items} {model} items (seed {seed}) in {out_dir}")


commands = [calibrate, score, simulate]
