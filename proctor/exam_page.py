"""What the candidate's exam page shows differently for this candidate and session: larger
text (an accommodation entered before the exam) and whether the session asks for full screen
(an invigilation setting). Read once per page load, never on the answer path."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt
from proctor.models import Accommodation, InvigilationSettings


@dataclass(frozen=True)
class PageSettings:
    large_text: bool = False          # Accommodation.large_text of the candidate
    require_fullscreen: bool = False  # InvigilationSettings.require_fullscreen of the session


def page_settings(db: Session, attempt: Attempt) -> PageSettings:
    """The page settings of this attempt's candidate; the defaults (both False) where the
    candidate has no accommodation or the session no settings row. One round trip."""
    candidate = attempt.candidate
    large_text = (select(Accommodation.large_text)
                  .where(Accommodation.candidate_id == candidate.id).scalar_subquery())
    fullscreen = (select(InvigilationSettings.require_fullscreen)
                  .where(InvigilationSettings.exam_session_id == candidate.exam_session_id)
                  .scalar_subquery())
    row = db.execute(select(large_text, fullscreen)).one()
    return PageSettings(large_text=bool(row[0]), require_fullscreen=bool(row[1]))
