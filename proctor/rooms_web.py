"""Pages of rooms and seats, photos, the room list, opening and closing rooms, late entry."""

from __future__ import annotations

from flask import Blueprint

rooms_bp = Blueprint("proctor_rooms", __name__, url_prefix="/giam-thi", template_folder="templates")
