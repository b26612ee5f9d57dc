"""Scored responses of submitted attempts, as sparse (person, item, score) arrays.

Persons are attempts and items are item *versions* (an attempt points at the exact version it
showed). Each response is scored by the exam's own grading core (``exam_engine.exams.grading``),
so the statistics and the calibration see exactly the scores the candidates were given: 0/1 for
single and multiple choice, the type's credit 0 … 1 for the other kinds (partial credit). An
omitted question (no answer, or an empty response) is presented and scores 0, as in grading.

Two queries, whatever the number of attempts: the attempts' slots with their answers, then the
keys of the versions they point at. Only SUBMITTED attempts count (``exam_engine.exams.states``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from exam_engine.exams.grading import CHOICE_KINDS, graded_item, item_score
from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate
from exam_engine.exams.states import AttemptStatus
from item_bank.models import ItemVersion
from item_bank.types.base import is_blank

__all__ = ["LiveResponses", "collect_live_responses"]


@dataclass(frozen=True)
class LiveResponses:
    """Responses of submitted attempts, one entry per presented question.

    Attributes:
        attempt_ids: (n_persons,) attempt id of each person index, ascending.
        version_ids: (n_items,) item version id of each item index, ascending.
        person: (n_obs,) int index into ``attempt_ids``.
        item: (n_obs,) int index into ``version_ids``.
        position: (n_obs,) int position of the question in the attempt's form.
        score: (n_obs,) float credit given by the grading core (0 … 1).
        chosen: (n_obs,) int64 bit mask of the *original* option indices chosen (bit o set =
            option o chosen) of single/multiple choice items; 0 for the other kinds.
        answered: (n_obs,) bool: a response is stored (any kind).
        totals: (n_persons,) float total score of each attempt over its own form.
    """

    attempt_ids: np.ndarray
    version_ids: np.ndarray
    person: np.ndarray
    item: np.ndarray
    position: np.ndarray
    score: np.ndarray
    chosen: np.ndarray
    totals: np.ndarray
    answered: np.ndarray

    @property
    def n_obs(self) -> int:
        return int(self.score.shape[0])

    @property
    def omitted(self) -> np.ndarray:
        """(n_obs,) bool: the candidate chose or typed nothing."""
        return ~self.answered

    def chosen_matrix(self, n_options: int) -> np.ndarray:
        """(n_obs, n_options) bool: whether each original option was chosen."""
        return ((self.chosen[:, None] >> np.arange(n_options)) & 1).astype(bool)

    def item_index(self, version_id: int) -> int | None:
        """The item index of a version, None when it has no responses here."""
        j = int(np.searchsorted(self.version_ids, version_id))
        found = j < self.version_ids.size and self.version_ids[j] == version_id
        return j if found else None


def collect_live_responses(
    db: Session,
    *,
    version_ids: Collection[int] | None = None,
    exam_session_ids: Collection[int] | None = None,
) -> LiveResponses:
    """Collect and score the responses of every submitted attempt.

    Args:
        db: the session (only reads).
        version_ids: keep the attempts that were shown at least one of these versions — with
            *all* of their questions, so that each attempt's total is over its whole form.
        exam_session_ids: keep the attempts of these exam sessions only.

    Returns:
        ``LiveResponses`` (empty arrays when there is nothing).
    """
    query = (
        select(AttemptItem.attempt_id, AttemptItem.position, AttemptItem.item_version_id,
               AttemptItem.module, AttemptItem.option_order, Answer.selected)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .outerjoin(Answer, and_(Answer.attempt_id == AttemptItem.attempt_id,
                                Answer.position == AttemptItem.position))
        .where(Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    if version_ids is not None:
        shown = select(AttemptItem.attempt_id).where(
            AttemptItem.item_version_id.in_(list(version_ids)))
        query = query.where(AttemptItem.attempt_id.in_(shown))
    if exam_session_ids is not None:
        query = query.join(Candidate, Candidate.id == Attempt.candidate_id).where(
            Candidate.exam_session_id.in_(list(exam_session_ids)))
    rows = db.execute(query).all()

    used = sorted({row.item_version_id for row in rows})
    versions = {version.id: version for version in
                db.scalars(select(ItemVersion).where(ItemVersion.id.in_(used)))} if used else {}

    # Scoring goes through the grading core one response at a time: the rule lives there.
    chosen = np.zeros(len(rows), dtype=np.int64)
    score = np.empty(len(rows), dtype=float)
    answered = np.empty(len(rows), dtype=bool)
    for n, row in enumerate(rows):
        version = versions[row.item_version_id]
        graded = graded_item(row.module, version.kind, version.content, row.option_order,
                             row.selected)
        if version.kind in CHOICE_KINDS:
            chosen[n] = sum(1 << option for option in graded.selected)
            answered[n] = bool(graded.selected)
        else:
            answered[n] = not is_blank(row.selected)
        score[n] = item_score(graded)

    attempt_of = np.fromiter((row.attempt_id for row in rows), dtype=np.int64, count=len(rows))
    version_of = np.fromiter((row.item_version_id for row in rows), dtype=np.int64,
                             count=len(rows))
    attempt_ids, person = np.unique(attempt_of, return_inverse=True)
    version_ids_arr, item = np.unique(version_of, return_inverse=True)
    totals = np.bincount(person, weights=score, minlength=attempt_ids.size)
    position = np.fromiter((row.position for row in rows), dtype=np.int64, count=len(rows))
    return LiveResponses(attempt_ids, version_ids_arr, person.astype(np.int64),
                         item.astype(np.int64), position, score, chosen, totals.astype(float),
                         answered)

