"""How often one person may do something, counted across processes.

``rate_allow(key, windows)`` counts one more attempt under ``key`` in each of the
``windows`` (``(count, seconds)``: at most ``count`` in a fixed window of ``seconds``)
and says whether every window still allows it. The counts live in the cache: Redis in
the scaled setup (every server process shares them), the process's memory otherwise.
A burst that crosses a window's edge may get up to twice a window's count, which is
enough to stop a flood and never stops a person.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.cache import cache


def rate_allow(key: str, windows: Iterable[tuple[int, int] | list[int]]) -> bool:
    """Count an attempt under ``key``; False when a window is already full."""
    now = time.time()
    allowed = True
    for count, seconds in windows:
        slot = int(now // seconds)
        name = f"rate:{key}:{seconds}:{slot}"
        if cache.add(name, 1, timeout=int(seconds) + 1):
            used = 1
        else:
            try:
                used = cache.incr(name)
            except ValueError:  # expired between the two calls
                cache.set(name, 1, timeout=int(seconds) + 1)
                used = 1
        if used > count:
            allowed = False
    return allowed
