"""Rosters: read from CSV, validated whole, every error named by line and field."""

from __future__ import annotations

import unicodedata

import pytest

from exam_engine.exams.errors import InvalidRoster
from exam_engine.exams.models import Candidate
from exam_engine.exams.roster_csv import parse_roster_csv
from exam_engine.exams.scheduling import enrol_candidates

HEADER = "so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh,cccd,dan_toc\n"


def test_csv_rows_are_read_with_vietnamese_names_nfc():
    decomposed = unicodedata.normalize("NFD", "Trương Ngọc Ưng Hoàng")
    rows = parse_roster_csv("\ufeff" + HEADER + f"BN01,{decomposed},09/08/2001,Hải Dương,Nam,030201003456,\n")
    assert rows[0].date_of_birth.isoformat() == "2001-08-09" and rows[0].line == 2
    assert rows[0].ethnicity == "Kinh"


@pytest.mark.parametrize("line, message", [
    ("BN01,Lê Văn A,31/02/2001,Huế,Nam,030201003456,Kinh", "dòng 3, ngay_sinh"),
    ("BN01,Lê Văn A,01/02/2001,Huế,Nam,12345,Kinh", "dòng 3, CCCD"),
    ("BN01,Lê Văn A,01/02/2001,Huế,Khác,030201003456,Kinh", "dòng 3, giới tính"),
    (",Lê Văn A,01/02/2001,Huế,Nam,030201003456,Kinh", "dòng 3, số báo danh"),
])
def test_a_bad_row_is_named_and_nothing_is_enrolled(db, make_session, line, message):
    session = make_session(n_candidates=0, schedule=False)
    text = HEADER + "BN09,Nguyễn Văn B,01/01/1990,Huế,Nam,030201003457,Kinh\n" + line + "\n"
    with pytest.raises(InvalidRoster, match=message):
        enrol_candidates(db, session, parse_roster_csv(text))
    db.rollback()
    assert db.query(Candidate).count() == 0


def test_missing_columns_are_named():
    with pytest.raises(InvalidRoster, match="thiếu cột cccd"):
        parse_roster_csv("so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh\n")


def test_duplicate_candidate_numbers_are_refused(db, make_session):
    session = make_session(n_candidates=0, schedule=False)
    text = HEADER + "BN01,A Văn,01/01/1990,Huế,Nam,030201003456,\nBN01,B Thị,01/01/1991,Huế,Nữ,030201003457,\n"
    with pytest.raises(InvalidRoster, match="dòng 3, số báo danh: BN01 bị trùng"):
        enrol_candidates(db, session, parse_roster_csv(text))


def test_candidate_numbers_differing_only_in_case_or_spaces_are_duplicates(db, make_session):
    """Logins compare số báo danh case-blind (identifier_key): a roster holding "BN01" and
    " bn01" would give two candidates one login, so it is refused like any duplicate."""
    session = make_session(n_candidates=0, schedule=False)
    text = (HEADER + "BN01,A Văn,01/01/1990,Huế,Nam,030201003456,\n"
            + " bn01 ,B Thị,01/01/1991,Huế,Nữ,030201003457,\n")
    with pytest.raises(InvalidRoster, match="dòng 3, số báo danh: bn01 bị trùng"):
        enrol_candidates(db, session, parse_roster_csv(text))


def test_every_bad_line_and_field_is_named_in_one_refusal(db, make_session):
    """Reproduces hole 14: validation stopped at the first error, so a roster of 40 rows took
    40 uploads to correct. Every problem is now listed, by line and field, in file order."""
    session = make_session(n_candidates=0, schedule=False)
    text = (HEADER + "BN01,Lê Văn A,31/02/2001,Huế,Khác,030201003456,Kinh\n"
            "BN02,Lê Văn B,01/02/2001,Huế,Nam,12345,Kinh\n"
            "BN01,,01/02/2001,Huế,Nam,030201003457,Kinh\n")
    with pytest.raises(InvalidRoster) as refused:
        enrol_candidates(db, session, parse_roster_csv(text))
    assert [(p.line, p.field) for p in refused.value.problems] == [
        (2, "ngay_sinh"), (2, "giới tính"), (3, "CCCD"), (4, "họ và tên"), (4, "số báo danh")]
    assert refused.value.message_vi.startswith("dòng 2, ngay_sinh: '31/02/2001' không phải")
    db.rollback()
    assert db.query(Candidate).count() == 0
