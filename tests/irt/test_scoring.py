"""EAP / MAP / MLE scoring against known answers computed independently."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.stats import norm

from item_bank.irt.data import ResponseData
from item_bank.irt.models import ItemParameters, log_category_probabilities
from item_bank.irt.scoring import score_eap, score_map, score_mle, score_wle

LSAT6 = Path(__file__).resolve().parent / "reference_data" / "lsat6_patterns.csv"
LSAT6_2PL = ItemParameters.from_irt(
    "2pl",
    a=[0.8254, 0.7229, 0.8905, 0.6886, 0.6575],
    b=[-3.3597, -1.3696, -0.2799, -1.8659, -3.1236],
)


def _likelihood(theta: float, pattern: np.ndarray, params: ItemParameters) -> float:
    """Plain likelihood of one pattern at one θ, item by item (the slow reference)."""
    log_p = log_category_probabilities(np.array([theta]), params)[0]
    return float(np.exp(sum(log_p[i, int(x)] for i, x in enumerate(pattern) if not np.isnan(x))))


def _eap_by_quad(pattern: np.ndarray, params: ItemParameters, mean=0.0, sd=1.0):
    def f(t, power):
        return t**power * _likelihood(t, pattern, params) * norm.pdf(t, mean, sd)

    lo, hi = mean - 10 * sd, mean + 10 * sd
    z = quad(f, lo, hi, args=(0,), epsabs=1e-14, limit=200)[0]
    m = quad(f, lo, hi, args=(1,), epsabs=1e-14, limit=200)[0] / z
    v = quad(f, lo, hi, args=(2,), epsabs=1e-14, limit=200)[0] / z - m**2
    return m, np.sqrt(v)


@pytest.mark.parametrize(
    "params, score",
    [
        (ItemParameters.from_irt("2pl", a=[1.3], b=[0.4]), 1.0),
        (ItemParameters.from_irt("2pl", a=[1.3], b=[0.4]), 0.0),
        (ItemParameters.from_irt("3pl", a=[1.8], b=[-0.5], c=[0.2]), 0.0),
        (ItemParameters.from_irt("grm", a=[1.5], thresholds=[[-1.0, 0.2, 1.4]]), 2.0),
        (ItemParameters.from_irt("gpcm", a=[0.9], thresholds=[[-0.3, 0.8]]), 1.0),
    ],
)
def test_eap_of_one_item_equals_direct_numerical_integration(params, score):
    theta, se = score_eap(np.array([score]), params)
    expected_theta, expected_se = _eap_by_quad(np.array([score]), params)
    assert theta == pytest.approx(expected_theta, abs=1e-7)
    assert se == pytest.approx(expected_se, abs=1e-7)


def test_eap_respects_a_non_standard_prior():
    params = ItemParameters.from_irt("2pl", a=[1.1, 0.7], b=[0.0, 1.0])
    pattern = np.array([1.0, 0.0])
    theta, se = score_eap(pattern, params, prior_mean=0.5, prior_sd=1.5)
    expected = _eap_by_quad(pattern, params, 0.5, 1.5)
    assert (theta, se) == pytest.approx(expected, abs=1e-6)


def test_lsat6_eap_matches_slow_reference_under_published_2pl():
    table = np.genfromtxt(LSAT6, delimiter=",", names=True)
    patterns = np.column_stack([table[f"Item_{i}"] for i in range(1, 6)]).astype(float)
    theta, se = score_eap(patterns, LSAT6_2PL)
    reference = np.array([_eap_by_quad(p, LSAT6_2PL) for p in patterns])
    # the grid stops at ±6: posteriors far in the tail (all wrong) lose ~1e-6 of their spread
    np.testing.assert_allclose(theta, reference[:, 0], atol=1e-5)
    np.testing.assert_allclose(se, reference[:, 1], atol=1e-5)


def test_single_pattern_fast_path_agrees_with_batch_path():
    rng = np.random.default_rng(3)
    params = ItemParameters.from_irt("2pl", a=rng.uniform(0.5, 2, 30), b=rng.normal(size=30))
    batch = (rng.random((50, 30)) < 0.6).astype(float)
    batch[rng.random(batch.shape) < 0.2] = np.nan
    theta, se = score_eap(batch, params)
    for row in range(5):
        one = score_eap(batch[row], params)
        assert isinstance(one[0], float)
        assert one == pytest.approx((theta[row], se[row]), abs=1e-12)


def test_not_presented_items_are_the_same_as_removing_them():
    rng = np.random.default_rng(4)
    params = ItemParameters.from_irt("3pl", a=rng.uniform(0.8, 2, 6), b=rng.normal(size=6), c=0.15)
    pattern = np.array([1.0, np.nan, 0.0, 1.0, np.nan, 1.0])
    kept = np.flatnonzero(~np.isnan(pattern))
    for scorer in (score_eap, score_map, score_mle, score_wle):
        with_nan = scorer(pattern, params)
        removed = scorer(pattern[kept], params.subset(kept))
        assert with_nan == pytest.approx(removed, abs=1e-8)


def test_rasch_theta_increases_with_sum_score_and_depends_only_on_it():
    rng = np.random.default_rng(5)
    params = ItemParameters.from_irt("rasch", b=rng.normal(size=10))
    patterns = (rng.random((400, 10)) < 0.5).astype(float)
    sums = patterns.sum(axis=1)
    for scorer in (score_eap, score_map, score_mle, score_wle):
        theta, _ = scorer(patterns, params)
        by_sum = [theta[sums == s] for s in np.unique(sums)]
        assert all(np.ptp(group) < 1e-6 for group in by_sum)  # sufficiency of the sum score
        assert np.all(np.diff([group[0] for group in by_sum]) > 0)


def _score_equation_2pl(theta, pattern, params, prior_sd=None):
    p = 1 / (1 + np.exp(-(params.a * theta + params.d[:, 0])))
    g = np.sum(params.a * (pattern - p))
    return g - (theta / prior_sd**2 if prior_sd else 0.0)


def test_mle_is_the_root_of_the_score_equation():
    params = ItemParameters.from_irt(
        "2pl", a=[0.8, 1.2, 1.9, 0.6, 1.4], b=[-1, -0.3, 0.2, 0.9, 1.5]
    )
    pattern = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    theta, se = score_mle(pattern, params)
    root = brentq(_score_equation_2pl, -6, 6, args=(pattern, params), xtol=1e-12)
    assert theta == pytest.approx(root, abs=1e-6)
    p = 1 / (1 + np.exp(-(params.a * root + params.d[:, 0])))
    assert se == pytest.approx(1 / np.sqrt(np.sum(params.a**2 * p * (1 - p))), rel=1e-5)


def test_map_is_the_root_of_the_penalised_score_equation():
    params = ItemParameters.from_irt(
        "2pl", a=[0.8, 1.2, 1.9, 0.6, 1.4], b=[-1, -0.3, 0.2, 0.9, 1.5]
    )
    pattern = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    theta, se = score_map(pattern, params, prior_sd=1.0)
    root = brentq(_score_equation_2pl, -6, 6, args=(pattern, params, 1.0), xtol=1e-12)
    assert theta == pytest.approx(root, abs=1e-6)
    p = 1 / (1 + np.exp(-(params.a * root + params.d[:, 0])))
    assert se == pytest.approx(1 / np.sqrt(np.sum(params.a**2 * p * (1 - p)) + 1.0), rel=1e-5)


def test_grm_mle_zeroes_the_numerical_score():
    params = ItemParameters.from_irt(
        "grm",
        a=[1.2, 0.8, 2.0],
        thresholds=[[-1.0, 0.5, np.nan], [-0.5, 0.3, 1.2], [0.0, 1.0, np.nan]],
    )
    pattern = np.array([1.0, 3.0, 0.0])
    theta, _ = score_mle(pattern, params)

    def loglik(t):
        log_p = log_category_probabilities(np.array([t]), params)[0]
        return sum(log_p[i, int(x)] for i, x in enumerate(pattern))

    h = 1e-5
    assert (loglik(theta + h) - loglik(theta - h)) / (2 * h) == pytest.approx(0.0, abs=1e-6)


def test_mle_of_all_right_and_all_wrong_patterns_is_the_bound():
    params = ItemParameters.from_irt("3pl", a=[1.0, 1.5, 0.7], b=[-1, 0, 1], c=[0.2, 0.2, 0.25])
    patterns = np.array([[1.0, 1, 1], [0, 0, 0], [0, np.nan, 0]])
    theta, se = score_mle(patterns, params, bounds=(-5.0, 5.0))
    np.testing.assert_array_equal(theta, [5.0, -5.0, -5.0])
    assert np.all(np.isfinite(se)) and np.all(se > 1.0)
    map_theta, _ = score_map(patterns, params)
    assert map_theta[0] > 0 > map_theta[1] and np.all(np.abs(map_theta) < 3)


def test_persons_without_responses_get_the_prior_or_nan():
    params = ItemParameters.from_irt("2pl", a=[1.0, 1.2], b=[0.0, 0.5])
    empty = np.array([[np.nan, np.nan], [1.0, 0.0]])
    theta, se = score_eap(empty, params, prior_mean=0.3, prior_sd=0.9)
    assert theta[0] == pytest.approx(0.3, abs=1e-9) and se[0] == pytest.approx(0.9, abs=1e-6)
    assert np.isnan(score_mle(empty, params)[0][0])
    assert score_map(empty, params)[0][0] == 0.0


def test_accepts_response_data_triples_and_calibration_like_objects():
    params = ItemParameters.from_irt("2pl", a=[1.0, 1.2, 0.8], b=[0.0, 0.5, -0.5])
    dense = np.array([[1.0, np.nan, 0.0], [0.0, 1.0, 1.0]])
    expected = score_eap(dense, params)
    data = ResponseData.from_dense(dense)
    calibration = SimpleNamespace(params=params)
    for responses in (data, (data.person, data.item, data.score)):
        got = score_eap(responses, calibration)
        np.testing.assert_allclose(got, expected)


def test_scores_outside_the_categories_are_rejected():
    params = ItemParameters.from_irt("2pl", a=[1.0, 1.2], b=[0.0, 0.5])
    with pytest.raises(ValueError, match="not a category"):
        score_eap(np.array([[1.0, 2.0]]), params)
    with pytest.raises(ValueError, match="not a category"):
        score_eap(np.array([0.5, 1.0]), params)
    with pytest.raises(ValueError, match="items"):
        score_eap(np.array([1.0, 1.0, 1.0]), params)


def test_sparse_adaptive_responses_score_like_their_dense_form():
    rng = np.random.default_rng(12)
    bank = ItemParameters.from_irt(
        "gpcm", a=rng.uniform(0.6, 2.0, 300), thresholds=rng.normal(0, 1, (300, 2))
    )
    person = np.repeat(np.arange(500), 20)
    item = np.concatenate([rng.choice(300, 20, replace=False) for _ in range(500)])
    score = rng.integers(0, 3, person.size)
    data = ResponseData.from_triples(person, item, score, 501, 300)  # person 500: nothing seen
    sparse = score_eap(data, bank)
    dense = score_eap(data.to_dense(), bank)
    np.testing.assert_allclose(sparse, dense, atol=1e-12)
    assert sparse[0][500] == pytest.approx(0.0, abs=1e-12)


def test_a_calibration_supplies_its_latent_distribution_as_the_default_prior():
    params = ItemParameters.from_irt("rasch", b=[-1.0, 0.0, 1.0])
    calibration = SimpleNamespace(params=params, latent_mean=0.4, latent_sd=1.6)
    patterns = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    explicit = score_eap(patterns, params, prior_mean=0.4, prior_sd=1.6)
    np.testing.assert_allclose(score_eap(patterns, calibration), explicit)
    np.testing.assert_allclose(
        score_map(patterns, calibration), score_map(patterns, params, prior_mean=0.4, prior_sd=1.6)
    )
    assert not np.allclose(score_eap(patterns, params)[0], explicit[0])


def test_compact_integer_matrices_score_like_float_ones():
    rng = np.random.default_rng(13)
    params = ItemParameters.from_irt("2pl", a=rng.uniform(0.5, 2, 12), b=rng.normal(size=12))
    small = (rng.random((100, 12)) < 0.5).astype(np.int8)
    np.testing.assert_allclose(score_eap(small, params), score_eap(small.astype(float), params))


def test_wle_solves_warms_equation_and_is_finite_for_perfect_patterns():
    params = ItemParameters.from_irt(
        "2pl", a=[0.8, 1.2, 1.9, 0.6, 1.4], b=[-1, -0.3, 0.2, 0.9, 1.5]
    )

    def warm(theta, pattern):
        p = 1 / (1 + np.exp(-(params.a * theta + params.d[:, 0])))
        info = np.sum(params.a**2 * p * (1 - p))
        info_slope = np.sum(params.a**3 * p * (1 - p) * (1 - 2 * p))
        return np.sum(params.a * (pattern - p)) + info_slope / (2 * info)

    patterns = np.array([[1.0, 1, 0, 1, 0], [1.0, 1, 1, 1, 1], [0.0, 0, 0, 0, 0]])
    theta, se = score_wle(patterns, params)
    for row, pattern in enumerate(patterns):
        root = brentq(warm, -6, 6, args=(pattern,), xtol=1e-12)
        assert theta[row] == pytest.approx(root, abs=1e-6)
    assert np.all(np.abs(theta) < 6) and np.all(np.isfinite(se))
