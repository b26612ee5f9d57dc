"""Reading a roster from CSV (as exported from Excel), every error named by line and field."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from exam_engine.exams.errors import InvalidRoster, RosterProblem
from exam_engine.exams.scheduling import RosterRow

COLUMNS = ("so_bao_danh", "ho_ten", "ngay_sinh", "noi_sinh", "gioi_tinh", "cccd")
OPTIONAL = ("dan_toc",)


def _parse_date(raw: str, line: int) -> tuple[date | None, tuple[RosterProblem, ...]]:
    """The date, or None with the problem named (reading goes on: every error is listed)."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw.strip(), fmt).date(), ()
        except ValueError:
            continue
    return None, (RosterProblem(line, "ngay_sinh", f"'{raw}' không phải ngày dd/mm/yyyy",
                                f"'{raw}' is not a dd/mm/yyyy date"),)


def parse_roster_csv(text: str) -> list[RosterRow]:
    """Rows of a CSV with a header naming at least COLUMNS; UTF-8 (a BOM is accepted). A value
    that cannot be read is kept on its row as a problem, so enrolment lists every error."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidRoster(f"dòng 1: thiếu cột {', '.join(missing)}",
                            f"line 1: missing columns {', '.join(missing)}")
    rows = []
    for line, raw in enumerate(reader, start=2):
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(record.values()):
            continue
        born, problems = _parse_date(record["ngay_sinh"], line)
        rows.append(RosterRow(
            candidate_number=record["so_bao_danh"], full_name=record["ho_ten"],
            date_of_birth=born, place_of_birth=record["noi_sinh"], gender=record["gioi_tinh"],
            citizen_id=record["cccd"], ethnicity=record.get("dan_toc") or "Kinh", line=line,
            problems=problems))
    if not rows:
        raise InvalidRoster("danh sách thí sinh trống", "the roster is empty")
    return rows
