"""Who may do what to an item of the bank: one set of rules for the item page, the list's bulk
actions and the editor (admins may do everything). Pure: users and items in, booleans out."""

from __future__ import annotations

from exam_engine.kernel.accounts import Role, User
from item_bank.models import Item, ItemVersion

__all__ = ["AUTHOR_ROLES", "REVIEW_ROLES", "RETIRE_ROLES", "is_author", "may", "may_author",
           "may_edit"]

AUTHOR_ROLES = (Role.TEACHER, Role.STAFF)  # write items (admins too); reviewers comment instead
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)  # approve, return to the author
RETIRE_ROLES = (Role.REVIEWER, Role.STAFF, Role.ADMIN)
_EDIT_ANY_ROLES = (Role.STAFF, Role.ADMIN)


def is_author(version: ItemVersion, user: User) -> bool:
    """The author of the item or of this version (admins count as every author)."""
    return user.role is Role.ADMIN or user.id in (version.author_id, version.item.author_id)


def may(action: str, version: ItemVersion, user: User) -> bool:
    """``submit`` for review, ``approve`` (or return), ``retire``, add a ``tag``."""
    if action == "submit":
        return is_author(version, user)
    if action == "approve":
        return user.role in REVIEW_ROLES
    if action == "retire":
        return user.role in RETIRE_ROLES
    if action == "tag":
        return is_author(version, user) or user.role in RETIRE_ROLES
    return False


def may_author(user: User | None) -> bool:
    return user is not None and user.role in (*AUTHOR_ROLES, Role.ADMIN)


def may_edit(user: User | None, item: Item) -> bool:
    """The item's author, staff and admins; reviewers comment on the item page instead."""
    if user is None or not may_author(user):
        return False
    return user.role in _EDIT_ANY_ROLES or item.author_id == user.id
