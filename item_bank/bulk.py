"""Bulk actions on ticked items of the bank list: send for review, approve, retire, add a tag.

All or nothing: the first step the workflow or the permissions refuse undoes the whole batch
(the caller rolls back) and names the item. Who may do what is asked here, of
:mod:`item_bank.permissions`, for every ticked item — the same rule as one item's page and the API.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from exam_engine.kernel.accounts import User
from item_bank import workflow
from item_bank.models import ItemVersion
from item_bank.permissions import Action, require
from item_bank.taxonomy import normalise_tags

ACTIONS = ("submit", "approve", "retire", "tag")
PERMISSION = {"submit": Action.SUBMIT, "approve": Action.REVIEW, "retire": Action.RETIRE,
              "tag": Action.REFILE}


def apply_bulk(db: Session, versions: Sequence[ItemVersion], action: str, *, user: User,
               comment: str = "", tag: str = "") -> int:
    """Do ``action`` to every version; returns how many. Raises ``NotAllowed`` or
    ``WorkflowError`` (with the item's key) on the first refusal; flushes only, the caller
    commits or rolls back."""
    if action not in ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    for version in versions:  # every permission first: a refusal then writes nothing at all
        require(user, PERMISSION[action], version=version)
    comment = comment.strip()
    if action == "retire" and not comment:
        raise workflow.WorkflowError("Ngừng dùng cần nêu lý do.", "a reason is required")
    tags = normalise_tags([tag])
    if action == "tag" and not tags:
        raise workflow.WorkflowError("Hãy nhập thẻ cần gắn.", "enter the tag to add")
    for version in versions:
        try:
            if action == "submit":
                workflow.submit_for_review(db, version, actor_id=user.id)
            elif action == "approve":
                workflow.approve(db, version, reviewer_id=user.id, comment=comment or None)
            elif action == "retire":
                workflow.retire(db, version, actor_id=user.id, reason=comment)
            elif action == "tag":
                item = version.item
                where = workflow.Classification.of_item(item)
                workflow.reclassify(db, item, workflow.Classification(
                    **{**where.__dict__, "tags": where.tags + tags}), actor_id=user.id)
            else:
                raise ValueError(f"unknown bulk action {action!r}")
        except workflow.WorkflowError as error:
            key = version.item.key
            raise workflow.WorkflowError(f"{key}: {error.message_vi}",
                                         f"{key}: {error.message_en}") from error
    return len(versions)
