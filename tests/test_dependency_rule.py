"""The suite's one rule for a missing dependency: skip with the reason off CI, fail under CI=true.

``tests/conftest.py`` holds it (``require_service`` / ``require_tool``). These tests keep every
test on it: a bare ``pytest.importorskip`` or ``skipif`` would let CI go green by skipping.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# A missing dependency goes through the rule; a skip for another reason (a test that does not
# apply to one backend) says so in its own words and is not a dependency check.
SILENT_SKIP = re.compile(r"pytest\.importorskip|mark\.skipif")
RULE_HOME = TESTS / "conftest.py"


def test_no_test_skips_around_the_ci_rule() -> None:
    """Reproduces issue 10 hole 15: the girth cross-check used ``pytest.importorskip``, so it
    skipped under CI=true while the README says a missing dependency fails there."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py")) if path != RULE_HOME
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SILENT_SKIP.search(line) and path != Path(__file__)
    ]
    assert offenders == [], "use require_service / require_tool instead:\n" + "\n".join(offenders)


def _run_girth_test_without_girth(ci: str) -> subprocess.CompletedProcess[str]:
    """One girth test in a child pytest where ``import girth`` raises ImportError."""
    hide_girth = ("import sys, pytest; sys.modules['girth'] = None; "
                  "sys.exit(pytest.main(sys.argv[1:]))")
    env = {**os.environ, "CI": ci}
    return subprocess.run(
        [sys.executable, "-c", hide_girth, "-q", "-p", "no:cacheprovider", "-rs",
         "tests/irt/test_calibration_girth.py::test_2pl_agrees_with_girth"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("ci", "exit_code", "outcome"), [
    ("true", 1, "1 error"),    # CI must never go green by skipping
    ("", 0, "1 skipped"),      # off CI: skipped, with the reason
])
def test_missing_girth_fails_on_ci_and_skips_with_the_reason_elsewhere(
        ci: str, exit_code: int, outcome: str) -> None:
    """Reproduces issue 10 hole 15: with girth missing and CI=true the cross-check skipped."""
    run = _run_girth_test_without_girth(ci)
    assert run.returncode == exit_code, run.stdout + run.stderr
    assert outcome in run.stdout
    assert "the Python package girth is not installed" in run.stdout
