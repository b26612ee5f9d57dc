"""Pages of Safe Exam Browser settings and the request-hash check."""

from __future__ import annotations

from flask import Blueprint

seb_bp = Blueprint("proctor_seb", __name__, url_prefix="/giam-thi", template_folder="templates")
