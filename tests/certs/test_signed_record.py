"""The certificate is the record it claims to be (issue 10, hole 12): every PDF is drawn from
the payload signed at issue, a revoked certificate never downloads clean, and the public look-up
by serial needs the date of birth, is rate-limited, and tells nobody which serials exist."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from certs import web as public_web
from certs.issuance import issue_certificates, revoke_certificate
from certs.models import Certificate
from exam_engine.exams.models import Candidate
from tests.certs.sitting import approved_session, vn_morning
from tests.conftest import login


@pytest.fixture
def certificate(db, make_session, issuer) -> Certificate:
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None, decision_number="12/QĐ-SGDĐT").issued[0]
    db.commit()
    return cert


@pytest.fixture
def staff(app, make_user):
    make_user("canbo")
    client = app.test_client()
    login(client, "canbo")
    return client


def _pdf_text(run_tool, tmp_path, pdf: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return run_tool("pdftotext", "-enc", "UTF-8", path, "-")


def test_a_reprint_after_the_signer_and_the_roster_change_is_the_same_document(
        app, db, certificate, staff, run_tool, tmp_path):
    """Reproduces hole 12: the PDF was re-drawn from live rows and today's settings, so an old
    certificate reprinted after a new director took office bore the new director's name."""
    url = f"/can-bo/chung-chi/{certificate.id}.pdf"
    first = staff.get(url).data
    app.config.update(SIGNER_NAME="Lê Thị Mới", SIGNER_TITLE="GIÁM ĐỐC", SIGNER_ON_BEHALF_OF="",
                      ISSUER_NAME="SỞ GIÁO DỤC VÀ ĐÀO TẠO KHÁC")
    db.get(Candidate, certificate.candidate_id).full_name = "Tên Đã Sửa Sau Khi Cấp"
    db.commit()
    reprint = staff.get(url).data
    assert reprint == first
    text = _pdf_text(run_tool, tmp_path, reprint, "reprint.pdf")
    assert "Nguyễn Văn Minh" in text and "KT. GIÁM ĐỐC" in text
    assert "Lê Thị Mới" not in text and "Tên Đã Sửa" not in text
    assert "Nguyễn Thị Ánh Tuyết" in text


def test_a_revoked_certificate_downloads_for_staff_only_with_the_revoked_mark(
        db, certificate, staff, run_tool, tmp_path):
    """Reproduces hole 12: revoked certificates still downloaded clean."""
    url = f"/can-bo/chung-chi/{certificate.id}.pdf"
    clean = _pdf_text(run_tool, tmp_path, staff.get(url).data, "valid.pdf")
    assert "ĐÃ THU HỒI" not in clean
    revoke_certificate(db, certificate, reason="Gian lận trong kỳ thi",
                       decision_number="45/QĐ-SGDĐT", revoked_by=None)
    db.commit()
    marked = _pdf_text(run_tool, tmp_path, staff.get(url).data, "revoked.pdf")
    assert "ĐÃ THU HỒI" in marked and "45/QĐ-SGDĐT" in marked
    assert "Nguyễn Thị Ánh Tuyết" in marked  # still the document, visibly void


def test_the_public_never_gets_a_certificate_pdf(app, certificate):
    public = app.test_client()
    response = public.get(f"/can-bo/chung-chi/{certificate.id}.pdf")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_the_verify_page_shows_the_holder_as_signed(db, client, certificate):
    db.get(Candidate, certificate.candidate_id).full_name = "Tên Đã Sửa Sau Khi Cấp"
    db.commit()
    page = client.get(f"/xac-minh/{certificate.verify_code}")
    assert page.status_code == 200  # the QR link keeps working, with no date of birth asked
    text = page.get_data(as_text=True)
    assert "Nguyễn Thị Ánh Tuyết" in text and "Tên Đã Sửa" not in text


def _without_token(html: str) -> str:
    return re.sub(r'name="csrf-token" content="[^"]*"', "", html)


def test_look_up_by_serial_needs_the_date_of_birth(client, certificate):
    """Reproduces hole 12: the serial alone listed the holder's name, birth year, birthplace."""
    alone = client.get(f"/xac-minh?so_hieu={certificate.serial}")
    assert alone.status_code == 400
    assert "Ngày sinh không hợp lệ" in alone.get_data(as_text=True)
    assert "Nguyễn Thị Ánh Tuyết" not in alone.get_data(as_text=True)
    for typed in ("1990-01-01", "01/01/1990"):
        right = client.get(f"/xac-minh?so_hieu={certificate.serial.lower()}&ngay_sinh={typed}")
        assert right.status_code == 302
        assert right.headers["Location"].endswith(f"/xac-minh/{certificate.verify_code}")


def test_a_wrong_date_of_birth_and_an_unknown_serial_get_the_same_answer(client, certificate):
    wrong_date = client.get(f"/xac-minh?so_hieu={certificate.serial}&ngay_sinh=1990-01-02")
    unknown = client.get(f"/xac-minh?so_hieu={certificate.serial}&ngay_sinh=1990-01-01"
                         .replace(certificate.serial, "BN26CB999999"))
    assert wrong_date.status_code == unknown.status_code == 404
    wrong_body = _without_token(wrong_date.get_data(as_text=True))
    unknown_body = _without_token(unknown.get_data(as_text=True))
    assert "Không tìm thấy chứng chỉ." in wrong_body
    assert wrong_body.replace(certificate.serial, "") == unknown_body.replace("BN26CB999999", "")
    assert "Nguyễn Thị Ánh Tuyết" not in wrong_body


def test_walking_serials_from_one_address_is_refused_with_429(app, certificate):
    """Reproduces hole 12: 200 guesses in 0.8 s, none refused."""
    walker = app.test_client()
    walker.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    answers = [walker.get(f"/xac-minh?so_hieu=BN26CB{n:06d}&ngay_sinh=1990-01-01").status_code
               for n in range(2, 2 + public_web.LOOKUPS_PER_WINDOW)]
    assert set(answers) == {404}
    refused = walker.get(f"/xac-minh?so_hieu={certificate.serial}&ngay_sinh=1990-01-01")
    assert refused.status_code == 429  # even the right pair, once over the limit
    text = refused.get_data(as_text=True)
    assert "Quá nhiều lượt tra cứu" in text and "Nguyễn Thị Ánh Tuyết" not in text
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert neighbour.get(f"/xac-minh?so_hieu={certificate.serial}&ngay_sinh=1990-01-01"
                         ).status_code == 302
    assert walker.get(f"/xac-minh/{certificate.verify_code}").status_code == 200  # QR link


def test_the_look_up_refuses_when_it_cannot_count(app, certificate, monkeypatch):
    """A throttle fails closed: with the cache down, look-ups by serial are refused."""
    def broken(*_args, **_kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(app.extensions["cache"], "incr", broken)
    response = app.test_client().get(
        f"/xac-minh?so_hieu={certificate.serial}&ngay_sinh=1990-01-01")
    assert response.status_code == 429


def test_the_stored_payload_is_what_the_pdf_is_drawn_from(db, certificate):
    from certs.issuance import certificate_document
    data = certificate_document(db.scalars(select(Certificate)).one())
    assert data.to_signed_payload() == certificate.payload
