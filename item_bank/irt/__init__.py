"""Psychometric core: IRT models, calibration, scoring. Pure numpy/scipy, arrays in and out."""

from item_bank.irt.data import ResponseData, as_response_data
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

__all__ = [
    "MODELS",
    "ItemParameters",
    "ResponseData",
    "as_response_data",
    "category_probabilities",
    "expected_item_score",
    "expected_score",
    "item_information",
    "log_category_probabilities",
    "normalise_model",
    "test_information",
]
