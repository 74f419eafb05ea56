"""Waiting for something another thread or process does: ask until it is so, rather
than sleep for a time that is too long on a quiet machine and too short on a busy one."""

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, every: float = 0.02):
    """Call `predicate` until it returns something true, and return that; fail with
    TimeoutError if it has not within `timeout` seconds (asked once more at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        last_chance = time.monotonic() >= deadline
        got = predicate()
        if got:
            return got
        if last_chance:
            raise TimeoutError(f"{getattr(predicate, '__name__', predicate)} not true "
                               f"within {timeout} s")  # fmt: skip
        time.sleep(every)
