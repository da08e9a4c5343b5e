"""Garbage-collector settings for the long-running processes (the API server and the workers)."""

from __future__ import annotations

import gc

# A full collection walks every tracked object and stops the process meanwhile: with 10,000 live subscriptions
# that is hundreds of MiB and seconds. Full collections therefore wait for this many middle-generation ones
# (Python's default is 10); reference counting frees everything but cyclic garbage in between.
FULL_COLLECTION_THRESHOLD = 100
_frozen = False


def freeze_start_up() -> None:
    """Takes what start-up built (modules, schema, ORM) out of every later collection and makes full
    collections rarer; the first call in a process does it, later ones (another app in the tests) do nothing."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()  # lives as long as the process: no collection needs to walk it again
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, FULL_COLLECTION_THRESHOLD))
