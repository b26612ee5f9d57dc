"""Response data in sparse (person, item, score) form.

Item banks are calibrated from linked forms and adaptive tests where each person sees a small
part of the bank, so the canonical form holds only the observed cells. Dense matrices (NaN = not
presented) convert in and out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.irt.models import ItemParameters, log_probabilities_from_arrays

__all__ = ["ResponseData", "as_response_data", "simulate_responses"]


def _integer_array(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind != "f":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    as_int = np.rint(arr)
    bad = np.flatnonzero(as_int != arr)
    if bad.size:
        raise ValueError(f"{name} must hold integers; entry {bad[0]} is {arr[bad[0]]!r}")
    return as_int.astype(np.int64)


@dataclass(frozen=True)
class ResponseData:
    """Observed responses as triples; scores are integer categories 0..K−1.

    Attributes:
        person: (n_obs,) int person index in [0, n_persons).
        item: (n_obs,) int item index in [0, n_items).
        score: (n_obs,) int category, >= 0.
        n_persons: number of persons (rows of the dense form; may exceed max(person) + 1).
        n_items: number of items.
    """

    person: np.ndarray
    item: np.ndarray
    score: np.ndarray
    n_persons: int
    n_items: int

    def __post_init__(self) -> None:
        person = _integer_array(self.person, "person")
        item = _integer_array(self.item, "item")
        score = _integer_array(self.score, "score")
        if not (person.shape == item.shape == score.shape):
            raise ValueError(
                f"person, item and score must have equal length, got "
                f"{person.shape[0]}, {item.shape[0]}, {score.shape[0]}"
            )
        n_persons, n_items = int(self.n_persons), int(self.n_items)
        if n_persons < 0 or n_items < 0:
            raise ValueError("n_persons and n_items must be non-negative")
        if score.size:
            if score.min() < 0:
                raise ValueError(f"scores must be >= 0; found {score.min()}")
            if person.min() < 0 or person.max() >= n_persons:
                raise ValueError(f"person index out of range [0, {n_persons})")
            if item.min() < 0 or item.max() >= n_items:
                raise ValueError(f"item index out of range [0, {n_items})")
            key = person * max(n_items, 1) + item
            # dense input arrives row-major (strictly increasing keys): no sort needed then;
            # otherwise sort (np.unique is ~80x slower than np.sort on 4M int64 keys here)
            if not np.all(key[1:] > key[:-1]):
                ordered = np.sort(key)
                if np.any(ordered[1:] == ordered[:-1]):
                    raise ValueError("a (person, item) pair occurs more than once")
        for name, value in (("person", person), ("item", item), ("score", score)):
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "n_persons", n_persons)
        object.__setattr__(self, "n_items", n_items)

    @property
    def n_obs(self) -> int:
        return int(self.score.shape[0])

    @property
    def n_categories(self) -> np.ndarray:
        """(n_items,) int: max observed score + 1 per item, at least 2."""
        top = np.zeros(self.n_items, dtype=np.int64)
        # scores are a few small integers: one masked assignment per observed score, in
        # ascending order so the highest wins (much faster than np.maximum.at)
        for k in np.flatnonzero(np.bincount(self.score)):
            top[self.item[self.score == k]] = k
        return np.maximum(top + 1, 2)

    @property
    def is_complete(self) -> bool:
        """True when every person answered every item (a full dense matrix)."""
        return self.n_obs == self.n_persons * self.n_items

    @classmethod
    def from_dense(cls, responses: np.ndarray) -> ResponseData:
        """From a (n_persons, n_items) float array, NaN = not presented."""
        arr = np.asarray(responses, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"responses must be (n_persons, n_items), got shape {arr.shape}")
        if np.isinf(arr).any():
            raise ValueError("responses contain infinite values")
        person, item = np.nonzero(~np.isnan(arr))
        return cls(person, item, _integer_array(arr[person, item], "score"), *arr.shape)

    @classmethod
    def from_triples(
        cls,
        person: np.ndarray,
        item: np.ndarray,
        score: np.ndarray,
        n_persons: int | None = None,
        n_items: int | None = None,
    ) -> ResponseData:
        """From (n_obs,) arrays; the counts default to max index + 1."""
        person = _integer_array(person, "person")
        item = _integer_array(item, "item")
        if n_persons is None:
            n_persons = int(person.max()) + 1 if person.size else 0
        if n_items is None:
            n_items = int(item.max()) + 1 if item.size else 0
        return cls(person, item, score, n_persons, n_items)

    def to_dense(self) -> np.ndarray:
        """(n_persons, n_items) float, NaN where not presented."""
        out = np.full((self.n_persons, self.n_items), np.nan)
        out[self.person, self.item] = self.score
        return out


def as_response_data(
    responses: ResponseData | np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray],
) -> ResponseData:
    """A dense (n_persons, n_items) array, a ResponseData or a (person, item, score) tuple."""
    if isinstance(responses, ResponseData):
        return responses
    if isinstance(responses, tuple):
        if len(responses) != 3:
            raise ValueError("a tuple of responses must be (person, item, score)")
        return ResponseData.from_triples(*responses)
    return ResponseData.from_dense(np.asarray(responses, dtype=float))


def simulate_responses(
    params: ItemParameters,
    theta: np.ndarray,
    rng: np.random.Generator,
    items_per_person: int | None = None,
) -> ResponseData:
    """Draw responses from the model, for recovery tests and benchmarks.

    Args:
        params: the generating items.
        theta: (n_persons,) true abilities.
        rng: the random generator (injected so that every data set can be replayed).
        items_per_person: if given, each person answers this many items drawn at random without
            replacement (a sparse, linked design); otherwise every item.

    Returns:
        ResponseData with one observation per presented (person, item).
    """
    theta = np.asarray(theta, dtype=float)
    n_persons, n_items = theta.shape[0], params.n_items
    if items_per_person is None:
        person = np.repeat(np.arange(n_persons), n_items)
        item = np.tile(np.arange(n_items), n_persons)
    else:
        if not 0 < items_per_person <= n_items:
            raise ValueError(f"items_per_person must be in 1..{n_items}")
        # the k smallest of uniform keys per person is a uniform k-subset; blocks of persons
        # bound the key matrix at ~2 million floats
        block = max(1, 2_000_000 // n_items)
        item = np.concatenate(
            [
                np.argpartition(
                    rng.random((min(block, n_persons - start), n_items)),
                    items_per_person - 1,
                    axis=1,
                )[:, :items_per_person]
                for start in range(0, n_persons, block)
            ]
        )
        item = np.sort(item, axis=1).ravel()
        person = np.repeat(np.arange(n_persons), items_per_person)
    score = np.empty(person.size, dtype=np.int64)
    chunk = 200_000  # bounds the (chunk, K) probability table
    for start in range(0, person.size, chunk):
        sl = slice(start, start + chunk)
        it = item[sl]
        # every model's logits shift by a·θ per step, so each observation is a pseudo-item with
        # d + a·θ evaluated at θ = 0: one (1, chunk, K) table instead of (n_q, n_items, K)
        shifted = params.d[it] + (params.a[it] * theta[person[sl]])[:, None]
        probs = np.exp(
            log_probabilities_from_arrays(
                np.zeros(1), params.model, params.a[it], shifted, params.c[it]
            )[0]
        )
        u = rng.random(probs.shape[0])[:, None]
        score[sl] = np.minimum(
            np.sum(np.cumsum(probs, axis=1) < u, axis=1), params.n_categories[it] - 1
        )
    return ResponseData(person, item, score, n_persons, n_items)
