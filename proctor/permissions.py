"""Who may watch and act on a room: one decision, shared by every proctor page and action.

Staff and administrators see and act on every room of every session. A proctor acts on the
rooms he is assigned to; a room with no proctor assigned yet is open to every proctor (a small
centre that does not assign). Everybody else: nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.kernel.accounts import Role, User
from proctor.models import RoomProctor

OVERSEERS = (Role.STAFF, Role.ADMIN)


def may_invigilate(db: Session, user: User | None, room_id: int | None) -> bool:
    """May ``user`` watch and act on this room (None: a session without rooms)?"""
    if user is None:
        return False
    if user.role in OVERSEERS:
        return True
    if user.role is not Role.PROCTOR:
        return False
    if room_id is None:
        return True
    assigned = set(db.scalars(select(RoomProctor.user_id).where(RoomProctor.room_id == room_id)))
    return not assigned or user.id in assigned


def may_oversee(user: User | None) -> bool:
    """Session-wide settings (rooms, seats, photos, SEB, forensics): staff and admins."""
    return user is not None and user.role in OVERSEERS
