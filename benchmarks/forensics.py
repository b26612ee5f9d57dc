"""Forensics benchmark: a 10,000-candidate session in rooms of 30, 40 items (target ≤ 30 s),
then power and false-positive rate of each index by simulation with planted cheating.

    .venv/bin/python benchmarks/forensics.py            # timing + power table (~2 minutes)
    .venv/bin/python benchmarks/forensics.py --quick    # 3,000 candidates per power row
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from proctor.forensics import (
    empirical_null_p,
    session_forensics,
    simulate_session,
    weighted_holm,
)

TARGET_SECONDS = 30.0


def _copied_mask(pairs: np.ndarray, copy_pairs: np.ndarray, n_persons: int) -> np.ndarray:
    key = pairs[:, 0] * n_persons + pairs[:, 1]
    return np.isin(key, np.sort(copy_pairs, axis=1) @ np.array([n_persons, 1]))


def time_session(n_persons: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = simulate_session(rng, n_persons, copier_share=0.02, preknowledge_share=0.01)
    start = time.perf_counter()
    report = session_forensics(
        s.choices, s.keys, s.params, s.rooms, s.seats, s.times, empirical_null=True
    )
    elapsed = time.perf_counter() - start
    n_pairs = len(report.similarity.pairs)
    verdict = "met" if elapsed <= TARGET_SECONDS else "MISSED"
    print(
        f"| {n_persons:,} candidates, rooms of 30, 40 items: {n_pairs:,} within-room pairs, "
        f"person fit, response times | {elapsed:.1f} s | ≤ {TARGET_SECONDS:.0f} s | {verdict} |"
    )


def _rate(flags: np.ndarray) -> str:
    return f"{flags.mean():.3f}" if flags.size else "—"


def power_row(label: str, n_persons: int, seed: int, **planted: float) -> None:
    s = simulate_session(np.random.default_rng(seed), n_persons, **planted)
    report = session_forensics(s.choices, s.keys, s.params, s.rooms, s.seats, s.times)
    sim = report.similarity
    copied = _copied_mask(sim.pairs, s.copy_pairs, n_persons)
    model_p, empirical_p = sim.p_value, empirical_null_p(sim.p_value)
    cells = [_rate(model_p[copied] < 0.01), _rate(model_p[~copied] < 0.01)]
    for alpha in (0.01, 0.001):
        cells += [_rate(empirical_p[copied] < alpha), _rate(empirical_p[~copied] < alpha)]
    weights = np.where(sim.neighbours, 10.0, 1.0)
    rooms = s.rooms[sim.pairs[:, 0]]
    flags = [weighted_holm(p, rooms, weights, 0.01) for p in (model_p, empirical_p)]
    cells += [" / ".join(_rate(f[copied]) for f in flags)]
    cells += [" / ".join(str(int(f[~copied].sum())) for f in flags)]
    pre, fast = s.preknowledge, report.fast_correct.p_value
    cells += [_rate(fast[pre] < 0.01), _rate(fast[~pre] < 0.01)]
    cells += [_rate(report.person_fit.p_value[pre] < 0.01)]
    print(f"| {label} | {' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print("| session | measured | target | |\n|---|---|---|---|")
    time_session(10_000, args.seed)
    n = 3_000 if args.quick else 10_000
    print(f"\n{n:,} candidates in rooms of 30, 40 items, 4 options; rates per pair or person:\n")
    print(
        "| planted | pair power .01 (model null) | pair FPR .01 (model) "
        "| pair power .01 (empirical null) | pair FPR .01 (empirical) "
        "| pair power .001 (empirical) | pair FPR .001 (empirical) "
        "| flagged in room, model / empirical null (Holm .01, neighbours ×10) "
        "| false pair flags, model / empirical "
        "| pre-knowledge power (fast-correct .01) | its FPR | lz* power on pre-knowledge (.01) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    power_row("nothing (null)", n, args.seed + 1)
    for fraction in (0.2, 0.3, 0.4, 0.5):
        planted = dict(copier_share=0.05, copy_fraction=fraction, preknowledge_share=0.03)
        power_row(f"5 % copy {fraction:.0%}, 3 % know 10 items", n, args.seed + 2, **planted)
    planted = dict(copier_share=0.05, copy_fraction=0.3, weaker_copies=True)
    power_row("5 % copy 30 %, copier the weaker", n, args.seed + 3, **planted)


if __name__ == "__main__":
    main()
