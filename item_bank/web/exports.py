"""Teachers export the bank to a file: first a page that says how many items go out and what
the chosen format cannot carry (nothing is dropped silently), then the download itself (the
item-bank API's ``/api/ngan-hang/export``, with the same filters)."""

from __future__ import annotations

from flask import abort, render_template, request

from exam_engine.kernel.web_context import db, roles_required
from item_bank.exporting import export_versions, versions_to_export
from item_bank.formats import FORMATS
from item_bank.web.pages import BANK_ROLES, MODULES, teacher_bp


@teacher_bp.get("/xuat")
@roles_required(*BANK_ROLES)
def export_page():
    fmt = request.args.get("format", "excel")
    status = request.args.get("status", "approved")
    module = request.args.get("module") or None
    if fmt not in FORMATS or status not in ("approved", "all") or module not in (None,
                                                                                 *MODULES):
        abort(400)
    versions = versions_to_export(db(), status, module)
    result = export_versions(db(), fmt, versions)
    return render_template("bank/export.html", fmt=FORMATS[fmt], status=status, module=module,
                           count=len(versions), not_carried=result.not_carried,
                           filename=result.filename, formats=FORMATS, modules=MODULES)
