"""Reporting scales: known values, clipping, rounding and the pass decision at the cut."""

import numpy as np
import pytest

from item_bank.irt.scales import (
    SCALE_PRESETS,
    ReportingScale,
    ic3_scale,
    scale_from_anchor_points,
    vietnamese_scale,
)


def test_vietnamese_scale_maps_minus_three_to_zero_and_three_to_ten_with_cut_five():
    scale = vietnamese_scale()
    assert scale.to_scale(-3.0) == 0.0
    assert scale.to_scale(0.0) == 5.0
    assert scale.to_scale(3.0) == 10.0
    assert scale.to_scale(0.9) == 6.5
    assert scale.cut == 5.0 and scale.cut_theta == pytest.approx(0.0)


def test_scores_are_clipped_to_the_scale():
    scale = vietnamese_scale()
    np.testing.assert_array_equal(scale.to_scale(np.array([-9.0, 9.0])), [0.0, 10.0])
    assert ic3_scale().to_scale(-8.0) == 0.0 and ic3_scale().to_scale(4.0) == 1000.0


def test_rounding_is_half_up_to_the_step():
    scale = vietnamese_scale()
    # θ = -0.03 → 4.95 exactly on the 0.1 grid's midpoint: reported as 5.0, and passes
    assert scale.to_scale(-0.03) == 5.0
    assert scale.passed(-0.03)
    assert scale.to_scale(-0.0312) == 4.9
    assert not scale.passed(-0.0312)


def test_pass_decision_agrees_with_the_reported_score():
    scale = ic3_scale(cut_theta=0.4)
    theta = np.linspace(-3, 3, 601)
    reported = scale.to_scale(theta)
    np.testing.assert_array_equal(scale.passed(theta), reported >= 700)
    assert scale.to_scale(0.4) == 700.0
    assert scale.to_scale(1.4) == 800.0


def test_nan_theta_fails_and_stays_nan():
    scale = vietnamese_scale()
    assert np.isnan(scale.to_scale(np.nan))
    assert not scale.passed(np.nan)


def test_anchor_point_factory_and_inverse():
    scale = scale_from_anchor_points(-2.0, 20.0, 2.0, 80.0, 0.0, 100.0, cut_theta=0.5, name="pct")
    assert (scale.slope, scale.intercept) == (15.0, 50.0)
    assert scale.cut == 57.5
    assert scale.to_theta(57.5) == pytest.approx(0.5)
    assert set(SCALE_PRESETS) == {"0-10", "0-1000"}


def test_invalid_scales_are_rejected():
    with pytest.raises(ValueError):
        ReportingScale("bad", 0, 10, -1.0, 5.0, 5.0)
    with pytest.raises(ValueError):
        ReportingScale("bad", 0, 10, 1.0, 5.0, 11.0)
    with pytest.raises(ValueError):
        scale_from_anchor_points(1.0, 0.0, -1.0, 10.0, 0.0, 10.0, 0.0)
