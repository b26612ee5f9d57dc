"""Staff certificate pages a new user met (issue 10, hole 14): the register speaks Vietnamese
(no raw internal statuses), and issuing and revoking are confirmed first, without JavaScript."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from certs.issuance import issue_certificates, revoke_certificate
from certs.models import Certificate, RegisterEntry
from tests.certs.issuing import finished_page
from tests.certs.sitting import approved_session, vn_morning
from tests.conftest import login


@pytest.fixture
def staff(app, make_user):
    make_user("canbo")
    client = app.test_client()
    return client, login(client, "canbo")


def _cells(page: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">(.*?)</td>', page, re.S)


def test_the_register_shows_vietnamese_labels_not_internal_codes(db, make_session, issuer,
                                                                 staff):
    """Reproduces hole 14: the register showed "issue", "revoke" as they are stored."""
    client, _ = staff
    session = approved_session(db, make_session, n=2, passing=(True, True))
    first, _second = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                                        issued_by=None).issued
    revoke_certificate(db, first, reason="Gian lận", decision_number="45/QĐ-SGDĐT",
                       revoked_by=None)
    db.commit()
    page = client.get("/can-bo/so-goc").get_data(as_text=True)
    assert _cells(page, "entry-kind") == ["Cấp mới", "Cấp mới", "Thu hồi: QĐ 45/QĐ-SGDĐT: Gian lận"]
    assert _cells(page, "cert-status") == ["Đã thu hồi", "Hợp lệ", "Đã thu hồi"]
    english = client.get("/can-bo/so-goc?lang=en").get_data(as_text=True)
    assert _cells(english, "entry-kind")[0] == "Issued"
    assert _cells(english, "cert-status") == ["Revoked", "Valid", "Revoked"]


def test_issuing_is_confirmed_on_a_page_of_its_own_first(db, make_session, staff):
    """Reproduces hole 14: one click on the session page issued at once, with no confirmation."""
    client, token = staff
    session = approved_session(db, make_session, n=3, passing=(True, False, True))
    detail = client.get(f"/can-bo/ca-thi/{session.id}").get_data(as_text=True)
    confirm_url = f"/can-bo/ca-thi/{session.id}/cap-chung-chi"
    # the session page's button only opens the confirmation (a GET form): nothing is issued
    assert re.search(rf'<form method="get" action="{confirm_url}"><button id="issue">', detail)
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200 and db.scalars(select(Certificate)).all() == []
    text = confirm.get_data(as_text=True)
    assert "Số chứng chỉ sẽ cấp: <strong>2</strong>" in text
    assert "BN0001" in text and "BN0003" in text and "BN0002" not in text
    assert re.search(rf'<form method="post" action="{confirm_url}"', text)
    done = finished_page(client, client.post(confirm_url, data={"csrf_token": token}))
    assert "Đã cấp 2 chứng chỉ." in done.get_data(as_text=True)


def test_revoking_is_confirmed_on_a_page_of_its_own_first(db, make_session, issuer, staff):
    client, token = staff
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None).issued[0]
    db.commit()
    register = client.get("/can-bo/so-goc").get_data(as_text=True)
    confirm_url = f"/can-bo/chung-chi/{cert.id}/thu-hoi"
    assert f'<form method="get" action="{confirm_url}">' in register
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    assert db.scalars(select(RegisterEntry.kind)).all() == ["issue"]  # nothing revoked yet
    assert 'id="confirm-revoke"' in confirm.get_data(as_text=True)
    done = client.post(confirm_url, data={"csrf_token": token, "decision_number": "45/QĐ",
                                          "reason": "Gian lận"}, follow_redirects=True)
    assert f"Đã thu hồi chứng chỉ {cert.serial}." in done.get_data(as_text=True)


def test_an_overlong_decision_number_is_refused_with_a_message(db, make_session, issuer, staff):
    """A decision number longer than its column gave a 500 on PostgreSQL."""
    client, token = staff
    session = approved_session(db, make_session, n=1, passing=(True,))
    response = client.post(f"/can-bo/ca-thi/{session.id}/cap-chung-chi",
                           data={"csrf_token": token, "decision_number": "1" * 51})
    assert response.status_code == 400
    assert "Số quyết định dài quá 50 ký tự." in response.get_data(as_text=True)
    assert db.scalars(select(Certificate)).all() == []
