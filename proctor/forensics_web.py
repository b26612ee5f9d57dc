"""Pages of the after-exam forensics report."""

from __future__ import annotations

from flask import Blueprint

forensics_bp = Blueprint("proctor_forensics", __name__, url_prefix="/giam-thi", template_folder="templates")
