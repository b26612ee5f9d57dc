"""Psychometric core: IRT models, calibration, scoring. Pure numpy/scipy, arrays in and out."""

from item_bank.irt.calibration import (
    Calibration,
    ConvergenceWarning,
    ParameterErrors,
    calibrate,
    marginal_loglik,
)
from item_bank.irt.classical import (
    corrected_item_total,
    cronbach_alpha,
    distractor_analysis,
    item_p_values,
    point_biserial,
)
from item_bank.irt.data import ResponseData, as_response_data, simulate_responses
from item_bank.irt.fit import ItemFit, item_fit_sx2, person_fit_lz, person_fit_lzstar
from item_bank.irt.linking import (
    link,
    link_haebara,
    link_mean_mean,
    link_mean_sigma,
    link_stocking_lord,
    transform_parameters,
)
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
from item_bank.irt.scales import (
    ReportingScale,
    ic3_scale,
    scale_from_anchor_points,
    vietnamese_scale,
)
from item_bank.irt.scoring import EAPScorer, score_eap, score_map, score_mle, score_wle
from item_bank.irt.sum_score import SumScoreTable, sum_score_distribution, sum_score_table

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

# calibration
__all__ += [
    "Calibration",
    "ConvergenceWarning",
    "ParameterErrors",
    "calibrate",
    "marginal_loglik",
    "simulate_responses",
]

# scoring and analysis
__all__ += [
    "EAPScorer",
    "ItemFit",
    "ReportingScale",
    "SumScoreTable",
    "corrected_item_total",
    "cronbach_alpha",
    "distractor_analysis",
    "ic3_scale",
    "item_fit_sx2",
    "item_p_values",
    "link",
    "link_haebara",
    "link_mean_mean",
    "link_mean_sigma",
    "link_stocking_lord",
    "person_fit_lz",
    "person_fit_lzstar",
    "point_biserial",
    "scale_from_anchor_points",
    "score_eap",
    "score_map",
    "score_mle",
    "score_wle",
    "sum_score_distribution",
    "sum_score_table",
    "transform_parameters",
    "vietnamese_scale",
]
