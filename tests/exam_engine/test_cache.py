"""The in-process twin and real Redis pass the same tests."""

from __future__ import annotations

import time
import uuid

import pytest

from exam_engine.kernel.cache import MemoryCache, RedisCache
from tests.conftest import REDIS_URL, require_service


def _redis_cache() -> RedisCache:
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        available, reason = True, ""
    except redis.RedisError as error:
        available, reason = False, f"Redis is not reachable at {REDIS_URL}: {error}"
    require_service(available, reason)
    return RedisCache(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:")


@pytest.fixture(params=["memory", "redis"])
def cache(request):
    return MemoryCache() if request.param == "memory" else _redis_cache()


def test_values_round_trip_as_json(cache):
    cache.set_json("form", [["single", 4], ["multiple", 5]], ttl_seconds=60)
    assert cache.get_json("form") == [["single", 4], ["multiple", 5]]
    assert cache.get_json("absent") is None


def test_values_expire(cache):
    cache.set_json("short", {"a": "Tiếng Việt"}, ttl_seconds=1)
    assert cache.get_json("short") == {"a": "Tiếng Việt"}
    time.sleep(1.2)
    assert cache.get_json("short") is None


def test_delete_and_counters(cache):
    cache.set_json("k", 1, ttl_seconds=60)
    cache.delete("k")
    assert cache.get_json("k") is None
    assert [cache.incr("fails", ttl_seconds=60) for _ in range(3)] == [1, 2, 3]
    assert cache.get_json("fails") == 3


def test_a_redis_outage_degrades_to_misses():
    broken = RedisCache("redis://127.0.0.1:1/0")
    broken.set_json("k", 1, ttl_seconds=5)
    assert broken.get_json("k") is None
