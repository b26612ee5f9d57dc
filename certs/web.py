"""Public verification: no login; shows what the certificate shows, date of birth masked."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from certs.document import masked_date_of_birth
from certs.issuance import Issuer
from certs.models import Certificate
from certs.signing import public_key_pem
from exam_engine.kernel.web_context import db

public_bp = Blueprint("public", __name__)


def current_issuer() -> Issuer:
    config = current_app.config
    key_path = Path(config["CERT_SIGNING_KEY_FILE"])
    if not key_path.is_file():
        raise RuntimeError(f"certificate signing key missing: {key_path} "
                           "(run `exam-engine init`)")
    return Issuer(name=config["ISSUER_NAME"], place=config["ISSUER_PLACE"],
                  code=config["ISSUER_CODE"], signer_name=config["SIGNER_NAME"],
                  signer_title=config["SIGNER_TITLE"],
                  signs_on_behalf_of=config["SIGNER_ON_BEHALF_OF"] or None,
                  public_base_url=config["PUBLIC_BASE_URL"],
                  private_key_pem=key_path.read_bytes())


@public_bp.get("/khoa-ky-chung-chi.pem")
def signing_key():
    """The public half of the certificate signing key, to check exported certificates."""
    pem = public_key_pem(current_issuer().private_key_pem)
    return Response(pem, mimetype="application/x-pem-file")


@public_bp.get("/xac-minh")
def lookup():
    serial = request.args.get("so_hieu", "").strip().upper()
    if serial:
        cert = db().scalar(select(Certificate).where(Certificate.serial == serial))
        if cert is not None:
            return redirect(url_for("public.verify", code=cert.verify_code))
        return render_template("verify.html", cert=None, searched=serial), 404
    return render_template("verify.html", cert=None, searched=None)


@public_bp.get("/xac-minh/<code>")
def verify(code: str):
    cert = db().scalar(select(Certificate).where(Certificate.verify_code == code))
    if cert is None:
        return render_template("verify.html", cert=None, searched=code), 404
    return render_template("verify.html", cert=cert, searched=code,
                           masked_dob=masked_date_of_birth(cert.candidate.date_of_birth))
