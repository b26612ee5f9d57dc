"""Lord–Wingersky sum-score distributions and EAP[θ | sum score] tables."""

import itertools

import numpy as np
import pytest

from item_bank.irt.models import ItemParameters, category_probabilities
from item_bank.irt.scoring import normal_quadrature, score_eap
from item_bank.irt.sum_score import (
    lord_wingersky,
    rest_score_distributions,
    sum_score_distribution,
    sum_score_table,
)

GRM = ItemParameters.from_irt(
    "grm",
    a=[1.2, 0.7, 1.9, 1.0],
    thresholds=[[-1.0, 0.5, np.nan], [-0.5, 0.3, 1.2], [0.0, np.nan, np.nan], [-2.0, -1.0, 1.5]],
)


def _brute_force_distribution(theta: np.ndarray, params: ItemParameters) -> np.ndarray:
    """P(sum = x | θ) by enumerating every response pattern."""
    probs = category_probabilities(theta, params)
    n_cat = params.n_categories
    out = np.zeros((theta.size, int((n_cat - 1).sum()) + 1))
    for pattern in itertools.product(*[range(k) for k in n_cat]):
        p = np.prod([probs[:, i, x] for i, x in enumerate(pattern)], axis=0)
        out[:, sum(pattern)] += p
    return out


@pytest.mark.parametrize(
    "params",
    [
        ItemParameters.from_irt("3pl", a=[1, 1.5, 0.6, 2.0, 1.1], b=[-1, 0, 0.5, 1, 2], c=0.2),
        GRM,
        ItemParameters.from_irt(
            "gpcm", a=[0.8, 1.3], thresholds=[[-1.0, 0.0, 1.0], [0.5, np.nan, np.nan]]
        ),
    ],
)
def test_lord_wingersky_equals_enumeration_of_patterns(params):
    theta = np.array([-2.0, -0.3, 0.0, 1.7])
    got = sum_score_distribution(theta, params)
    np.testing.assert_allclose(got, _brute_force_distribution(theta, params), atol=1e-14)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_rest_score_distribution_leaves_one_item_out():
    theta = np.array([-1.0, 0.4])
    probs = category_probabilities(theta, GRM)
    rest = rest_score_distributions(probs, GRM.n_categories - 1)
    for i in range(GRM.n_items):
        others = [j for j in range(GRM.n_items) if j != i]
        expected = lord_wingersky(probs[:, others, :], GRM.n_categories[others] - 1)
        np.testing.assert_allclose(rest[i, :, : expected.shape[1]], expected)
        assert np.all(rest[i, :, expected.shape[1] :] == 0)


def test_rasch_sum_score_table_equals_pattern_eap_because_the_sum_is_sufficient():
    params = ItemParameters.from_irt("rasch", b=[-1.5, -0.5, 0.0, 0.7, 1.9])
    table = sum_score_table(params)
    patterns = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    theta, se = score_eap(patterns, params)
    sums = patterns.sum(axis=1).astype(int)
    np.testing.assert_allclose(theta, table.theta[sums], atol=1e-12)
    np.testing.assert_allclose(se, table.se[sums], atol=1e-12)
    assert np.all(np.diff(table.theta) > 0)


def test_polytomous_table_is_the_posterior_over_all_patterns_with_that_sum():
    table = sum_score_table(GRM, prior_mean=0.2, prior_sd=1.3)
    nodes, log_w = normal_quadrature(61, 0.2, 1.3)
    brute = _brute_force_distribution(nodes, GRM) * np.exp(log_w)[:, None]
    np.testing.assert_allclose(table.probability, brute.sum(axis=0), atol=1e-14)
    np.testing.assert_allclose(table.theta, nodes @ brute / brute.sum(axis=0), atol=1e-10)
    assert table.probability.sum() == pytest.approx(1.0)
    assert table.sum_score.tolist() == list(range(int((GRM.n_categories - 1).sum()) + 1))


def test_table_lookup_maps_sum_scores_and_rejects_impossible_ones():
    table = sum_score_table(GRM)
    theta, se = table.lookup(np.array([0, 3, 8]))
    np.testing.assert_array_equal(theta, table.theta[[0, 3, 8]])
    with pytest.raises(ValueError):
        table.lookup([10])
