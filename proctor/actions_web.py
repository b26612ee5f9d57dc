"""Pages of the proctor's actions on candidates and rooms (pause, extra time, move, force-submit, incidents, sanctions, accommodations)."""

from __future__ import annotations

from flask import Blueprint

actions_bp = Blueprint("proctor_actions", __name__, url_prefix="/giam-thi", template_folder="templates")
