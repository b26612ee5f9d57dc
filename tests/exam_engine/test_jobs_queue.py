"""Background jobs on a real queue: RQ on real Redis, run by `exam-engine worker` processes.

Each test has a queue of its own and starts real worker processes against real Redis and a real
database (both backends): a job reports its progress and its result, outlives the web process
that queued it, and is run again after its worker dies — once, writing once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from exam_engine.kernel.cache import RedisCache
from exam_engine.kernel.jobs import QueueUnavailable, enqueue_job, job_status
from item_bank.models import RequirementCode
from tests.conftest import REDIS_URL
from tests.exam_engine.test_cache import _redis_cache

OWNER = 7
ROOT = Path(__file__).resolve().parents[2]
HERE = "tests.exam_engine.test_jobs_queue"
pytestmark = pytest.mark.slow  # starts worker processes


# ---- work functions the worker runs (found by their dotted path) ------------------------------

def add_code_when_released(db, progress, *, code: str, release: str) -> dict:
    """Reports two steps of three, waits for the test's release file, then writes one code."""
    progress("Kiểm tra từng câu hỏi", 2, 3)
    deadline = time.monotonic() + 60
    while not Path(release).exists():
        assert time.monotonic() < deadline, "never released"
        time.sleep(0.05)
    db.add(RequirementCode(code=code, module=code, name="Mô-đun thử"))
    db.flush()
    progress("Ghi câu hỏi vào ngân hàng", 3, 3)
    return {"created": code}


def add_code_dying_once(db, progress, *, code: str, marker: str) -> dict:
    """The first try kills its own process half-way (a worker lost to the OOM killer, say)."""
    db.add(RequirementCode(code=code, module=code, name="Mô-đun thử"))
    db.flush()
    if not Path(marker).exists():
        Path(marker).write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    return {"created": code}


def add_code_failing(db, progress, *, code: str, marker: str, times: int) -> dict:
    """Fails unexpectedly (after writing) the first ``times`` tries: a database hiccup."""
    db.add(RequirementCode(code=code, module=code, name="Mô-đun thử"))
    db.flush()
    tries = Path(marker).read_text() if Path(marker).exists() else ""
    if len(tries) < times:
        Path(marker).write_text(tries + "x")
        raise RuntimeError("máy chủ cơ sở dữ liệu tạm mất kết nối")
    return {"created": code}


# ---- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def cache():
    _redis_cache()  # skips (or fails on CI) without Redis
    return RedisCache(REDIS_URL)


@pytest.fixture
def queue():
    return f"test-{uuid.uuid4().hex}"


def worker_environment(database_url: str, queue: str, spool: Path) -> dict[str, str]:
    """The environment of a worker (or web) process of these tests."""
    return {**{k: v for k, v in os.environ.items()
               if not k.startswith("EXAM_") and k not in ("DATABASE_URL", "REDIS_URL")},
            "PYTHONPATH": str(ROOT), "EXAM_DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
            "EXAM_JOB_QUEUE": queue, "EXAM_SECRET_KEY": "test-secret",
            "EXAM_UPLOAD_SPOOL_DIR": str(spool)}


class Workers:
    """`exam-engine worker` processes this test started; :meth:`stop` ends them by their pid."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.started = env, logs, []

    def start(self, *args: str) -> subprocess.Popen:
        with open(self.logs / f"worker-{len(self.started)}.log", "wb") as log:  # child keeps it
            process = subprocess.Popen([str(ROOT / ".venv/bin/exam-engine"), "worker", *args],
                                       cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def worker_env(database_url, queue, tmp_path, db):  # db: an empty database for each test
    return worker_environment(database_url, queue, tmp_path / "spool")


@pytest.fixture
def start_worker(worker_env, tmp_path):
    workers = Workers(worker_env, tmp_path)
    yield workers.start
    workers.stop()


def wait_until(predicate, timeout: float = 60, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def enqueue(cache, queue: str, function: str, **arguments) -> str:
    return enqueue_job(f"{HERE}:{function}", arguments=arguments, user_id=OWNER, kind="thử",
                       cache=cache, redis_url=REDIS_URL, queue=queue)


def codes(engine) -> list[str]:
    from sqlalchemy.orm import Session
    with Session(engine) as fresh:
        return list(fresh.scalars(select(RequirementCode.code)))


# ---- the tests ----------------------------------------------------------------------------------

def test_a_queued_job_reports_progress_in_a_worker_then_its_result(cache, queue, start_worker,
                                                                   engine, tmp_path):
    release = tmp_path / "release"
    job_id = enqueue(cache, queue, "add_code_when_released", code="IU98", release=str(release))
    queued = job_status(cache, job_id, OWNER)
    assert (queued.status, queued.phase) == ("running", "Đang chờ tiến trình nền")
    start_worker()
    running = wait_until(lambda: (job := job_status(cache, job_id, OWNER)).done == 2 and job,
                         what="the worker's progress")
    assert (running.status, running.phase, running.percent) == (
        "running", "Kiểm tra từng câu hỏi", 66)
    assert codes(engine) == []  # nothing is seen before the job commits
    release.touch()
    done = wait_until(lambda: (job := job_status(cache, job_id, OWNER)).status != "running"
                      and job, what="the job's end")
    assert (done.status, done.result, done.percent) == ("done", {"created": "IU98"}, 100)
    assert codes(engine) == ["IU98"]
    assert job_status(cache, job_id, OWNER + 1) is None  # still only its owner's


WEB_APP_THAT_DIES = """
import os, signal, sys
from exam_engine import create_app
from exam_engine.kernel.jobs import start_app_job
app = create_app()
with app.app_context():
    job_id = start_app_job(sys.argv[1], arguments={"code": "IU97", "release": sys.argv[2]},
                           user_id=7, kind="thử")
print(job_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the web worker dies right after answering
"""


def test_a_job_outlives_the_web_process_that_queued_it(cache, worker_env, start_worker, engine,
                                                       tmp_path):
    release = tmp_path / "release"
    release.touch()
    web = subprocess.run([sys.executable, "-c", WEB_APP_THAT_DIES,
                          f"{HERE}:add_code_when_released", str(release)],
                         cwd=ROOT, env=worker_env, capture_output=True, text=True, timeout=120)
    assert web.returncode == -signal.SIGKILL, web.stderr
    job_id = web.stdout.split()[0]
    assert job_status(cache, job_id, OWNER).status == "running"  # waiting in Redis
    worker = start_worker("--burst")  # started after the web process is gone
    assert worker.wait(120) == 0
    job = job_status(cache, job_id, OWNER)
    assert (job.status, job.result) == ("done", {"created": "IU97"})
    assert codes(engine) == ["IU97"]


def test_a_job_whose_worker_died_is_run_again_and_writes_once(cache, queue, start_worker,
                                                              engine, tmp_path):
    marker = tmp_path / "died"
    job_id = enqueue(cache, queue, "add_code_dying_once", code="IU96", marker=str(marker))
    worker = start_worker("--burst")
    assert worker.wait(120) == 0
    assert marker.exists()  # the first try did die
    job = job_status(cache, job_id, OWNER)
    assert (job.status, job.result) == ("done", {"created": "IU96"})
    assert codes(engine) == ["IU96"]  # the dead try wrote nothing: it never committed


def test_an_unexpected_error_is_retried_and_the_last_failure_is_shown(cache, queue,
                                                                     start_worker, engine,
                                                                     tmp_path):
    flaky = enqueue(cache, queue, "add_code_failing", code="IU95", marker=str(tmp_path / "a"),
                    times=1)
    broken = enqueue(cache, queue, "add_code_failing", code="IU94", marker=str(tmp_path / "b"),
                     times=99)
    assert start_worker("--burst").wait(120) == 0
    assert (tmp_path / "a").read_text() == "x" and (tmp_path / "b").read_text() == "xxx"
    assert job_status(cache, flaky, OWNER).result == {"created": "IU95"}
    failed = job_status(cache, broken, OWNER)  # three tries (RETRIES = 2), then the outcome
    assert failed.status == "failed" and "không có gì được ghi" in failed.message_vi
    assert codes(engine) == ["IU95"]  # each failed try rolled back


def test_a_job_is_refused_plainly_when_redis_is_unreachable(queue):
    from exam_engine.kernel.cache import MemoryCache
    memory = MemoryCache()
    with pytest.raises(QueueUnavailable):
        enqueue_job(f"{HERE}:add_code_when_released", arguments={}, user_id=OWNER, kind="thử",
                    cache=memory, redis_url="redis://127.0.0.1:9/0", queue=queue)
    assert memory._data == {}  # no state of a job that was never queued
