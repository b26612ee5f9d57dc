"""The pure forensics core: null distributions, per-room control, and power by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, false_discovery_control

from item_bank.irt.fit import person_fit_lzstar
from proctor.forensics import (
    empirical_null_p,
    fast_correct_answers,
    fit_lognormal_times,
    neighbour_pairs,
    option_probabilities,
    pair_similarity,
    person_fit,
    poisson_binomial_sf,
    room_pairs,
    saddlepoint_sf,
    session_forensics,
    simulate_session,
    weighted_bh,
    weighted_holm,
    wrong_to_right,
)


def _at_most_nominal(rejected: np.ndarray, alpha: float) -> bool:
    """The rejection rate is at most α plus three binomial standard errors of its estimate."""
    return rejected.mean() <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / rejected.size)


def test_poisson_binomial_tail_equals_binomial_when_probabilities_are_equal():
    probs = np.full((3, 40), 0.3)
    counts = np.array([5, 12, 25])
    assert np.allclose(poisson_binomial_sf(probs, counts), binom.sf(counts - 1, 40, 0.3))


def test_saddlepoint_tail_matches_simulation_of_a_weighted_sum():
    rng = np.random.default_rng(0)
    m = 40
    weights = rng.uniform(0.2, 3.0, m)
    p = rng.uniform(0.05, 0.6, m)
    draws = (rng.random((400_000, m)) < p) @ weights
    cut = np.quantile(draws, [0.9, 0.99, 0.999])
    values = np.stack([np.broadcast_to(weights, (3, m)), np.zeros((3, m))], axis=2)
    probs = np.stack([np.broadcast_to(p, (3, m)), 1 - np.broadcast_to(p, (3, m))], axis=2)
    approx = saddlepoint_sf(cut, values, probs)
    exact = (draws[:, None] >= cut[None, :]).mean(axis=0)
    assert np.allclose(approx, exact, rtol=0.15)


def test_weighted_bh_with_equal_weights_is_benjamini_hochberg_in_each_room():
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=50) ** 4, rng.uniform(size=30) ** 3])
    rooms = np.r_[np.zeros(50), np.ones(30)]
    ours = weighted_bh(p, rooms, None, alpha=0.1)
    for room in (0, 1):
        mine = rooms == room
        expected = false_discovery_control(p[mine]) <= 0.1
        assert np.array_equal(ours[mine], expected)


def test_weighted_holm_gives_neighbours_a_looser_threshold_within_the_room_level():
    p = np.array([0.004, 0.004, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    rooms = np.zeros(10)
    plain = weighted_holm(p, rooms, None, alpha=0.01)  # Holm: 0.004 > 0.01 / 10
    assert not plain.any()
    weights = np.r_[10.0, np.ones(9)]  # the first pair sat side by side
    focused = weighted_holm(p, rooms, weights, alpha=0.01)
    assert focused.tolist() == [True] + [False] * 9


def test_room_pairs_are_every_within_room_pair_and_neighbours_are_adjacent_seats():
    rooms = np.r_[np.zeros(30), np.ones(30), np.full(7, 2)]
    pairs = room_pairs(rooms[::-1])
    assert len(pairs) == 2 * 435 + 21
    assert np.all(rooms[::-1][pairs[:, 0]] == rooms[::-1][pairs[:, 1]])
    seats = np.array([[0, 0], [0, 1], [1, 1], [2, 3]], dtype=float)
    assert neighbour_pairs(np.array([[0, 1], [0, 2], [0, 3], [1, 2]]), seats).tolist() == [
        True,
        True,
        False,
        True,
    ]


def test_saddlepoint_tail_at_the_largest_possible_sum_is_its_exact_probability():
    values = np.array([[[2.0, 0.0], [1.0, 0.0], [0.5, 0.0]]])
    probs = np.array([[[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]]])
    assert saddlepoint_sf(np.array([3.5]), values, probs)[0] == pytest.approx(0.1 * 0.2 * 0.3)


def test_items_not_presented_to_both_candidates_of_a_pair_do_not_count():
    s = simulate_session(np.random.default_rng(16), 60)
    choices = s.choices.copy()
    choices[1] = choices[0]  # the pair (0, 1) answers alike ...
    choices[1, :20] = np.nan  # ... but the second saw only the last 20 items
    probs = option_probabilities(choices, s.keys, s.theta, s.params)
    sim = pair_similarity(choices, probs, s.rooms, s.seats)
    first = np.flatnonzero((sim.pairs == [0, 1]).all(axis=1))[0]
    assert sim.matches[first] == 20
    alone = np.flatnonzero((sim.pairs == [1, 2]).all(axis=1))[0]
    assert sim.matches[alone] == (choices[1, 20:] == choices[2, 20:]).sum()


@pytest.fixture(scope="module")
def null_session():
    s = simulate_session(np.random.default_rng(11), 3000)
    return s, session_forensics(s.choices, s.keys, s.params, s.rooms, s.seats, s.times)


def test_similarity_false_positive_rate_under_no_copying_is_at_most_nominal(null_session):
    """Every within-room pair of 3,000 honest candidates: P(p < α) ≤ α + tolerance."""
    _, report = null_session
    p = report.similarity.p_value
    for alpha in (0.01, 0.001):
        assert _at_most_nominal(p < alpha, alpha)
    assert report.similarity.flagged.sum() <= 3  # the per-room procedure: ≤ 1 % of 100 rooms


def test_empirical_null_brings_the_conservative_model_null_back_to_nominal(null_session):
    """θ is fitted to the same answers, so the model null rejects under 1 % of honest pairs at
    α = 1 %; the session's own pairs recalibrate it to about 1 % without exceeding it."""
    _, report = null_session
    model = report.similarity.p_value
    empirical = empirical_null_p(model)
    assert (model < 0.01).mean() < 0.009
    assert _at_most_nominal(empirical < 0.01, 0.01)
    assert (empirical < 0.01).mean() > (model < 0.01).mean()


def test_empirical_null_refuses_a_session_too_small_to_read_a_null_from():
    with pytest.raises(ValueError, match="at least 1,000 pairs"):
        empirical_null_p(np.full(435, 0.5))


def test_similarity_detects_neighbours_copying_forty_percent_of_the_items():
    s = simulate_session(np.random.default_rng(12), 3000, copier_share=0.05, copy_fraction=0.4)
    report = session_forensics(s.choices, s.keys, s.params, s.rooms, s.seats)
    sim = report.similarity
    copied = (sim.pairs[:, None, :] == s.copy_pairs[None, :, :]).all(axis=2).any(axis=1)
    assert copied.sum() == len(s.copy_pairs) == 150
    assert (sim.p_value[copied] < 0.01).mean() >= 0.8
    assert _at_most_nominal(sim.p_value[~copied] < 0.01, 0.01)
    assert sim.neighbours[copied].all()


def test_lognormal_times_recover_item_time_intensity_and_person_speed(null_session):
    s, report = null_session
    log_t = np.log(s.times)
    times = fit_lognormal_times(s.times)
    assert np.corrcoef(times.beta, log_t.mean(axis=0))[0, 1] > 0.99
    assert _at_most_nominal(report.times.p_value < 0.01, 0.01)
    assert np.all((times.alpha > 1.3) & (times.alpha < 2.8))


def test_too_fast_correct_answers_reveal_item_preknowledge_at_a_low_false_positive_rate():
    s = simulate_session(np.random.default_rng(13), 3000, preknowledge_share=0.03)
    report = session_forensics(s.choices, s.keys, s.params, s.rooms, s.seats, s.times)
    p = report.fast_correct.p_value
    assert (p[s.preknowledge] < 0.01).mean() >= 0.9
    assert _at_most_nominal(p[~s.preknowledge] < 0.01, 0.01)


def test_fast_correct_counts_only_fast_and_correct_presented_answers():
    z = np.array([[-3.0, -3.0, 0.0, np.nan]])
    scores = np.array([[1.0, 0.0, 1.0, 1.0]])
    out = fast_correct_answers(z, scores, np.full((1, 4), 0.5))
    assert out.flags.tolist() == [[True, False, False, False]]
    assert out.count.tolist() == [1]


def test_person_fit_is_the_irt_cores_lzstar_and_flags_a_reversed_pattern():
    s = simulate_session(np.random.default_rng(14), 400)
    order = np.argsort(-s.params.b)  # hardest first
    reversed_pattern = np.zeros(40)
    reversed_pattern[order[:15]] = 1.0  # the 15 hardest right, every easy one wrong
    scores = np.vstack([s.scores, reversed_pattern])
    fit = person_fit(scores, s.params)
    direct = person_fit_lzstar(
        scores, s.params, fit.theta, estimator="map", prior_mean=0.0, prior_sd=1.0
    )
    assert np.allclose(fit.lzstar, direct, equal_nan=True)
    assert fit.p_value[-1] < 0.001


def test_many_wrong_to_right_changes_are_flagged_and_ordinary_changes_are_not():
    rng = np.random.default_rng(15)
    n, m = 2000, 40
    changed = rng.random((n, m)) < 0.05
    first = (rng.random((n, m)) < 0.5).astype(float)
    final = np.where(changed, 1.0 - first, first)  # a change flips the score half the time
    final = np.where(changed & (rng.random((n, m)) < 0.5), first, final)
    changed[0, :10], first[0, :10], final[0, :10] = True, 0.0, 1.0  # tampered: 10 of 10 WTR
    out = wrong_to_right(changed, first, final, np.zeros(n))
    assert out.p_value[0] < 1e-4
    assert _at_most_nominal(out.p_value[1:] < 0.01, 0.01)


def test_bad_inputs_are_refused_with_a_message_naming_what_is_wrong():
    s = simulate_session(np.random.default_rng(17), 40)
    with pytest.raises(ValueError, match=r"shapes disagree: choices \(40, 40\), keys \(39,\)"):
        option_probabilities(s.choices, s.keys[:-1], s.theta, s.params)
    with pytest.raises(ValueError, match="option indices"):
        option_probabilities(s.choices - 0.5, s.keys, s.theta, s.params)
    with pytest.raises(ValueError, match="seconds > 0"):
        fit_lognormal_times(-s.times)
    probs = option_probabilities(s.choices, s.keys, s.theta, s.params)
    with pytest.raises(ValueError, match="gamma must lie in"):
        pair_similarity(s.choices, probs, s.rooms, s.seats, gamma=1.0)


def test_saddlepoint_tail_at_the_smallest_possible_sum_is_one():
    """P(S >= min S) = 1: a pair that shares one item and differs on it is no evidence (the
    saddlepoint runs off to -inf there; the job found 31 such pairs flagged in 40 candidates)."""
    values = np.array([[[0.0, 2.5]], [[0.0, 2.5]]])
    probs = np.array([[[0.9, 0.1]], [[0.3, 0.7]]])
    p = saddlepoint_sf(np.array([0.0, 2.5]), values, probs)
    assert p[0] == 1.0
    assert p[1] == pytest.approx(0.7)
