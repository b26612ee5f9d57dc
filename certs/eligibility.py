"""Who may be issued which certificate, read from the graded result (Thông tư 03/2014/TT-BTTTT,
TTLT 17/2016/TTLT-BGDĐT-BTTTT).

- The basic certificate covers IU01-IU06 as one exam: the result's overall pass suffices.
- A module counts only when it was passed: its own percent reaches the session's pass mark.
  An advanced certificate lists exactly those modules and needs at least three of them.
- The advanced certificate needs the basic one first: asked again at issue of the one rule
  enrolment asks (``exam_engine.exams.eligibility.holds_basic_certificate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from certs.document import ADVANCED_MODULES, MIN_ADVANCED_MODULES
from exam_engine.exams.eligibility import holds_basic_certificate
from exam_engine.exams.models import Candidate, ExamSession, Result


@dataclass(frozen=True)
class Refusal:
    """A passed candidate who gets no certificate, and why (shown to staff)."""

    candidate_number: str
    full_name: str
    reason_vi: str
    reason_en: str


def modules_passed(session: ExamSession, result: Result) -> tuple[str, ...]:
    """Codes of the session's modules whose own percent reaches the pass mark, in code order."""
    scores = result.module_scores or {}
    return tuple(sorted(
        code for code in session.items_per_module
        if float((scores.get(code) or {}).get("percent", 0.0)) >= session.pass_percent))


def refusal(db: Session, session: ExamSession, candidate: Candidate,
            result: Result) -> Refusal | None:
    """Why this passed candidate may not be issued the session's certificate (None: he may)."""
    def refuse(vi: str, en: str) -> Refusal:
        return Refusal(candidate.candidate_number, candidate.full_name, vi, en)

    if session.certificate_type == "basic":
        return None  # the basic exam covers IU01-IU06 as one exam: its overall pass suffices
    advanced = [code for code in modules_passed(session, result) if code in ADVANCED_MODULES]
    if len(advanced) < MIN_ADVANCED_MODULES:
        return refuse(f"chỉ đạt {len(advanced)} mô-đun nâng cao, cần ít nhất "
                      f"{MIN_ADVANCED_MODULES}",
                      f"only {len(advanced)} advanced modules passed, "
                      f"{MIN_ADVANCED_MODULES} needed")
    if not holds_basic_certificate(db, candidate.citizen_id):
        return refuse("chưa có chứng chỉ ứng dụng CNTT cơ bản",
                      "holds no basic IT-skills certificate")
    return None
