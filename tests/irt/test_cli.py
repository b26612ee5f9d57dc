"""The ``irt`` click group end to end on small simulated files; plots rendered to bytes."""

import csv
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from item_bank.irt.models import ItemParameters
from item_bank.irt.plots import (
    figure_to_bytes,
    plot_item_characteristic_curves,
    plot_test_information,
    save_figure,
)
from item_bank.irt.scoring import score_eap, score_mle
from item_bank.irt_cli import irt, read_parameters_csv, read_responses_csv, write_parameters_csv

TRUE = ItemParameters.from_irt(
    "2pl", a=[1.6, 0.8, 1.2, 1.0, 1.9, 0.7], b=[-1.0, -0.5, 0.0, 0.3, 0.8, 1.5]
)
ITEMS = [f"Q{i + 1}" for i in range(TRUE.n_items)]


def _simulate(n_persons: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_persons)
    p = 1 / (1 + np.exp(-(theta[:, None] * TRUE.a + TRUE.d[:, 0])))
    scores = (rng.random(p.shape) < p).astype(float)
    scores[rng.random(p.shape) < 0.05] = np.nan
    return scores


@pytest.fixture
def dense_file(tmp_path: Path) -> Path:
    scores = _simulate(600)
    path = tmp_path / "responses.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person", *ITEMS])
        for n, row in enumerate(scores):
            writer.writerow([f"S{n:03d}"] + ["NA" if np.isnan(v) else str(int(v)) for v in row])
    return path


def test_irt_is_a_plain_click_group_named_irt():
    assert isinstance(irt, click.Group) and irt.name == "irt"
    assert {"calibrate", "score"} <= set(irt.commands)


def test_calibrate_writes_parameters_plot_and_summary(dense_file: Path, tmp_path: Path):
    out, plot = tmp_path / "params.csv", tmp_path / "curves.png"
    result = CliRunner().invoke(
        irt,
        ["calibrate", str(dense_file), "--model", "2pl", "--out", str(out), "--plot", str(plot)],
    )
    assert result.exit_code == 0, result.output
    assert "converged yes" in result.output and "EM iteration" in result.output
    names, params = read_parameters_csv(out)
    assert names == ITEMS and params.model == "2pl"
    assert np.corrcoef(params.b, TRUE.b)[0, 1] > 0.9
    with out.open() as handle:
        assert next(csv.reader(handle))[:5] == ["item", "model", "a", "b", "c"]
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_score_writes_theta_se_and_scaled_scores(dense_file: Path, tmp_path: Path):
    params_path = tmp_path / "true.csv"
    write_parameters_csv(params_path, ITEMS, TRUE)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        irt,
        [
            "score",
            str(dense_file),
            "--params",
            str(params_path),
            "--scale",
            "0-10",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 600 and rows[0]["person"] == "S000"
    theta, _ = score_eap(read_responses_csv(dense_file).data, TRUE)
    np.testing.assert_allclose([float(r["theta"]) for r in rows], theta, atol=1e-9)
    assert all(0 <= float(r["score"]) <= 10 for r in rows)
    assert all((r["passed"] == "1") == (float(r["score"]) >= 5.0) for r in rows)


def test_long_format_is_detected_and_items_are_matched_by_name(dense_file: Path, tmp_path: Path):
    dense = read_responses_csv(dense_file)
    long_path = tmp_path / "long.csv"
    data = dense.data
    order = np.random.default_rng(1).permutation(data.n_obs)  # any row order, any item order
    with long_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Score", "Item", "Person", "session"])
        for k in order:
            writer.writerow(
                [data.score[k], ITEMS[data.item[k]], dense.persons[data.person[k]], "x"]
            )
    params_path = tmp_path / "true.csv"
    write_parameters_csv(params_path, ITEMS, TRUE)
    result = CliRunner().invoke(
        irt, ["score", str(long_path), "--params", str(params_path), "--method", "mle"]
    )
    assert result.exit_code == 0, result.output
    got = {r["person"]: float(r["theta"]) for r in csv.DictReader(result.output.splitlines())}
    expected = score_mle(data, TRUE)[0]
    for n, person in enumerate(dense.persons):
        assert got[person] == pytest.approx(expected[n], abs=1e-9)


def test_polytomous_parameters_round_trip_through_csv(tmp_path: Path):
    params = ItemParameters.from_irt("grm", a=[1.2, 0.7], thresholds=[[-1.0, 0.5], [0.2, np.nan]])
    path = tmp_path / "grm.csv"
    write_parameters_csv(path, ["A,1", "B"], params)
    names, back = read_parameters_csv(path)
    assert names == ["A,1", "B"]
    np.testing.assert_allclose(back.d, params.d)


def test_bad_input_is_reported_not_a_traceback(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Q1,Q2\n1,x\n")
    result = CliRunner().invoke(irt, ["calibrate", str(bad)])
    assert result.exit_code != 0 and "not a score" in result.output
    params_path = tmp_path / "p.csv"
    write_parameters_csv(params_path, ["Q1"], TRUE.subset([0]))
    good = tmp_path / "good.csv"
    good.write_text("Q1,Q9\n1,0\n")
    result = CliRunner().invoke(irt, ["score", str(good), "--params", str(params_path)])
    assert result.exit_code != 0 and "Q9" in result.output


def test_plots_render_png_and_svg(tmp_path: Path):
    assert figure_to_bytes(plot_item_characteristic_curves(TRUE)).startswith(b"\x89PNG")
    assert b"<svg" in figure_to_bytes(plot_test_information(TRUE), "svg")
    path = save_figure(plot_test_information(TRUE), tmp_path / "tif.svg")
    assert path.read_bytes().lstrip().startswith(b"<?xml")


def test_anchored_items_keep_their_parameters(dense_file: Path, tmp_path: Path):
    anchors = tmp_path / "anchors.csv"
    write_parameters_csv(anchors, ["Q2", "Q5"], TRUE.subset([1, 4]))
    out = tmp_path / "params.csv"
    result = CliRunner().invoke(
        irt, ["calibrate", str(dense_file), "--anchors", str(anchors), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    _, params = read_parameters_csv(out)
    np.testing.assert_allclose(params.a[[1, 4]], TRUE.a[[1, 4]], rtol=1e-8)
    np.testing.assert_allclose(params.b[[1, 4]], TRUE.b[[1, 4]], rtol=1e-8, atol=1e-9)


def test_files_coded_from_one_are_shifted_to_categories_from_zero(tmp_path: Path):
    params = ItemParameters.from_irt("grm", a=[1.2, 0.9], thresholds=[[-1.0, 0.5], [0.0, 1.0]])
    params_path = tmp_path / "grm.csv"
    write_parameters_csv(params_path, ["A", "B"], params)
    coded = tmp_path / "likert.csv"
    coded.write_text("A,B\n1,3\n2,2\n3,\n")
    result = CliRunner().invoke(
        irt, ["score", str(coded), "--params", str(params_path), "--first-category", "1"]
    )
    assert result.exit_code == 0, result.output
    got = [float(r["theta"]) for r in csv.DictReader(result.output.splitlines())]
    expected = score_eap(np.array([[0, 2], [1, 1], [2, np.nan]]), params)[0]
    np.testing.assert_allclose(got, expected, atol=1e-9)
