"""The rate limits' per-minute counts: exact when many threads of many workers post at once,
kept per window, and in the shared cache when a profile counts there (Redis)."""

import threading

from django.core.cache import cache

from broadsheet.comments import rate_windows


def _hammer(key: str, *, threads: int, hits: int, minute: int = 100) -> list[int]:
    seen: list[int] = []
    lock = threading.Lock()

    def run():
        mine = [rate_windows.hit(key, minute=minute) for _ in range(hits)]
        with lock:
            seen.extend(mine)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    [t.start() for t in workers]
    [t.join() for t in workers]
    return seen


def test_concurrent_hits_each_get_their_own_number(settings, tmp_path):
    """A read-then-write counter (Django's file cache's incr) loses hits when two posts
    land together, and a flood then slips under the limit."""
    settings.BROADSHEET_COMMENTS = {**settings.BROADSHEET_COMMENTS,
                                    "RATE_COUNTER_DIR": tmp_path / "counts"}
    assert sorted(_hammer("ip-flood", threads=8, hits=40)) == list(range(1, 321))


def test_windows_and_keys_count_apart_and_passed_windows_go(settings, tmp_path):
    base = tmp_path / "counts"
    settings.BROADSHEET_COMMENTS = {**settings.BROADSHEET_COMMENTS, "RATE_COUNTER_DIR": base}
    assert [rate_windows.hit("u-1", minute=100) for _ in range(3)] == [1, 2, 3]
    assert rate_windows.hit("u-2", minute=100) == 1
    assert rate_windows.hit("u-1", minute=101) == 1  # a new minute starts from one
    assert rate_windows.hit("u-1", minute=100) == 4  # a late hit of the previous minute counts
    rate_windows.hit("u-1", minute=102)
    assert sorted(p.name for p in base.iterdir()) == ["101", "102"]


def test_counts_in_the_shared_cache_when_told_to(settings):
    settings.BROADSHEET_COMMENTS = {**settings.BROADSHEET_COMMENTS, "RATE_COUNTER_DIR": None}
    assert [rate_windows.hit("u-7", minute=5) for _ in range(3)] == [1, 2, 3]
    assert cache.get("bs:crate:u-7:5") == 3
