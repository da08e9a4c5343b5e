"""Runs `python -m <module>` with a garbage-collector pause log: `python bench/_gcwrap.py <module> [args…]`.

Every collection of the oldest generation, and every collection of any generation that takes 10 ms or more, is
appended to $BENCH_GC_LOG as `epoch_seconds generation pause_seconds collected`. The benches use it (with
`--gc-log`) to tell stop-the-world pauses of the API process apart from other delays; it changes no project code.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
import time

_path = os.environ.get("BENCH_GC_LOG")
_out = open(_path, "a", buffering=1) if _path else None  # noqa: SIM115 (open for the life of the process)
_started = 0.0


def _on_gc(phase: str, info: dict) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
        return
    pause = time.perf_counter() - _started
    if _out is not None and (info["generation"] == 2 or pause >= 0.010):
        _out.write(f"{time.time():.6f} {info['generation']} {pause:.6f} {info.get('collected', 0)}\n")


if __name__ == "__main__":
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository, as `-m` would
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    gc.callbacks.append(_on_gc)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
