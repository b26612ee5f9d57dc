"""Personal one-time login codes (issue 11): 8 characters a candidate types from his exam card.

Only a SHA-256 of the code (keyed by the candidate's id, so equal codes hash apart) is stored;
the plain code exists on the printed card alone. 8 characters from a 31-letter alphabet with no
look-alikes (0/O, 1/I/L) give ~40 bits, and the login throttle allows 10 tries per 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from exam_engine.exams.models import Candidate
from exam_engine.kernel.text import nfc

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_login_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """As typed from the card: case, spaces and dashes do not matter."""
    return nfc(typed).upper().replace(" ", "").replace("-", "")


def code_hash(candidate_id: int, code: str) -> str:
    return hashlib.sha256(f"{candidate_id}:{normalise_code(code)}".encode()).hexdigest()


def issue_login_code(db: Session, candidate: Candidate, now: datetime,
                     code: str | None = None) -> str:
    """A new code for ``candidate``; any earlier code stops working. Returns the plain code,
    the only time it exists. ``code`` fixes it (demo data), else it is random."""
    code = normalise_code(code) if code is not None else new_login_code()
    candidate.login_code_hash = code_hash(candidate.id, code)
    candidate.login_code_issued_at = now
    candidate.login_code_spent_at = None
    db.flush()
    return code


def spend_on_login(candidate: Candidate, now: datetime) -> bool:
    """Whether a login with ``candidate``'s (matching) code may go in, spending it if so.

    One-time, as issue 11 puts it: the code is spent by the login that starts the attempt.
    Logins before the start go in (a reload, a browser restarted before Start). Once the
    attempt has started, the code that started it is spent; a code the proctor issued after
    the start (the candidate's computer failed) lets exactly one login resume.
    """
    attempt = candidate.attempt
    assert attempt is not None and candidate.login_code_issued_at is not None
    if candidate.login_code_spent_at is not None:
        return False
    if attempt.started_at is None:
        return True
    if attempt.started_at >= candidate.login_code_issued_at:
        candidate.login_code_spent_at = attempt.started_at  # spent by the start itself
        return False
    candidate.login_code_spent_at = now
    return True


def code_matches(candidate: Candidate, typed: str) -> bool:
    if candidate.login_code_hash is None:
        return False
    return hmac.compare_digest(candidate.login_code_hash, code_hash(candidate.id, typed))
