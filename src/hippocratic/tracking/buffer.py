"""A small in-process write buffer for page views (Plausible's write_buffer).

The request only appends to a list. A background thread flushes when the buffer
is full, on a timer and at shutdown; the flush resolves ISP domains and writes
one batch (one INSERT, one audit entry). Resolution therefore never blocks a
response, and the address is never queued anywhere but this process's memory:
a job in Django's task queue would have written it to the database (VIS-4).

The owner flushes it at exit. With `flush_seconds` set to None there is no
thread and the owner calls `flush()` (the tests do).
"""

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WriteBuffer:
    def __init__(self, write: Callable[[list], None], *, size: int, flush_seconds: float | None):
        self._write = write
        self.size = size
        self.flush_seconds = flush_seconds
        self._items: list = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread_pid: int | None = None

    def add(self, item) -> None:
        with self._lock:
            self._items.append(item)
            full = len(self._items) >= self.size
        if self.flush_seconds is None:
            return
        self._ensure_thread()
        if full:
            self._wake.set()

    def discard(self) -> int:
        """Drop what is buffered without writing it (tests; a test database going away)."""
        with self._lock:
            n, self._items = len(self._items), []
        return n

    def flush(self) -> int:
        """Write what is buffered; returns how many items were written."""
        with self._flushing:
            with self._lock:
                items, self._items = self._items, []
            if not items:
                return 0
            try:
                self._write(items)
            except Exception:
                # Analytics may lose a batch; the site must not fail for it. Keep
                # the items for the next flush, within bounds.
                log.exception("page-view flush failed; %d views kept for the next one", len(items))
                with self._lock:
                    self._items = (items + self._items)[-10 * self.size :]
                return 0
            return len(items)

    def _ensure_thread(self) -> None:
        if self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread_pid == os.getpid():  # a forked worker starts its own
                return
            self._thread_pid = os.getpid()
            threading.Thread(target=self._run, name="page-view-buffer", daemon=True).start()

    def _run(self) -> None:
        from django.db import close_old_connections

        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()
            close_old_connections()
