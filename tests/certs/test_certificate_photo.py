"""The registration photo on the certificate (issue 11): signed by its SHA-256 at issue, drawn
on every print from the stored photo only while it is still the photo that was signed."""

from __future__ import annotations

import hashlib
import subprocess

from certs.issuance import certificate_document, issue_certificates
from certs.pdf import render_certificate
from proctor.models import CandidatePhoto
from tests.certs.conftest import make_jpeg
from tests.certs.sitting import approved_session, vn_morning
from tests.conftest import require_tool


def _photo(candidate_id: int, jpeg: bytes) -> CandidatePhoto:
    return CandidatePhoto(candidate_id=candidate_id, content_type="image/jpeg", data=jpeg,
                          sha256=hashlib.sha256(jpeg).hexdigest(), width=240, height=360)


def test_the_photo_is_signed_at_issue_and_printed_on_the_certificate(db, make_session, issuer,
                                                                     tmp_path):
    session = approved_session(db, make_session, n=2, passing=(True, True))
    jpeg = make_jpeg()
    db.add(_photo(session.candidates[0].id, jpeg))
    db.flush()
    with_photo, without = issue_certificates(db, session, issuer=issuer,
                                             now=vn_morning(2026, 11, 25), issued_by=None).issued
    db.commit()
    assert with_photo.payload["holder"]["photo_sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert without.payload["holder"]["photo_sha256"] is None
    assert certificate_document(with_photo).photo_jpeg == jpeg
    assert certificate_document(without).photo_jpeg is None

    pdfimages = require_tool("pdfimages", "poppler-utils")
    counts = []
    for cert in (with_photo, without):
        path = tmp_path / f"{cert.serial}.pdf"
        path.write_bytes(render_certificate(certificate_document(cert)))
        listing = subprocess.run([pdfimages, "-list", str(path)], capture_output=True,
                                 text=True, check=True).stdout
        counts.append(sum(" jpeg " in line for line in listing.splitlines()))
    assert counts[0] == counts[1] + 1  # the photo, beside whatever else both carry (the QR)


def test_a_photo_replaced_after_issue_is_not_printed_as_if_it_had_been_signed(
        db, make_session, issuer):
    session = approved_session(db, make_session, n=1, passing=(True,))
    db.add(_photo(session.candidates[0].id, make_jpeg(240, 360)))
    db.flush()
    [cert] = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                                issued_by=None).issued
    db.commit()
    stored = db.get(CandidatePhoto, session.candidates[0].id)
    stored.data = make_jpeg(300, 400)
    db.commit()
    assert certificate_document(cert).photo_jpeg is None
