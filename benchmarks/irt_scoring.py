"""EAP scoring timings beside the targets and the Python peers (girth, Python ``mirt``).

Run: ``.venv/bin/python benchmarks/irt_scoring.py [--persons 1000000] [--items 40]``

Targets (exam-engine): EAP of 1,000,000 × 40 within 3 s; one candidate's EAP well under 1 ms.
Peers score the same single 40-item pattern under the same 2PL; their θ is printed beside ours
so a timing is never reported for a different computation.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from item_bank.irt.models import ItemParameters
from item_bank.irt.scoring import score_eap, score_map, score_mle


def _best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _per_call(fn: Callable[[], object], calls: int = 2000, repeat: int = 5) -> float:
    """Best mean time per call over ``repeat`` loops of ``calls`` calls, in seconds."""
    return _best_of(lambda: [fn() for _ in range(calls)], repeat) / calls


def _simulate(params: ItemParameters, n_persons: int, rng: np.random.Generator) -> np.ndarray:
    theta = rng.normal(size=n_persons)
    p = 1.0 / (1.0 + np.exp(-(theta[:, None] * params.a + params.d[:, 0])))
    return (rng.random(p.shape) < p).astype(float)


def _peer_girth(params: ItemParameters, pattern: np.ndarray) -> tuple[float, float] | None:
    try:
        from girth import ability_eap
    except ImportError:
        return None
    data = pattern.astype(int)[:, None]  # girth wants (n_items, n_persons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def run():
            return ability_eap(data, params.b, params.a)

        theta = float(np.asarray(run()).ravel()[0])
        return _per_call(run, calls=200, repeat=3), theta


def _peer_mirt(params: ItemParameters, pattern: np.ndarray) -> tuple[float, float] | None:
    try:
        import mirt
    except ImportError:
        return None
    model = mirt.TwoParameterLogistic(params.n_items)
    model.set_parameters(discrimination=np.asarray(params.a), difficulty=np.asarray(params.b))
    # fscores refuses unfitted models and there is no public setter; fit_mirt sets this flag
    # the same way after assigning estimates (mirt/__init__.py)
    model._is_fitted = True
    row = pattern[None, :].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def run():
            return mirt.fscores(model, row, method="EAP")

        result = run()
        theta = float(np.asarray(getattr(result, "theta", result)).ravel()[0])
        return _per_call(run, calls=200, repeat=3), theta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    params = ItemParameters.from_irt(
        "2pl", a=rng.uniform(0.6, 2.2, args.items), b=rng.normal(0, 1, args.items)
    )
    responses = _simulate(params, args.persons, rng)
    gappy = responses.copy()
    gappy[rng.random(gappy.shape) < 0.1] = np.nan
    pattern = responses[0]
    score_eap(pattern, params)  # builds and caches the quadrature tables once

    n, k = args.persons, args.items
    rows: list[tuple[str, float, str, str]] = []
    batch = _best_of(lambda: score_eap(responses, params), 3)
    rows.append((f"EAP {n:,} x {k}, complete", batch, "3 s", "ours"))
    batch_gaps = _best_of(lambda: score_eap(gappy, params), 3)
    rows.append((f"EAP {n:,} x {k}, 10 % not presented", batch_gaps, "3 s", "ours"))
    small = responses[:100_000]
    rows.append((f"MAP 100,000 x {k}", _best_of(lambda: score_map(small, params), 1), "-", "ours"))
    rows.append((f"MLE 100,000 x {k}", _best_of(lambda: score_mle(small, params), 1), "-", "ours"))

    ours_theta = score_eap(pattern, params)[0]
    single = _per_call(lambda: score_eap(pattern, params))
    rows.append((f"EAP one candidate, {k} items", single, "<< 1 ms", f"θ = {ours_theta:.4f}"))
    for name, peer in (("girth 0.8 ability_eap", _peer_girth), ("Python mirt fscores", _peer_mirt)):
        try:
            got = peer(params, pattern)
        except Exception as error:  # a peer's failure is reported, not fatal
            rows.append((f"{name}, one candidate", np.nan, "-", f"failed: {error!r:.40}"))
            continue
        if got is None:
            rows.append((f"{name}, one candidate", np.nan, "-", "not installed"))
        else:
            rows.append((f"{name}, one candidate", got[0], "-", f"θ = {got[1]:.4f}"))

    print(f"{'job':<42} {'time':>12}  {'target':<9} note")
    for job, seconds, target, note in rows:
        shown = (
            "n/a"
            if not np.isfinite(seconds)
            else (f"{seconds * 1e3:9.3f} ms" if seconds < 1 else f"{seconds:10.2f} s")
        )
        print(f"{job:<42} {shown:>12}  {target:<9} {note}")


if __name__ == "__main__":
    main()
