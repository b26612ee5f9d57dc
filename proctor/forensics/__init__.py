"""Forensics after the exam (pure: numpy/scipy on arrays; nothing of Flask, SQL or Redis).

Conventions: ``choices: (n_persons, n_items)`` option indices, ``scores`` 0/1, ``times``
seconds, NaN = not presented; ``rooms: (n_persons,)``; ``seats: (n_persons, 2)`` (row, column);
randomness is injected (``rng``). Every index returns a p-value; a flag is evidence for the
exam council, never a verdict.
"""

from proctor.forensics.answer_changes import AnswerChanges, wrong_to_right
from proctor.forensics.multiple_testing import weighted_bh, weighted_holm
from proctor.forensics.option_model import option_probabilities
from proctor.forensics.person_fit import PersonFit, person_fit
from proctor.forensics.report import SessionForensics, session_forensics
from proctor.forensics.response_times import (
    FastCorrect,
    LognormalTimes,
    fast_correct_answers,
    fit_lognormal_times,
)
from proctor.forensics.similarity import (
    PairSimilarity,
    empirical_null_p,
    neighbour_pairs,
    pair_similarity,
    room_pairs,
)
from proctor.forensics.simulation import SimulatedSession, simulate_session
from proctor.forensics.tails import poisson_binomial_sf, saddlepoint_sf

__all__ = [
    "AnswerChanges",
    "FastCorrect",
    "LognormalTimes",
    "PairSimilarity",
    "PersonFit",
    "SessionForensics",
    "SimulatedSession",
    "empirical_null_p",
    "fast_correct_answers",
    "fit_lognormal_times",
    "neighbour_pairs",
    "option_probabilities",
    "pair_similarity",
    "person_fit",
    "poisson_binomial_sf",
    "room_pairs",
    "saddlepoint_sf",
    "session_forensics",
    "simulate_session",
    "weighted_bh",
    "weighted_holm",
    "wrong_to_right",
]
