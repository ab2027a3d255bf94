"""The per-process map behind the hot paths' caches (``piaa.process_cache``)."""
from piaa import process_cache
from piaa.process_cache import MISSING, ProcessCache


def test_an_entry_expires_after_its_time_to_live(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: clock[0])
    ttl = [10.0]
    cache = ProcessCache(ttl_s=lambda: ttl[0])
    cache.put("set", None)  # a stored None is an answer, not an absence
    assert cache.get("set", MISSING) is None and cache.get("other", MISSING) is MISSING
    clock[0] += 9.9
    assert cache.get("set", MISSING) is None
    clock[0] += 0.1
    assert cache.get("set", MISSING) is MISSING
    cache.put("set", 7)
    ttl[0] = 0.0  # the setting read on every lookup: tests may shorten it
    assert cache.get("set") is None


def test_the_oldest_entry_goes_once_the_cache_is_full():
    cache = ProcessCache(max_size=2)
    cache.put(1, "a")
    cache.put(2, "b")
    cache.put(2, "b again")  # replacing an entry makes no room
    assert (cache.get(1), cache.get(2)) == ("a", "b again")
    cache.put(3, "c")
    assert (cache.get(1), cache.get(2), cache.get(3), len(cache)) == (None, "b again", "c", 2)
    cache.pop(2)
    cache.clear("listener", "arguments")
    assert len(cache) == 0
