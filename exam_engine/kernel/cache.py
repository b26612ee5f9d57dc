"""Redis for speed, never for truth: a small cache interface with an in-process twin.

Both implementations pass the same tests (tests/exam_engine/test_cache.py). Losing the cache
loses nothing: every value here can be rebuilt from the database.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol


class Cache(Protocol):
    def get_json(self, key: str) -> Any | None: ...
    def set_json(self, key: str, value: Any, ttl_seconds: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl_seconds: int) -> int: ...


class MemoryCache:
    """The in-process twin, for a single-machine install without Redis."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def _live(self, key: str) -> tuple[float, Any] | None:
        entry = self._data.get(key)
        if entry is not None and entry[0] < time.monotonic():
            del self._data[key]
            return None
        return entry

    def get_json(self, key: str) -> Any | None:
        with self._lock:
            entry = self._live(key)
            return None if entry is None else json.loads(entry[1])

    def set_json(self, key: str, value: Any, ttl_seconds: int) -> None:
        with self._lock:
            if len(self._data) >= self._max_entries:
                self._data.clear()  # a cache may forget; the database still knows
            self._data[key] = (time.monotonic() + ttl_seconds, json.dumps(value))

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl_seconds: int) -> int:
        with self._lock:
            entry = self._live(key)
            expires, raw = entry if entry else (time.monotonic() + ttl_seconds, "0")
            count = int(json.loads(raw)) + 1
            self._data[key] = (expires, json.dumps(count))
            return count


class RedisCache:
    """The shared cache of a multi-host install. A Redis outage degrades to cache misses:
    the exam goes on from the database."""

    def __init__(self, url: str, prefix: str = "exam:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = (redis.RedisError, OSError)
        self._prefix = prefix

    def get_json(self, key: str) -> Any | None:
        try:
            raw = self._redis.get(self._prefix + key)
        except self._errors:
            return None
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl_seconds: int) -> None:
        try:
            self._redis.set(self._prefix + key, json.dumps(value), ex=ttl_seconds)
        except self._errors:
            pass

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)  # a failed invalidation must be seen

    def incr(self, key: str, ttl_seconds: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl_seconds, nx=True)
        count, _ = pipe.execute()
        return int(count)


def make_cache(redis_url: str) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
