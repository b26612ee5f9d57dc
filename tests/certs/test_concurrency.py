"""Two clicks, twenty requests: issuing and revoking are idempotent under concurrency, and the
database itself refuses a second certificate or a second revocation (issue 10, hole 2).

The requests go through the app's real path (test clients in threads, each with its own
login, its own database connection and the unit of work that commits in ``after_request``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from certs.issuance import issue_certificates, register_entry
from certs.models import Certificate, RegisterEntry
from tests.certs.issuing import finished_page, job_id_of, seen_job
from tests.certs.sitting import approved_session, vn_morning
from tests.conftest import login, race

N_REQUESTS = 20


def _staff_clients(app, make_user, n: int) -> list[tuple[object, str]]:
    make_user("canbo")
    clients = []
    for _ in range(n):
        client = app.test_client()
        clients.append((client, login(client, "canbo")))
    return clients


def test_twenty_simultaneous_issue_requests_issue_each_certificate_once(
        app, db, make_session, make_user):
    """Reproduces hole 2: simultaneous "Cấp chứng chỉ" gave every passed candidate two
    certificates with different serials and register numbers (PostgreSQL)."""
    session = approved_session(db, make_session, n=4, passing=(True, False, True, True))
    clients = _staff_clients(app, make_user, N_REQUESTS)
    answers = race(clients, lambda c, _i: c[0].post(
        f"/can-bo/ca-thi/{session.id}/cap-chung-chi",
        data={"csrf_token": c[1], "decision_number": "12/QĐ-SGDĐT"}))
    assert [getattr(a, "status_code", a) for a in answers] == [303] * N_REQUESTS
    # every click is sent to the one issuing job (the batch runs in the background)
    assert len({job_id_of(a) for a in answers}) == 1
    assert "Đã cấp 3 chứng chỉ." in finished_page(clients[0][0], answers[0]).get_data(
        as_text=True)
    db.expire_all()
    certs = db.scalars(select(Certificate).order_by(Certificate.register_seq)).all()
    assert sorted(c.candidate.candidate_number for c in certs) == ["BN0001", "BN0003", "BN0004"]
    assert [c.register_seq for c in certs] == [1, 2, 3]  # consecutive, none lost to a loser
    issued_rows = db.scalars(select(RegisterEntry).where(RegisterEntry.kind == "issue")).all()
    assert sorted(e.certificate_id for e in issued_rows) == sorted(c.id for c in certs)


def test_simultaneous_revocations_write_one_register_row(app, db, make_session, make_user,
                                                         issuer):
    """Reproduces hole 2: two simultaneous revocations wrote two revocation rows."""
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None).issued[0]
    db.commit()
    clients = _staff_clients(app, make_user, 5)
    answers = race(clients, lambda c, i: c[0].post(
        f"/can-bo/chung-chi/{cert.id}/thu-hoi",
        data={"csrf_token": c[1], "decision_number": f"45/QĐ-SGDĐT-{i}",
              "reason": "Gian lận trong kỳ thi"}, follow_redirects=True))
    assert [getattr(a, "status_code", a) for a in answers] == [200] * 5
    pages = [a.get_data(as_text=True) for a in answers]
    assert sum(f"Đã thu hồi chứng chỉ {cert.serial}." in p for p in pages) == 1
    assert sum("đã bị thu hồi trước đó" in p for p in pages) == 4  # calm, not an error
    db.expire_all()
    kinds = db.scalars(select(RegisterEntry.kind).where(RegisterEntry.certificate_id == cert.id)
                       .order_by(RegisterEntry.id)).all()
    assert kinds == ["issue", "revoke"]


def test_issuing_twice_in_a_row_is_harmless(app, db, make_session, make_user):
    """A second issue that arrives after the first finished issues nothing more."""
    session = approved_session(db, make_session, n=2, passing=(True, True))
    (client, token), = _staff_clients(app, make_user, 1)
    url = f"/can-bo/ca-thi/{session.id}/cap-chung-chi"
    first = finished_page(client, client.post(url, data={"csrf_token": token}))
    # from a confirmation shown after the first ended (the same form would follow the first)
    second = finished_page(client, client.post(url, data={
        "csrf_token": token, "seen_job": seen_job(client, session.id)}))
    assert "Đã cấp 2 chứng chỉ." in first.get_data(as_text=True)
    assert "Đã cấp 0 chứng chỉ." in second.get_data(as_text=True)
    assert len(db.scalars(select(Certificate)).all()) == 2


def test_the_database_refuses_a_second_certificate_for_the_same_result(db, make_session,
                                                                      issuer):
    """The uniqueness the law needs is a constraint, not a check in Python."""
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None).issued[0]
    db.commit()
    twin = Certificate(
        candidate_id=cert.candidate_id, result_id=cert.result_id,
        certificate_type=cert.certificate_type, year=cert.year, register_seq=99,
        register_number="CB-2026-000099", serial="BN26CB000099", verify_code="khac-ma",
        issue_date=cert.issue_date, status=cert.status, payload=cert.payload,
        signature=cert.signature, key_id=cert.key_id)
    db.add(twin)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


@pytest.mark.parametrize("kind", ["issue", "revoke"])
def test_the_database_refuses_a_second_issue_or_revocation_row(db, make_session, issuer, kind):
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None).issued[0]
    db.add(register_entry(cert, kind="revoke", recorded_by=None, note="QĐ 1: lý do"))
    db.commit()
    db.add(register_entry(cert, kind=kind, recorded_by=None, note="QĐ 2: lần nữa"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
