"""Approving results, issuing certificates with gapless register numbers, revoking, verifying."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from certs.issuance import issue_certificates, revoke_certificate
from certs.models import Certificate, CertificateStatus, RegisterEntry
from certs.signing import public_key_pem, verify_payload
from exam_engine.exams import delivery
from exam_engine.exams.errors import ExamError
from exam_engine.exams.results import approve_results
from exam_engine.kernel.db import make_session_factory
from tests.certs.sitting import T0, approved_session, vn_morning
from tests.conftest import require_tool


def test_issue_only_after_approval(db, make_session, issuer):
    session = make_session(n_candidates=1)
    with pytest.raises(ExamError, match="đã được duyệt"):
        issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None)


def test_approval_waits_for_candidates_still_sitting(db, make_session):
    session = make_session(n_candidates=2)
    delivery.start_attempt(db, session.candidates[0].attempt.id, T0)
    db.commit()
    with pytest.raises(ExamError, match="đang làm bài"):
        approve_results(db, session, approved_by=None, now=T0 + timedelta(minutes=5))
    db.rollback()
    approve_results(db, session, approved_by=None, now=T0 + timedelta(hours=1))  # deadline passed
    assert session.candidates[0].attempt.status.value == "submitted"


def test_passed_candidates_get_consecutive_numbers_and_a_signed_register_row(db, make_session,
                                                                            issuer):
    session = approved_session(db, make_session, n=3, passing=(True, False, True))
    issued = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                                issued_by=None, decision_number="123/QĐ-SGDĐT").issued
    db.commit()
    assert [c.register_number for c in issued] == ["CB-2026-000001", "CB-2026-000002"]
    assert [c.serial for c in issued] == ["BN26CB000001", "BN26CB000002"]
    assert [c.candidate.candidate_number for c in issued] == ["BN0001", "BN0003"]
    public = public_key_pem(issuer.private_key_pem)
    for cert in issued:
        assert verify_payload(cert.payload, cert.signature, public)
        assert cert.payload["holder"]["full_name"] == cert.candidate.full_name
    entries = db.scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
    assert [(e.kind, e.register_number) for e in entries] == [
        ("issue", "CB-2026-000001"), ("issue", "CB-2026-000002")]
    again = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 26), issued_by=None)
    assert again.issued == [] and again.refused == []  # idempotent: nobody gets a second certificate


def test_numbers_restart_each_calendar_year(db, make_session, issuer):
    session = approved_session(db, make_session, n=2, passing=(True, True))
    first = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 12, 31),
                               issued_by=None).issued
    db.commit()
    assert first[-1].register_number == "CB-2026-000002"
    other = approved_session(db, make_session, n=1, passing=(True,))
    nxt = issue_certificates(db, other, issuer=issuer, now=vn_morning(2027, 1, 2), issued_by=None)
    assert nxt.issued[0].register_number == "CB-2027-000001"


def test_concurrent_batches_never_duplicate_or_skip_a_number(db, engine, make_session, issuer):
    sessions = [approved_session(db, make_session, n=3, passing=(True, True, True))
                for _ in range(3)]
    factory = make_session_factory(engine, writes=True)
    barrier = threading.Barrier(len(sessions))
    errors: list[BaseException] = []

    def issue(session_id: int) -> None:
        own = factory()
        try:
            from exam_engine.exams.models import ExamSession
            barrier.wait(timeout=30)
            exam = own.get(ExamSession, session_id)
            issue_certificates(own, exam, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None)
            own.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=issue, args=(s.id,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(db.scalars(select(Certificate.register_seq)))
    assert seqs == list(range(1, 10))


def test_revocation_is_a_new_register_row_and_shows_on_the_public_page(db, make_session, issuer,
                                                                      client):
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None).issued[0]
    db.commit()
    page = client.get(f"/xac-minh/{cert.verify_code}").get_data(as_text=True)
    assert "Hợp lệ" in page and "Nguyễn Thị Ánh Tuyết" in page and "**/**/1990" in page
    assert "01/01/1990" not in page
    revoke_certificate(db, cert, reason="Gian lận trong kỳ thi", decision_number="45/QĐ-SGDĐT",
                       revoked_by=None)
    db.commit()
    assert cert.status is CertificateStatus.REVOKED
    kinds = [e.kind for e in db.scalars(select(RegisterEntry).order_by(RegisterEntry.id))]
    assert kinds == ["issue", "revoke"]
    assert "Đã thu hồi" in client.get(f"/xac-minh/{cert.verify_code}").get_data(as_text=True)


def test_unknown_codes_get_a_plain_not_found(client):
    response = client.get("/xac-minh/khong-co-ma-nay")
    assert response.status_code == 404
    assert "Không tìm thấy chứng chỉ." in response.get_data(as_text=True)


def test_staff_download_the_pdf_with_the_name_intact(db, make_session, make_user, issuer, client,
                                                    tmp_path):
    pdftotext = require_tool("pdftotext")
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None).issued[0]
    db.commit()
    make_user("canbo")
    import re
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"username": "canbo", "password": "mật-khẩu-123",
                                    "csrf_token": token})
    response = client.get(f"/can-bo/chung-chi/{cert.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "cert.pdf"
    path.write_bytes(response.data)
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Nguyễn Thị Ánh Tuyết" in text and cert.serial in text
    assert f"http://localhost/xac-minh/{cert.verify_code}" in text


def test_staff_export_signed_data_that_the_public_key_verifies(db, make_session, make_user, issuer,
                                                              client):
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None).issued[0]
    db.commit()
    assert client.get(f"/can-bo/chung-chi/{cert.id}.json").status_code == 302  # login first
    make_user("canbo")
    import re
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"username": "canbo", "password": "mật-khẩu-123",
                                    "csrf_token": token})
    exported = client.get(f"/can-bo/chung-chi/{cert.id}.json").get_json()
    public = client.get("/khoa-ky-chung-chi.pem").data
    assert exported["payload"]["holder"]["citizen_id"] == cert.candidate.citizen_id
    assert verify_payload(exported["payload"], exported["signature"], public)
    exported["payload"]["holder"]["full_name"] = "Người Khác"
    assert not verify_payload(exported["payload"], exported["signature"], public)
