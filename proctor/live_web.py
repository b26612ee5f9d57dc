"""Pages of the live room view and the session's rooms overview."""

from __future__ import annotations

from flask import Blueprint

live_bp = Blueprint("proctor_live", __name__, url_prefix="/giam-thi", template_folder="templates")
