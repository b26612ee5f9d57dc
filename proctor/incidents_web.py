"""Pages of incidents (biên bản) and the sanctions decided on them."""

from __future__ import annotations

from flask import Blueprint

incidents_bp = Blueprint("proctor_incidents", __name__, url_prefix="/giam-thi",
                         template_folder="templates")
