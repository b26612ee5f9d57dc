"""An item as the candidate will see it, for authors and reviewers: the type's candidate view of
sanitised content, and the stem with its cloze gaps drawn in place.

Used by the item page (a stored version) and the editor's live preview (a form being typed), so
both show the same thing; the markup itself is the macro ``candidate_view`` in
``bank/_preview.html``. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from markupsafe import Markup, escape

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.sanitise import sanitise_html
from item_bank.types import item_type
from item_bank.types.cloze import GAP_MARKER


def candidate_stem_html(view: Mapping[str, Any]) -> Markup:
    """A cloze stem with its gaps as read-only inputs in place; other stems as they are."""
    stem = view.get("stem", "")
    if view.get("kind") != ItemKind.CLOZE:
        return Markup(stem)  # sanitised HTML (workflow.clean_content, or preview_view below)
    gaps = {gap["id"]: gap for gap in view.get("gaps", [])}

    def gap_html(match: re.Match[str]) -> str:
        gap = gaps.get(match.group(1))
        if gap is None:
            return str(escape(match.group(0)))
        if gap["input"] == "select":
            options = "".join(f"<option>{escape(o['text'])}</option>" for o in gap["options"])
            return (f'<select disabled class="gap" data-gap="{escape(gap["id"])}">'
                    f"<option>…</option>{options}</select>")
        return f'<input disabled class="gap" size="12" data-gap="{escape(gap["id"])}">'

    return Markup(GAP_MARKER.sub(gap_html, stem))


def sanitised_content(content: ItemContent) -> ItemContent:
    """``content`` with its stem and parts sanitised as saving does (idempotent)."""
    return replace(
        content, stem=sanitise_html(content.stem),
        choices=tuple(Part(p.id, sanitise_html(p.text)) for p in content.choices),
        targets=tuple(Part(p.id, sanitise_html(p.text)) for p in content.targets))


def preview_view(content: ItemContent) -> dict[str, Any] | None:
    """The candidate view of content that may still be unfinished (the editor's form), with its
    HTML sanitised as saving would; ``None`` when the type cannot show it yet."""
    content = sanitised_content(content)
    try:
        return item_type(content.kind).candidate_view(content, rng=None)["view"]
    except (KeyError, TypeError, ValueError, AttributeError):
        # A half-typed key (a cloze gap without its id, say): validation names the problem;
        # the preview simply waits for the next keystroke.
        return None
