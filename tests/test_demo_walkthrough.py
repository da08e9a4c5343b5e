"""`make run`'s embedded default, started as a real process, carries a 低保 application to approval."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts.demo_walkthrough import Walkthrough
from tests.harness.pg import free_port

ROOT = Path(__file__).resolve().parent.parent


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not become healthy within 60 s")


def test_demo_applicant_application_walks_to_approved_on_the_embedded_default(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite://{tmp_path / 'demo.sqlite3'}",
           "STORAGE_ROOT": str(tmp_path / "materials"), "DEMO_NOTICE_SECONDS": "2", "ENVIRONMENT": "development"}
    proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        case = Walkthrough(url, tmp_path / "sms-inbox.txt").run()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert case["status"] == "APPROVED"
    assert [e["seq"] for e in case["events"]] == [1, 2, 3, 4, 5, 6]
    assert [e["toStatus"] for e in case["events"]] == [
        "SUBMITTED", "INVESTIGATING", "VERIFYING", "REVIEWING", "APPROVING", "APPROVED"]
    assert "cun-xinqiao" in output  # the banner lists the demo accounts
