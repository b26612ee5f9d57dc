"""The teachers' item editor: write a new item, edit the latest version of one, and a live preview
of the form as the candidate will see it. Routes on the bank's ``teacher_bp``.

Thin over :mod:`item_bank.web.editor_form` (form <-> content) and :mod:`item_bank.workflow`
(create, edit, reclassify): every problem is shown beside its input (422) and nothing is
written; a valid form is saved in one transaction and the teacher lands on the item page.
Without JavaScript the form still works: the kind switch and the add/remove row buttons are
submit buttons (``action``) that show the form again, changed, without saving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from flask import (
    abort,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db, roles_required
from item_bank import workflow
from item_bank.content import ItemContent, ItemRecord, content_from_json, content_to_json
from item_bank.importing import next_item_key
from item_bank.models import Item, RequirementCode
from item_bank.permissions import AUTHOR_ROLES, Action, may, may_on_some, require
from item_bank.preview import candidate_stem_html, preview_view
from item_bank.taxonomy import DIFFICULTIES, GRADES, IC3_DOMAINS, SUBJECTS
from item_bank.types import Problem
from item_bank.web.editor_form import (
    beside_inputs,
    content_from_form,
    form_from_content,
    with_row_added,
    with_row_removed,
    with_spare_rows,
)
from item_bank.web.editor_values import ROW_GROUPS, FormValues
from item_bank.web.pages import MODULES, _user, teacher_bp

# bank/_preview.html draws cloze stems with it, for the item page and the editor alike
teacher_bp.add_app_template_global(candidate_stem_html, "candidate_stem_html")


@teacher_bp.app_context_processor
def _editor_permissions() -> dict[str, Any]:
    # Buttons and links follow item_bank.permissions, the rule every route enforces.
    return {"may_author_items": lambda: may(current_user(), Action.CREATE),
            "may_import_items": lambda: may(current_user(), Action.IMPORT),
            "may_edit_item": lambda item: may(current_user(), Action.EDIT, item),
            "may_on_some": lambda action: may_on_some(current_user(), action)}


# -- rendering ------------------------------------------------------------------------------------

def _requirement_codes() -> list[RequirementCode]:
    """The TT03 requirement codes below the modules, for the code list of the filing."""
    return list(db().scalars(select(RequirementCode)
                             .where(RequirementCode.code != RequirementCode.module)
                             .order_by(RequirementCode.code)))


def _problems_by_input(problems: list[Problem]) -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    for problem in problems:
        shown.setdefault(problem.field, []).append(
            localized(problem.message_vi, problem.message_en))
    return shown


def _editor_page(form: Mapping[str, Any], *, item: Item | None = None,
                 problems: list[Problem] | None = None, error: str | None = None,
                 status: int = 200):
    values = FormValues(with_spare_rows(form))
    content, _, _ = content_from_form(values.as_lists())
    return render_template(
        "bank/edit.html", form=values, kind=values.get("kind"), item=item,
        problems=problems or [], errors=_problems_by_input(problems or []), error=error,
        view=preview_view(content) if content is not None else None,
        modules=MODULES, codes=_requirement_codes(), subjects=SUBJECTS, grades=GRADES,
        ic3_domains=IC3_DOMAINS, difficulties=DIFFICULTIES, row_groups=ROW_GROUPS), status


def _changed_form(form: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The form after a no-JavaScript button (switch kind, add or remove a row), else None.

    ``action`` is ``kind``, ``add:<group>`` or ``remove:<group>:<index>``."""
    action = request.form.get("action", "")
    verb, _, rest = action.partition(":")
    group, _, index = rest.partition(":")
    if verb == "kind":
        return FormValues(form).as_lists()
    if verb == "add" and group in ROW_GROUPS:
        return with_row_added(form, group)
    if verb == "remove" and group in ROW_GROUPS and index.isdigit():
        return with_row_removed(form, group, int(index))
    return None


def _every_problem(form: Mapping[str, Any]
                   ) -> tuple[ItemContent | None, workflow.Classification, list[Problem]]:
    """The form's problems, the type's and the filing's (checked against the TT03 tree)."""
    content, where, problems = content_from_form(form)
    try:
        where = workflow.check_classification(db(), where)
    except workflow.InvalidItem as invalid:
        problems = [*invalid.problems, *problems]
    return content, where, problems


# -- new item --------------------------------------------------------------------------------------

@teacher_bp.route("/soan", methods=["GET", "POST"])
@roles_required(*AUTHOR_ROLES)
def new_item():
    if request.method == "GET":
        kind = request.args.get("kind", "single")
        return _editor_page({"kind": [kind], "points": ["1"], "shuffle": ["1"]})
    changed = _changed_form(request.form)
    if changed is not None:
        return _editor_page(changed)
    content, where, problems = _every_problem(request.form)
    if problems or content is None:
        return _editor_page(request.form, problems=problems, status=422)
    record = ItemRecord(content, module=where.module, code=where.code, subject=where.subject,
                        grade=where.grade, tags=where.tags, ic3_domain=where.ic3_domain,
                        difficulty=where.difficulty, title=where.title)
    try:
        version = workflow.create_item_with_new_key(
            db(), record, lambda taken: next_item_key(db(), record, taken), author_id=_user().id)
    except workflow.InvalidItem as invalid:  # only what sanitising emptied can fail here
        db().rollback()
        return _editor_page(request.form, problems=beside_inputs(invalid.problems), status=422)
    flash(localized(f"Đã lưu câu hỏi {version.item.key} (bản nháp).",
                    f"Item {version.item.key} saved as a draft."))
    return redirect(url_for("bank.item_page", item_id=version.item_id))


# -- editing -------------------------------------------------------------------------------------

def _editable_item(item_id: int) -> Item:
    item = db().get(Item, item_id)
    if item is None or not item.versions:
        abort(404)
    require(_user(), Action.EDIT, item)
    return item


@teacher_bp.route("/cau-hoi/<int:item_id>/sua", methods=["GET", "POST"])
@roles_required(*AUTHOR_ROLES)
def edit_item(item_id: int):
    """Edit the latest version: a draft in place, an approved one as a new draft version."""
    item = _editable_item(item_id)
    latest = item.versions[-1]
    if request.method == "GET":
        form = form_from_content(content_from_json(latest.content), item)
        return _editor_page(form, item=item)
    changed = _changed_form(request.form)
    if changed is not None:
        return _editor_page(changed, item=item)
    content, where, problems = _every_problem(request.form)
    if problems or content is None:
        return _editor_page(request.form, item=item, problems=problems, status=422)
    if where != workflow.Classification.of_item(item).normalised():
        # A teacher proposing a new version of another's item may not refile it as well.
        require(_user(), Action.REFILE, item)
    saved = latest
    try:
        if content_to_json(content) != latest.content:  # an unchanged save makes no version
            saved = workflow.edit(db(), latest, content, actor_id=_user().id)
            db().expire(item, ["versions"])  # the event of reclassify names the new version
        workflow.reclassify(db(), item, where, actor_id=_user().id)
    except workflow.InvalidItem as invalid:
        db().rollback()
        return _editor_page(request.form, item=item, problems=beside_inputs(invalid.problems),
                            status=422)
    except workflow.WorkflowError as refused:  # e.g. the item is in review
        db().rollback()
        return _editor_page(request.form, item=item, status=409,
                            error=localized(refused.message_vi, refused.message_en))
    flash(localized(f"Đã lưu câu hỏi {item.key}, phiên bản {saved.version}.",
                    f"Item {item.key} saved, version {saved.version}."))
    return redirect(url_for("bank.item_page", item_id=item.id, v=saved.version))


# -- live preview --------------------------------------------------------------------------------

def _reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Open this request's session for reading before anything else does: the preview is
    posted on every pause in typing and must never take SQLite's write lock."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        db(writes=False)
        return view(*args, **kwargs)

    return wrapped


@teacher_bp.post("/xem-truoc")
@_reads_only
@roles_required(*AUTHOR_ROLES)
def preview_item():
    """JSON ``{ok, html, problems}``: the candidate's view of the posted form (never its key)
    and every problem with its input name. Writes nothing."""
    content, _, problems = _every_problem(request.form)
    view = preview_view(content) if content is not None else None
    html = get_template_attribute("bank/_preview.html", "candidate_view")(view) if view else ""
    return jsonify(ok=not problems, html=str(html), problems=[
        {"field": p.field, "message": localized(p.message_vi, p.message_en)} for p in problems])
