"""Uploads (issue 10, hole 9): a size limit per route with a clear 413, imports spooled to disk
(never kept in the cache) and removed when their job ends or expires, and on SQLite a candidate's
save stays fast while a large import is previewed and committed in a worker process.
Also hole 14: the preview page's module and IC3 drop-downs are filled."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.uploads import claim, spool
from item_bank.models import Item
from tests.conftest import login
from tests.web.test_bank_pages import _io, finished_job

AIKEN = ("Phím tắt nào dán nội dung?\nA. Ctrl+C\nB. Ctrl+V\nANSWER: B\n").encode()


@pytest.fixture
def spool_dir(tmp_path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def app(app_config, db, spool_dir):
    from exam_engine import create_app
    app = create_app({**app_config, "UPLOAD_SPOOL_DIR": str(spool_dir), "MAX_UPLOAD_MB": 1})
    yield app
    app.extensions["db_engine"].dispose()


def spooled(directory: Path) -> list[str]:
    return sorted(p.suffix for p in directory.iterdir()) if directory.exists() else []


def upload(client, token: str, data: bytes, name: str = "cu.txt", **form):
    return client.post("/ngan-hang/nhap", data={
        "csrf_token": token, "file": (_io(data), name), "default_module": "IU03",
        "default_code": "IU03.4.1", **form}, content_type="multipart/form-data")


# ---- size limits ------------------------------------------------------------------------------

def test_an_oversized_answer_save_is_refused_with_413_naming_the_limit(client):
    """Before: any body up to 64 MB reached the save (the app-wide limit)."""
    body = '{"position": 0, "seq": 1, "response": "' + "x" * 70_000 + '"}'
    refused = client.post("/thi/api/answers", data=body, content_type="application/json")
    assert refused.status_code == 413
    problem = refused.get_json()
    assert problem["status"] == 413 and "64 KB" in problem["message"]
    assert "/thi/api/answers" in problem["message"]
    small = client.post("/thi/api/answers", data=body[:60_000] + '"}',
                        content_type="application/json")
    assert small.status_code != 413  # within the limit: on to the login check


def test_an_import_over_its_limit_is_refused_with_413_and_nothing_is_spooled(
        client, make_user, tt03, spool_dir):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    # The body as bytes: the test client spools a large one to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": token, "file": FileStorage(
        _io(b"x" * (1024 * 1024 + 10)), "lon.txt")})  # MAX_UPLOAD_MB = 1 here
    refused = client.post("/ngan-hang/nhap", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 413 and "tối đa 1 MB" in page and "/ngan-hang/nhap" in page
    assert spooled(spool_dir) == []


def test_every_other_route_accepts_only_a_small_body(client):
    """Before: the login form took 64 MB like an import."""
    refused = client.post("/dang-nhap", data={"username": "x" * (3 * 1024 * 1024)})
    assert refused.status_code == 413 and "tối đa 2 MB" in refused.get_data(as_text=True)


# ---- spooling and clean-up --------------------------------------------------------------------

def test_an_import_waits_on_disk_not_in_the_cache_and_is_removed_once_imported(
        app, client, db, make_user, tt03, spool_dir):
    """Before: the file's bytes waited an hour in the cache (base64) and were never removed."""
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    preview = finished_job(client, upload(client, token, AIKEN))
    assert preview.status_code == 200
    assert spooled(spool_dir) == [".json", ".upload"]
    cached = repr(app.extensions["cache"]._data)
    assert "Ctrl+V" not in cached and "Q3RybCtW" not in cached  # not as text, not as base64
    field = token_field(preview)
    imported = finished_job(client, client.post("/ngan-hang/nhap/xac-nhan", data={
        "csrf_token": token, "token": field}))
    assert imported.status_code == 302
    assert db.scalar(select(func.count(Item.id))) == 1
    assert spooled(spool_dir) == []  # the import job removed its file


def token_field(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_a_refused_import_removes_its_file_too(app, client, db, make_user, tt03, spool_dir):
    make_user("giaovien", Role.TEACHER)
    make_user("dongnghiep", Role.TEACHER)
    token = login(client, "giaovien")
    mine = token_field(finished_job(client, upload(client, token, AIKEN)))
    colleague = app.test_client()
    theirs_token = login(colleague, "dongnghiep")
    theirs = token_field(finished_job(colleague, upload(colleague, theirs_token, AIKEN)))
    finished_job(colleague, colleague.post("/ngan-hang/nhap/xac-nhan", data={
        "csrf_token": theirs_token, "token": theirs}))  # the same item is now in the bank
    assert spooled(spool_dir) == [".json", ".upload"]  # mine still waits for its confirm
    refused = finished_job(client, client.post("/ngan-hang/nhap/xac-nhan", data={
        "csrf_token": token, "token": mine}))
    assert refused.status_code == 422 and "Trùng hoàn toàn" in refused.get_data(as_text=True)
    assert db.scalar(select(func.count(Item.id))) == 1
    assert spooled(spool_dir) == []


def test_a_new_upload_replaces_the_previous_one_on_disk(client, make_user, tt03, spool_dir):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    finished_job(client, upload(client, token, AIKEN))
    finished_job(client, upload(client, token, AIKEN.replace(b"ANSWER: B", b"ANSWER: A")))
    assert spooled(spool_dir) == [".json", ".upload"]


def test_spooled_uploads_past_their_hour_are_swept_and_cannot_be_confirmed(
        client, make_user, tt03, spool_dir):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    preview = finished_job(client, upload(client, token, AIKEN))
    field = token_field(preview)
    two_hours_ago = time.time() - 7200
    for path in spool_dir.iterdir():
        os.utime(path, (two_hours_ago, two_hours_ago))
    expired = client.post("/ngan-hang/nhap/xac-nhan", data={"csrf_token": token,
                                                            "token": field})
    assert expired.status_code == 422 and "hãy tải lên lại" in expired.get_data(as_text=True)
    assert spooled(spool_dir) == []
    abandoned = spool(spool_dir, _io(b"old"), {"filename": "bo-quen.txt"})
    os.utime(abandoned.path, (two_hours_ago, two_hours_ago))
    finished_job(client, upload(client, token, AIKEN))  # any upload sweeps the expired ones
    assert not abandoned.path.exists() and spooled(spool_dir) == [".json", ".upload"]


def test_of_two_simultaneous_confirms_only_one_claims_the_upload(tmp_path):
    waiting = spool(tmp_path, _io(b"data"), {"filename": "a.txt"})
    first, second = claim(tmp_path, waiting.token, 3600), claim(tmp_path, waiting.token, 3600)
    assert first is not None and first.read_bytes() == b"data" and second is None


# ---- hole 14 ------------------------------------------------------------------------------------

def test_the_preview_page_offers_every_module_and_ic3_domain(client, make_user, tt03):
    """Before: the preview page's module and IC3 drop-downs were empty."""
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    page = finished_job(client, upload(client, token, AIKEN)).get_data(as_text=True)
    assert 'id="preview-rows"' in page
    assert "<option>IU01</option>" in page and "<option>IU15</option>" in page
    assert '<option value="TB">' in page and '<option value="IU03.4.1">' in page


# ---- bank work never slows an exam (SQLite, a real worker process) ----------------------------

def big_gift(n_items: int) -> bytes:
    """Distinct stems, so the duplicate search (quadratic in the file) has real work to do."""
    return "\n\n".join(
        f"::Q{i}:: Câu {i}: phím tắt số {i * 7919 % 100003} trong Word là gì? "
        f"{{=Ctrl+{i} ~Alt+{i} ~Shift+{i}}}" for i in range(n_items)).encode()


@pytest.mark.slow
def test_candidates_save_fast_while_a_large_import_is_previewed_and_committed(
        app_config, db, engine, make_user, make_session, tt03, tmp_path):
    """Before: the preview ran in a thread of the web process (every request waited for the
    interpreter) and the import's commit job held SQLite's write lock from its first query to
    its end — a candidate's save waited for the parsing and the duplicate search (the busy
    timeout is 30 s; the issue saw saves fail)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL writes rows, not the database")
    import uuid

    from exam_engine import create_app
    from tests.conftest import REDIS_URL
    from tests.exam_engine.test_jobs_queue import Workers, _redis_cache, worker_environment
    from tests.web.test_candidate_flow import _login_candidate
    _redis_cache()  # skips (fails on CI) without Redis
    queue, spool_dir = f"test-{uuid.uuid4().hex}", tmp_path / "spool"
    app = create_app({**app_config, "REDIS_URL": REDIS_URL, "JOB_QUEUE": queue,
                      "UPLOAD_SPOOL_DIR": str(spool_dir)})
    workers = Workers(worker_environment(app_config["DATABASE_URL"], queue, spool_dir),
                      tmp_path)
    try:
        workers.start()
        session = make_session(n_candidates=1)
        make_user("giaovien", Role.TEACHER)
        teacher, candidate = app.test_client(), app.test_client()
        token = login(teacher, "giaovien")
        exam_token = _login_candidate(candidate, session)
        assert candidate.post("/thi/bat-dau", data={"csrf_token": exam_token}).status_code == 302
        seq = iter(range(1, 10_000))

        reading = {"Tìm câu trùng lặp", "Kiểm tra từng câu hỏi"}

        def saves_while(job_page: str) -> list[tuple[str, float]]:
            """Save answers until the job ends: (the job's phase, the save's seconds) each."""
            progress_url = job_page.replace("/viec/", "/tien-do/") + "?lang=vi"
            timings = []
            while (job := teacher.get(progress_url).get_json())["status"] == "running":
                started = time.monotonic()
                ack = candidate.post("/thi/api/answers", json={
                    "position": 0, "selected": [1], "seq": next(seq)},
                    headers={"X-CSRFToken": exam_token})
                assert ack.status_code == 200, ack.get_data(as_text=True)
                timings.append((job["phase"], time.monotonic() - started))
                time.sleep(0.05)
            assert job["status"] == "done", job
            return timings

        started = upload(teacher, token, big_gift(1200), "lon.gift")
        assert started.status_code == 303
        during_preview = saves_while(started.headers["Location"])
        preview = teacher.get(started.headers["Location"])
        assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
        confirmed = teacher.post("/ngan-hang/nhap/xac-nhan", data={
            "csrf_token": token, "token": token_field(preview)})
        during_commit = saves_while(confirmed.headers["Location"])
        for timings in (during_preview, during_commit):
            while_reading = [seconds for phase, seconds in timings if phase in reading]
            assert len(while_reading) >= 3, timings  # the saves did overlap the job's reading
            # The busy timeout is 30 s: no save waited for a lock. (The commit's own inserts,
            # after its reading, hold the lock briefly: every save then still succeeds.)
            assert max(while_reading) < 2.0, timings
        db.rollback()
        assert db.scalar(select(func.count(Item.id))) == 36 + 1200  # the exam's bank + the file
        assert spooled(spool_dir) == []
    finally:
        workers.stop()
        app.extensions["db_engine"].dispose()
