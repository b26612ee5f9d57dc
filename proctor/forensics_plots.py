"""Small inline SVG plots of the forensics report (pure: numbers and labels in, SVG text out).

No plotting library: three plots of a few dozen shapes each, drawn as the page's own markup so
they print with it and need no script. Every text is escaped here, so the page may embed the
result as is. Labels come from the caller in the reader's language; axis numbers are integers.

* ``distribution_svg``: the session's lz* histogram with chosen candidates marked.
* ``agreement_svg``: a pair's answers along the items both answered (same right, same wrong,
  different).
* ``residuals_svg``: one candidate's response-time residuals per item, fast correct ones marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

__all__ = ["AGREEMENT_CODES", "agreement_svg", "distribution_svg", "histogram", "residuals_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
INK, MUTED, LINE, BAD, OK = "#1d2733", "#5b6b7c", "#c9d3de", "#c0392b", "#5d9b6c"
#: agreement codes: same right answer, same wrong answer, different answers
AGREEMENT_CODES = ("R", "W", "D")
_AGREEMENT_FILL = {"R": OK, "W": BAD, "D": "#ffffff"}


def _text(value: str) -> str:
    return escape(value, quote=True)


def _integer(value: float) -> str:
    """An axis number with a true minus sign (−2, not -2)."""
    number = int(round(value))
    return f"−{-number}" if number < 0 else str(number)


def _svg(width: int, height: int, label: str, body: list[str], css_class: str) -> str:
    return (f'<svg xmlns="{SVG_NS}" class="plot {css_class}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{_text(label)}">'
            f"<title>{_text(label)}</title>{''.join(body)}</svg>")


def histogram(values: np.ndarray, *, low: float = -5.0, high: float = 3.0,
              width: float = 0.5) -> tuple[list[float], list[int]]:
    """Bin edges and counts of the finite ``values``, those beyond the range in the end bins
    (a plot of where most candidates are; the extremes are listed in the report anyway)."""
    values = np.asarray(values, dtype=float)
    values = np.clip(values[np.isfinite(values)], low, high - 1e-9)
    edges = np.arange(low, high + width / 2, width)
    counts, _ = np.histogram(values, bins=edges)
    return [float(e) for e in edges], [int(c) for c in counts]


def distribution_svg(edges: Sequence[float], counts: Sequence[int],
                     marks: Sequence[tuple[str, float]], *, label: str, x_label: str,
                     y_label: str) -> str:
    """A histogram (``counts`` between ``edges``) with each mark (name, value) drawn as a red
    tick and its name above, at its value clipped into the range."""
    width, height, left, right, top, bottom = 640, 240, 48, 12, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = float(edges[0]), float(edges[-1])
    peak = max(max(counts, default=0), 1)

    def x(value: float) -> float:
        return left + (min(max(value, lo), hi) - lo) / (hi - lo) * plot_w

    def y(count: float) -> float:
        return top + plot_h - count / peak * plot_h

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            f'stroke="{INK}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{INK}"/>']
    for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
        if count:
            body.append(f'<rect x="{x(start) + 0.5:.1f}" y="{y(count):.1f}" '
                        f'width="{x(end) - x(start) - 1:.1f}" height="{y(0) - y(count):.1f}" '
                        f'fill="{LINE}"><title>{_integer(count)}</title></rect>')
    for tick in range(math.ceil(lo), math.floor(hi) + 1):
        body.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 16}" font-size="11" '
                    f'text-anchor="middle" fill="{MUTED}">{_integer(tick)}</text>')
    body.append(f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end" '
                f'fill="{MUTED}">{_integer(peak)}</text>')
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="12" '
                f'text-anchor="middle" fill="{INK}">{_text(x_label)}</text>')
    body.append(f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
                f'fill="{INK}" transform="rotate(-90 12 {top + plot_h / 2:.1f})">'
                f"{_text(y_label)}</text>")
    for n, (name, value) in enumerate(marks):
        at = x(value)
        body.append(f'<line x1="{at:.1f}" y1="{top + 14}" x2="{at:.1f}" y2="{top + plot_h}" '
                    f'stroke="{BAD}" stroke-width="2"><title>{_text(name)}</title></line>')
        body.append(f'<text x="{at:.1f}" y="{top + 10 + 11 * (n % 3)}" font-size="10" '
                    f'text-anchor="middle" fill="{BAD}">{_text(name)}</text>')
    return _svg(width, height, label, body, "distribution")


def agreement_svg(cells: Sequence[tuple[str, str]], *, label: str,
                  legend: dict[str, str]) -> str:
    """A strip of one square per item both candidates answered, in item order: ``cells`` are
    (item label, code) with codes from ``AGREEMENT_CODES``; ``legend`` names each code."""
    size, gap, per_row = 14, 2, 40
    rows = max(1, math.ceil(len(cells) / per_row))
    width = per_row * (size + gap) + gap
    legend_top = rows * (size + gap) + 10
    height = legend_top + 20
    body = []
    for n, (item, code) in enumerate(cells):
        if code not in _AGREEMENT_FILL:
            raise ValueError(f"unknown agreement code {code!r}")
        col, row = n % per_row, n // per_row
        body.append(f'<rect x="{gap + col * (size + gap)}" y="{gap + row * (size + gap)}" '
                    f'width="{size}" height="{size}" fill="{_AGREEMENT_FILL[code]}" '
                    f'stroke="{MUTED}" stroke-width="0.5" data-code="{code}">'
                    f"<title>{_text(item)}: {_text(legend.get(code, code))}</title></rect>")
    at = gap
    for code in AGREEMENT_CODES:
        body.append(f'<rect x="{at}" y="{legend_top}" width="10" height="10" '
                    f'fill="{_AGREEMENT_FILL[code]}" stroke="{MUTED}" stroke-width="0.5"/>')
        name = legend.get(code, code)
        body.append(f'<text x="{at + 14}" y="{legend_top + 9}" font-size="11" fill="{INK}">'
                    f"{_text(name)}</text>")
        at += 24 + 7 * len(name)
    return _svg(max(width, at), height, label, body, "agreement")


def residuals_svg(residuals: Sequence[float | None], correct: Sequence[bool | None],
                  labels: Sequence[str], *, z_fast: float, label: str, x_label: str,
                  y_label: str, fast_label: str) -> str:
    """One dot per item at its standardised log-time residual (negative = faster than the
    model expects of this candidate), a dashed line at ``−z_fast``; fast correct answers red.
    Items without a time (None) are left out."""
    width, height, left, right, top, bottom = 640, 220, 40, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    finite = [abs(r) for r in residuals if r is not None and math.isfinite(r)]
    span = max(3.0, math.ceil(max(finite, default=0.0)))
    n = max(len(residuals), 1)

    def x(index: int) -> float:
        return left + (index + 0.5) / n * plot_w

    def y(z: float) -> float:
        return top + (span - max(-span, min(span, z))) / (2 * span) * plot_h

    body = [f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + plot_w}" y2="{y(0):.1f}" '
            f'stroke="{LINE}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{INK}"/>',
            f'<line x1="{left}" y1="{y(-z_fast):.1f}" x2="{left + plot_w}" y2="{y(-z_fast):.1f}" '
            f'stroke="{BAD}" stroke-dasharray="4 3"><title>{_text(fast_label)}</title></line>']
    for tick in (-span, 0.0, span):
        body.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
                    f'text-anchor="end" fill="{MUTED}">{_integer(tick)}</text>')
    for index, (z, right_answer, item) in enumerate(zip(residuals, correct, labels, strict=True)):
        if z is None or not math.isfinite(z):
            continue
        fast = right_answer is True and z < -z_fast
        fill = BAD if fast else (INK if right_answer else "#ffffff")
        marker = ' data-fast="1"' if fast else ""
        body.append(f'<circle cx="{x(index):.1f}" cy="{y(z):.1f}" r="{4 if fast else 3}" '
                    f'fill="{fill}" stroke="{INK}" stroke-width="0.8"{marker}>'
                    f"<title>{_text(item)}</title></circle>")
    body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="12" '
                f'text-anchor="middle" fill="{INK}">{_text(x_label)}</text>')
    body.append(f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
                f'fill="{INK}" transform="rotate(-90 12 {top + plot_h / 2:.1f})">'
                f"{_text(y_label)}</text>")
    return _svg(width, height, label, body, "residuals")
