"""Legal dates are Vietnam's, whatever the server's clock says (issue 10, hole 11): the ngày
cấp and the register year come from Asia/Ho_Chi_Minh, times are shown on Vietnam's clock, and
numbers read with a decimal comma in the Vietnamese interface."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from sqlalchemy import select

from certs.issuance import issue_certificates
from certs.models import Certificate, RegisterEntry
from exam_engine.kernel.i18n import format_number
from exam_engine.kernel.legal_time import to_vn, vn_datetime_text, vn_today
from tests.certs.issuing import finished_page
from tests.certs.sitting import approved_session
from tests.conftest import login

NEW_YEAR_IN_HANOI = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 January 2027, UTC+7


def test_vietnams_date_is_a_day_ahead_of_utc_before_seven_in_the_morning():
    assert vn_today(NEW_YEAR_IN_HANOI) == date(2027, 1, 1)
    assert vn_today(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert vn_datetime_text(NEW_YEAR_IN_HANOI) == "01/01/2027 00:30"
    assert vn_datetime_text(None) == ""
    with pytest.raises(ValueError, match="naive"):
        to_vn(datetime(2026, 12, 31, 17, 30))


def test_a_certificate_issued_at_half_past_midnight_on_new_years_day_gets_the_new_years_number(
        db, make_session, issuer):
    """Reproduces hole 11: the register year came from the server's UTC date, so a certificate
    issued before 07:00 on 1 January got last year's number and date."""
    session = approved_session(db, make_session, n=1, passing=(True,))
    cert = issue_certificates(db, session, issuer=issuer, now=NEW_YEAR_IN_HANOI,
                              issued_by=None).issued[0]
    assert (cert.year, cert.register_number, cert.issue_date) == (
        2027, "CB-2027-000001", date(2027, 1, 1))
    assert cert.serial == "BN27CB000001"
    assert cert.payload["issue"]["date"] == "2027-01-01"


def test_the_issue_page_dates_the_certificate_in_vietnam(app, db, make_session, make_user,
                                                         monkeypatch):
    """The staff button used ``date.today()``, the server's zone (UTC in production)."""
    session = approved_session(db, make_session, n=1, passing=(True,))
    make_user("canbo")
    client = app.test_client()
    token = login(client, "canbo")
    monkeypatch.setattr("certs.staff_web.utcnow", lambda: NEW_YEAR_IN_HANOI)
    response = client.post(f"/can-bo/ca-thi/{session.id}/cap-chung-chi",
                           data={"csrf_token": token})
    finished_page(client, response)  # the click's instant dates it, not the job's
    db.rollback()
    cert = db.scalars(select(Certificate)).one()
    assert (cert.register_number, cert.issue_date) == ("CB-2027-000001", date(2027, 1, 1))


def test_the_register_shows_when_a_row_was_recorded_on_vietnams_clock(app, db, make_session,
                                                                      make_user, issuer):
    session = approved_session(db, make_session, n=1, passing=(True,))
    issue_certificates(db, session, issuer=issuer, now=NEW_YEAR_IN_HANOI, issued_by=None)
    db.scalars(select(RegisterEntry)).one().recorded_at = NEW_YEAR_IN_HANOI
    db.commit()
    make_user("canbo")
    client = app.test_client()
    login(client, "canbo")
    page = client.get("/can-bo/so-goc").get_data(as_text=True)
    assert "01/01/2027 00:30" in page and "31/12/2026 17:30" not in page


@pytest.mark.parametrize(("value", "decimals", "vi", "en"), [
    (66.67, None, "66,67", "66.67"),
    (50.0, None, "50", "50"),
    (1234.5, None, "1.234,5", "1,234.5"),
    (12345678, None, "12.345.678", "12,345,678"),
    (0.5, 2, "0,50", "0.50"),
    (-1.25, 1, "-1,2", "-1.2"),
])
def test_numbers_read_with_a_decimal_comma_in_vietnamese_and_a_point_in_english(
        value, decimals, vi, en):
    assert format_number(value, decimals, "vi") == vi
    assert format_number(value, decimals, "en") == en


def test_the_number_filter_follows_the_interface_language(app):
    template = "{{ 66.67|number }} · {{ 0.5|number(2) }} · {{ none|number }}"
    with app.test_request_context("/?lang=vi"):
        assert render_template_string(template) == "66,67 · 0,50 · "
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template) == "66.67 · 0.50 · "
