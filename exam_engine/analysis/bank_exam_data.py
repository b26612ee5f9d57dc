"""The adapter that gives the bank's pages their live exam data (see item_bank.exam_data)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.analysis.item_statistics import VersionStatistics, version_statistics
from exam_engine.exams.models import ExamSession
from item_bank.exam_data import SessionNeeds


class LiveExamData:
    def version_statistics(self, db: Session, version_id: int) -> VersionStatistics | None:
        return version_statistics(db, version_id)

    def sessions(self, db: Session) -> list[SessionNeeds]:
        rows = db.scalars(select(ExamSession).order_by(ExamSession.exam_date.desc(),
                                                       ExamSession.id.desc()))
        return [SessionNeeds(s.id, s.title, s.exam_date,
                             {m: int(n) for m, n in s.items_per_module.items()}) for s in rows]
