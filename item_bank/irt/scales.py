"""Reporting scales: a linear map of θ onto the score candidates see, with a cut score.

``score = clip(round_to_step(slope · θ + intercept), minimum, maximum)`` (Kolen & Brennan 2014,
ch. 9, linear scale transformations). Pass/fail is decided on the *reported* score against the
cut, so the number on the certificate and the decision can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SCALE_PRESETS",
    "ReportingScale",
    "ic3_scale",
    "scale_from_anchor_points",
    "vietnamese_scale",
]


@dataclass(frozen=True)
class ReportingScale:
    """A linear reporting scale.

    Attributes:
        name: label for reports.
        minimum, maximum: reported scores are clipped to this range.
        slope, intercept: ``score = slope · θ + intercept`` (slope > 0).
        cut: passing score on the reported scale (pass when score >= cut).
        step: reported scores are rounded half-up to a multiple of ``step``; 0 = no rounding.
    """

    name: str
    minimum: float
    maximum: float
    slope: float
    intercept: float
    cut: float
    step: float = 0.0

    def __post_init__(self) -> None:
        if not self.slope > 0:
            raise ValueError(f"scale {self.name!r}: slope must be positive, got {self.slope}")
        if not self.minimum < self.maximum:
            raise ValueError(f"scale {self.name!r}: minimum must be below maximum")
        if not self.minimum <= self.cut <= self.maximum:
            raise ValueError(f"scale {self.name!r}: cut {self.cut} outside the scale")
        if self.step < 0:
            raise ValueError(f"scale {self.name!r}: step must be >= 0")

    @property
    def cut_theta(self) -> float:
        """θ at which the unrounded score equals the cut."""
        return (self.cut - self.intercept) / self.slope

    def to_scale(self, theta: np.ndarray | float) -> np.ndarray | float:
        """Reported score(s) for θ: (n,) → (n,), scalar → scalar; NaN stays NaN."""
        raw = self.slope * np.asarray(theta, dtype=float) + self.intercept
        if self.step > 0:
            # half-up, not numpy's half-to-even: 4.95 on a 0.1 step must report 5.0
            raw = np.floor(raw / self.step + 0.5 + 1e-9) * self.step
            raw = np.round(raw, 10)  # drop binary noise such as 5.000000000000001
        out = np.clip(raw, self.minimum, self.maximum)
        return float(out) if np.ndim(out) == 0 else out

    def to_theta(self, score: np.ndarray | float) -> np.ndarray | float:
        """Inverse of the linear part (no clipping or rounding undone)."""
        out = (np.asarray(score, dtype=float) - self.intercept) / self.slope
        return float(out) if np.ndim(out) == 0 else out

    def passed(self, theta: np.ndarray | float) -> np.ndarray | bool:
        """Pass decision(s): reported score >= cut; NaN θ fails."""
        out = np.asarray(self.to_scale(theta)) >= self.cut
        return bool(out) if np.ndim(out) == 0 else out


def scale_from_anchor_points(
    theta_lo: float,
    score_lo: float,
    theta_hi: float,
    score_hi: float,
    minimum: float,
    maximum: float,
    cut_theta: float,
    *,
    name: str = "custom",
    step: float = 0.0,
) -> ReportingScale:
    """The line through (theta_lo, score_lo) and (theta_hi, score_hi), with the cut at cut_theta.

    The cut on the reported scale is the (rounded, clipped) score at ``cut_theta``.
    """
    if theta_hi <= theta_lo or score_hi <= score_lo:
        raise ValueError("anchor points must increase: theta_lo < theta_hi, score_lo < score_hi")
    slope = (score_hi - score_lo) / (theta_hi - theta_lo)
    intercept = score_lo - slope * theta_lo
    unrounded = ReportingScale(name, minimum, maximum, slope, intercept, minimum, step)
    cut = float(unrounded.to_scale(cut_theta))
    return ReportingScale(name, minimum, maximum, slope, intercept, cut, step)


def vietnamese_scale(cut_theta: float = 0.0, *, step: float = 0.1) -> ReportingScale:
    """Thang điểm 0–10: θ = −3 → 0, θ = +3 → 10, reported to one decimal.

    With the default cut_theta = 0 the cut is 5.0, the usual pass mark (điểm đạt).
    """
    return scale_from_anchor_points(
        -3.0, 0.0, 3.0, 10.0, 0.0, 10.0, cut_theta, name="0-10", step=step
    )


def ic3_scale(cut_theta: float = 0.0, *, step: float = 1.0) -> ReportingScale:
    """IC3-style 0–1000 scale: 700 at the cut, 100 points per θ unit, whole numbers.

    IC3 reports a pass at 700 of 1000; anchoring the cut at 700 keeps that meaning whatever
    θ the standard-setting study chose.
    """
    return scale_from_anchor_points(
        cut_theta, 700.0, cut_theta + 3.0, 1000.0, 0.0, 1000.0, cut_theta, name="0-1000", step=step
    )


SCALE_PRESETS = {"0-10": vietnamese_scale, "0-1000": ic3_scale}
