"""The staff's forensics report (issue 11) through the real app, on SQLite and PostgreSQL: who
may see and start it, the report of a session with a planted copier, its plots, one run per
click however often it is clicked, and the page in a real browser."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.forensics_job import seed_simulated_session
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.jobs import wait_for_job
from proctor.forensics_job import run_forensics
from proctor.forensics_plots import agreement_svg, distribution_svg, histogram, residuals_svg
from proctor.models import ForensicsRun
from tests.conftest import candidate_login_form, csrf_token_of, login
from tests.proctor.test_forensics_job import planted_session

HERE = "tests.proctor.test_forensics_web"
GATES: dict[str, Path] = {}  # a held job waits for these files (set by the test)
STATEMENT_VI = ("Dấu hiệu bất thường là bằng chứng để Hội đồng thi xem xét, không phải kết luận "
                "vi phạm.")
STATEMENT_EN = ("A sign of irregularity is evidence for the exam council to consider, not a "
                "finding of misconduct.")
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _url(session_id: int) -> str:
    return f"/giam-thi/ca-thi/{session_id}/phan-tich"


def _form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def _press_run(client, session_id: int):
    """Press the page's button: the form's CSRF token and its one-time key."""
    page = client.get(_url(session_id)).get_data(as_text=True)
    return client.post(_url(session_id), data={"csrf_token": csrf_token_of(page),
                                               "idempotency_key": _form_key(page)})


def _finish_jobs(db) -> list[ForensicsRun]:
    """Wait for every run's job (started in a thread of this process) and return the runs."""
    db.rollback()
    runs = db.scalars(select(ForensicsRun).order_by(ForensicsRun.id)).all()
    for run in runs:
        job_id = (run.report or {}).get("request", {}).get("job_id")
        if job_id:
            assert wait_for_job(job_id, 120)
    db.rollback()
    db.expire_all()
    return db.scalars(select(ForensicsRun).order_by(ForensicsRun.id)).all()


def _wait(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"never released: {path.name}"
        time.sleep(0.02)


def held_forensics(db, progress, **arguments) -> dict:
    """The real job, held before it starts until the test lets it go."""
    progress("Đang đọc bài làm của thí sinh", 1, 4)
    _wait(GATES["go"])
    return run_forensics(db, progress, **arguments)


@pytest.fixture
def seeded(db):
    sim, first = planted_session(n=60)
    return seed_simulated_session(db, sim, first_choices=first)


def test_only_staff_and_administrators_see_and_start_the_analysis(app, db, make_user, seeded):
    anonymous = app.test_client().get(_url(seeded.id))
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    for username, role, allowed in (("canbo", Role.STAFF, True), ("quantri", Role.ADMIN, True),
                                    ("giamthi", Role.PROCTOR, False),
                                    ("giaovien", Role.TEACHER, False),
                                    ("phanbien", Role.REVIEWER, False),
                                    ("hocsinh", Role.STUDENT, False)):
        make_user(username, role)
        client = app.test_client()
        token = login(client, username)
        page = client.get(_url(seeded.id))
        progress = client.get(f"{_url(seeded.id)}/tien-do/999")
        pressed = client.post(_url(seeded.id), data={"csrf_token": token,
                                                     "idempotency_key": f"key-{username}"})
        if allowed:
            assert page.status_code == 200 and STATEMENT_VI in page.get_data(as_text=True)
            assert progress.status_code == 404  # no such run yet: the view ran
            assert pressed.status_code == 303
            _finish_jobs(db)  # before the next user is written (SQLite: one writer)
        else:
            assert (page.status_code, progress.status_code, pressed.status_code) == (
                403, 403, 403), username
    runs = _finish_jobs(db)
    assert len(runs) == 2 and all(run.finished_at is not None for run in runs)


def test_a_candidate_in_the_exam_is_sent_to_the_staff_login(app, make_session):
    session = make_session(n_candidates=1)
    candidate = app.test_client()
    assert candidate_login_form(candidate, session.session_code).status_code == 302
    token = csrf_token_of(candidate.get("/thi/").get_data(as_text=True))
    for answer in (candidate.get(_url(session.id)),
                   candidate.post(_url(session.id), data={"csrf_token": token,
                                                          "idempotency_key": "k"})):
        assert answer.status_code == 302 and "/dang-nhap" in answer.headers["Location"]
        assert "/thi/dang-nhap" not in answer.headers["Location"]


def test_the_report_states_what_a_flag_is_and_shows_the_planted_pair_with_valid_plots(
        app, client, db, make_user, seeded):
    make_user()
    login(client, "canbo")
    before = client.get(_url(seeded.id)).get_data(as_text=True)
    assert 'id="no-run"' in before and 'id="run"' in before and "Chạy phân tích" in before
    pressed = _press_run(client, seeded.id)
    assert pressed.status_code == 303 and pressed.headers["Location"].endswith(_url(seeded.id))
    [run] = _finish_jobs(db)
    page = client.get(_url(seeded.id)).get_data(as_text=True)
    assert page.index(STATEMENT_VI) < page.index('id="pairs"')  # at the top
    pair = re.search(r'<section class="case pair" data-pair="BN0001-BN0002">(.*?)</section>',
                     page, re.S)
    assert pair, "the planted pair is not in the report"
    text = pair.group(1)
    assert "Phòng 01" in text and "A1 – A2" in text and "Ngồi cạnh nhau" in text
    assert "× 10⁻" in text and "," in re.search(r'class="num p-value">([^<]+)<', text).group(1)
    assert "Các câu cùng chọn phương án sai" in text
    assert f'id="run-id">{run.id}<' in page and "Phân tích lại" in page
    svgs = SVG.findall(page)
    assert len(svgs) == 1 + len(run.report["pairs"]) + sum(
        1 for c in run.report["candidates"] if c["residuals"])
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.find(
            "{http://www.w3.org/2000/svg}title") is not None
    english = client.get(_url(seeded.id) + "?lang=en").get_data(as_text=True)
    assert STATEMENT_EN in english and "Side by side" in english
    assert "The two sat side by side." in english


def test_a_second_click_or_a_colleagues_while_a_run_is_computed_goes_to_that_run(
        app, db, make_user, seeded, tmp_path, monkeypatch):
    monkeypatch.setattr("proctor.forensics_web.FORENSICS_TARGET", f"{HERE}:held_forensics")
    GATES.update(go=tmp_path / "go")
    make_user()
    make_user("canbo2")
    first, colleague = app.test_client(), app.test_client()
    login(first, "canbo")
    login(colleague, "canbo2")
    page = first.get(_url(seeded.id)).get_data(as_text=True)
    token, key = csrf_token_of(page), _form_key(page)
    assert first.post(_url(seeded.id), data={"csrf_token": token, "idempotency_key": key}
                      ).status_code == 303
    running = first.get(_url(seeded.id)).get_data(as_text=True)
    assert 'id="job-progress"' in running and 'id="run"' not in running
    assert "job-progress.js" in running
    run_id = db.scalar(select(ForensicsRun.id))
    status = first.get(f"{_url(seeded.id)}/tien-do/{run_id}").get_json()
    assert status["status"] == "running" and status["done"] == 1 and status["total"] == 4
    assert colleague.get(f"{_url(seeded.id)}/tien-do/{run_id}").get_json() == status
    # the same form again (a double click), a fresh form's key, a colleague's click
    assert first.post(_url(seeded.id), data={"csrf_token": token, "idempotency_key": key}
                      ).status_code == 303
    assert first.post(_url(seeded.id), data={"csrf_token": token, "idempotency_key": "fresh"}
                      ).status_code == 303
    token2 = csrf_token_of(colleague.get(_url(seeded.id)).get_data(as_text=True))
    assert colleague.post(_url(seeded.id), data={"csrf_token": token2,
                                                 "idempotency_key": "colleague"}
                          ).status_code == 303
    assert len(db.scalars(select(ForensicsRun)).all()) == 1
    GATES["go"].touch()
    [run] = _finish_jobs(db)
    assert run.finished_at is not None and run.report["pairs"]
    done = first.get(f"{_url(seeded.id)}/tien-do/{run.id}").get_json()
    assert done["status"] == "done" and done["percent"] == 100
    assert 'id="job-progress"' not in first.get(_url(seeded.id)).get_data(as_text=True)
    # the same form sent once more after the end goes to its run; a new form runs again
    assert first.post(_url(seeded.id), data={"csrf_token": token, "idempotency_key": key}
                      ).status_code == 303
    assert len(_finish_jobs(db)) == 1
    assert _press_run(first, seeded.id).status_code == 303
    assert len(_finish_jobs(db)) == 2


def test_a_form_without_its_one_time_key_is_refused_and_names_the_field(
        app, client, db, make_user, seeded):
    make_user()
    token = login(client, "canbo")
    refused = client.post(_url(seeded.id), data={"csrf_token": token})
    assert refused.status_code == 400 and "idempotency_key" in refused.get_data(as_text=True)
    too_long = client.post(_url(seeded.id), data={"csrf_token": token,
                                                  "idempotency_key": "k" * 65})
    assert too_long.status_code == 400
    assert db.scalars(select(ForensicsRun)).all() == []


def test_a_session_still_open_is_not_analysed_and_the_page_says_when_it_will_be(
        app, client, db, make_user):
    sim, _ = planted_session(n=10)
    session = seed_simulated_session(db, sim, status=SessionStatus.SCHEDULED)
    make_user()
    token = login(client, "canbo")
    page = client.get(_url(session.id)).get_data(as_text=True)
    assert 'id="not-ready"' in page and 'id="run"' not in page
    assert "Chỉ phân tích sau khi ca thi đã kết thúc." in page
    refused = client.post(_url(session.id), data={"csrf_token": token, "idempotency_key": "k1"})
    assert refused.status_code == 409 and "đã kết thúc" in refused.get_data(as_text=True)
    assert db.scalars(select(ForensicsRun)).all() == []
    assert client.get(_url(999_999)).status_code == 404
    assert client.post(_url(999_999), data={"csrf_token": token,
                                            "idempotency_key": "k2"}).status_code == 404


def test_plots_are_valid_svg_with_every_label_escaped():
    tricky = 'BN<01> & "Lê"'
    edges, counts = histogram([-6.0, -1.2, 0.1, 0.3, 9.0])
    assert sum(counts) == 5 and edges[0] == -5.0 and edges[-1] == 3.0
    plots = [
        distribution_svg(edges, counts, [(tricky, -4.2)], label=tricky, x_label="lz*",
                         y_label="Số thí sinh"),
        agreement_svg([("C1", "R"), (tricky, "W"), ("C3", "D")], label=tricky,
                      legend={"R": "Cùng đáp án đúng", "W": "Cùng một phương án sai",
                              "D": "Khác đáp án"}),
        residuals_svg([-2.5, 0.4, None, 1.2], [True, False, None, True], ["C1", "C2", "C3", tricky],
                      z_fast=1.645, label=tricky, x_label="Câu hỏi", y_label="z",
                      fast_label="Nhanh bất thường"),
        agreement_svg([], label="trống", legend={}),
        residuals_svg([], [], [], z_fast=1.645, label="trống", x_label="", y_label="",
                      fast_label=""),
    ]
    ns = "{http://www.w3.org/2000/svg}"
    for svg in plots:
        root = ET.fromstring(svg)
        assert root.tag == f"{ns}svg" and root.get("role") == "img"
    assert ET.fromstring(plots[0]).find(f"{ns}title").text == tricky
    assert [r.get("data-code") for r in ET.fromstring(plots[1]).iter(f"{ns}rect")
            if r.get("data-code")] == ["R", "W", "D"]
    fast = [c for c in ET.fromstring(plots[2]).iter(f"{ns}circle") if c.get("data-fast")]
    assert len(fast) == 1 and fast[0].find(f"{ns}title").text == "C1"
    with pytest.raises(ValueError, match="agreement code"):
        agreement_svg([("C1", "X")], label="", legend={})


def failing_forensics(db, progress, **arguments) -> dict:
    from exam_engine.kernel.jobs import JobFailed
    raise JobFailed("Không đọc được nhật ký trả lời.", "The response log cannot be read.")


def test_a_run_that_failed_says_why_and_the_button_runs_again(
        app, client, db, make_user, seeded, monkeypatch):
    monkeypatch.setattr("proctor.forensics_web.FORENSICS_TARGET", f"{HERE}:failing_forensics")
    make_user()
    login(client, "canbo")
    assert _press_run(client, seeded.id).status_code == 303
    [run] = _finish_jobs(db)
    assert run.finished_at is None
    page = client.get(_url(seeded.id)).get_data(as_text=True)
    assert 'id="job-error"' in page and "Không đọc được nhật ký trả lời." in page
    assert 'id="run"' in page and 'id="job-progress"' not in page
    assert client.get(f"{_url(seeded.id)}/tien-do/{run.id}").get_json()["status"] == "failed"
    monkeypatch.undo()
    assert _press_run(client, seeded.id).status_code == 303
    runs = _finish_jobs(db)
    assert len(runs) == 2 and runs[1].finished_at is not None
    assert 'id="job-error"' not in client.get(_url(seeded.id)).get_data(as_text=True)
