"""Pages of the exam page's events (off the answer path)."""

from __future__ import annotations

from flask import Blueprint

events_bp = Blueprint("proctor_events", __name__, url_prefix="/thi", template_folder="templates")
