"""The web layer: one blueprint per audience, thin over the domain services."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from certs.staff_web import certs_staff_bp
    from certs.web import public_bp
    from exam_engine.web.auth import auth_bp
    from exam_engine.web.candidate import candidate_bp
    from exam_engine.web.errors import register_error_handlers
    from exam_engine.web.staff import staff_bp

    # routes on teacher_bp, one module per page group
    from item_bank.web import duplicates, editor, exports, imports  # noqa: F401
    from item_bank.web.api import bank_api_bp
    from item_bank.web.media import media_bp
    from item_bank.web.pages import teacher_bp
    from proctor.web import proctor_bp

    for blueprint in (auth_bp, candidate_bp, staff_bp, certs_staff_bp, public_bp, teacher_bp, bank_api_bp,
                      media_bp, proctor_bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
