"""The house rules, checked by the test command: import contracts (import-linter) and ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_import_contracts_are_kept():
    done = _run(str(BIN / "lint-imports"), "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_broken_layer_fails_the_check(tmp_path):
    """The check can fail: a bank module that imports the exam breaks a contract."""
    culprit = ROOT / "item_bank" / "_layer_probe.py"
    culprit.write_text("import exam_engine.exams.models  # noqa: F401\n")
    try:
        done = _run(str(BIN / "lint-imports"), "--no-cache")
    finally:
        culprit.unlink()
    assert done.returncode != 0
    assert "item_bank._layer_probe -> exam_engine.exams.models" in done.stdout


def test_ruff_is_clean():
    done = _run(str(BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr
