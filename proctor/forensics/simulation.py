"""Simulated exam sessions with planted copiers and item pre-knowledge, to validate forensics.

Persons sit row-major in rooms of ``room_size`` seats, ``columns`` to a row. Responses follow a
2PL for the key and item-specific distractor attractiveness (Dirichlet(2)) for wrong answers;
times follow the log-normal model (β ~ N(4, 0.4²) ≈ 55 s, α ~ U(1.5, 2.5), τ ~ N(0, 0.3²)).

* A copier sits in an even column and copies, from the neighbour to the right, that
  neighbour's options on a random ``copy_fraction`` of the items (Wollack 1997's design,
  except abilities are random, not low for copiers and high for sources: the harder case).
* A candidate with pre-knowledge answers the compromised items right, e^1.5 ≈ 4.5× faster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from item_bank.irt.models import ItemParameters

__all__ = ["SimulatedSession", "simulate_session"]


@dataclass(frozen=True)
class SimulatedSession:
    """choices/scores/times: (n, m); rooms: (n,); seats: (n, 2); copy_pairs: (c, 2) (copier,
    source); preknowledge: (n,) bool; compromised: (m,) bool."""

    params: ItemParameters
    keys: np.ndarray
    theta: np.ndarray
    choices: np.ndarray
    scores: np.ndarray
    times: np.ndarray
    rooms: np.ndarray
    seats: np.ndarray
    copy_pairs: np.ndarray
    preknowledge: np.ndarray
    compromised: np.ndarray


def simulate_session(
    rng: np.random.Generator,
    n_persons: int,
    *,
    n_items: int = 40,
    n_options: int = 4,
    room_size: int = 30,
    columns: int = 6,
    copier_share: float = 0.0,
    copy_fraction: float = 0.3,
    preknowledge_share: float = 0.0,
    compromised_share: float = 0.25,
    weaker_copies: bool = False,
) -> SimulatedSession:
    """Simulate one session; ``copier_share`` of persons copy, ``preknowledge_share`` cheat.

    ``weaker_copies`` makes the copier the less able of the two neighbours (Wollack 1997's
    low-ability copier, high-ability source); by default both abilities are random.
    """
    a = rng.lognormal(0.0, 0.25, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    params = ItemParameters("2pl", a, -a * b, np.zeros(n_items))
    keys = rng.integers(0, n_options, n_items)
    theta = rng.normal(0.0, 1.0, n_persons)
    rooms = np.arange(n_persons) // room_size
    place = np.arange(n_persons) % room_size
    seats = np.stack([place // columns, place % columns], axis=1).astype(float)
    can_copy = (seats[:, 1] % 2 == 0) & (seats[:, 1] + 1 < columns)
    can_copy &= np.r_[rooms[1:] == rooms[:-1], False]  # the right-hand neighbour exists
    candidates = np.flatnonzero(can_copy)
    n_copiers = min(int(round(copier_share * n_persons)), candidates.size)
    copiers = np.sort(rng.choice(candidates, n_copiers, replace=False))
    if weaker_copies:  # the weaker of the two neighbours copies from the stronger
        pair_theta = np.sort(np.stack([theta[copiers], theta[copiers + 1]], axis=1), axis=1)
        theta[copiers], theta[copiers + 1] = pair_theta[:, 0], pair_theta[:, 1]
    correct = rng.random((n_persons, n_items)) < expit(a * (theta[:, None] - b))
    attraction = rng.dirichlet(np.full(n_options - 1, 2.0), n_items)  # (m, K−1)
    cum = np.cumsum(attraction, axis=1)
    slot = (rng.random((n_persons, n_items, 1)) > cum[None, :, :]).sum(axis=2)
    slot = np.minimum(slot, n_options - 2)
    distractor = slot + (slot >= keys[None, :])  # skip the key's index
    choices = np.where(correct, keys[None, :], distractor)

    n_copied = int(round(copy_fraction * n_items))
    copied = np.argsort(rng.random((n_copiers, n_items)), axis=1)[:, :n_copied]
    rows = copiers[:, None]
    choices[rows, copied] = choices[rows + 1, copied]

    beta = rng.normal(4.0, 0.4, n_items)
    alpha = rng.uniform(1.5, 2.5, n_items)
    tau = rng.normal(0.0, 0.3, n_persons)
    log_t = beta[None, :] - tau[:, None] + rng.normal(size=(n_persons, n_items)) / alpha
    compromised = np.zeros(n_items, dtype=bool)
    compromised[rng.choice(n_items, int(round(compromised_share * n_items)), replace=False)] = True
    preknowledge = np.zeros(n_persons, dtype=bool)
    n_pre = int(round(preknowledge_share * n_persons))
    preknowledge[rng.choice(np.setdiff1d(np.arange(n_persons), copiers), n_pre, replace=False)] = (
        True
    )
    cheat = preknowledge[:, None] & compromised[None, :]
    choices = np.where(cheat, keys[None, :], choices)
    log_t = np.where(cheat, log_t - 1.5, log_t)
    scores = (choices == keys[None, :]).astype(float)
    return SimulatedSession(
        params,
        keys,
        theta,
        choices.astype(float),
        scores,
        np.exp(log_t),
        rooms,
        seats,
        np.stack([copiers, copiers + 1], axis=1),
        preknowledge,
        compromised,
    )
