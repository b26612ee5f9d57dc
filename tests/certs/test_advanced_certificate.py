"""The advanced certificate certifies only what was passed (issue 10, hole 13, issue side):
it lists the modules actually passed, needs at least three of them (Thông tư 03/2014), and is
issued only to a holder of the basic certificate (TTLT 17/2016), checked again at issue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from certs.issuance import issue_certificates, plan_issue, revoke_certificate
from exam_engine.exams.models import Result
from exam_engine.exams.scheduling import (
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)
from tests.certs.sitting import approve, approved_session, sit, vn_morning

HOLDER = RosterRow("NC0001", "Nguyễn Thị Ánh Tuyết", date(1990, 1, 1), "Bắc Ninh", "Nữ",
                   "027190000000")  # the first candidate of make_session: same CCCD


def basic_holder(db, make_session, issuer):
    """The basic certificate for HOLDER's CCCD, issued from a basic session."""
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 25),
                              issued_by=None).issued[0]
    db.commit()
    return cert


def advanced_session(db, make_bank, modules: tuple[str, ...], rows=(HOLDER,)):
    make_bank(modules=modules, per_module=2)
    session = create_session(
        db, title="Ca thi nâng cao", exam_date=date(2026, 11, 24), room="Phòng 2",
        exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh", duration_minutes=30,
        items_per_module={m: 2 for m in modules}, pass_percent=50.0,
        certificate_type="advanced")
    enrol_candidates(db, session, list(rows))
    schedule_session(db, session, seed=11)
    db.commit()
    return session


def test_the_advanced_certificate_lists_only_the_modules_passed(db, make_session, make_bank,
                                                                issuer):
    """Reproduces hole 13: IU07 100 %, IU08 100 %, IU09 0 % gave a certificate listing IU09."""
    basic_holder(db, make_session, issuer)
    session = advanced_session(db, make_bank, ("IU07", "IU08", "IU09", "IU10"))
    sit(db, session.candidates[0].attempt, right={"IU07", "IU08", "IU10"})
    approve(db, session)
    batch = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 26),
                               issued_by=None)
    (cert,) = batch.issued
    assert cert.certificate_type == "advanced" and cert.register_number == "NC-2026-000001"
    assert cert.payload["modules_passed"] == ["IU07", "IU08", "IU10"]


def test_two_advanced_modules_passed_earn_no_advanced_certificate(db, make_session, make_bank,
                                                                   issuer):
    """IU07 and IU08 right, IU09 wrong: 67 % overall is a pass, but two modules are not three."""
    basic_holder(db, make_session, issuer)
    session = advanced_session(db, make_bank, ("IU07", "IU08", "IU09"))
    sit(db, session.candidates[0].attempt, right={"IU07", "IU08"})
    approve(db, session)
    assert db.scalar(select(Result.passed).where(
        Result.attempt_id == session.candidates[0].attempt.id))  # a pass overall
    batch = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 26),
                               issued_by=None)
    assert batch.issued == []
    (refused,) = batch.refused
    assert refused.candidate_number == "NC0001"
    assert "chỉ đạt 2 mô-đun nâng cao, cần ít nhất 3" in refused.reason_vi


def test_issue_checks_the_basic_certificate_again(db, make_session, make_bank, issuer):
    """A basic certificate revoked between enrolment and issue blocks the advanced one."""
    basic = basic_holder(db, make_session, issuer)
    session = advanced_session(db, make_bank, ("IU07", "IU08", "IU09"))
    sit(db, session.candidates[0].attempt, right=True)
    approve(db, session)
    revoke_certificate(db, basic, reason="Cấp sai thẩm quyền", decision_number="7/QĐ-SGDĐT",
                       revoked_by=None)
    db.commit()
    assert plan_issue(db, session).eligible == []
    batch = issue_certificates(db, session, issuer=issuer, now=vn_morning(2026, 11, 26),
                               issued_by=None)
    assert batch.issued == []
    assert [r.reason_vi for r in batch.refused] == ["chưa có chứng chỉ ứng dụng CNTT cơ bản"]
