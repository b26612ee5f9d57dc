"""Duplicates in the bank on demand: pairs of items that are the same or nearly the same, for
reviewers to retire one or tell them apart (the importer flags them in new files already)."""

from __future__ import annotations

from flask import render_template, request

from exam_engine.kernel.web_context import db, roles_required
from item_bank.duplicates import MIN_THRESHOLD
from item_bank.queries import bank_duplicates
from item_bank.web.pages import BANK_ROLES, MODULES, _short_stem, teacher_bp

DEFAULT_PERCENT = 85


@teacher_bp.get("/trung-lap")
@roles_required(*BANK_ROLES)
def duplicates_page():
    module = request.args.get("module") if request.args.get("module") in MODULES else None
    percent = request.args.get("percent", DEFAULT_PERCENT, type=int) or DEFAULT_PERCENT
    percent = min(100, max(round(MIN_THRESHOLD * 100), percent))
    pairs = bank_duplicates(db(), module=module, threshold=percent / 100)
    return render_template("bank/duplicates.html", pairs=pairs, module=module, percent=percent,
                           modules=MODULES, short=_short_stem)
