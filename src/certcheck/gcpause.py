"""The cyclic garbage collector kept out of loops that only build acyclic data.

A run of 100,000 workers holds millions of objects (records, workers, findings) that live to
its end. Every full collection walks all of them, and the loops that load records and allocate
findings, JSON objects and rows set one off again and again: a third of a large run went to
that. Nothing
those loops make refers to itself, so reference counting frees all of it, and the collector
is only paused, never left off: it runs again as before once the loop is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the previous setting after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

