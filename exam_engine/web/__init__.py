"""The web layer: one blueprint per audience, thin over the domain services."""

from __future__ import annotations

from flask import Flask

from exam_engine.kernel.i18n import add_english


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
    from proctor.actions_web import actions_bp
    from proctor.english import EN as PROCTOR_EN
    from proctor.events_web import events_bp
    from proctor.forensics_web import forensics_bp
    from proctor.incidents_web import incidents_bp
    from proctor.live_web import live_bp
    from proctor.rooms_web import rooms_bp
    from proctor.seb_web import seb_bp
    from proctor.web import proctor_bp

    for blueprint in (auth_bp, candidate_bp, staff_bp, certs_staff_bp, public_bp, teacher_bp,
                      bank_api_bp, media_bp, proctor_bp, rooms_bp, actions_bp, live_bp, events_bp,
                      seb_bp, forensics_bp, incidents_bp):
        app.register_blueprint(blueprint)
    add_english(PROCTOR_EN)
    register_error_handlers(app)
