"""Calibrate the bank's item versions from live exam responses (marginal ML, Bock & Aitkin 1981).

The persons are submitted attempts, the items are the versions they were shown, scored by the
grading core (``live_responses``). Forms differ per candidate, so the data are sparse; the EM of
``item_bank.irt.calibration`` works on the observed cells only.

* Versions with fewer than ``min_responses`` responses are skipped: their responses leave the
  data, and their parameters are not touched.
* With ``anchor_non_demo`` the versions that already carry estimated (non-demo) parameters are
  held fixed at them, whatever their number of responses, and the latent mean and SD are
  estimated: the new versions land on the scale of the old ones and the scale stays put.
  Without anchors the scale is fixed by θ ~ N(0, 1) in the calibrated population.
* Partial credit (true/false-4, matching, cloze …) counts as right only when full, since the
  models are dichotomous — the same rule as the attempt's ability.
* The freely estimated versions get irt_a, irt_b (= −d/a), irt_c (0 outside the 3PL) and
  ``irt_is_demo = False``, with an ``ItemEvent`` "calibrated" each.

Re-running on the same data is idempotent: the responses are read in a fixed order and EM starts
from the data, so the estimates are the same; a version whose stored estimates already equal the
new ones is left as it is, without a new event. Flushes only: the caller commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.analysis.live_responses import collect_live_responses
from item_bank.irt.calibration import ProgressCallback, calibrate
from item_bank.irt.data import ResponseData
from item_bank.irt.models import ItemParameters, normalise_model
from item_bank.models import ItemEvent, ItemVersion

__all__ = ["CalibratedVersion", "CalibrationReport", "calibrate_from_live_data"]

LIVE_MODELS = ("1pl", "2pl", "3pl")
_SAME = 1e-9  # stored estimates this close to the new ones are the same estimates


@dataclass(frozen=True)
class CalibratedVersion:
    version_id: int
    n_responses: int
    a: float
    b: float
    c: float
    changed: bool  # False: the stored estimates were already these (a re-run)


@dataclass(frozen=True)
class CalibrationReport:
    model: str
    n_persons: int                 # attempts with at least one response in the calibration
    n_responses: int
    calibrated: tuple[CalibratedVersion, ...]
    anchored: tuple[int, ...]      # version ids held fixed
    skipped: tuple[int, ...]       # version ids with too few responses
    loglik: float                  # NaN when nothing was calibrated
    converged: bool
    n_iter: int = 0
    latent_mean: float = 0.0
    latent_sd: float = 1.0

    @property
    def n_changed(self) -> int:
        return sum(v.changed for v in self.calibrated)


def _has_estimates(version: ItemVersion) -> bool:
    return not version.irt_is_demo and version.irt_a is not None and version.irt_b is not None


def calibrate_from_live_data(
    db: Session,
    *,
    model: str = "2pl",
    min_responses: int = 200,
    anchor_non_demo: bool = True,
    progress: ProgressCallback | None = None,
    max_iter: int = 500,
) -> CalibrationReport:
    """Calibrate from the responses of every submitted attempt and write the estimates.

    Args:
        db: the session; flushed, not committed.
        model: "1pl", "2pl" or "3pl" (slope–intercept, θ ~ N(0, 1), no 1.7; 3PL with the
            core's default Beta(5, 17) prior on c).
        min_responses: versions with fewer responses are skipped.
        anchor_non_demo: hold versions with non-demo parameters fixed (see the module doc).
        progress: passed to the EM as progress(iteration, loglik, max_change).
        max_iter: limit on E-steps.

    Returns:
        ``CalibrationReport``.

    Raises:
        ValueError: an unknown model, scores that are not 0/1, or 1PL anchors of unequal slopes.
    """
    model = normalise_model(model)
    if model not in LIVE_MODELS:
        raise ValueError(f"live calibration fits {', '.join(LIVE_MODELS)}, not {model!r}")
    live = collect_live_responses(db)
    versions = {v.id: v for v in db.scalars(
        select(ItemVersion).where(ItemVersion.id.in_(live.version_ids.tolist())))}
    n_seen = np.bincount(live.item, minlength=live.version_ids.size)
    fixed = np.array([anchor_non_demo and _has_estimates(versions[int(v)])
                      for v in live.version_ids], dtype=bool)
    free = ~fixed & (n_seen >= min_responses)
    skipped = ~fixed & ~free
    kept = fixed | free
    skipped_ids = tuple(live.version_ids[skipped].tolist())
    if not free.any():
        return CalibrationReport(model, 0, 0, (), tuple(live.version_ids[fixed].tolist()),
                                 skipped_ids, math.nan, True)

    # keep the responses to calibrated and anchor versions; re-index persons and items densely
    rows = kept[live.item]
    person_ids, person = np.unique(live.person[rows], return_inverse=True)
    item_of = np.cumsum(kept) - 1
    # The dichotomous models see full credit as right and partial credit as wrong, as the
    # ability of a graded attempt does (exam_engine.exams.ability).
    score = live.score[rows] >= 1.0
    data = ResponseData(person, item_of[live.item[rows]], score.astype(np.int64),
                        person_ids.size, int(kept.sum()))
    kept_ids = live.version_ids[kept]
    anchor_idx = np.flatnonzero(fixed[kept])
    anchors = None
    if anchor_idx.size:
        anchored = [versions[int(kept_ids[j])] for j in anchor_idx]
        anchors = (anchor_idx, ItemParameters.from_irt(
            model, a=np.array([v.irt_a for v in anchored], dtype=float),
            b=np.array([v.irt_b for v in anchored], dtype=float),
            c=np.array([v.irt_c or 0.0 for v in anchored], dtype=float)
            if model == "3pl" else None))
    fit = calibrate(data, model, anchors=anchors, progress=progress, max_iter=max_iter)

    label = model.upper()
    n_responses = np.bincount(data.item, minlength=data.n_items)
    calibrated = []
    for j in np.flatnonzero(free[kept]):
        version = versions[int(kept_ids[j])]
        a, b = float(fit.a[j]), float(fit.b[j])
        c = float(fit.c[j]) if model == "3pl" else 0.0
        n = int(n_responses[j])
        changed = not (version.irt_is_demo is False and _close(version, a, b, c))
        if changed:
            version.irt_a, version.irt_b, version.irt_c = a, b, c
            version.irt_is_demo = False
            db.add(ItemEvent(item_id=version.item_id, version_id=version.id, action="calibrated",
                             comment=f"{label}, N = {n}: a = {a:.3f}, b = {b:.3f}, c = {c:.3f}"))
        calibrated.append(CalibratedVersion(version.id, n, a, b, c, changed))
    db.flush()
    return CalibrationReport(
        model=model, n_persons=data.n_persons, n_responses=data.n_obs,
        calibrated=tuple(calibrated), anchored=tuple(kept_ids[anchor_idx].tolist()),
        skipped=skipped_ids, loglik=float(fit.loglik), converged=fit.converged,
        n_iter=fit.n_iter, latent_mean=fit.latent_mean, latent_sd=fit.latent_sd)


def _close(version: ItemVersion, a: float, b: float, c: float) -> bool:
    stored = (version.irt_a, version.irt_b, version.irt_c)
    return all(s is not None and abs(s - new) <= _SAME * max(1.0, abs(new))
               for s, new in zip(stored, (a, b, c), strict=True))
