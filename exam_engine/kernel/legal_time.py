"""Legal dates and times are Vietnam's (Asia/Ho_Chi_Minh, UTC+7), whatever the server's zone.

The database keeps instants in UTC; a date with legal weight — a certificate's ngày cấp, the
calendar year its register number belongs to, an exam day — is the date in Vietnam at that
instant, and times shown to people are Vietnam times. 00:30 on 1 January in Hà Nội is still
31 December in UTC: taking the server's UTC date would give last year's register number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def to_vn(moment: datetime) -> datetime:
    """The same instant on Vietnam's clock. A naive datetime is refused: it names no instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give an aware (UTC) instant")
    return moment.astimezone(VIETNAM)


def vn_today(now: datetime | None = None) -> date:
    """Vietnam's calendar date at ``now`` (default: this instant)."""
    return to_vn(now if now is not None else datetime.now(UTC)).date()


def vn_datetime_text(moment: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` on Vietnam's clock, as times are shown to people ("" for None)."""
    if moment is None:
        return ""
    return to_vn(moment).strftime("%d/%m/%Y %H:%M")
