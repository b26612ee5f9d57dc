"""Inputs of a calibration: priors with their defaults, anchor specifications, start values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from item_bank.irt.data import ResponseData
from item_bank.irt.models import DICHOTOMOUS_MODELS, ItemParameters
from item_bank.irt.mstep import DEFAULT_C_PRIOR, Prior, pack

__all__ = ["AnchorSpec", "anchor_rows", "pad_intercepts", "resolve_priors", "start_values"]

# {item: ItemParameters of one item | {"a", "d" | "b" | "thresholds", "c"}} or (indices, params)
AnchorSpec = Mapping[int, Any] | tuple[Sequence[int], ItemParameters] | None


def resolve_priors(model: str, priors: Mapping[str, Prior | None] | None) -> dict[str, Prior]:
    """Defaults (Beta(5, 17) on c for 3PL) overridden by the caller; None removes one."""
    chosen: dict[str, Prior | None] = {"c": DEFAULT_C_PRIOR} if model == "3pl" else {}
    for name, spec in (priors or {}).items():
        if name not in ("a", "d", "c"):
            raise ValueError(f"priors apply to 'a', 'd' or 'c', not {name!r}")
        if spec is not None:
            kind, p1, p2 = spec
            if kind not in ("normal", "lognormal", "beta"):
                raise ValueError(f"unknown prior {kind!r} for {name}")
            if p2 <= 0 or (kind == "beta" and p1 <= 0):
                raise ValueError(f"prior {spec!r} for {name} needs positive parameters")
            spec = (str(kind), float(p1), float(p2))
        chosen[name] = spec
    return {k: v for k, v in chosen.items() if v is not None}


def anchor_rows(anchors: AnchorSpec, model: str, n_items: int) -> tuple[np.ndarray, list]:
    """Normalise the anchor spec to (indices, list of (a, d (K_i−1,), c))."""
    if anchors is None:
        return np.zeros(0, dtype=int), []
    if isinstance(anchors, tuple):
        idx, table = anchors
        idx = np.asarray(idx, dtype=int)
        if not isinstance(table, ItemParameters) or table.n_items != idx.size:
            raise ValueError("anchors as a tuple must be (indices, ItemParameters of that length)")
        rows = [
            (table.a[j], table.d[j][~np.isnan(table.d[j])], table.c[j]) for j in range(idx.size)
        ]
    else:
        idx_list, rows = [], []
        for key, value in anchors.items():
            idx_list.append(int(key))
            if isinstance(value, ItemParameters):
                if value.n_items != 1:
                    raise ValueError(f"anchor {key}: give the parameters of one item")
                rows.append((value.a[0], value.d[0][~np.isnan(value.d[0])], value.c[0]))
            elif isinstance(value, Mapping):
                a = float(value.get("a", 1.0))
                c = float(value.get("c", 0.0))
                if "d" in value:
                    d = np.atleast_1d(np.asarray(value["d"], dtype=float))
                elif "b" in value or "thresholds" in value:
                    loc = value["b"] if "b" in value else value["thresholds"]
                    d = -a * np.atleast_1d(np.asarray(loc, dtype=float))
                else:
                    raise ValueError(f"anchor {key}: needs 'd', 'b' or 'thresholds'")
                rows.append((a, d[~np.isnan(d)], c))
            else:
                raise ValueError(
                    f"anchor {key}: expected ItemParameters or a mapping, got {value!r}"
                )
        idx = np.asarray(idx_list, dtype=int)
    if idx.size and (idx.min() < 0 or idx.max() >= n_items):
        raise ValueError(f"anchor index out of range [0, {n_items})")
    if np.unique(idx).size != idx.size:
        raise ValueError("an anchor item is listed twice")
    if model in DICHOTOMOUS_MODELS and any(r[1].size != 1 for r in rows):
        raise ValueError(f"{model} anchors need exactly one intercept each")
    return idx, rows


def start_values(data: ResponseData, model: str, n_cat: np.ndarray, n_k: int) -> np.ndarray:
    """Start ψ from observed category proportions (a = 1): logits of the cumulative (GRM) or
    adjacent-category (GPCM) proportions, smoothed by ½ so empty categories stay finite."""
    cells = data.item * n_k + data.score
    counts = np.bincount(cells, minlength=data.n_items * n_k).reshape(data.n_items, n_k)
    valid = np.arange(n_k) < n_cat[:, None]
    counts = np.where(valid, counts + 0.5, 0.0)
    share = counts / counts.sum(axis=1, keepdims=True)
    d = np.full((data.n_items, n_k - 1), np.nan)
    c = np.zeros(data.n_items)
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "gpcm":
            d = np.log(counts[:, 1:] / counts[:, :-1])
        else:
            above = np.cumsum(share[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= k), k = 1..K-1
            if model == "3pl":
                c[:] = 0.2
                above = np.clip((above - c[:, None]) / (1 - c[:, None]), 0.05, 0.95)
            d = np.log(above) - np.log1p(-above)
    d = np.where(valid[:, 1:], d, np.nan)
    return pack(np.ones(data.n_items), d, c)


def pad_intercepts(d: np.ndarray, width: int) -> np.ndarray:
    out = np.full(width, np.nan)
    out[: d.size] = d
    return out
