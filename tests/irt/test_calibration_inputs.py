"""Response data handling and input validation for calibration."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.irt.calibration import calibrate
from item_bank.irt.data import ResponseData, as_response_data


def test_dense_round_trip_keeps_missing_cells() -> None:
    dense = np.array([[0, 1, np.nan], [2, np.nan, 1], [np.nan, np.nan, np.nan]])
    data = ResponseData.from_dense(dense)
    assert (data.n_persons, data.n_items, data.n_obs) == (3, 3, 4)
    np.testing.assert_array_equal(data.to_dense(), dense)
    np.testing.assert_array_equal(data.n_categories, [3, 2, 2])


def test_triples_and_tuples() -> None:
    data = ResponseData.from_triples([0, 0, 1], [0, 2, 1], [1, 0, 1])
    assert (data.n_persons, data.n_items) == (2, 3)
    same = as_response_data((np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([1, 0, 1])))
    np.testing.assert_array_equal(same.to_dense(), data.to_dense())
    assert as_response_data(data) is data


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        (np.array([[0, -1], [1, 0]]), "scores must be >= 0"),
        (np.array([[0, 0.5], [1, 0]]), "integers"),
        (np.array([0, 1, 1]), r"\(n_persons, n_items\)"),
        (np.array([[0, np.inf]]), "infinite"),
        ((np.array([0, 0]), np.array([1, 1]), np.array([0, 1])), "more than once"),
        ((np.array([0]), np.array([1])), r"\(person, item, score\)"),
    ],
)
def test_bad_responses_are_rejected_with_a_clear_message(responses: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_response_data(responses)  # type: ignore[arg-type]


def test_index_ranges_are_checked() -> None:
    with pytest.raises(ValueError, match="item index out of range"):
        ResponseData([0], [5], [1], n_persons=1, n_items=3)


def test_dichotomous_model_rejects_polytomous_scores() -> None:
    with pytest.raises(ValueError, match="use 'grm' or 'gpcm'"):
        calibrate(np.array([[0, 2], [1, 0], [1, 1]]), "2pl")


def test_unknown_model_and_prior_are_named() -> None:
    x = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="'nrm'"):
        calibrate(x, "nrm")
    with pytest.raises(ValueError, match="'b'"):
        calibrate(x, "2pl", priors={"b": ("normal", 0, 1)})
    with pytest.raises(ValueError, match="index out of range"):
        calibrate(x, "2pl", anchors={7: {"a": 1.0, "b": 0.0}})
