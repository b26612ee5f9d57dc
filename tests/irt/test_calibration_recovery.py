"""Parameter recovery on simulated data, EM monotonicity, sparse designs and fixed anchors.

Bounds: with unbiased estimates and correct standard errors the RMSE over items equals the
root-mean-square SE; over 20-30 items that ratio has a sampling spread of roughly ±25 %
(√(χ²_n / n)), so recovery is asserted as RMSE <= 1.5 × RMS(SE), which checks the estimates and
the standard errors together. Absolute bounds beside it follow the same arithmetic at that N.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest

from item_bank.irt.calibration import Calibration, ConvergenceWarning, calibrate
from item_bank.irt.data import ResponseData, simulate_responses
from item_bank.irt.models import ItemParameters

BankFactory = Callable[[str, int, np.random.Generator], ItemParameters]
Rmse = Callable[[np.ndarray, np.ndarray], float]


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean(np.asarray(values) ** 2)))


def _monotone(fit: Calibration) -> bool:
    steps = np.diff(fit.loglik_trace)
    return bool(np.all(steps >= -1e-9 * np.abs(fit.loglik_trace[1:])))


@pytest.mark.parametrize(
    ("model", "n_persons", "n_items"),
    [("2pl", 2000, 25), ("grm", 1500, 20), ("gpcm", 1500, 20)],
)
def test_slopes_and_intercepts_are_recovered(
    model: str, n_persons: int, n_items: int, make_bank: BankFactory, error: Rmse
) -> None:
    rng = np.random.default_rng(20240601)
    truth = make_bank(model, n_items, rng)
    data = simulate_responses(truth, rng.normal(0, 1, n_persons), rng)
    fit = calibrate(data, model)
    assert fit.converged and _monotone(fit)
    assert error(fit.a, truth.a) <= 1.5 * _rms(fit.se.a)
    assert error(fit.d, truth.d) <= 1.5 * _rms(fit.se.d)
    # at these N the SEs are ~0.05-0.1 for a and ~0.06-0.12 for d
    assert error(fit.a, truth.a) < 0.12
    assert error(fit.thresholds, truth.thresholds) < 0.15


def test_rasch_recovers_difficulties_and_the_latent_sd(make_bank: BankFactory, error: Rmse) -> None:
    rng = np.random.default_rng(11)
    truth = make_bank("rasch", 25, rng)
    data = simulate_responses(truth, rng.normal(0, 1.3, 2000), rng)
    fit = calibrate(data, "rasch")
    assert fit.converged and _monotone(fit)
    np.testing.assert_allclose(fit.a, 1.0)
    assert error(fit.b, truth.b) <= 1.5 * _rms(fit.se.b)
    assert error(fit.b, truth.b) < 0.1  # SE(b) ≈ 0.06 at 2000 persons
    assert abs(fit.latent_sd - 1.3) < 3 * fit.se.latent_sd
    assert fit.se.latent_sd < 0.05


def test_1pl_recovers_the_common_slope(make_bank: BankFactory, error: Rmse) -> None:
    rng = np.random.default_rng(12)
    truth = make_bank("1pl", 25, rng)  # common slope 1.3
    data = simulate_responses(truth, rng.normal(0, 1, 2000), rng)
    fit = calibrate(data, "1pl")
    assert np.ptp(fit.a) == 0
    assert abs(fit.a[0] - 1.3) < 3 * fit.se.a[0]
    assert error(fit.b, truth.b) <= 1.5 * _rms(fit.se.b)


def test_3pl_recovers_with_the_default_beta_prior_on_c(make_bank: BankFactory, error: Rmse) -> None:
    """The 3PL is weakly identified: c ~ Beta(5, 17) (mean 0.23) is always applied, so c is
    pulled towards 0.23 and the bounds are those of a Bayes modal estimate at N = 4000."""
    rng = np.random.default_rng(13)
    truth = make_bank("3pl", 25, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 4000), rng)
    fit = calibrate(data, "3pl")
    assert fit.priors["c"] == ("beta", 5.0, 17.0)
    assert _monotone(fit)
    assert error(fit.c, truth.c) < 0.06
    assert error(fit.b, truth.b) < 0.2
    assert error(fit.a, truth.a) < 0.2
    assert np.all((fit.c > 0) & (fit.c < 0.5))


def test_3pl_prior_can_be_removed_or_replaced(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(14)
    truth = make_bank("3pl", 10, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 1000), rng)
    fit = calibrate(data, "3pl", priors={"c": ("beta", 2.0, 8.0), "a": ("lognormal", 0.0, 0.5)})
    assert fit.priors == {"c": ("beta", 2.0, 8.0), "a": ("lognormal", 0.0, 0.5)}
    assert _monotone(fit)


@pytest.mark.parametrize("model", ["rasch", "2pl", "3pl", "grm", "gpcm"])
def test_em_log_likelihood_never_decreases(model: str, make_bank: BankFactory) -> None:
    rng = np.random.default_rng(15)
    truth = make_bank(model, 12, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 800), rng)
    fit = calibrate(data, model, tol=1e-6)
    assert 0 < fit.loglik_trace.size <= fit.n_iter  # rejected extrapolations are not recorded
    assert _monotone(fit)
    plain = calibrate(data, model, tol=1e-6, accelerate=False)
    assert plain.loglik_trace.size == plain.n_iter
    assert _monotone(plain)


@pytest.mark.parametrize("model", ["2pl", "grm"])
def test_squarem_reaches_the_plain_em_estimate_in_fewer_steps(
    model: str, make_bank: BankFactory
) -> None:
    rng = np.random.default_rng(26)
    truth = make_bank(model, 15, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 1500), rng)
    fast = calibrate(data, model, tol=1e-7)
    plain = calibrate(data, model, tol=1e-7, accelerate=False, max_iter=2000)
    assert fast.n_iter < plain.n_iter
    np.testing.assert_allclose(fast.a, plain.a, atol=1e-4)
    np.testing.assert_allclose(fast.d, plain.d, atol=1e-4)
    assert fast.loglik == pytest.approx(plain.loglik, abs=1e-5)


def test_sparse_design_recovers_as_well_as_dense(make_bank: BankFactory, error: Rmse) -> None:
    """5,000 persons × 200 items, 30 each (750 responses per item), against a dense
    750 × 200 with the same responses per item: the RMSEs agree within 25 %."""
    rng = np.random.default_rng(16)
    truth = make_bank("2pl", 200, rng)
    sparse = simulate_responses(truth, rng.normal(0, 1, 5000), rng, items_per_person=30)
    dense = simulate_responses(truth, rng.normal(0, 1, 750), rng)
    fit_sparse = calibrate(sparse, "2pl")
    fit_dense = calibrate(dense, "2pl")
    assert fit_sparse.converged and fit_dense.converged
    for name in ("a", "b"):
        err_sparse = error(getattr(fit_sparse, name), getattr(truth, name))
        err_dense = error(getattr(fit_dense, name), getattr(truth, name))
        assert err_sparse < 1.25 * err_dense, (name, err_sparse, err_dense)
    assert error(fit_sparse.a, truth.a) < 0.12  # SE(a) ≈ 0.09 at 750 responses per item
    assert error(fit_sparse.a, truth.a) <= 1.5 * _rms(fit_sparse.se.a)


def test_dense_and_sparse_inputs_give_the_same_estimates(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(17)
    truth = make_bank("grm", 30, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 600), rng, items_per_person=20)
    matrix = data.to_dense()
    fits = [
        calibrate(matrix, "grm", dense=True),
        calibrate(matrix, "grm", dense=False),
        calibrate((data.person, data.item, data.score), "grm"),
    ]
    for other in fits[1:]:
        np.testing.assert_allclose(other.a, fits[0].a, rtol=1e-9)
        np.testing.assert_allclose(other.d, fits[0].d, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(other.se.a, fits[0].se.a, rtol=1e-7)
        assert other.loglik == pytest.approx(fits[0].loglik, rel=1e-12)


def test_complete_dense_path_equals_the_sparse_path(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(18)
    truth = make_bank("2pl", 15, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 500), rng)
    dense, sparse = calibrate(data, "2pl", dense=True), calibrate(data, "2pl", dense=False)
    np.testing.assert_allclose(dense.a, sparse.a, rtol=1e-9)
    np.testing.assert_allclose(dense.se.d, sparse.se.d, rtol=1e-7)


@pytest.mark.parametrize("model", ["2pl", "grm"])
def test_fixed_anchors_put_new_items_on_the_anchor_scale(
    model: str, make_bank: BankFactory, error: Rmse
) -> None:
    """Anchors keep their parameters; with the population at N(0.5, 1.2²) the latent mean and
    SD are estimated and the new items recover their generating values on the anchor scale."""
    rng = np.random.default_rng(19)
    truth = make_bank(model, 40, rng)
    data = simulate_responses(truth, rng.normal(0.5, 1.2, 3000), rng)
    anchor_idx = np.arange(20)
    fit = calibrate(data, model, anchors=(anchor_idx, truth.subset(anchor_idx)))
    assert fit.converged and _monotone(fit)
    np.testing.assert_array_equal(fit.a[anchor_idx], truth.a[anchor_idx])
    np.testing.assert_array_equal(fit.d[anchor_idx], truth.d[anchor_idx])
    assert np.all(np.isnan(fit.se.a[anchor_idx]))
    assert abs(fit.latent_mean - 0.5) < 3 * fit.se.latent_mean
    assert abs(fit.latent_sd - 1.2) < 3 * fit.se.latent_sd
    new = np.arange(20, 40)
    assert error(fit.a[new], truth.a[new]) <= 1.5 * _rms(fit.se.a[new])
    assert error(fit.thresholds[new], truth.thresholds[new]) <= 1.5 * _rms(fit.se.thresholds[new])
    # without anchors the same items land on the N(0, 1) scale instead: b shifted by −0.5/1.2
    free_fit = calibrate(data, model)
    shift = np.mean(free_fit.thresholds[new] - fit.thresholds[new])
    assert shift == pytest.approx(-0.5 / 1.2, abs=0.08)


def test_anchors_given_as_a_mapping(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(20)
    truth = make_bank("3pl", 12, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 1000), rng)
    anchors = {0: {"a": 1.1, "b": 0.2, "c": 0.2}, 3: truth.subset([3])}
    fit = calibrate(data, "3pl", anchors=anchors)
    assert fit.a[0] == 1.1 and fit.b[0] == pytest.approx(0.2) and fit.c[0] == 0.2
    assert fit.c[3] == truth.c[3]
    np.testing.assert_array_equal(fit.anchors, [0, 3])


def test_1pl_anchors_share_their_common_slope(make_bank: BankFactory, error: Rmse) -> None:
    rng = np.random.default_rng(21)
    truth = make_bank("1pl", 20, rng)
    data = simulate_responses(truth, rng.normal(0.3, 1.0, 2000), rng)
    fit = calibrate(data, "1pl", anchors=(np.arange(10), truth.subset(np.arange(10))))
    np.testing.assert_allclose(fit.a, 1.3)
    assert abs(fit.latent_mean - 0.3) < 0.15
    assert error(fit.b[10:], truth.b[10:]) < 0.12


def test_non_convergence_warns_and_a_second_call_continues(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(22)
    truth = make_bank("2pl", 10, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 800), rng)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        first = calibrate(data, "2pl", max_iter=3)
    assert not first.converged and first.n_iter == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = calibrate(data, "2pl", start=first)
        direct = calibrate(data, "2pl")
    assert resumed.converged
    assert resumed.loglik_trace[0] >= first.loglik_trace[-1]
    np.testing.assert_allclose(resumed.a, direct.a, atol=2e-3)


def test_progress_reports_every_iteration(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(23)
    truth = make_bank("gpcm", 8, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 500), rng)
    seen: list[tuple[int, float, float]] = []
    fit = calibrate(data, "gpcm", progress=lambda i, ll, ch: seen.append((i, ll, ch)))
    assert [s[0] for s in seen] == list(range(1, fit.n_iter + 1))
    np.testing.assert_allclose([s[1] for s in seen], fit.loglik_trace)
    assert seen[-1][2] < 1e-4


def test_items_with_different_numbers_of_categories(error: Rmse) -> None:
    rng = np.random.default_rng(24)
    truth = ItemParameters(
        "grm",
        np.array([1.0, 1.5, 0.8, 1.2]),
        np.array([[1.5, 0.0, -1.5], [1.0, -1.0, np.nan], [0.5, np.nan, np.nan], [2, 0.5, -0.5]]),
        np.zeros(4),
    )
    data = simulate_responses(truth, rng.normal(0, 1, 3000), rng)
    np.testing.assert_array_equal(data.n_categories, [4, 3, 2, 4])
    fit = calibrate(data, "grm")
    np.testing.assert_array_equal(fit.params.n_categories, [4, 3, 2, 4])
    assert np.isnan(fit.d[2, 1:]).all() and np.isnan(fit.se.d[2, 1:]).all()
    assert error(fit.d, truth.d) < 0.15


def test_a_persons_without_responses_contributes_nothing(make_bank: BankFactory) -> None:
    rng = np.random.default_rng(25)
    truth = make_bank("2pl", 6, rng)
    data = simulate_responses(truth, rng.normal(0, 1, 400), rng)
    padded = ResponseData(data.person, data.item, data.score, data.n_persons + 5, data.n_items)
    a, b = calibrate(data, "2pl"), calibrate(padded, "2pl")
    assert a.loglik == pytest.approx(b.loglik)
    np.testing.assert_allclose(a.a, b.a)


def test_unpenalised_3pl_reaches_the_maximum_when_c_sits_on_zero() -> None:
    """Without the prior some c hit the boundary 0; a and d must still reach their optimum:
    started from the generating values the fit ends at the same log-likelihood."""
    rng = np.random.default_rng(27)
    truth = ItemParameters.from_irt(
        "3pl",
        a=rng.lognormal(0, 0.25, 15),
        b=rng.normal(-1, 1, 15),
        c=np.r_[np.zeros(5), 0.2 * np.ones(10)],
    )
    data = simulate_responses(truth, rng.normal(0, 1, 3000), rng)
    fit = calibrate(data, "3pl", priors={"c": None})
    from_truth = calibrate(data, "3pl", priors={"c": None}, start=truth)
    assert fit.converged and _monotone(fit)
    assert np.any(fit.c == 0)
    assert fit.loglik >= from_truth.loglik - 1e-3
