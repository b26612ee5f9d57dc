"""Vietnamese first, English available: every interface string has its English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exam_engine.kernel.translations_en import EN as KERNEL_EN
from proctor.english import EN as PROCTOR_EN

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts)
EN = {**KERNEL_EN, **PROCTOR_EN}
LITERAL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*\)""")


def test_templates_are_found():
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_translated_string_of_a_template_has_english(template):
    missing = [m.group(2) for m in LITERAL.finditer(template.read_text("utf-8"))
               if m.group(2) not in EN]
    assert missing == []


def test_the_bank_labels_shown_through_gettext_have_english():
    from item_bank.web.pages import ACTION_VI, KIND_VI, STATUS_VI
    labels = [*ACTION_VI.values(), *KIND_VI.values(), *STATUS_VI.values()]
    assert [label for label in labels if label not in EN] == []
