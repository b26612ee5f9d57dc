"""Item characteristic curves and the test information curve, rendered to bytes or a file.

Figures are built on ``matplotlib.figure.Figure`` with the Agg canvas directly — no pyplot,
so no global state, no display needed, and safe inside a web worker or CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from item_bank.irt.models import (
    DICHOTOMOUS_MODELS,
    ItemParameters,
    expected_item_score,
    test_information,
)
from item_bank.irt.scoring import resolve_parameters

__all__ = [
    "draw_item_characteristic_curves",
    "draw_test_information",
    "figure_to_bytes",
    "plot_calibration_summary",
    "plot_item_characteristic_curves",
    "plot_test_information",
    "save_figure",
]

_MAX_LEGEND = 12


def _theta_grid(theta_range: tuple[float, float]) -> np.ndarray:
    return np.linspace(theta_range[0], theta_range[1], 241)


def _new_figure(figsize: tuple[float, float], n_axes: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, n_axes, j + 1) for j in range(n_axes)]
    return fig, axes


def draw_item_characteristic_curves(
    ax: Axes,
    params: ItemParameters,
    items: Sequence[int] | None = None,
    item_names: Sequence[str] | None = None,
    theta_range: tuple[float, float] = (-4.0, 4.0),
) -> None:
    """Draw one curve per item on ``ax``: P(correct | θ) for dichotomous items, expected score /
    maximum for polytomous items (so every curve runs 0 → 1)."""
    idx = np.arange(params.n_items) if items is None else np.asarray(items, dtype=int)
    names = [f"item {i}" for i in range(params.n_items)] if item_names is None else item_names
    theta = _theta_grid(theta_range)
    subset = params.subset(idx)
    curves = expected_item_score(theta, subset) / (subset.n_categories - 1)  # (n_q, n_sel)
    for j, i in enumerate(idx):
        ax.plot(theta, curves[:, j], label=str(names[i]), linewidth=1.2)
    dichotomous = params.model in DICHOTOMOUS_MODELS
    ax.set(
        xlabel="θ",
        ylabel="P(correct)" if dichotomous else "expected score / maximum",
        ylim=(0.0, 1.0),
        xlim=theta_range,
        title=f"Item characteristic curves ({params.model.upper()})",
    )
    ax.grid(alpha=0.3)
    if len(idx) <= _MAX_LEGEND:
        ax.legend(fontsize="small", loc="lower right")


def draw_test_information(
    ax: Axes, params: ItemParameters, theta_range: tuple[float, float] = (-4.0, 4.0)
) -> None:
    """Draw test information I(θ) on ``ax`` and its standard error 1 / sqrt(I(θ)) on a twin axis."""
    theta = _theta_grid(theta_range)
    info = test_information(theta, params)
    ax.plot(theta, info, color="tab:blue", label="information")
    ax.set(xlabel="θ", ylabel="test information", xlim=theta_range, title="Test information")
    ax.grid(alpha=0.3)
    se_ax = ax.twinx()
    with np.errstate(divide="ignore"):
        se_ax.plot(theta, 1.0 / np.sqrt(info), color="tab:red", linestyle="--", label="SE")
    se_ax.set_ylabel("standard error")
    lines = ax.get_lines() + se_ax.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="upper right")


def plot_item_characteristic_curves(
    calibration_or_params: ItemParameters | object,
    items: Sequence[int] | None = None,
    *,
    item_names: Sequence[str] | None = None,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    figsize: tuple[float, float] = (7.0, 4.5),
) -> Figure:
    """Figure of item characteristic curves (see ``draw_item_characteristic_curves``).

    Args:
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        items: indices to draw; default all.
        item_names: (n_items,) legend labels; default "item i".
        theta_range: θ axis limits.
    """
    params = resolve_parameters(calibration_or_params)
    fig, (ax,) = _new_figure(figsize)
    draw_item_characteristic_curves(ax, params, items, item_names, theta_range)
    fig.tight_layout()
    return fig


def plot_test_information(
    calibration_or_params: ItemParameters | object,
    *,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    figsize: tuple[float, float] = (7.0, 4.5),
) -> Figure:
    """Figure of the test information curve with its conditional standard error."""
    params = resolve_parameters(calibration_or_params)
    fig, (ax,) = _new_figure(figsize)
    draw_test_information(ax, params, theta_range)
    fig.tight_layout()
    return fig


def plot_calibration_summary(
    calibration_or_params: ItemParameters | object,
    *,
    item_names: Sequence[str] | None = None,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    figsize: tuple[float, float] = (12.0, 4.5),
) -> Figure:
    """Item characteristic curves (left) beside the test information curve (right)."""
    params = resolve_parameters(calibration_or_params)
    fig, (left, right) = _new_figure(figsize, 2)
    draw_item_characteristic_curves(left, params, None, item_names, theta_range)
    draw_test_information(right, params, theta_range)
    fig.tight_layout()
    return fig


def figure_to_bytes(fig: Figure, fmt: str = "png", dpi: int = 120) -> bytes:
    """Render a figure to PNG/SVG/PDF bytes."""
    buffer = BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write a figure; the format follows the file suffix (.png, .svg, .pdf)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    path.write_bytes(figure_to_bytes(fig, fmt, dpi))
    return path
