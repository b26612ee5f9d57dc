"""Calibration speed and fit beside girth 0.8 and Python mirt (Rust backend).

Not a test: it prints a Markdown table. Every row fits the same simulated data with each
package; the log-likelihood difference evaluates both parameter sets with OUR marginal
log-likelihood on the same quadrature (41 Gauss–Hermite points), so it is comparable.

    .venv/bin/python benchmarks/irt_calibration.py            # all rows (~15 minutes)
    .venv/bin/python benchmarks/irt_calibration.py --quick    # the 5,000 × 50 rows only
    .venv/bin/python benchmarks/irt_calibration.py --girth-max-cells 5000000  # girth on 100k rows

Times include standard errors for both us and mirt. Each data set prints a row per mirt
setting: its defaults (plain EM, Oakes standard errors), set like ours (SQUAREM-accelerated EM,
cross-product standard errors), and plain EM with cross-product errors (mirt's fastest here),
so the like-for-like ratio stands beside the default one. Ours and mirt's are timed in turns.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from item_bank.irt.calibration import calibrate, marginal_loglik  # noqa: E402
from item_bank.irt.data import ResponseData, simulate_responses  # noqa: E402
from item_bank.irt.models import ItemParameters  # noqa: E402

N_QUADRATURE = 41


@dataclass(frozen=True)
class Row:
    label: str
    model: str
    n_persons: int
    n_items: int
    items_per_person: int | None = None
    priors: dict | None = None  # None: calibrate's defaults (Beta(5, 17) on c for the 3PL)

    @property
    def cells(self) -> int:
        return self.n_persons * self.n_items


ROWS = [
    Row("Rasch, 5,000 × 50", "rasch", 5_000, 50),
    Row("2PL, 5,000 × 50", "2pl", 5_000, 50),
    Row("3PL, 5,000 × 50", "3pl", 5_000, 50),
    Row("3PL, 5,000 × 50, no prior on c", "3pl", 5_000, 50, priors={"c": None}),
    Row("GRM, 5,000 × 50", "grm", 5_000, 50),
    Row("2PL, 100,000 × 40", "2pl", 100_000, 40),
    Row("GRM, 100,000 × 40", "grm", 100_000, 40),
    Row("2PL, sparse 50,000 × 1,000 (40 each)", "2pl", 50_000, 1_000, 40),
    Row("GRM, sparse 50,000 × 1,000 (40 each)", "grm", 50_000, 1_000, 40),
]


def generating_bank(model: str, n_items: int, rng: np.random.Generator) -> ItemParameters:
    a = rng.lognormal(0.0, 0.25, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    if model == "grm":
        return ItemParameters.from_irt("grm", a=a, thresholds=b[:, None] + [-1.2, 0.0, 1.2])
    if model == "3pl":
        return ItemParameters.from_irt("3pl", a=a, b=b, c=rng.uniform(0.1, 0.25, n_items))
    if model == "rasch":
        return ItemParameters.from_irt("rasch", b=b)
    return ItemParameters.from_irt(model, a=a, b=b)


def timed_in_turns(fns: dict[str, Callable[[], object]],
                   repeat: int) -> dict[str, tuple[float | str, object]]:
    """Best time and last result of each function, run in turns (ours, mirt, mirt, ours, …)
    so that load from other work on the machine falls on every contender alike; a function
    that raises is reported as failed and not run again."""
    best: dict[str, tuple[float | str, object]] = {name: (np.inf, None) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if isinstance(best[name][0], str):
                continue
            start = time.perf_counter()
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - report, don't stop the table
                best[name] = (f"failed ({type(exc).__name__})", None)
                continue
            best[name] = (min(float(best[name][0]), time.perf_counter() - start), result)
    return best


# ---- mirt ---------------------------------------------------------------------------------------

MIRT_NAMES = {"rasch": "1PL", "2pl": "2PL", "3pl": "3PL", "grm": "GRM"}
# How mirt is run, by the label printed in the table. Ours is always SQUAREM EM with
# cross-product (XPD) standard errors. mirt's defaults are plain EM and Oakes standard errors
# (dearer per fit); the second setting is the like-for-like comparison; the third is mirt's
# fastest we found (its SQUAREM saves E-steps but not time here), so no row flatters us.
MIRT_SETTINGS: dict[str, dict[str, str]] = {
    "defaults: EM, Oakes SE": {},
    "like ours: SQUAREM, XPD SE": {"accelerate": "squarem", "se_method": "crossprod"},
    "EM, XPD SE": {"se_method": "crossprod"},
}


def mirt_parameters(fit: object, model: str) -> ItemParameters:
    """mirt's difficulty-form estimates in our slope–intercept form."""
    pars = {k: np.asarray(v, dtype=float) for k, v in fit.model.parameters.items()}
    a = pars["discrimination"].reshape(-1)
    if model == "grm":
        return ItemParameters.from_irt("grm", a=a, thresholds=pars["thresholds"])
    c = pars.get("guessing")
    name = "3pl" if model == "3pl" else "2pl"
    return ItemParameters.from_irt(name, a=a, b=pars["difficulty"].reshape(-1), c=c)


def mirt_fit(dense: np.ndarray, model: str, settings: dict[str, str]) -> Callable[[], object]:
    import mirt

    return lambda: mirt.fit_mirt(dense, MIRT_NAMES[model], n_quadpts=N_QUADRATURE, **settings)


# ---- girth --------------------------------------------------------------------------------------


def run_girth(dense: np.ndarray, model: str) -> float | str:
    import girth

    if np.isnan(dense).any():
        return "n/a (missing data)"
    if model == "3pl":
        return "crashes (numpy 2)"
    items_by_persons = dense.T.astype(int)
    fn = {"rasch": girth.rasch_mml, "2pl": girth.twopl_mml, "grm": girth.grm_mml}[model]
    if model == "grm":
        items_by_persons = items_by_persons + 1  # girth counts categories from 1
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(items_by_persons)
    return time.perf_counter() - start


# ---- the table ----------------------------------------------------------------------------------


def fmt_seconds(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.2f} s"


def ratio(slow: float | str, fast: float) -> str:
    return "—" if isinstance(slow, str) else f"{slow / fast:.1f}×"


def mirt_skip_reason(row: Row, args: argparse.Namespace) -> str | None:
    if args.no_mirt:
        return "skipped"
    if row.cells > args.mirt_max_cells:
        return "skipped (> budget)"
    return None


def mirt_loglik_diff(row: Row, data: ResponseData, ours_ll: float, fit: object) -> str:
    params = mirt_parameters(fit, row.model)
    if row.model == "rasch":  # mirt's 1PL: a common slope, σ = 1 — the same likelihood
        params = ItemParameters("2pl", params.a, params.d, params.c)
    return f"{ours_ll - marginal_loglik(data, params, n_quadrature=N_QUADRATURE):+.3f}"


def run_row(row: Row, args: argparse.Namespace, rng: np.random.Generator) -> list[list[str]]:
    """One table row per mirt setting; ours and girth are measured once and repeated."""
    truth = generating_bank(row.model, row.n_items, rng)
    theta = rng.normal(0.0, 1.0, row.n_persons)
    data: ResponseData = simulate_responses(truth, theta, rng, row.items_per_person)

    contenders: dict[str, Callable[[], object]] = {
        "ours": lambda: calibrate(data, row.model, n_quadrature=N_QUADRATURE, priors=row.priors)}
    skip = mirt_skip_reason(row, args)
    if skip is None:
        dense = data.to_dense()
        for label, settings in MIRT_SETTINGS.items():
            contenders[label] = mirt_fit(dense, row.model, settings)
    timings = timed_in_turns(contenders, args.repeat)
    ours_s, fit = timings["ours"]
    assert isinstance(ours_s, float), ours_s
    ours_ll = fit.loglik  # marginal log-likelihood on 41 GH points (σ estimated for Rasch)

    girth_s: float | str
    if args.no_girth:
        girth_s = "skipped"
    elif row.cells > args.girth_max_cells or row.items_per_person is not None:
        girth_s = "skipped (> budget)"
    else:
        girth_s = run_girth(data.to_dense(), row.model)

    lines = []
    for label in MIRT_SETTINGS:
        mirt_s, mirt_fit_result = timings.get(label, (skip, None))
        measured = mirt_fit_result is not None
        lines.append([
            row.label,
            fmt_seconds(ours_s),
            str(fit.n_iter),
            label,
            fmt_seconds(mirt_s),
            str(int(mirt_fit_result.n_iterations)) if measured else "—",
            fmt_seconds(girth_s),
            ratio(mirt_s, ours_s),
            ratio(girth_s, ours_s),
            mirt_loglik_diff(row, data, ours_ll, mirt_fit_result) if measured else "—",
        ])
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 5,000 × 50 rows")
    parser.add_argument(
        "--girth-max-cells",
        type=float,
        default=1e6,
        help="skip girth on rows with more person × item cells (default 1e6; it needs ~60 s "
        "for 2PL 100,000 × 40 and does not finish the sparse rows)",
    )
    parser.add_argument(
        "--mirt-max-cells",
        type=float,
        default=5e6,
        help="skip mirt on rows with more person × item cells (default 5e6: mirt densifies the "
        "sparse 50,000 × 1,000 rows and needed 504 s for the 2PL one here)",
    )
    parser.add_argument("--no-girth", action="store_true")
    parser.add_argument("--no-mirt", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of this many runs, ours and mirt's taken in turns")
    parser.add_argument("--only", default="", help="run rows whose label contains this text")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    rows = [r for r in ROWS if (not args.quick or r.cells <= 250_000) and args.only in r.label]
    print(f"numpy {np.__version__}; {os.cpu_count()} cores; {N_QUADRATURE} quadrature points")
    header = [
        "data",
        "ours",
        "EM iter",
        "mirt run with",
        "mirt",
        "mirt iter",
        "girth",
        "mirt / ours",
        "girth / ours",
        "loglik ours − mirt",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:  # seeded by its place in ROWS: --only and --quick fit the same data
        for cells in run_row(row, args, np.random.default_rng(args.seed + ROWS.index(row))):
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
