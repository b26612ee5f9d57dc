"""Linking: (A, B) recovered from parameters transformed by a known linear map."""

import numpy as np
import pytest

from item_bank.irt.linking import (
    LINKING_METHODS,
    common_items,
    link,
    transform_parameters,
)
from item_bank.irt.models import ItemParameters, category_probabilities

A_TRUE, B_TRUE = 1.27, -0.43
RNG = np.random.default_rng(11)
DICHOTOMOUS = ItemParameters.from_irt(
    "3pl", a=RNG.uniform(0.6, 2.0, 12), b=RNG.normal(0, 1, 12), c=RNG.uniform(0, 0.25, 12)
)
GRM = ItemParameters.from_irt(
    "grm",
    a=RNG.uniform(0.6, 2.0, 8),
    thresholds=np.sort(RNG.normal(0, 1.2, (8, 3)), axis=1),
)
GPCM = ItemParameters.from_irt(
    "gpcm", a=RNG.uniform(0.6, 2.0, 6), thresholds=RNG.normal(0, 1, (6, 2))
)


@pytest.mark.parametrize("params", [DICHOTOMOUS, GRM, GPCM], ids=["3pl", "grm", "gpcm"])
def test_transformed_parameters_give_the_same_probabilities_on_the_new_scale(params):
    theta = np.linspace(-3, 3, 13)
    moved = transform_parameters(params, A_TRUE, B_TRUE)
    np.testing.assert_allclose(
        category_probabilities(A_TRUE * theta + B_TRUE, moved),
        category_probabilities(theta, params),
        atol=1e-12,
    )
    np.testing.assert_allclose(moved.b, A_TRUE * params.b + B_TRUE)
    np.testing.assert_array_equal(moved.c, params.c)


@pytest.mark.parametrize("method", list(LINKING_METHODS))
@pytest.mark.parametrize("params", [DICHOTOMOUS, GRM], ids=["3pl", "grm"])
def test_every_method_recovers_a_known_linear_map(method, params):
    base = transform_parameters(params, A_TRUE, B_TRUE)
    A, B = link(params, base, method)
    assert A == pytest.approx(A_TRUE, abs=1e-6)
    assert B == pytest.approx(B_TRUE, abs=1e-6)


def test_identity_when_the_scales_already_agree():
    for method in LINKING_METHODS:
        assert link(GRM, GRM, method) == pytest.approx((1.0, 0.0), abs=1e-7)


def test_rasch_items_become_1pl_when_the_unit_changes():
    rasch = ItemParameters.from_irt("rasch", b=[-1.0, 0.0, 1.0])
    assert transform_parameters(rasch, 1.0, 0.5).model == "rasch"
    moved = transform_parameters(rasch, 2.0, 0.5)
    assert moved.model == "1pl" and np.allclose(moved.a, 0.5)


def test_mismatched_common_items_and_unknown_methods_are_rejected():
    with pytest.raises(ValueError, match="common items"):
        link(GRM, GRM.subset([0, 1]), "mean-sigma")
    with pytest.raises(ValueError, match="unknown linking method"):
        link(GRM, GRM, "equipercentile")
    with pytest.raises(ValueError):
        transform_parameters(GRM, -1.0, 0.0)


def test_separate_calibrations_of_two_groups_are_linked_through_common_items():
    from item_bank.irt.calibration import calibrate

    rng = np.random.default_rng(31)
    bank = ItemParameters.from_irt("2pl", a=rng.uniform(0.8, 2.0, 30), b=rng.normal(0, 1, 30))
    names = [f"item{i}" for i in range(30)]
    form_x, form_y = np.arange(0, 20), np.arange(10, 30)  # 10 common items

    def administer(items, theta):
        p = category_probabilities(theta, bank.subset(items))[:, :, 1]
        return (rng.random(p.shape) < p).astype(float)

    # base group ~ N(0, 1); the new group is abler and more spread: θ = 1.2 z + 0.5
    base = calibrate(administer(form_x, rng.normal(size=5000)), "2pl")
    new = calibrate(administer(form_y, rng.normal(0.5, 1.2, 5000)), "2pl")
    idx_new, idx_base = common_items([names[i] for i in form_y], [names[i] for i in form_x])
    assert idx_new.tolist() == list(range(10)) and idx_base.tolist() == list(range(10, 20))
    A, B = link(new.params.subset(idx_new), base.params.subset(idx_base), "stocking-lord")
    assert A == pytest.approx(1.2, abs=0.1)
    assert B == pytest.approx(0.5, abs=0.1)
    moved = transform_parameters(new.params, A, B)
    np.testing.assert_allclose(moved.b, bank.b[form_y], atol=0.25)
