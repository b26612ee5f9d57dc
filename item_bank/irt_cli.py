"""``irt`` command group: calibrate items and score persons from CSV files.

A plain ``click.Group`` so the host's ``exam-engine`` Flask CLI can attach it as a sub-command;
it needs no app context (the IRT core touches no database).

Response files are either
* dense: a header of item names (optionally led by a ``person`` / ``id`` column), one row per
  person, scores 0..K−1, empty / ``NA`` / ``NaN`` / ``.`` = not presented; or
* long: columns ``person``, ``item``, ``score`` (any order, any case; other columns ignored).
The header decides which.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from item_bank.irt.calibration import calibrate as run_calibration
from item_bank.irt.data import ResponseData
from item_bank.irt.models import DICHOTOMOUS_MODELS, MODELS, ItemParameters
from item_bank.irt.plots import plot_calibration_summary, save_figure
from item_bank.irt.scales import SCALE_PRESETS
from item_bank.irt.scoring import score_eap, score_map, score_mle, score_wle

__all__ = [
    "ResponseFile",
    "irt",
    "read_parameters_csv",
    "read_responses_csv",
    "write_parameters_csv",
]

_MISSING = {"", "na", "nan", ".", "null", "none"}
_ID_COLUMNS = {"person", "id", "person_id", "candidate", "candidate_id"}
_LONG_COLUMNS = ("person", "item", "score")
_SCORERS = {"eap": score_eap, "map": score_map, "mle": score_mle, "wle": score_wle}


@dataclass(frozen=True)
class ResponseFile:
    """Responses read from CSV, with the labels needed to write results back.

    Attributes:
        persons: (n_persons,) person labels (row numbers from 1 when the file has none).
        items: (n_items,) item names.
        data: the responses.
    """

    persons: list[str]
    items: list[str]
    data: ResponseData


def _cell(value: str, where: str) -> float:
    text = value.strip()
    if text.lower() in _MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise click.ClickException(f"{where}: {value!r} is not a score") from None


def _first_appearance(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Unique labels in order of first appearance and each entry's index into them."""
    uniques, first, inverse = np.unique(np.asarray(labels), return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return [str(u) for u in uniques[order]], rank[inverse]


def read_responses_csv(path: str | Path, first_category: int = 0) -> ResponseFile:
    """Read a dense or long response CSV (see the module docstring); the header decides.

    ``first_category`` is subtracted from every score, so files coded 1..K (Likert-style)
    become the 0..K−1 categories the models use.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows or not rows[0]:
        raise click.ClickException(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    lowered = [h.lower() for h in header]
    short = next((n for n, r in enumerate(body) if len(r) < len(header)), None)
    if short is not None:
        raise click.ClickException(f"{path}:{short + 2}: fewer cells than the header has columns")
    if all(col in lowered for col in _LONG_COLUMNS):
        cols = [lowered.index(col) for col in _LONG_COLUMNS]
        kept = [
            (r[cols[0]].strip(), r[cols[1]].strip(), _cell(r[cols[2]], f"{path}:{n + 2}"))
            for n, r in enumerate(body)
        ]
        kept = [k for k in kept if not math.isnan(k[2])]
        persons, person_idx = _first_appearance([k[0] for k in kept])
        items, item_idx = _first_appearance([k[1] for k in kept])
        scores = np.array([k[2] for k in kept]) - first_category
        data = _checked(
            path, ResponseData.from_triples, person_idx, item_idx, scores, len(persons), len(items)
        )
        return ResponseFile(persons, items, data)
    has_id = lowered[0] in _ID_COLUMNS
    items = header[1:] if has_id else header
    if len(set(items)) != len(items):
        raise click.ClickException(f"{path}: item names in the header repeat")
    dense = np.full((len(body), len(items)), np.nan)
    persons = []
    for n, row in enumerate(body):
        cells = row[1:] if has_id else row
        if len(cells) != len(items):
            raise click.ClickException(
                f"{path}:{n + 2}: {len(cells)} scores for {len(items)} items"
            )
        persons.append(row[0].strip() if has_id else str(n + 1))
        dense[n] = [_cell(c, f"{path}:{n + 2}") for c in cells]
    return ResponseFile(
        persons, items, _checked(path, ResponseData.from_dense, dense - first_category)
    )


def _checked(path: Path, build: Callable[..., ResponseData], *args: object) -> ResponseData:
    """Build ResponseData, turning its validation errors into a message naming the file."""
    try:
        return build(*args)
    except ValueError as error:
        raise click.ClickException(f"{path}: {error}") from None


def _csv_text(rows: list[list[str]]) -> str:
    """Rows as CSV text; the csv module quotes labels that contain commas or quotes."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.10g}"


def write_parameters_csv(
    path: str | Path | None, items: Sequence[str], params: ItemParameters, se: object = None
) -> str:
    """Write parameters as CSV (to ``path``, or return the text when path is None).

    Columns: item, model, a, b, c, then threshold_1..threshold_{K−1} for polytomous models,
    then se_a, se_b, se_c (and se_threshold_k) when ``se`` (a ``ParameterErrors``) is given.
    """
    polytomous = params.model not in DICHOTOMOUS_MODELS
    n_t = params.max_categories - 1
    header = ["item", "model", "a", "b", "c"]
    if polytomous:
        header += [f"threshold_{k + 1}" for k in range(n_t)]
    if se is not None:
        header += ["se_a", "se_b", "se_c"]
        if polytomous:
            header += [f"se_threshold_{k + 1}" for k in range(n_t)]
    lines = [header]
    for i, name in enumerate(items):
        row = [name, params.model, _fmt(params.a[i]), _fmt(params.b[i]), _fmt(params.c[i])]
        if polytomous:
            row += [_fmt(t) for t in params.thresholds[i]]
        if se is not None:
            row += [_fmt(se.a[i]), _fmt(se.b[i]), _fmt(se.c[i])]
            if polytomous:
                row += [_fmt(t) for t in se.thresholds[i]]
        lines.append(row)
    text = _csv_text(lines)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def read_parameters_csv(path: str | Path) -> tuple[list[str], ItemParameters]:
    """Read parameters written by ``write_parameters_csv`` → (item names, ItemParameters)."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("item", "").strip()]
    if not rows:
        raise click.ClickException(f"{path}: no parameter rows")
    models = {r.get("model", "").strip().lower() for r in rows}
    if len(models) != 1:
        raise click.ClickException(f"{path}: one model per file, found {sorted(models)}")
    model = models.pop()

    def column(name: str) -> np.ndarray:
        return np.array([_cell(r.get(name) or "", f"{path} column {name}") for r in rows])

    names = [r["item"].strip() for r in rows]
    t_cols = sorted(
        (k for k in rows[0] if k and k.startswith("threshold_")), key=lambda k: int(k.split("_")[1])
    )
    try:
        if t_cols:
            thresholds = np.column_stack([column(k) for k in t_cols])
            return names, ItemParameters.from_irt(model, a=column("a"), thresholds=thresholds)
        c = column("c") if "c" in rows[0] else None
        c = None if c is None else np.nan_to_num(c)
        return names, ItemParameters.from_irt(model, a=column("a"), b=column("b"), c=c)
    except ValueError as error:
        raise click.ClickException(f"{path}: {error}") from None


_first_category_option = click.option(
    "--first-category",
    type=int,
    default=0,
    show_default=True,
    help="Score of the lowest category in FILE (1 for files coded 1..K).",
)


@click.group(name="irt")
def irt() -> None:
    """Item response theory: calibrate item parameters and score persons."""


class _ProgressLine:
    """A live status line on stderr fed by ``calibrate``'s progress callback."""

    def __init__(self, max_iter: int) -> None:
        self.max_iter = max_iter
        self.started = False

    def __call__(self, iteration: int, loglik: float, max_change: float) -> None:
        self.started = True
        click.echo(
            f"\r  EM iteration {iteration:>4}/{self.max_iter}  log-likelihood {loglik:.4f}"
            f"  max change {max_change:.2e}   ",
            nl=False,
            err=True,
        )

    def close(self) -> None:
        if self.started:
            click.echo("", err=True)


def _anchors(path: Path, items: list[str]) -> tuple[np.ndarray, ItemParameters]:
    names, params = read_parameters_csv(path)
    position = {name: j for j, name in enumerate(items)}
    unknown = [n for n in names if n not in position]
    if unknown:
        raise click.ClickException(f"{path}: anchor items not in the responses: {unknown[:5]}")
    return np.array([position[n] for n in names]), params


@irt.command("calibrate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    type=click.Choice(MODELS, case_sensitive=False),
    default="2pl",
    show_default=True,
    help="IRT model.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Parameter CSV to write (default: print to stdout).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Item characteristic and test information curves (.png / .svg / .pdf).",
)
@click.option(
    "--anchors",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Parameter CSV of items to hold fixed (matched by item name).",
)
@_first_category_option
@click.option("--max-iter", type=int, default=500, show_default=True)
@click.option("--tol", type=float, default=1e-4, show_default=True)
@click.option("--quadrature-points", type=int, default=41, show_default=True)
def calibrate_command(
    file: Path,
    model: str,
    out: Path | None,
    plot: Path | None,
    anchors: Path | None,
    first_category: int,
    max_iter: int,
    tol: float,
    quadrature_points: int,
) -> None:
    """Calibrate item parameters from the responses in FILE (marginal ML, EM)."""
    responses = read_responses_csv(file, first_category)
    anchor_spec = _anchors(anchors, responses.items) if anchors else None
    click.echo(
        f"Calibrating {model} on {responses.data.n_persons} persons x {responses.data.n_items} "
        f"items ({responses.data.n_obs} responses)",
        err=True,
    )
    progress = _ProgressLine(max_iter)
    try:
        result = run_calibration(
            responses.data,
            model,
            anchors=anchor_spec,
            n_quadrature=quadrature_points,
            max_iter=max_iter,
            tol=tol,
            progress=progress,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    text = write_parameters_csv(out, responses.items, result.params, result.se)
    if out is None:
        click.echo(text, nl=False)
    if plot is not None:
        save_figure(plot_calibration_summary(result.params, item_names=responses.items), plot)
    click.echo(
        f"log-likelihood {result.loglik:.4f}  iterations {result.n_iter}  "
        f"converged {'yes' if result.converged else 'NO'}",
        err=True,
    )
    if out is not None:
        click.echo(f"parameters written to {out}", err=True)
    if plot is not None:
        click.echo(f"curves written to {plot}", err=True)


@irt.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--params",
    "params_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Parameter CSV from 'irt calibrate'.",
)
@_first_category_option
@click.option("--method", type=click.Choice(sorted(_SCORERS)), default="eap", show_default=True)
@click.option(
    "--scale",
    type=click.Choice(sorted(SCALE_PRESETS)),
    help="Add a reported score and pass/fail on this scale.",
)
@click.option(
    "--cut-theta", type=float, default=0.0, show_default=True, help="θ of the pass mark on --scale."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Score CSV to write (default: stdout).",
)
def score_command(
    file: Path,
    params_path: Path,
    first_category: int,
    method: str,
    scale: str | None,
    cut_theta: float,
    out: Path | None,
) -> None:
    """Score every person in FILE: theta, se (and scaled score, pass) as CSV."""
    responses = read_responses_csv(file, first_category)
    names, params = read_parameters_csv(params_path)
    position = {name: j for j, name in enumerate(names)}
    unknown = [item for item in responses.items if item not in position]
    if unknown:
        raise click.ClickException(f"items without parameters in {params_path}: {unknown[:5]}")
    # reorder the file's columns into the parameter file's item order
    data = responses.data
    column = np.array([position[item] for item in responses.items], dtype=int)
    aligned = ResponseData(data.person, column[data.item], data.score, data.n_persons, len(names))
    try:
        theta, se = _SCORERS[method](aligned, params)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    header = ["person", "theta", "se"]
    columns = [theta, se]
    reporting = None
    if scale is not None:
        reporting = SCALE_PRESETS[scale](cut_theta)
        header += ["score", "passed"]
    lines = [header]
    scaled = reporting.to_scale(theta) if reporting else None
    passed = reporting.passed(theta) if reporting else None
    for n, person in enumerate(responses.persons):
        row = [person] + [_fmt(col[n]) for col in columns]
        if reporting is not None:
            row += [_fmt(scaled[n]), "1" if passed[n] else "0"]
        lines.append(row)
    text = _csv_text(lines)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{len(responses.persons)} persons scored ({method}) into {out}", err=True)
