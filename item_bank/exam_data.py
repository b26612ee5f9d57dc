"""What the bank's pages show from live exams, behind a port the app fills in.

The bank never imports the exam (the layer rule): the item page's statistics and the coverage
page's list of sessions come from an adapter that the application factory registers
(``exam_engine.analysis.bank_exam_data``). Without one, the bank simply has no live data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

EXTENSION = "item_bank.exam_data"


@dataclass(frozen=True)
class SessionNeeds:
    """An exam session as the coverage page lists it: how many items it draws per module."""

    id: int
    title: str
    exam_date: date
    items_per_module: dict[str, int]


class ExamData(Protocol):
    def version_statistics(self, db: Session, version_id: int) -> Any | None: ...

    def sessions(self, db: Session) -> list[SessionNeeds]: ...


class NoExamData:
    """A bank on its own: no statistics, no sessions."""

    def version_statistics(self, db: Session, version_id: int) -> Any | None:
        return None

    def sessions(self, db: Session) -> list[SessionNeeds]:
        return []


def exam_data(extensions: dict[str, Any]) -> ExamData:
    return extensions.get(EXTENSION) or NoExamData()
