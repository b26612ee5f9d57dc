"""Teachers and reviewers: the item bank — search, bulk actions, the item page with its review
actions, coverage. (Import, the editor, export and duplicates have modules of their own on the
same blueprint: ``import_web``, ``editor_web``, ``export_web``, ``duplicates_web``.)

Thin over ``item_bank.workflow``, ``item_bank.bulk`` and ``item_bank.queries``: parse the form,
call one service, commit once, render. A ``WorkflowError`` is shown on the page it came from
(status 422) with the service's Vietnamese message.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from exam_engine.kernel.accounts import Role, User
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db, roles_required
from item_bank import workflow
from item_bank.bulk import ACTIONS as BULK_ACTIONS
from item_bank.bulk import apply_bulk
from item_bank.content import content_from_json
from item_bank.exam_data import exam_data
from item_bank.formats import FORMATS
from item_bank.models import Item, ItemStatus, ItemVersion
from item_bank.permissions import Action, NotAllowed, may, require
from item_bank.sanitise import excerpt, sanitise_html
from item_bank.taxonomy import DIFFICULTIES, IC3_BY_CODE, IC3_DOMAINS, SUBJECTS, TT03_MODULES
from item_bank.types import item_type

teacher_bp = Blueprint("bank", __name__, url_prefix="/ngan-hang", template_folder="../templates")

BANK_ROLES = (Role.TEACHER, Role.REVIEWER, Role.STAFF)
MODULES = TT03_MODULES
PAGE_SIZE = 25
STATUS_VI = {"draft": "Nháp", "in_review": "Đang phản biện", "approved": "Đã duyệt",
             "retired": "Ngừng dùng"}
KIND_VI = {"single": "Một đáp án", "multiple": "Nhiều đáp án", "true_false4": "Đúng/Sai 4 ý",
           "matching": "Ghép nối", "ordering": "Sắp xếp", "short_answer": "Trả lời ngắn",
           "numeric": "Điền số", "cloze": "Điền khuyết"}
ACTION_VI = {"created": "Tạo", "edited": "Sửa", "new_version": "Phiên bản mới",
             "submitted": "Gửi phản biện", "approved": "Duyệt", "returned": "Trả lại",
             "retired": "Ngừng dùng", "commented": "Nhận xét", "imported": "Nhập từ tệp",
             "reclassified": "Phân loại lại", "calibrated": "Ước lượng tham số IRT"}


@teacher_bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"bank_status_vi": STATUS_VI, "bank_kind_vi": KIND_VI, "bank_action_vi": ACTION_VI,
            "ic3_name": _ic3_name, "difficulty_name": _difficulty_name}


@teacher_bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    """A refusal of :mod:`item_bank.permissions`: 403 with the rule that refused, on the page."""
    db().rollback()
    return render_template("error.html", message=localized(error.message_vi, error.message_en)
                           ), 403


def _ic3_name(code: str) -> str:
    domain = IC3_BY_CODE.get(code)
    return localized(domain.name_vi, domain.name_en) if domain else code


def _difficulty_name(value: str) -> str:
    names = DIFFICULTIES.get(value)
    return localized(*names) if names else value


def _user() -> User:
    return current_user()  # type: ignore[return-value]  # roles_required ran first


def _version_or_404(item_id: int, version_no: int | None = None) -> ItemVersion:
    item = db().get(Item, item_id)
    if item is None or not item.versions:
        abort(404)
    if version_no is None:
        return item.versions[-1]
    for version in item.versions:
        if version.version == version_no:
            return version
    abort(404)


# -- list and search ---------------------------------------------------------------------------

def _search_args() -> dict[str, Any]:
    args = request.args
    status = args.get("status", "")
    return {"q": args.get("q", "").strip() or None,
            "module": args.get("module", "") if args.get("module", "") in MODULES else None,
            "code": args.get("code", "").strip() or None,
            "status": status if status in STATUS_VI else None,
            "kind": args.get("kind", "") if args.get("kind", "") in KIND_VI else None,
            "author_id": _user().id if args.get("mine") else args.get("author", type=int),
            "subject": args.get("subject", "").strip() or None,
            "grade": args.get("grade", type=int),
            "ic3_domain": args.get("ic3", "") if args.get("ic3", "") in IC3_BY_CODE else None,
            "tag": args.get("tag", "").strip() or None}


@teacher_bp.get("/")
@roles_required(*BANK_ROLES)
def index():
    from item_bank.queries import search_items
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    filters = _search_args()
    versions, total = search_items(db(), **filters, limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE)
    author_ids = {v.item.author_id for v in versions} - {None}
    authors = ({u.id: u for u in db().scalars(select(User).where(User.id.in_(author_ids)))}
               if author_ids else {})
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    query = {k: v for k, v in request.args.items() if k != "page"}
    all_authors = db().scalars(select(User).where(User.id.in_(
        select(Item.author_id).distinct())).order_by(User.full_name)).all()
    return render_template("bank/list.html", versions=versions, total=total, page=page,
                           pages=pages, query=query, authors=authors, modules=MODULES,
                           user=_user(), short=_short_stem, subjects=SUBJECTS,
                           all_authors=all_authors,
                           ic3_domains=IC3_DOMAINS, formats=FORMATS)


def _short_stem(version: ItemVersion) -> str:
    return excerpt(version.content.get("stem", ""))


def _back() -> str:
    """The list page the form came from (same host only), else the whole list."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url.rstrip("/") + url_for("bank.index")):
        return referrer
    return url_for("bank.index")


BULK_DONE = {"submit": ("Đã gửi phản biện {n} câu hỏi.", "{n} items sent for review."),
             "approve": ("Đã duyệt {n} câu hỏi.", "{n} items approved."),
             "retire": ("Đã ngừng dùng {n} câu hỏi.", "{n} items retired."),
             "tag": ("Đã gắn thẻ cho {n} câu hỏi.", "{n} items tagged.")}


@teacher_bp.post("/hang-loat")
@teacher_bp.post("/gui-phan-bien")
@roles_required(*BANK_ROLES)
def bulk_action():
    """The ticked items of the list: send for review (the default), approve, retire or tag —
    all of them or none (the first refusal is shown)."""
    action = request.form.get("action", "submit")
    ids = [int(v) for v in request.form.getlist("version_id") if v.isdigit()]
    versions = [db().get(ItemVersion, v) for v in ids]
    if action not in BULK_ACTIONS:
        abort(400)
    if not ids or any(v is None for v in versions):
        flash(localized("Chưa chọn câu hỏi nào.", "No item selected."))
        return redirect(_back())
    try:
        count = apply_bulk(db(), versions, action, user=_user(),
                           comment=request.form.get("comment", ""),
                           tag=request.form.get("tag", ""))
    except workflow.WorkflowError as error:
        db().rollback()
        flash(localized(error.message_vi, error.message_en))
        return redirect(_back())
    vi, en = BULK_DONE[action]
    flash(localized(vi.format(n=count), en.format(n=count)))
    return redirect(_back())


# -- one item ---------------------------------------------------------------------------------

def _icc_svg(version: ItemVersion) -> Markup | None:
    if version.irt_a is None or version.irt_b is None:
        return None
    from item_bank.irt.models import ItemParameters
    from item_bank.irt.plots import figure_to_bytes, plot_item_characteristic_curves
    c = version.irt_c or 0.0
    # slope–intercept form: d = −a·b
    params = ItemParameters("3PL" if c else "2PL", [version.irt_a],
                            [-version.irt_a * version.irt_b], [c])
    fig = plot_item_characteristic_curves(params, item_names=[version.item.key],
                                          figsize=(5.0, 3.0))
    axes = fig.axes[0]  # the plotting core labels in English; the page speaks the user's language
    axes.set_title(localized("Đường cong đặc trưng câu hỏi", "Item characteristic curve")
                   + f" ({params.model})")
    axes.set_xlabel(localized("θ (năng lực)", "θ (ability)"))
    axes.set_ylabel(localized("Xác suất trả lời đúng", "P(correct)"))
    svg = figure_to_bytes(fig, "svg").decode("utf-8")
    return Markup(svg[svg.find("<svg"):])


def _item_page(version: ItemVersion, *, error: str | None = None, status: int = 200):
    user = _user()
    item = version.item
    latest = item.versions[-1]
    content = content_from_json(version.content)
    kind_type = item_type(version.kind)
    view = kind_type.candidate_view(content, rng=None)["view"]
    events = workflow.history(db(), item.id)
    actor_ids = {e.actor_id for e in events} | {item.author_id}
    people = {u.id: u for u in db().scalars(select(User).where(User.id.in_(actor_ids - {None})))}
    is_latest = version.id == latest.id
    actions = {
        "submit": is_latest and version.status is ItemStatus.DRAFT
        and may(user, Action.SUBMIT, version=version),
        "review": is_latest and version.status is ItemStatus.IN_REVIEW
        and may(user, Action.REVIEW, version=version),
        "retire": version.status is ItemStatus.APPROVED and may(user, Action.RETIRE,
                                                                 version=version),
    }
    return render_template(
        "bank/item.html", item=item, version=version, view=view,
        key_text=kind_type.describe_key(content),
        events=events, people=people, actions=actions, error=error,
        icc_svg=_icc_svg(version),
        feedback=Markup(sanitise_html(content.feedback)) if content.feedback else None,
        stats=exam_data(current_app.extensions).version_statistics(db(), version.id)), status


@teacher_bp.get("/cau-hoi/<int:item_id>")
@roles_required(*BANK_ROLES)
def item_page(item_id: int):
    version_no = request.args.get("v", type=int)
    return _item_page(_version_or_404(item_id, version_no))


@teacher_bp.post("/cau-hoi/<int:item_id>/<action>")
@roles_required(*BANK_ROLES)
def item_action(item_id: int, action: str):
    version = _version_or_404(item_id, request.form.get("version", type=int))
    user = _user()
    comment = request.form.get("comment", "")
    try:
        if action == "gui-phan-bien":
            require(user, Action.SUBMIT, version=version)
            workflow.submit_for_review(db(), version, actor_id=user.id)
            done = localized("Đã gửi phản biện.", "Sent for review.")
        elif action == "duyet":
            require(user, Action.REVIEW, version=version)
            workflow.approve(db(), version, reviewer_id=user.id, comment=comment.strip() or None)
            done = localized("Đã duyệt câu hỏi.", "Item approved.")
        elif action == "tra-lai":
            require(user, Action.REVIEW, version=version)
            workflow.return_to_author(db(), version, reviewer_id=user.id, comment=comment)
            done = localized("Đã trả lại cho tác giả.", "Returned to the author.")
        elif action == "ngung-dung":
            require(user, Action.RETIRE, version=version)
            workflow.retire(db(), version, actor_id=user.id, reason=comment.strip())
            done = localized("Đã ngừng dùng câu hỏi.", "Item retired.")
        elif action == "nhan-xet":
            require(user, Action.COMMENT, version=version)
            workflow.add_comment(db(), version, actor_id=user.id, text=comment)
            done = localized("Đã thêm nhận xét.", "Comment added.")
        else:
            abort(404)
    except workflow.WorkflowError as error:
        db().rollback()
        version = _version_or_404(item_id, request.form.get("version", type=int))
        return _item_page(version, error=localized(error.message_vi, error.message_en),
                          status=422)
    flash(done)
    return redirect(url_for("bank.item_page", item_id=item_id, v=version.version))


# -- coverage ---------------------------------------------------------------------------------

@teacher_bp.get("/do-phu")
@roles_required(*BANK_ROLES)
def coverage_page():
    from item_bank.queries import coverage, coverage_by_ic3, coverage_by_subject
    sessions = exam_data(current_app.extensions).sessions(db())
    chosen = request.args.get("session_id", type=int)
    needs: dict[str, int] = {}
    if chosen:
        exam = next((s for s in sessions if s.id == chosen), None)
        if exam is None:
            abort(404)
        needs = dict(exam.items_per_module)
    else:
        for module in MODULES:
            raw = request.args.get(f"n_{module}", "").strip()
            if raw.isdigit() and int(raw) > 0:
                needs[module] = int(raw)
    modules = [m for m in MODULES if request.args.get("module") in (None, "", m)]
    rows = coverage(db(), modules=modules, needs=needs or None)
    return render_template("bank/coverage.html", rows=rows, sessions=sessions, chosen=chosen,
                           needs=needs, modules=MODULES, ic3_rows=coverage_by_ic3(db()),
                           subject_rows=coverage_by_subject(db()))
