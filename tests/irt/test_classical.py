"""Classical item analysis against values worked out by hand."""

import numpy as np
import pytest

from item_bank.irt.classical import (
    corrected_item_total,
    cronbach_alpha,
    distractor_analysis,
    item_p_values,
    point_biserial,
)

# totals 3, 2, 2, 3, 0; every item has variance 0.3 (ddof 1); the total has 1.5
X = np.array(
    [
        [1, 1, 1, 0],
        [1, 0, 1, 0],
        [0, 0, 1, 1],
        [1, 1, 0, 1],
        [0, 0, 0, 0],
    ],
    dtype=float,
)


def test_p_values_are_item_means_over_presented_responses():
    np.testing.assert_allclose(item_p_values(X), [0.6, 0.4, 0.6, 0.4])
    with_gap = X.copy()
    with_gap[4, 0] = np.nan  # the 0 of person 4 was not presented: 3 of 4
    assert item_p_values(with_gap)[0] == pytest.approx(0.75)
    polytomous = np.array([[0.0, 2.0], [1.0, 4.0]])
    np.testing.assert_allclose(item_p_values(polytomous, max_scores=[2, 4]), [0.25, 0.75])


def test_point_biserial_by_hand():
    # item 0: cov = 2.0 / n, var(x) = 1.2 / n, var(total) = 6 / n  →  2 / sqrt(7.2)
    assert point_biserial(X)[0] == pytest.approx(2 / np.sqrt(7.2), rel=1e-12)


def test_corrected_item_total_by_hand():
    # rest score of item 0 is (2, 1, 2, 2, 0): cov 0.8, var 3.2  →  0.8 / sqrt(1.2 · 3.2)
    assert corrected_item_total(X)[0] == pytest.approx(0.8 / np.sqrt(3.84), rel=1e-12)
    assert np.all(corrected_item_total(X) < point_biserial(X))


def test_cronbach_alpha_by_hand_with_listwise_deletion():
    # 4/3 · (1 − 4 · 0.3 / 1.5) = 4/15
    assert cronbach_alpha(X) == pytest.approx(4 / 15, rel=1e-12)
    with_incomplete = np.vstack([X, [1.0, np.nan, 0.0, 1.0]])
    assert cronbach_alpha(with_incomplete) == pytest.approx(4 / 15, rel=1e-12)
    assert np.isnan(cronbach_alpha(X[:1]))


def test_distractor_counts_and_upper_lower_groups_by_hand():
    choices = np.array(
        [
            ["A", "C"],
            ["A", "C"],
            ["A", "B"],
            ["B", "C"],
            ["A", "D"],
            ["B", "B"],
            ["C", "D"],
            [None, "C"],
            ["B", "A"],
            ["A", "C"],
        ],
        dtype=object,
    )
    table = distractor_analysis(choices, key=["A", "C"], group_fraction=0.2)
    assert table.options.tolist() == ["A", "B", "C", "D"]
    np.testing.assert_array_equal(table.counts, [[5, 3, 1, 0], [1, 2, 5, 2]])
    np.testing.assert_allclose(table.proportion[0], [5 / 9, 3 / 9, 1 / 9, 0])
    # upper group: persons 0 and 1 (2 correct, first in order); lower: persons 8 and 6
    np.testing.assert_allclose(table.upper, [[1, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(table.lower, [[0, 0.5, 0.5, 0], [0.5, 0, 0, 0.5]])
    np.testing.assert_allclose(table.discrimination[0], [1, -0.5, -0.5, 0])


def test_distractor_analysis_with_integer_options_and_bad_key():
    choices = np.array([[1, 2], [1, 1], [3, 2]])
    table = distractor_analysis(choices, key=[1, 2], options=[1, 2, 3, 4])
    np.testing.assert_array_equal(table.counts, [[2, 0, 1, 0], [1, 2, 0, 0]])
    with pytest.raises(ValueError, match="key"):
        distractor_analysis(choices, key=[1])


def test_none_empty_and_nan_choices_count_as_not_presented():
    choices = np.array([["A", None], [np.nan, "B"], ["", "C"]], dtype=object)
    table = distractor_analysis(choices, key=["A", "B"])
    assert table.options.tolist() == ["A", "B", "C"]
    np.testing.assert_array_equal(table.counts, [[1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(table.proportion, [[1, 0, 0], [0, 0.5, 0.5]])
