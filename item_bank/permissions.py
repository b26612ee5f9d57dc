"""Who may do what in the item bank: the ONE decision that the item page, the list's bulk
actions, the editor, the import pages and the JSON API all ask. Pure: a user, an action and the
item (or version) in, a refusal naming the rule out.

The rules, per role and per ownership ("own" = the user wrote the item or one of its versions:
its author or a recorded contributor, :attr:`ItemVersion.contributor_ids`):

=========================  ===========  ==========  ========  =====================
action                     teacher      reviewer    staff     admin
=========================  ===========  ==========  ========  =====================
read, comment              yes          yes         yes       yes
create, import             yes          no          yes       yes
edit (content)             own (1)      no          any       any
refile (filing, tags)      own          any (2)     any       any
submit for review          own          own (3)     any       any
review (approve, return)   no           not own     no        not own
retire                     no           yes         yes       yes
=========================  ===========  ==========  ========  =====================

(1) A teacher may also propose a new version of another's item, but only when its latest
    version is approved: the approved version stays as it is and the new draft is hers (she
    becomes its contributor). She never changes another's draft or an item in review — that
    is someone's unfinished work — and she files, submits or retires only her own items.
(2) Filing is part of review (a wrong requirement code is the reviewer's to fix); it never
    changes content, so an approved version stays approved and no approval is at stake.
(3) Reviewers write no items, but one may still be the contributor of an older item.

Why reviewers do not import: importing writes items exactly as the editor does, in bulk, and
the reviewers are the second pair of eyes — the bank's four-eyes rule only holds if the people
who approve are not also the people who write. For the same reason staff, who run the bank
(they write, file, submit and retire), never approve: the pages refused it and the API now
does too, so no single account can both write and approve bank content. Nobody — admins
included — reviews a version he contributed to; :func:`item_bank.workflow.approve` checks this
again for callers outside the web (CLI, jobs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from exam_engine.kernel.accounts import Role, User
from item_bank.models import Item, ItemStatus, ItemVersion

__all__ = ["AUTHOR_ROLES", "BANK_ROLES", "Action", "NotAllowed", "Refusal", "contributes",
           "decide", "may", "may_on_some", "require"]


class Action(enum.StrEnum):
    READ = "read"
    COMMENT = "comment"
    CREATE = "create"
    IMPORT = "import"
    EDIT = "edit"
    REFILE = "refile"
    SUBMIT = "submit"
    REVIEW = "review"  # approve or return to the author
    RETIRE = "retire"


BANK_ROLES = (Role.TEACHER, Role.REVIEWER, Role.STAFF, Role.ADMIN)
AUTHOR_ROLES = (Role.TEACHER, Role.STAFF, Role.ADMIN)  # create, import
_MANAGERS = (Role.STAFF, Role.ADMIN)  # edit, refile and submit any item
_REVIEWERS = (Role.REVIEWER, Role.ADMIN)
_RETIRERS = (Role.REVIEWER, Role.STAFF, Role.ADMIN)


@dataclass(frozen=True)
class Refusal:
    message_vi: str
    message_en: str


class NotAllowed(Exception):
    """The user's role or relation to the item does not allow the action (HTTP 403)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message_vi)
        self.message_vi, self.message_en = refusal.message_vi, refusal.message_en


def contributes(user: User, item: Item) -> bool:
    """The user wrote this item or one of its versions."""
    return user.id == item.author_id or any(user.id in v.contributor_ids for v in item.versions)


def _where(item: Item | None) -> tuple[str, str]:
    return (f"Câu hỏi {item.key}: ", f"item {item.key}: ") if item is not None else ("", "")


def decide(user: User | None, action: Action | str, item: Item | None = None,
           version: ItemVersion | None = None) -> Refusal | None:
    """None when ``user`` may do ``action`` (to ``version``, else to ``item``'s latest
    version), else why not. Item actions need the item or the version."""
    action = Action(action)
    if version is not None:
        item = version.item
    if user is None or not user.active or user.role not in BANK_ROLES:
        return Refusal("Cần đăng nhập bằng tài khoản giáo viên, phản biện hoặc cán bộ.",
                       "log in as a teacher, reviewer or staff member")
    vi, en = _where(item)
    role = user.role
    if action in (Action.READ, Action.COMMENT):
        return None
    if action in (Action.CREATE, Action.IMPORT):
        if role in AUTHOR_ROLES:
            return None
        return Refusal("Người phản biện không soạn hay nhập câu hỏi: hai người soạn và duyệt "
                       "phải khác nhau.", "reviewers neither write nor import items")
    if item is None:
        raise ValueError(f"{action} needs an item")
    own = contributes(user, item)
    latest = item.versions[-1] if item.versions else None
    target = version or latest
    if action is Action.EDIT:
        if role in _MANAGERS or (role is Role.TEACHER and own):
            return None
        if (role is Role.TEACHER and target is latest and latest is not None
                and latest.status is ItemStatus.APPROVED):
            return None  # a proposal: a new draft version of hers, the approved one untouched
        if role is Role.TEACHER:
            return Refusal(vi + "chỉ tác giả hoặc người cùng soạn mới được sửa; câu của người "
                           "khác chỉ được đề xuất phiên bản mới khi phiên bản mới nhất đã được "
                           "duyệt.", en + "only its authors edit it; others may propose a new "
                           "version of an approved latest version")
        return Refusal(vi + "người phản biện không sửa nội dung, hãy thêm nhận xét.",
                       en + "reviewers comment instead of editing")
    if action is Action.REFILE:
        if role in (*_MANAGERS, Role.REVIEWER) or own:
            return None
        return Refusal(vi + "chỉ tác giả, người cùng soạn, phản biện hoặc cán bộ mới được "
                       "phân loại lại hay gắn thẻ.", en + "only its authors, reviewers or staff "
                       "refile or tag it")
    if action is Action.SUBMIT:
        if role in _MANAGERS or own:
            return None
        return Refusal(vi + "chỉ tác giả hoặc người cùng soạn mới được gửi phản biện.",
                       en + "only its authors send it for review")
    if action is Action.REVIEW:
        if role not in _REVIEWERS:
            return Refusal(vi + "chỉ người phản biện mới được duyệt hoặc trả lại câu hỏi.",
                           en + "only reviewers approve or return items")
        if target is not None and user.id in target.contributor_ids:
            return Refusal(vi + "người phản biện không được duyệt câu hỏi do chính mình soạn "
                           "hoặc đã sửa.", en + "a reviewer cannot approve or return a version "
                           "he wrote or edited")
        return None
    if action is Action.RETIRE:
        if role in _RETIRERS:
            return None
        return Refusal(vi + "chỉ người phản biện hoặc cán bộ mới được ngừng dùng câu hỏi.",
                       en + "only reviewers or staff retire items")
    raise AssertionError(action)  # every Action is decided above


_ON_SOME_ITEMS = {
    Role.TEACHER: {Action.EDIT, Action.REFILE, Action.SUBMIT},
    Role.REVIEWER: {Action.REFILE, Action.REVIEW, Action.RETIRE},
    Role.STAFF: {Action.EDIT, Action.REFILE, Action.SUBMIT, Action.RETIRE},
    Role.ADMIN: set(Action),
}


def may_on_some(user: User | None, action: Action | str) -> bool:
    """Whether the user's role does ``action`` to some items (which buttons a list offers;
    each item is still decided by :func:`decide`). Reviewers' own old items are left out:
    the list offers them no "submit"."""
    action = Action(action)
    if action in (Action.READ, Action.COMMENT, Action.CREATE, Action.IMPORT):
        return may(user, action)
    return (user is not None and user.active
            and action in _ON_SOME_ITEMS.get(user.role, set()))


def may(user: User | None, action: Action | str, item: Item | None = None,
        version: ItemVersion | None = None) -> bool:
    return decide(user, action, item, version) is None


def require(user: User | None, action: Action | str, item: Item | None = None,
            version: ItemVersion | None = None) -> None:
    """Raise :class:`NotAllowed` with the rule's message unless ``user`` may do ``action``."""
    refusal = decide(user, action, item, version)
    if refusal is not None:
        raise NotAllowed(refusal)
