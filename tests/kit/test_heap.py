"""The collector settings of the long-running processes (checked in a child process: they are process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from api.kit.heap import FULL_COLLECTION_THRESHOLD, freeze_start_up
kept = [{"start-up": n} for n in range(1000)]
freeze_start_up()
first = gc.get_freeze_count()
later = [{"later": n} for n in range(1000)]
freeze_start_up()
print(json.dumps({"first": first, "second": gc.get_freeze_count(), "threshold": gc.get_threshold(),
                  "full": FULL_COLLECTION_THRESHOLD}))
"""


def test_start_up_objects_are_frozen_once_and_full_collections_come_less_often():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)

    assert result["first"] > 1000  # at least what the probe built before start-up ended
    assert result["second"] == result["first"]  # a second call (another app in the same process) does nothing
    assert result["threshold"][2] == result["full"] > 10
