"""Known answers for the item response functions and information (worked by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.irt.models import (
    MODELS,
    ItemParameters,
    category_probabilities,
    expected_item_score,
    expected_score,
    item_information,
    log_category_probabilities,
    normalise_model,
    test_information,
)

THETA = np.linspace(-4, 4, 17)


def test_model_names_are_case_insensitive_and_bad_names_are_named() -> None:
    assert normalise_model("Rasch") == "rasch"
    assert normalise_model("2PL") == "2pl"
    assert normalise_model(" GRM ") == "grm"
    assert set(MODELS) == {"rasch", "1pl", "2pl", "3pl", "grm", "gpcm"}
    with pytest.raises(ValueError, match="'4pl'"):
        normalise_model("4pl")


def test_2pl_probability_is_one_half_at_theta_equal_b() -> None:
    params = ItemParameters.from_irt("2pl", a=[0.5, 1.0, 2.5], b=[-1.0, 0.3, 2.0])
    probs = category_probabilities(params.b, params)  # item j evaluated at θ = b_j
    np.testing.assert_allclose(np.diagonal(probs[:, :, 1]), 0.5, atol=1e-15)
    np.testing.assert_allclose(params.b, [-1.0, 0.3, 2.0])
    np.testing.assert_allclose(params.d[:, 0], [0.5, -0.3, -5.0])


def test_3pl_probability_at_theta_equal_b_is_c_plus_half_the_rest() -> None:
    params = ItemParameters.from_irt("3pl", a=[1.2], b=[0.7], c=[0.2])
    assert category_probabilities(0.7, params)[0, 0, 1] == pytest.approx(0.2 + 0.8 / 2)
    # lower asymptote far below, 1 far above
    assert category_probabilities(-40.0, params)[0, 0, 1] == pytest.approx(0.2)
    assert category_probabilities(40.0, params)[0, 0, 1] == pytest.approx(1.0)


def test_2pl_by_hand() -> None:
    params = ItemParameters("2pl", np.array([1.5]), np.array([[0.5]]), np.zeros(1))
    p = 1 / (1 + np.exp(-(1.5 * 1.0 + 0.5)))
    assert category_probabilities(1.0, params)[0, 0, 1] == pytest.approx(p)
    assert item_information(1.0, params)[0, 0] == pytest.approx(1.5**2 * p * (1 - p))


def test_2pl_information_is_a_squared_p_q() -> None:
    params = ItemParameters.from_irt("2pl", a=[0.6, 1.0, 2.2], b=[-1.0, 0.0, 1.5])
    p = category_probabilities(THETA, params)[:, :, 1]
    np.testing.assert_allclose(item_information(THETA, params), params.a**2 * p * (1 - p))
    np.testing.assert_allclose(test_information(THETA, params), (params.a**2 * p * (1 - p)).sum(1))


def test_3pl_information_matches_birnbaum_formula() -> None:
    a, b, c = 1.3, 0.4, 0.25
    params = ItemParameters.from_irt("3pl", a=[a], b=[b], c=[c])
    p = category_probabilities(THETA, params)[:, 0, 1]
    expected = a**2 * ((1 - p) / p) * ((p - c) / (1 - c)) ** 2
    np.testing.assert_allclose(item_information(THETA, params)[:, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_polytomous_category_probabilities_sum_to_one(model: str) -> None:
    params = ItemParameters(
        model,
        np.array([0.8, 1.7, 2.5]),
        np.array([[2.0, 0.0, -1.5], [1.0, -1.0, np.nan], [3.0, np.nan, np.nan]]),
        np.zeros(3),
    )
    probs = category_probabilities(THETA, params)
    assert probs.shape == (THETA.size, 3, 4)
    np.testing.assert_allclose(probs.sum(axis=2), 1.0, atol=1e-12)
    # impossible categories of the shorter items are exactly zero
    assert np.all(probs[:, 1, 3] == 0) and np.all(probs[:, 2, 2:] == 0)
    np.testing.assert_array_equal(params.n_categories, [4, 3, 2])


def test_grm_by_hand() -> None:
    a, d = 1.2, np.array([1.0, -0.5])
    params = ItemParameters("grm", np.array([a]), d[None, :], np.zeros(1))
    star = 1 / (1 + np.exp(-(a * 0.3 + d)))  # P(X >= 1), P(X >= 2)
    expected = [1 - star[0], star[0] - star[1], star[1]]
    np.testing.assert_allclose(category_probabilities(0.3, params)[0, 0], expected)
    np.testing.assert_allclose(params.thresholds, [-d / a])


def test_gpcm_by_hand() -> None:
    a, d = 0.9, np.array([0.5, -0.4])
    params = ItemParameters("gpcm", np.array([a]), d[None, :], np.zeros(1))
    theta = -0.7
    z = np.array([0.0, a * theta + d[0], 2 * a * theta + d[0] + d[1]])
    expected = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(category_probabilities(theta, params)[0, 0], expected)


def test_two_category_grm_and_gpcm_equal_the_2pl() -> None:
    a, d = np.array([0.7, 1.9]), np.array([[0.4], [-1.1]])
    ref = category_probabilities(THETA, ItemParameters("2pl", a, d, np.zeros(2)))
    for model in ("grm", "gpcm"):
        probs = category_probabilities(THETA, ItemParameters(model, a, d, np.zeros(2)))
        np.testing.assert_allclose(probs, ref, atol=1e-14)
        np.testing.assert_allclose(
            item_information(THETA, ItemParameters(model, a, d, np.zeros(2))),
            item_information(THETA, ItemParameters("2pl", a, d, np.zeros(2))),
            rtol=1e-10,
        )


@pytest.mark.parametrize("model", ["3pl", "grm", "gpcm"])
def test_information_equals_fisher_information_of_the_category_probabilities(model: str) -> None:
    """I(θ) = Σ_k P_k (∂ log P_k / ∂θ)², checked by central differences."""
    if model == "3pl":
        params = ItemParameters.from_irt("3pl", a=[1.4, 0.7], b=[0.2, -1.0], c=[0.2, 0.1])
    else:
        params = ItemParameters(
            model,
            np.array([1.1, 2.0]),
            np.array([[1.5, 0.0, -2.0], [0.5, -0.5, np.nan]]),
            np.zeros(2),
        )
    h = 1e-5
    with np.errstate(invalid="ignore"):  # −inf − (−inf) in impossible categories
        dlog = (
            log_category_probabilities(THETA + h, params)
            - log_category_probabilities(THETA - h, params)
        ) / (2 * h)
    probs = category_probabilities(THETA, params)
    fisher = np.where(probs > 0, probs * np.nan_to_num(dlog) ** 2, 0.0).sum(axis=2)
    np.testing.assert_allclose(item_information(THETA, params), fisher, rtol=1e-6, atol=1e-10)


def test_log_probabilities_stay_finite_far_in_the_tails() -> None:
    params = ItemParameters("grm", np.array([3.0]), np.array([[4.0, 3.9, -5.0]]), np.zeros(1))
    logp = log_category_probabilities(np.array([-30.0, 30.0]), params)
    assert np.all(np.isfinite(logp))
    assert logp[1, 0, 3] == pytest.approx(0.0, abs=1e-12)


def test_expected_scores() -> None:
    params = ItemParameters.from_irt("2pl", a=[1.0, 2.0], b=[0.0, 0.0])
    np.testing.assert_allclose(expected_item_score(0.0, params), [[0.5, 0.5]])
    assert expected_score(0.0, params)[0] == pytest.approx(1.0)
    # GRM: E[X] = Σ_k P(X >= k)
    poly = ItemParameters("grm", np.array([1.0]), np.array([[1.0, -2.0]]), np.zeros(1))
    star = 1 / (1 + np.exp(-np.array([1.0, -2.0])))
    assert expected_item_score(0.0, poly)[0, 0] == pytest.approx(star.sum())


def test_parameter_validation_is_specific() -> None:
    with pytest.raises(ValueError, match="shapes"):
        ItemParameters("2pl", np.ones(3), np.zeros((2, 1)), np.zeros(3))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ItemParameters("3pl", np.ones(1), np.zeros((1, 1)), np.array([1.2]))
    with pytest.raises(ValueError, match="dichotomous"):
        ItemParameters("2pl", np.ones(1), np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="trailing"):
        ItemParameters("grm", np.ones(1), np.array([[1.0, np.nan, 0.0]]), np.zeros(1))
    with pytest.raises(ValueError, match="slopes are fixed"):
        ItemParameters.from_irt("rasch", a=[2.0], b=[0.0])


def test_parameters_are_read_only() -> None:
    params = ItemParameters.from_irt("2pl", a=[1.0], b=[0.0])
    with pytest.raises(ValueError):
        params.a[0] = 2.0
