"""Long jobs outside the request: progress while they run, the outcome after, nothing written
when they fail, and only their owner may see them — with the in-process cache and real Redis."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.db import make_session_factory
from exam_engine.kernel.jobs import JobFailed, job_status, start_job, wait_for_job
from item_bank.models import RequirementCode
from tests.exam_engine.test_cache import _redis_cache

OWNER, OTHER = 7, 8


@pytest.fixture(params=["memory", "redis"])
def cache(request):
    return MemoryCache() if request.param == "memory" else _redis_cache()


@pytest.fixture
def sessions(engine, db):  # db: an empty database for each test
    return make_session_factory(engine, writes=True)


def add_code(db, code: str = "IU99") -> None:
    db.add(RequirementCode(code=code, module=code, name="Mô-đun thử"))
    db.flush()


def codes_in_database(sessions) -> list[str]:
    with sessions() as fresh:
        return list(fresh.scalars(select(RequirementCode.code)))


def start(work, cache, sessions, user_id: int = OWNER) -> str:
    return start_job(work, user_id=user_id, kind="thử", cache=cache, sessions=sessions)


def test_progress_is_visible_while_the_job_runs_and_the_result_after(cache, sessions):
    may_finish = threading.Event()

    def work(db, progress):
        progress("Kiểm tra từng câu hỏi", 3, 10)
        assert may_finish.wait(10)
        add_code(db)
        progress("Ghi câu hỏi vào ngân hàng", 10, 10)
        return {"created": 1}

    job_id = start(work, cache, sessions)
    deadline = time.monotonic() + 10
    while (job := job_status(cache, job_id, OWNER)).phase != "Kiểm tra từng câu hỏi":
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    assert (job.status, job.done, job.total, job.percent) == ("running", 3, 10, 30)
    assert codes_in_database(sessions) == []  # nothing is seen before the job commits
    may_finish.set()
    assert wait_for_job(job_id, timeout=30)
    job = job_status(cache, job_id, OWNER)
    assert (job.status, job.result, job.percent) == ("done", {"created": 1}, 100)
    assert codes_in_database(sessions) == ["IU99"]


def test_a_refused_job_records_every_error_and_writes_nothing(cache, sessions):
    def work(db, progress):
        add_code(db)
        progress("Ghi câu hỏi vào ngân hàng", 1, 2)
        raise JobFailed("Không nhập câu nào: tệp còn lỗi.", "Nothing imported.",
                        [{"location": "sheet Câu hỏi, hàng 2", "field": "code"},
                         {"location": "sheet Câu hỏi, hàng 5", "field": "module"}])

    job_id = start(work, cache, sessions)
    assert wait_for_job(job_id, timeout=30)
    job = job_status(cache, job_id, OWNER)
    assert job.status == "failed" and job.message_vi == "Không nhập câu nào: tệp còn lỗi."
    assert [e["location"] for e in job.errors] == ["sheet Câu hỏi, hàng 2",
                                                   "sheet Câu hỏi, hàng 5"]
    assert codes_in_database(sessions) == []


def test_an_unexpected_error_fails_the_job_and_rolls_back(cache, sessions, caplog):
    def work(db, progress):
        add_code(db)
        raise RuntimeError("ổ đĩa đầy")

    job_id = start(work, cache, sessions)
    assert wait_for_job(job_id, timeout=30)
    job = job_status(cache, job_id, OWNER)
    assert job.status == "failed" and "không có gì được ghi" in job.message_vi
    assert "ổ đĩa đầy" not in job.message_vi  # the details go to the log, not to the page
    assert any("ổ đĩa đầy" in record.exc_text for record in caplog.records if record.exc_text)
    assert codes_in_database(sessions) == []


def test_another_user_cannot_read_the_job(cache, sessions):
    job_id = start(lambda db, progress: {"secret": "đề thi"}, cache, sessions)
    assert wait_for_job(job_id, timeout=30)
    assert job_status(cache, job_id, OWNER).result == {"secret": "đề thi"}
    assert job_status(cache, job_id, OTHER) is None
    assert job_status(cache, job_id[:-1] + ("A" if job_id[-1] != "A" else "B"), OWNER) is None
    assert job_status(cache, "../../etc", OWNER) is None
    assert len(job_id) >= 32  # 24 random bytes: not guessable


def test_a_job_whose_worker_died_is_reported_failed(cache, sessions):
    from exam_engine.kernel import jobs
    job_id = "x" * 32
    cache.set_json(f"job:{job_id}", {
        "id": job_id, "user_id": OWNER, "kind": "thử", "status": "running", "phase": "Đọc tệp",
        "done": 0, "total": 1, "result": None, "errors": [], "message_vi": "", "message_en": "",
        "updated": time.time() - jobs.STALE_AFTER_SECONDS - 1}, 60)
    job = job_status(cache, job_id, OWNER)
    assert job.status == "failed" and "gián đoạn" in job.message_vi
