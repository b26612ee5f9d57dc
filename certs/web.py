"""Public verification: no login; shows what the certificate shows, date of birth masked."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from certs.document import masked_date_of_birth
from certs.issuance import Issuer
from certs.models import Certificate
from certs.signing import public_key_pem
from exam_engine.kernel.web_context import cache, db

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


#: Look-ups by serial per client address and window. Serials are consecutive, so without a
#: limit the register could be walked number by number; an honest employer checks a few.
LOOKUPS_PER_WINDOW = 20
LOOKUP_WINDOW_SECONDS = 600
_SERIAL = re.compile(r"[A-Z0-9-]{1,30}")


def _lookup_allowed() -> bool:
    """Count this look-up against the client's address. Fails closed: a throttle that cannot
    count refuses rather than letting a walk through."""
    try:
        count = cache().incr(f"verify-lookup:{request.remote_addr}", LOOKUP_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - any cache failure means "cannot count"
        return False
    return count <= LOOKUPS_PER_WINDOW


def _date_of_birth(raw: str) -> date | None:
    """The date of birth as typed: ``yyyy-mm-dd`` (a date field) or ``dd/mm/yyyy``."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
    return None


@public_bp.get("/xac-minh")
def lookup():
    """Look-up by serial together with the holder's date of birth.

    "No such serial" and "wrong date of birth" give the very same answer, so the page tells
    nobody which serials exist; every try counts against the client's address.
    """
    serial = request.args.get("so_hieu", "").strip().upper()
    if not serial:
        return render_template("verify.html", cert=None, searched=None)
    if not _lookup_allowed():
        return render_template("verify.html", cert=None, searched=None, throttled=True), 429
    born = _date_of_birth(request.args.get("ngay_sinh", ""))
    if born is None:
        return render_template("verify.html", cert=None, searched=None, bad_date=True), 400
    cert = None
    if _SERIAL.fullmatch(serial):  # anything else is no serial of ours: the same answer
        cert = db().scalar(select(Certificate).where(Certificate.serial == serial))
    if cert is not None and cert.payload["holder"]["date_of_birth"] == born.isoformat():
        return redirect(url_for("public.verify", code=cert.verify_code))
    return render_template("verify.html", cert=None, searched=serial), 404


@public_bp.get("/xac-minh/<code>")
def verify(code: str):
    """The printed QR link: the certificate as signed, with its status; birth day masked."""
    cert = db().scalar(select(Certificate).where(Certificate.verify_code == code))
    if cert is None:
        return render_template("verify.html", cert=None, searched=code), 404
    holder = cert.payload["holder"]
    return render_template("verify.html", cert=cert, searched=code, holder=holder,
                           masked_dob=masked_date_of_birth(
                               date.fromisoformat(holder["date_of_birth"])))
