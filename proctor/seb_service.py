"""A session's Safe Exam Browser settings in the database (``SebConfig``): staff save them, the
``.seb`` file and its Config Key come from them, and every candidate request of a session that
requires SEB is checked against them. The SEB rules themselves are in ``proctor.seb`` (pure).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Attempt, Candidate, ExamSession
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.accounts import User
from exam_engine.kernel.text import nfc
from proctor import seb
from proctor.audit import clean_reason, earlier_action, record_action
from proctor.models import ActionKind, ProctorAction, SebConfig

# The audit kind of a change of a session's SEB settings. ActionKind has none for session-wide
# settings yet (the lead adds SEB = "seb"); until then the change is logged under the nearest
# staff set-up kind, its ``detail["seb"]`` saying what it was.
SEB_ACTION = ActionKind.SEB

MAX_BROWSER_EXAM_KEYS = 100
MAX_ALLOWED_URLS = 50
MAX_QUIT_PASSWORD = 200
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SebProblem:
    """One bad field (and line of it) of the settings form, said so a person can fix it."""

    field: str
    line: int | None
    message_vi: str
    message_en: str


class InvalidSebSettings(ExamError):
    """The form cannot be saved: ``problems`` names every bad field and line at once."""

    http_status = 422

    def __init__(self, problems: list[SebProblem]) -> None:
        super().__init__("; ".join(p.message_vi for p in problems),
                         "; ".join(p.message_en for p in problems))
        self.problems = problems


class SebSettingsLocked(ExamError):
    http_status = 409


class SebRequired(ExamError):
    """This candidate request does not come from the session's Safe Exam Browser."""

    http_status = 403


@dataclass(frozen=True)
class SebForm:
    """What staff typed on the settings page. An empty ``quit_password`` keeps the current one
    (``clear_quit_password`` removes it)."""

    required: bool
    start_url: str
    browser_exam_keys: str = ""
    allowed_urls: str = ""
    quit_password: str = ""
    clear_quit_password: bool = False
    note: str = ""


@dataclass(frozen=True)
class SebSaved:
    config: SebConfig
    config_changed: bool      # a new Config Key: every computer needs the new .seb file
    keys_cleared: bool        # the Browser Exam Keys of the old file were dropped with it


def seb_config(db: Session, session_id: int) -> SebConfig | None:
    return db.get(SebConfig, session_id)


def required_seb_configs(db: Session) -> dict[int, SebConfig]:
    """The SEB settings of every session that requires SEB, by session id."""
    return {c.exam_session_id: c for c in db.scalars(select(SebConfig)
                                                      .where(SebConfig.required.is_(True)))}


def session_of_attempt(db: Session, attempt_id: int) -> int | None:
    """The session an attempt belongs to (one primary-key join)."""
    return db.scalar(select(Candidate.exam_session_id)
                     .join(Attempt, Attempt.candidate_id == Candidate.id)
                     .where(Attempt.id == attempt_id))


def settings_of(config: SebConfig) -> dict[str, Any]:
    return seb.settings_from_json(config.settings)


def seb_file(config: SebConfig) -> bytes:
    return seb.seb_plist(settings_of(config))


def refusal(config: SebConfig | None, url: str, headers: Mapping[str, str]) -> SebRequired | None:
    """Why a candidate request of this session is refused (None: let it through). ``url`` is
    the absolute URL the browser asked for, as SEB hashed it."""
    if config is None or not config.required:
        return None
    reason = seb.check_headers(url, headers, config_key=config.config_key,
                               browser_exam_keys=config.browser_exam_keys)
    if reason is None:
        return None
    vi, en = _REFUSALS[reason]
    return SebRequired(
        "Ca thi này yêu cầu làm bài bằng Safe Exam Browser của phòng thi. " + vi,
        "This session must be taken in the exam room's Safe Exam Browser. " + en)


_REFUSALS = {
    seb.SebRefusal.NOT_SEB: (
        "Hãy mở tệp cấu hình .seb của ca thi bằng Safe Exam Browser, hoặc báo cán bộ coi thi.",
        "Open the session's .seb configuration file in Safe Exam Browser, or call the "
        "invigilator."),
    seb.SebRefusal.WRONG_CONFIG: (
        "Safe Exam Browser trên máy này không chạy đúng tệp cấu hình của ca thi; hãy báo cán "
        "bộ coi thi.",
        "The Safe Exam Browser on this computer does not run this session's configuration "
        "file; call the invigilator."),
    seb.SebRefusal.UNKNOWN_BROWSER_EXAM_KEY: (
        "Bản Safe Exam Browser trên máy này không có trong danh sách được phép (Browser Exam "
        "Key); hãy báo cán bộ coi thi.",
        "The Safe Exam Browser on this computer is not on the allowed list (Browser Exam "
        "Key); call the invigilator."),
}


def save_seb_config(db: Session, session: ExamSession, form: SebForm, *, actor_id: int,
                    now: datetime, idempotency_key: str | None = None) -> SebSaved:
    """Save the session's SEB settings and recompute its Config Key; one ProctorAction row
    records the change. A repeat of the same form (its one-time key) changes nothing.

    Refused once the session is closed, and — for a change of the Config Key — once a
    candidate has started: every computer running the old file would be locked out mid-exam.
    Switching the requirement off (SEB fails in the room) and editing the Browser Exam Keys
    stay possible. A new Config Key also means new Browser Exam Keys (SEB derives them from
    the settings), so the listed ones are dropped with the old file."""
    config = seb_config(db, session.id)
    if earlier_action(db, idempotency_key) is not None and config is not None:
        return SebSaved(config, False, False)  # a repeat of a save already made
    if session.status in (SessionStatus.CLOSED, SessionStatus.APPROVED):
        raise SebSettingsLocked("Ca thi đã kết thúc: không đổi cấu hình Safe Exam Browser nữa.",
                                "the session is over; its Safe Exam Browser settings are final")
    checked = _checked(form, config)
    # One salt for the session's life: its Browser Exam Keys change only with its settings.
    salt = settings_of(config).get("examKeySalt") if config is not None else None
    if not isinstance(salt, bytes) or len(salt) != seb.EXAM_KEY_SALT_BYTES:
        salt = secrets.token_bytes(seb.EXAM_KEY_SALT_BYTES)
    settings = seb.default_settings(checked.start_url, exam_key_salt=salt,
                                    quit_password_sha256=checked.quit_hash,
                                    allowed_urls=checked.allowed_urls)
    key = seb.config_key(settings)
    changed = config is not None and key != config.config_key
    if changed and _anyone_started(db, session.id):
        raise SebSettingsLocked(
            "Đã có thí sinh bắt đầu làm bài: đổi cấu hình lúc này sẽ chặn mọi máy đang chạy tệp "
            ".seb cũ. Lúc này chỉ bật/tắt yêu cầu SEB hoặc sửa danh sách Browser Exam Key.",
            "a candidate has started: a new configuration now would lock out every computer "
            "running the old .seb file; only the requirement and the Browser Exam Keys may "
            "change now")
    keys = [] if changed else checked.browser_exam_keys
    _row, new = record_action(
        db, session_id=session.id, kind=SEB_ACTION, actor_id=actor_id, at=now,
        reason=clean_reason(form.note, required=False), idempotency_key=idempotency_key,
        detail={"seb": {"required": form.required, "config_key": key,
                        "previous_config_key": config.config_key if config else None,
                        "start_url": checked.start_url, "browser_exam_keys": len(keys),
                        "allowed_urls": list(checked.allowed_urls),
                        "quit_password": checked.quit_change}})
    if not new:  # a twin request with the same key won the race: its save stands
        config = seb_config(db, session.id)
        if config is None:
            raise SebSettingsLocked("Biểu mẫu này đã được gửi; hãy tải lại trang.",
                                    "this form was sent already; reload the page")
        return SebSaved(config, False, False)
    values = {"required": form.required, "settings": seb.settings_to_json(settings),
              "config_key": key, "browser_exam_keys": keys, "updated_by": actor_id,
              "updated_at": now}
    return SebSaved(_upsert(db, session.id, values), changed,
                    changed and bool(checked.browser_exam_keys))


@dataclass(frozen=True)
class _Checked:
    start_url: str
    quit_hash: str
    quit_change: str  # none / kept / set / removed (for the audit row; never the hash)
    allowed_urls: tuple[str, ...]
    browser_exam_keys: list[str]


def _checked(form: SebForm, config: SebConfig | None) -> _Checked:
    problems: list[SebProblem] = []
    start_url = nfc(form.start_url)
    try:
        seb.check_start_url(start_url)
    except ValueError:
        problems.append(SebProblem(
            "start_url", None,
            "Địa chỉ bắt đầu phải là một địa chỉ http:// hoặc https:// đầy đủ (có tên máy chủ, "
            "không dấu cách, tối đa 500 ký tự).",
            "start URL: a full http:// or https:// address (with a host, no spaces, at most "
            "500 characters)"))
    if len(form.quit_password) > MAX_QUIT_PASSWORD:
        problems.append(SebProblem(
            "quit_password", None,
            f"Mật khẩu thoát dài quá {MAX_QUIT_PASSWORD} ký tự.",
            f"quit password: at most {MAX_QUIT_PASSWORD} characters"))
    keys = _browser_exam_keys(form.browser_exam_keys, problems)
    urls = _allowed_urls(form.allowed_urls, problems)
    if problems:
        raise InvalidSebSettings(problems)
    current = settings_of(config).get("hashedQuitPassword", "") if config else ""
    if form.quit_password:
        quit_hash, change = seb.quit_password_hash(form.quit_password), "set"
    elif form.clear_quit_password:
        quit_hash, change = "", "removed" if current else "none"
    else:
        quit_hash, change = current, "kept" if current else "none"
    return _Checked(start_url, quit_hash, change, urls, keys)


def _lines(text: str) -> list[tuple[int, str]]:
    return [(number, nfc(line)) for number, line in enumerate(text.splitlines(), start=1)
            if nfc(line)]


def _browser_exam_keys(text: str, problems: list[SebProblem]) -> list[str]:
    """The listed keys, lower-case hex, each once; every bad line named."""
    lines = _lines(text)
    if len(lines) > MAX_BROWSER_EXAM_KEYS:
        problems.append(SebProblem(
            "browser_exam_keys", None,
            f"Nhiều nhất {MAX_BROWSER_EXAM_KEYS} Browser Exam Key.",
            f"Browser Exam Keys: at most {MAX_BROWSER_EXAM_KEYS}"))
        return []
    keys: list[str] = []
    for number, line in lines:
        key = line.lower()
        if _HEX64.fullmatch(key):
            if key not in keys:
                keys.append(key)
            continue
        problems.append(SebProblem(
            "browser_exam_keys", number,
            f"Browser Exam Key dòng {number}: cần đúng 64 chữ số hệ mười sáu (0–9, a–f), dòng "
            f"này có {len(line)} ký tự{'' if _is_hex(key) else ' và có ký tự khác'}.",
            f"Browser Exam Key line {number}: exactly 64 hexadecimal digits (0-9, a-f) are "
            f"needed; this line has {len(line)} characters"
            f"{'' if _is_hex(key) else ' and other characters'}"))
    return keys


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in text)


def _allowed_urls(text: str, problems: list[SebProblem]) -> tuple[str, ...]:
    lines = _lines(text)
    if len(lines) > MAX_ALLOWED_URLS:
        problems.append(SebProblem(
            "allowed_urls", None, f"Nhiều nhất {MAX_ALLOWED_URLS} địa chỉ được phép.",
            f"allowed addresses: at most {MAX_ALLOWED_URLS}"))
        return ()
    urls: list[str] = []
    for number, line in lines:
        if any(ch.isspace() for ch in line) or len(line) > 300 or '"' in line:
            problems.append(SebProblem(
                "allowed_urls", number,
                f"Địa chỉ được phép dòng {number}: một mẫu địa chỉ mỗi dòng, không dấu cách, "
                "không dấu nháy kép, tối đa 300 ký tự.",
                f"allowed address line {number}: one address pattern per line, no spaces, no "
                "double quotes, at most 300 characters"))
        elif line not in urls:
            urls.append(line)
    return tuple(urls)


def _anyone_started(db: Session, session_id: int) -> bool:
    return db.scalar(select(Attempt.id).join(Candidate).where(
        Candidate.exam_session_id == session_id, Attempt.started_at.is_not(None)).limit(1)) \
        is not None


def _upsert(db: Session, session_id: int, values: dict[str, Any]) -> SebConfig:
    config = seb_config(db, session_id)
    if config is None:
        config = SebConfig(exam_session_id=session_id, **values)
        try:
            with db.begin_nested():
                db.add(config)
            return config
        except IntegrityError:  # another staff member's first save won: update his row
            config = seb_config(db, session_id)
            assert config is not None
    for name, value in values.items():
        setattr(config, name, value)
    db.flush()
    return config


@dataclass(frozen=True)
class SebChange:
    """A row of the settings page's history (from the audit log)."""

    at: datetime
    actor: str
    required: bool
    config_key: str
    browser_exam_keys: int
    quit_password: str
    note: str


def seb_changes(db: Session, session_id: int, limit: int = 20) -> list[SebChange]:
    """The session's SEB settings changes, newest first, with who made them."""
    rows = db.execute(select(ProctorAction, User.full_name)
                      .outerjoin(User, User.id == ProctorAction.actor_id)
                      .where(ProctorAction.exam_session_id == session_id,
                             ProctorAction.kind == SEB_ACTION,
                             ProctorAction.room_id.is_(None),
                             ProctorAction.candidate_id.is_(None))
                      .order_by(ProctorAction.at.desc(), ProctorAction.id.desc())
                      .limit(limit * 5)).all()
    changes = []
    for row, actor in rows:
        what = (row.detail or {}).get("seb")
        if isinstance(what, dict):
            changes.append(SebChange(row.at, actor or "", bool(what.get("required")),
                                     str(what.get("config_key", "")),
                                     int(what.get("browser_exam_keys", 0)),
                                     str(what.get("quit_password", "")), row.reason))
    return changes[:limit]
