"""Answer similarity for every pair of candidates in the same room, seat map weighted.

Index: a **likelihood-weighted match score** with a known null distribution, in the family of
ω (Wollack 1997, *Applied Psychological Measurement* 21(4), 307–320) and GBT (van der Linden &
Sotaridona 2006, *J. Educational and Behavioral Statistics* 31(3), 283–304; both in the R
package CopyDetect). Like GBT it is symmetric in the pair (who copied from whom is unknown in
a room, so no second, directional test is needed) and its null rests on the same assumption:
given their abilities, two independent candidates choose independently, so item j matches on
option k with probability ``P_aj(k) · P_bj(k)`` (``option_model``). Unlike ω and GBT, which count
every match as 1, a match on option k scores the log likelihood ratio of copying a share γ of
the items against independence, symmetrised over the direction:

    w_jk = log(1 + γ / (1 − γ) · (1 / P_aj(k) + 1 / P_bj(k)) / 2),   S_ab = Σ_j [match_j] w_j,x_aj

so two candidates sharing a rare wrong answer weigh far more than two sharing an easy right
one (the Neyman–Pearson reason). S is a sum of independent discrete variables under the null;
its upper tail is the saddlepoint approximation (``tails.saddlepoint_sf``). In our simulation
(40 items, 4 options, true abilities and option probabilities, random abilities, 30 % copied)
this raised the power at α = 0.01 from 0.54 (ω with its exact count tail) to 0.71–0.74 at the
same false-positive rate, about what the most powerful test that knows who copied reaches
(0.70): with 40 items the data hold little more. With estimated θ the model null turns
conservative; ``empirical_null_p`` recalibrates it (benchmarks/README.md has the figures).

Seat map: every within-room pair is tested; pairs of neighbours (Chebyshev distance 1 on the
seat grid: beside, in front, behind and diagonal: who can see whose screen) get the weight
``neighbour_weight`` and the others 1 in a weighted Holm (family-wise error per room) or
weighted BH procedure, so a neighbour's pair is flagged at a per-pair level about
``neighbour_weight`` times looser than a far pair's while the room keeps its level α.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from proctor.forensics.multiple_testing import weighted_bh, weighted_holm
from proctor.forensics.option_model import as_choice_indices
from proctor.forensics.tails import saddlepoint_sf

__all__ = [
    "PairSimilarity",
    "empirical_null_p",
    "neighbour_pairs",
    "pair_similarity",
    "room_pairs",
]


def room_pairs(rooms: np.ndarray) -> np.ndarray:
    """(n_pairs, 2) indices (i < j) of every pair of persons in the same room.

    Args:
        rooms: (n_persons,) room labels (any sortable type).
    """
    rooms = np.asarray(rooms)
    order = np.argsort(rooms, kind="stable")
    _, starts, sizes = np.unique(rooms[order], return_index=True, return_counts=True)
    blocks = []
    for size in np.unique(sizes):  # one vectorised block per distinct room size, not per room
        left, right = np.triu_indices(int(size), k=1)
        first = starts[sizes == size][:, None]
        blocks.append(np.stack([order[first + left], order[first + right]], axis=-1).reshape(-1, 2))
    pairs = np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=np.intp)
    return np.sort(pairs, axis=1)


def neighbour_pairs(pairs: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """(n_pairs,) bool: the two seats are adjacent (Chebyshev distance 1 on the grid).

    Args:
        pairs: (n_pairs, 2) person indices in the same room.
        seats: (n_persons, 2) (row, column) of each person's seat; NaN rows = unknown seat.
    """
    seats = np.asarray(seats, dtype=float)
    gap = np.abs(seats[pairs[:, 0]] - seats[pairs[:, 1]]).max(axis=1)
    return gap == 1


@dataclass(frozen=True)
class PairSimilarity:
    """Similarity of within-room pairs.

    Attributes:
        pairs: (n_pairs, 2) person indices.
        matches: (n_pairs,) identical answers on items both were presented.
        statistic: (n_pairs,) the weighted match score S.
        expected: (n_pairs,) E[S] under independence.
        p_value: (n_pairs,) upper-tail P(S ≥ observed) under independence.
        neighbours: (n_pairs,) whether the pair sat side by side.
        flagged: (n_pairs,) rejected by the per-room procedure at ``alpha``.
    """

    pairs: np.ndarray
    matches: np.ndarray
    statistic: np.ndarray
    expected: np.ndarray
    p_value: np.ndarray
    neighbours: np.ndarray
    flagged: np.ndarray


MIN_PAIRS_FOR_EMPIRICAL_NULL = 1000


def _score_chunk(x_a, x_b, p_a, p_b, gamma):
    presented = (x_a >= 0) & (x_b >= 0)
    joint = p_a * p_b  # (c, m, k)
    weight = np.log1p(gamma / (1.0 - gamma) * 0.5 * (1.0 / p_a + 1.0 / p_b))
    joint = np.where(presented[:, :, None], joint, 0.0)
    match = presented & (x_a == x_b)
    w_obs = np.take_along_axis(weight, np.maximum(x_a, 0)[:, :, None], axis=2)[:, :, 0]
    statistic = np.where(match, w_obs, 0.0).sum(axis=1)
    values = np.concatenate([weight, np.zeros(weight.shape[:2] + (1,))], axis=2)
    probs = np.concatenate([joint, 1.0 - joint.sum(axis=2, keepdims=True)], axis=2)
    expected = (joint * weight).sum(axis=(1, 2))
    return match.sum(axis=1), statistic, expected, saddlepoint_sf(statistic, values, probs)


def empirical_null_p(p_value: np.ndarray) -> np.ndarray:
    """Recalibrate model p-values on the bulk of the session's pairs (Efron 2004, *JASA* 99,
    96–104, "the choice of a null hypothesis").

    θ is estimated from the same answers the index reads, so the fitted model explains each
    candidate's own answers a little too well and the model null is conservative (in our
    simulations 0.6–0.7 % of honest pairs fall below 1 %). Nearly all pairs of a session are
    honest, so ``z = Φ⁻¹(1 − p)`` of the bulk shows the real null: its centre is the median
    and its scale (median → 90th percentile) / 1.2816; the upper tail beyond is where copiers
    are, so neither estimate is moved by a few per cent of them.

    Args:
        p_value: (n_pairs,) model p-values of one session (NaN kept).

    Raises:
        ValueError: with fewer than ``MIN_PAIRS_FOR_EMPIRICAL_NULL`` finite p-values, too few
            to read a null from.
    """
    n_finite = int(np.isfinite(p_value).sum())
    if n_finite < MIN_PAIRS_FOR_EMPIRICAL_NULL:
        raise ValueError(
            f"the empirical null needs at least {MIN_PAIRS_FOR_EMPIRICAL_NULL:,} pairs "
            f"with a p-value, this session has {n_finite:,}; use the model null"
        )
    z = norm.isf(np.clip(p_value, 1e-300, 1.0))
    centre = np.nanmedian(z)
    scale = (np.nanquantile(z, 0.9) - centre) / norm.isf(0.1)
    return np.where(np.isnan(p_value), np.nan, norm.sf((z - centre) / scale))


def pair_similarity(
    choices: np.ndarray,
    option_probs: np.ndarray,
    rooms: np.ndarray,
    seats: np.ndarray,
    *,
    gamma: float = 0.3,
    neighbour_weight: float = 10.0,
    alpha: float = 0.01,
    control: str = "holm",
    chunk: int = 8192,
    empirical_null: bool = False,
) -> PairSimilarity:
    """Test every within-room pair for answer copying.

    Args:
        choices: (n_persons, n_items) chosen options, NaN = not presented.
        option_probs: (n_persons, n_items, n_options) from ``option_probabilities``.
        rooms: (n_persons,) room labels; seats: (n_persons, 2) (row, column).
        gamma: share of copied items the weights are tuned to (0 < γ < 1).
        neighbour_weight: weight of a neighbours' pair against 1 for the others.
        alpha: per-room level; control: "holm" (family-wise) or "bh" (false discovery rate).
        chunk: pairs per vectorised block (bounds memory: chunk × n_items × n_options floats).
        empirical_null: recalibrate the p-values on the session's own pairs
            (``empirical_null_p``); needs ``MIN_PAIRS_FOR_EMPIRICAL_NULL`` pairs.
    """
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
    if control not in ("holm", "bh"):
        raise ValueError(f"control must be 'holm' or 'bh', got {control!r}")
    x = as_choice_indices(choices)
    probs = np.clip(np.asarray(option_probs, dtype=float), 1e-12, 1.0)
    pairs = room_pairs(rooms)
    out = [np.empty(len(pairs), dtype=t) for t in (int, float, float, float)]
    for lo in range(0, len(pairs), chunk):
        a, b = pairs[lo : lo + chunk, 0], pairs[lo : lo + chunk, 1]
        for store, value in zip(
            out, _score_chunk(x[a], x[b], probs[a], probs[b], gamma), strict=True
        ):
            store[lo : lo + chunk] = value
    matches, statistic, expected, p_value = out
    if empirical_null:
        p_value = empirical_null_p(p_value)
    neighbours = neighbour_pairs(pairs, seats)
    weights = np.where(neighbours, neighbour_weight, 1.0)
    room_of_pair = np.asarray(rooms)[pairs[:, 0]]
    procedure = weighted_holm if control == "holm" else weighted_bh
    flagged = procedure(p_value, room_of_pair, weights, alpha) if len(pairs) else neighbours
    return PairSimilarity(pairs, matches, statistic, expected, p_value, neighbours, flagged)
