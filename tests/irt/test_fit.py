"""Person fit (lz, lz*) and item fit (S-X²) against hand computation and simulation."""

import numpy as np
import pytest
from scipy.stats import kstest

from item_bank.irt.fit import item_fit_sx2, person_fit_lz, person_fit_lzstar
from item_bank.irt.models import ItemParameters, category_probabilities


def _simulate(params: ItemParameters, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n_persons, n_items) scores drawn from the model's category probabilities."""
    probs = category_probabilities(theta, params)
    cumulative = probs.cumsum(axis=2)
    u = rng.random(probs.shape[:2])[:, :, None]
    return (u > cumulative).sum(axis=2).astype(float)


def _twopl(n_items: int, rng: np.random.Generator) -> ItemParameters:
    return ItemParameters.from_irt(
        "2pl", a=rng.uniform(0.7, 2.0, n_items), b=rng.normal(0, 1, n_items)
    )


def test_lz_by_hand_for_three_items():
    params = ItemParameters.from_irt("2pl", a=[1.0, 1.5, 0.5], b=[-1.0, 0.0, 1.0])
    u = np.array([1.0, 0.0, 1.0])
    theta = 0.2
    p = [1 / (1 + np.exp(-a * (theta - b))) for a, b in [(1.0, -1.0), (1.5, 0.0), (0.5, 1.0)]]
    l0 = sum(np.log(pi) if ui else np.log(1 - pi) for pi, ui in zip(p, u, strict=True))
    mean = sum(pi * np.log(pi) + (1 - pi) * np.log(1 - pi) for pi in p)
    var = sum(pi * (1 - pi) * np.log(pi / (1 - pi)) ** 2 for pi in p)
    assert person_fit_lz(u, params, theta) == pytest.approx((l0 - mean) / np.sqrt(var), rel=1e-12)


def test_lzstar_by_hand_for_a_map_estimate_under_3pl():
    params = ItemParameters.from_irt("3pl", a=[1.0, 1.5, 0.8, 1.2], b=[-1.0, 0.0, 0.5, 1.0], c=0.2)
    u = np.array([1.0, 0.0, 1.0, 0.0])
    theta = -0.1
    a, b, c = params.a, params.b, params.c
    star = 1 / (1 + np.exp(-a * (theta - b)))
    p = c + (1 - c) * star
    q = 1 - p
    dp = (1 - c) * a * star * (1 - star)
    w = np.log(p / q)
    r = dp / (p * q)
    c_n = np.sum(dp * w) / np.sum(dp * r)
    r0 = -theta  # N(0, 1) prior
    expected = (np.sum((u - p) * w) + c_n * r0) / np.sqrt(np.sum((w - c_n * r) ** 2 * p * q))
    got = person_fit_lzstar(u, params, theta, estimator="map")
    assert got == pytest.approx(expected, rel=1e-10)


def test_lzstar_is_standard_normal_under_the_model_and_flags_aberrant_patterns():
    rng = np.random.default_rng(21)
    params = _twopl(40, rng)
    responses = _simulate(params, rng.normal(size=3000), rng)
    responses[rng.random(responses.shape) < 0.1] = np.nan  # not presented
    lzs = person_fit_lzstar(responses, params)
    assert np.nanmean(lzs) == pytest.approx(0.0, abs=0.1)
    assert np.nanstd(lzs) == pytest.approx(1.0, abs=0.1)
    # a reversed pattern: hard items right, easy items wrong
    aberrant = (params.b > np.median(params.b)).astype(float)
    assert person_fit_lzstar(aberrant, params) < -3
    assert person_fit_lz(aberrant, params) < -3


def test_extreme_patterns_have_no_person_fit():
    params = ItemParameters.from_irt("2pl", a=[1.0, 1.5, 0.5], b=[-1.0, 0.0, 1.0])
    patterns = np.array(
        [[1.0, 1.0, 1.0], [0.0, 0.0, np.nan], [1.0, np.nan, np.nan], [1.0, 0.0, 1.0]]
    )
    lz = person_fit_lz(patterns, params)
    assert np.isnan(lz[:3]).all() and np.isfinite(lz[3])
    with pytest.raises(ValueError, match="dichotomous"):
        person_fit_lz(np.array([2.0, 0.0, 1.0]), params)


def test_sx2_p_values_are_uniform_for_data_from_the_model():
    rng = np.random.default_rng(7)
    params = _twopl(20, rng)
    p_values = []
    for _ in range(4):
        responses = _simulate(params, rng.normal(size=3000), rng)
        # true parameters: nothing was estimated, so no degrees of freedom are charged
        fit = item_fit_sx2(responses, params, n_item_parameters=0)
        p_values.extend(fit.p_value)
    assert kstest(p_values, "uniform").pvalue > 0.01
    assert np.all(fit.df == fit.n_groups)


def test_sx2_flags_an_item_whose_curve_is_wrong():
    rng = np.random.default_rng(8)
    true = _twopl(15, rng)
    responses = _simulate(true, rng.normal(size=3000), rng)
    claimed = ItemParameters(
        true.model,
        np.r_[0.3, true.a[1:]],
        true.d * np.r_[0.3 / true.a[0], np.ones(14)][:, None],
        true.c,
    )
    fit = item_fit_sx2(responses, claimed)
    assert fit.p_value[0] < 1e-6
    assert np.median(fit.p_value[1:]) > 0.05
    np.testing.assert_array_equal(fit.df, fit.n_groups - 2)


def test_sx2_for_graded_items_is_not_alarmed_by_model_data():
    rng = np.random.default_rng(9)
    params = ItemParameters.from_irt(
        "grm", a=rng.uniform(0.8, 2.0, 8), thresholds=np.sort(rng.normal(0, 1, (8, 3)), axis=1)
    )
    responses = _simulate(params, rng.normal(size=3000), rng)
    fit = item_fit_sx2(responses, params, n_item_parameters=0)
    assert np.all(fit.p_value > 0.001)
    np.testing.assert_array_equal(fit.df, 3 * fit.n_groups)


def test_sx2_uses_only_complete_cases():
    rng = np.random.default_rng(10)
    params = _twopl(10, rng)
    responses = _simulate(params, rng.normal(size=500), rng)
    with_gaps = np.vstack([responses, np.full((3, 10), np.nan)])
    with_gaps[-3:, 0] = 1.0
    a = item_fit_sx2(responses, params)
    b = item_fit_sx2(with_gaps, params)
    np.testing.assert_allclose(a.statistic, b.statistic)


def test_sx2_with_estimated_parameters_charges_their_degrees_of_freedom():
    from item_bank.irt.calibration import calibrate

    rng = np.random.default_rng(5)
    p_values = []
    for _ in range(6):
        params = _twopl(15, rng)
        responses = _simulate(params, rng.normal(size=3000), rng)
        fit = item_fit_sx2(responses, calibrate(responses, "2pl"))
        p_values.extend(fit.p_value)
    assert kstest(p_values, "uniform").pvalue > 0.01
