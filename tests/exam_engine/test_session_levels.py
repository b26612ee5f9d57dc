"""Levels of a session (issue 10, hole 13 scheduling side, hole 14): never mixed, a basic
session holds all six basic modules, an advanced one is for holders of the basic certificate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from certs.models import Certificate, CertificateStatus
from exam_engine.exams import delivery
from exam_engine.exams.eligibility import holds_basic_certificate
from exam_engine.exams.errors import ExamError, InvalidRoster
from exam_engine.exams.models import ExamSession
from exam_engine.exams.results import approve_results, current_result
from exam_engine.exams.scheduling import (
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
ADVANCED = {"IU07": 1, "IU08": 1, "IU09": 1}


def _session(db, modules, certificate_type="basic"):
    return create_session(db, title="Ca thi", exam_date=date(2026, 11, 24), room="Phòng 1",
                          exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh", duration_minutes=30,
                          items_per_module=modules, certificate_type=certificate_type)


def test_a_session_mixing_levels_is_refused_at_creation(db):
    with pytest.raises(ExamError, match="không được trộn mô-đun cơ bản và nâng cao: cơ bản "
                                        "IU01, IU02; nâng cao IU07"):
        _session(db, {"IU01": 2, "IU02": 2, "IU07": 2})
    with pytest.raises(ExamError, match="Ca thi nâng cao chỉ gồm các mô-đun nâng cao"):
        _session(db, {"IU01": 2}, certificate_type="advanced")


def test_a_mixed_session_from_before_the_rule_is_refused_at_scheduling(db, make_session):
    session = make_session(n_candidates=1, schedule=False)
    session.items_per_module = {**session.items_per_module, "IU08": 1}
    db.flush()
    with pytest.raises(ExamError, match="không được trộn"):
        schedule_session(db, session)


def test_a_basic_session_missing_basic_modules_cannot_be_approved(db, make_bank):
    """Reproduces hole 14: a "basic" session of some basic modules went through to issue."""
    make_bank(modules=("IU01", "IU02"), per_module=2)
    session = _session(db, {"IU01": 1, "IU02": 1})
    enrol_candidates(db, session, [RosterRow("BN01", "Lê Văn Tám", date(1990, 1, 1), "Huế",
                                             "Nam", "024090001111")])
    schedule_session(db, session, seed=1)
    with pytest.raises(ExamError, match="đủ 6 mô-đun cơ bản; còn thiếu: IU03, IU04, IU05, IU06"):
        approve_results(db, session, approved_by=None, now=T0)


def _basic_certificate(db, make_session, status=CertificateStatus.VALID) -> str:
    """A basic certificate held by the first candidate of a basic session; their CCCD."""
    session = make_session(n_candidates=1)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, T0)
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=1))
    db.add(Certificate(candidate_id=session.candidates[0].id,
                       result_id=current_result(db, attempt.id).id, certificate_type="basic",
                       year=2026, register_seq=1, register_number="CB-2026-1", serial="BN-1",
                       verify_code="v1", issue_date=date(2026, 11, 25), status=status,
                       payload={}, signature="-", key_id="-"))
    db.flush()
    return session.candidates[0].citizen_id


def test_advanced_enrolment_needs_the_basic_certificate(db, make_session):
    holder = _basic_certificate(db, make_session)
    assert holds_basic_certificate(db, holder)
    session = _session(db, ADVANCED, certificate_type="advanced")
    rows = [RosterRow("NC01", "Nguyễn Thị Ánh Tuyết", date(1990, 1, 1), "Bắc Ninh", "Nữ", holder),
            RosterRow("NC02", "Hoàng Văn Nam", date(1991, 2, 2), "Bắc Ninh", "Nam",
                      "027199000999", line=3)]
    with pytest.raises(InvalidRoster) as refused:
        enrol_candidates(db, session, rows)
    assert [(p.line, p.field) for p in refused.value.problems] == [(3, "CCCD")]
    assert "027199000999 chưa có chứng chỉ ƯDCNTT cơ bản" in refused.value.message_vi
    enrol_candidates(db, session, rows[:1])
    assert db.get(ExamSession, session.id).candidates[0].citizen_id == holder


def test_a_revoked_basic_certificate_does_not_open_the_advanced_exam(db, make_session):
    holder = _basic_certificate(db, make_session, status=CertificateStatus.REVOKED)
    assert not holds_basic_certificate(db, holder)
