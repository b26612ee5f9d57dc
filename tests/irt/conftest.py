"""Fixtures for the IRT core: the public reference data sets and simulated item banks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from item_bank.irt.models import ItemParameters

# Public data with published estimates, kept with the tests (see reference_data/README.md)
REFERENCE_DATA = Path(__file__).resolve().parent / "reference_data"


def _reference_file(name: str) -> Path:
    path = REFERENCE_DATA / name
    if not path.exists():
        pytest.fail(f"reference data missing: {path}")
    return path


@pytest.fixture(scope="session")
def lsat6() -> np.ndarray:
    """(1000, 5) LSAT section 6 responses (Bock & Lieberman 1970), expanded from 30 patterns."""
    raw = np.loadtxt(_reference_file("lsat6_patterns.csv"), delimiter=",", skiprows=1)
    return np.repeat(raw[:, :5], raw[:, 5].astype(int), axis=0)


@pytest.fixture(scope="session")
def science() -> np.ndarray:
    """(392, 4) R mirt's Science data, categories 1–4 shifted to 0–3."""
    return np.loadtxt(_reference_file("science_grm.csv"), delimiter=",", skiprows=1) - 1


def generating_bank(model: str, n_items: int, rng: np.random.Generator) -> ItemParameters:
    """A plausible bank: a ~ lognormal(0, 0.25), b ~ N(0, 1); polytomous items have 4
    categories with thresholds b ± (1.2, 0) so no category is nearly empty; 3PL c ~ U(.1, .25)."""
    a = rng.lognormal(0.0, 0.25, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    if model in ("grm", "gpcm"):
        return ItemParameters.from_irt(
            model, a=a, thresholds=b[:, None] + np.array([-1.2, 0.0, 1.2])
        )
    if model == "3pl":
        return ItemParameters.from_irt("3pl", a=a, b=b, c=rng.uniform(0.1, 0.25, n_items))
    if model == "rasch":
        return ItemParameters.from_irt("rasch", b=b)
    if model == "1pl":
        return ItemParameters.from_irt("1pl", a=np.full(n_items, 1.3), b=b)
    return ItemParameters.from_irt(model, a=a, b=b)


@pytest.fixture
def make_bank() -> Callable[[str, int, np.random.Generator], ItemParameters]:
    return generating_bank


def rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Root mean squared error over the finite entries."""
    diff = np.asarray(estimate, float) - np.asarray(truth, float)
    return float(np.sqrt(np.nanmean(diff**2)))


# the suite runs with --import-mode=importlib, where test modules cannot import conftest:
# helpers reach them as fixtures
@pytest.fixture
def error() -> Callable[[np.ndarray, np.ndarray], float]:
    """The RMSE helper."""
    return rmse
