"""`decided_elsewhere()`: statements on personal tables pass the gate, for a caller
that decides and audits the access itself. It imports nothing of the project, so the
database backends (loaded before any model) can use it."""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_inside = contextvars.ContextVar("decided_elsewhere", default=False)


@contextmanager
def decided_elsewhere() -> Iterator[None]:
    """Let statements pass for a caller that decides and audits the access itself:
    erasure (the subject's right), retention, conformance, a gateway write (its
    decision covers the rows a deletion cascades to), and schema migrations."""
    token = _inside.set(True)
    try:
        yield
    finally:
        _inside.reset(token)


def is_decided_elsewhere() -> bool:
    return _inside.get()
