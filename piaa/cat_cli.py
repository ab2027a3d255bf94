"""``piaa cat simulate``: a bank-readiness check for an adaptive test, on the command line.

    piaa cat simulate --params PARAMS.csv --cuts -1.5,-0.5,0.5,1.5 --max-items 20 \\
        --max-exposure 0.25 --examinees 5000 --seed 1 --out DIR

PARAMS is the file ``piaa calibrate --out`` writes (read by
:func:`piaa.psychometrics_cli.read_params`). Simulees with θ ~ N(0, 1) sit the adaptive
test the service gives: selection aimed at the cuts (``cut_doubt``, see
:mod:`piaa.psychometrics.cat.selection`), Sympson–Hetter exposure control calibrated by
simulation on a separate sample so that no item exceeds ``--max-exposure``, and a stop at
``--max-items`` (or earlier, when ``--confidence`` or ``--se-target`` is given and met).
With ``--blueprint noting=0.6,drafting=0.4`` and a ``sub_area`` column in PARAMS, each test
keeps to those sub-area shares (Kingsbury–Zara content balancing).

Writes, all or nothing:

* ``DIR/summary.json``: ``accuracy_at_cuts`` (one per cut: share of simulees put on the
  right side of it), ``exact_level_accuracy``, ``reliability`` (1 - mean SE² / variance of
  the estimates), ``mean_length``, ``max_exposure``, with bias, RMSE, the policy and the
  exposure calibration's rounds;
* ``DIR/simulees.csv``: per simulee true θ, θ̂, SE, items given, true and given level and
  the level's posterior probability;
* ``DIR/items.csv``: per item its exposure rate and Sympson–Hetter parameter.

On a terminal a progress bar on stderr follows the exposure calibration and the run.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click
import numpy as np
import pandas as pd

from piaa.psychometrics_cli import InputError, _atomic_write, _progress_stream, _read_table, _row, read_params

# Selection criteria offered (the library's names; repeated so that ``piaa --help`` does
# not import the numerical package; a test keeps them equal).
CRITERIA = ("mfi", "pwi", "nearest_cut", "cut_doubt")


def parse_cuts(text: str) -> list[float]:
    """``"C1,C2,..."`` as ascending floats.

    :raise click.BadParameter: naming the cut that is not a number or does not ascend.
    """
    parts = [p.strip() for p in str(text).split(",")]
    cuts = []
    for k, part in enumerate(parts, start=1):
        try:
            value = float(part)
        except ValueError:
            raise click.BadParameter(f"cut {k} is {part!r}, not a number", param_hint="--cuts") from None
        if not np.isfinite(value):
            raise click.BadParameter(f"cut {k} is {part!r}; cuts must be finite", param_hint="--cuts")
        if cuts and value <= cuts[-1]:
            raise click.BadParameter(f"cuts must ascend: cut {k} ({value:g}) is not above cut {k - 1} "
                                     f"({cuts[-1]:g})", param_hint="--cuts")
        cuts.append(value)
    return cuts


def parse_blueprint(text: str) -> dict[str, float]:
    """``"noting=0.6,drafting=0.4"`` as {sub-area: share}; shares are normalised to sum to 1.

    :raise click.BadParameter: naming the part that is not ``name=share`` with a share > 0.
    """
    shares: dict[str, float] = {}
    for part in str(text).split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            share = float(value)
        except ValueError:
            share = float("nan")
        if not name or not np.isfinite(share) or share <= 0:
            raise click.BadParameter(f"{part.strip()!r} is not sub_area=share with a share above 0",
                                     param_hint="--blueprint")
        shares[name] = shares.get(name, 0.0) + share
    total = sum(shares.values())
    return {name: share / total for name, share in shares.items()}


def read_sub_areas(path: str, blueprint: dict[str, float]) -> np.ndarray:
    """(J,) the ``sub_area`` column of a PARAMS file, each item's blueprint cell.

    :raise InputError: naming the file, and the row of an empty cell, when the column is
        missing or a blueprint sub-area has no item.
    """
    frame = _read_table(path)
    if "sub_area" not in frame.columns:
        raise InputError(f"{path}: no 'sub_area' column; --blueprint needs each item's sub-area")
    labels = frame["sub_area"].fillna("").astype(str).str.strip()
    empty = (labels == "").to_numpy()
    if empty.any():
        raise InputError(f"{path}: column 'sub_area', row {_row(int(np.flatnonzero(empty)[0]))}: empty")
    missing = [name for name in blueprint if name not in set(labels)]
    if missing:
        raise InputError(f"{path}: column 'sub_area': no item of sub-area {missing[0]!r} named in --blueprint")
    return labels.to_numpy(dtype=object)


class _Progress:
    """Simulation steps on a terminal's stderr, one bar per simulation run; nothing when
    stderr is not a terminal."""

    def __init__(self, stream=None):
        stream = _progress_stream() if stream is None else stream
        self.bar = None
        if stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(file=stream, unit=" items", leave=False, dynamic_ncols=True)

    def phase(self, label: str, total: int) -> None:
        if self.bar is not None:
            self.bar.reset(total=total)
            self.bar.set_description_str(label)

    def __call__(self, step: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(step - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _write_all(out_dir: Path, summary: dict, frames: dict) -> None:
    """summary.json and the CSVs, written to temporary names and renamed only when all are
    written, so a failed run leaves no output."""
    fd, tmp = tempfile.mkstemp(prefix=".summary.json.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
        _atomic_write(frames)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.replace(tmp, out_dir / "summary.json")


@click.group("cat")
def cat_group() -> None:
    """Adaptive tests: check a bank and a policy by simulation before going live."""


@cat_group.command("simulate")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="PARAMS.csv as written by piaa calibrate --out.")
@click.option("--cuts", required=True, help="Ascending cut scores on the θ scale, e.g. -1.5,-0.5,0.5,1.5.")
@click.option("--max-items", type=click.IntRange(min=1), required=True, help="Longest test.")
@click.option("--max-exposure", type=click.FloatRange(0.0, 1.0, min_open=True), default=1.0,
              show_default=True, help="Highest share of examinees any item may reach (1: no control).")
@click.option("--examinees", type=click.IntRange(min=2), default=5000, show_default=True)
@click.option("--seed", type=int, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder for summary.json, simulees.csv and items.csv.")
@click.option("--min-items", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--confidence", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              help="Stop once the level's posterior probability reaches this.")
@click.option("--se-target", type=click.FloatRange(0.0, min_open=True), help="Stop once SE <= this.")
@click.option("--criterion", type=click.Choice(CRITERIA), default="cut_doubt", show_default=True)
@click.option("--calibration-examinees", type=click.IntRange(min=100),
              help="Simulees per round of the exposure calibration [default: max(examinees, 2000)].")
@click.option("--blueprint", "blueprint_text",
              help="Sub-area shares for content balancing, e.g. noting=0.6,drafting=0.4 "
                   "(PARAMS then needs a sub_area column).")
def simulate(params_file, cuts, max_items, max_exposure, examinees, seed, out_dir, min_items,
             confidence, se_target, criterion, calibration_examinees, blueprint_text):
    """Simulate an adaptive test on a calibrated bank and report how well it classifies."""
    cut_values = parse_cuts(cuts)
    if min_items > max_items:
        raise click.BadParameter(f"--min-items {min_items} is above --max-items {max_items}",
                                 param_hint="--min-items")
    blueprint = parse_blueprint(blueprint_text) if blueprint_text else None
    items = read_params(params_file)
    content = read_sub_areas(params_file, blueprint) if blueprint else None
    params = items.params
    if items.model not in ("rasch", "1pl", "2pl", "3pl", "4pl"):
        width = int(np.max(np.sum(~np.isnan(params), axis=1)))
        params = params[:, :width]
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    from piaa.psychometrics.cat import check_readiness
    from piaa.psychometrics.cat.classification import levels_of

    progress = _Progress()
    try:
        check = check_readiness(
            params, cut_values, model=items.model, max_items=max_items, max_exposure=max_exposure,
            examinees=examinees, rng=np.random.default_rng(seed), min_items=min_items,
            confidence=confidence, se_target=se_target, criterion=criterion, content=content,
            blueprint=blueprint, calibration_examinees=calibration_examinees, progress=progress)
    except ValueError as exc:
        raise InputError(f"{params_file}: {exc}")
    finally:
        progress.close()
    sim, k = check.simulation, check.exposure_k
    summary = {**check.summary, "seed": seed, "params": str(params_file)}
    simulees = pd.DataFrame({
        "simulee": np.arange(1, examinees + 1), "true_theta": sim.true_theta, "theta": sim.theta,
        "se": sim.se, "n_items": sim.n_items, "true_level": levels_of(sim.true_theta, cut_values),
        "level": levels_of(sim.theta, cut_values), "level_confidence": sim.level_confidence})
    item_table = pd.DataFrame({"item": items.items, "exposure_rate": sim.exposure_rate,
                               "selection_rate": sim.selection_rate, "sympson_hetter_k": k})
    _write_all(folder, summary, {folder / "simulees.csv": simulees, folder / "items.csv": item_table})
    accuracy = ", ".join(f"{c:g}: {a:.3f}" for c, a in zip(cut_values, summary["accuracy_at_cuts"]))
    click.echo(f"{len(items.items)} {items.model} items, {examinees} simulees, at most {max_items} items")
    click.echo(f"accuracy at cuts: {accuracy}")
    click.echo(f"exact level: {summary['exact_level_accuracy']:.3f}   reliability: "
               f"{summary['reliability']:.3f}   mean length: {summary['mean_length']:.2f}   "
               f"max exposure: {summary['max_exposure']:.3f}")
    click.echo(f"wrote {folder / 'summary.json'}, simulees.csv, items.csv")


commands = [cat_group]
