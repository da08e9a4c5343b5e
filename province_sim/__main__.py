"""Runs the simulator alone: `python -m province_sim` (PROVINCE_SIM_HOST / PROVINCE_SIM_PORT, default 127.0.0.1:8100)."""

from __future__ import annotations

import logging

import uvicorn

from province_sim.app import create_sim_app
from province_sim.config import SimConfig


def main() -> None:
    config = SimConfig()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # one line per callback is noise; a callback not acknowledged is logged by the dispatcher
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_sim_app(config)
    print(f"province_sim listening on http://{config.host}:{config.port} (database {config.database_path}, "
          f"decisions after {config.decision_delay_seconds:g} s)", flush=True)
    # no access line per request: every push already logs its application, and a refusal its reason
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", access_log=False, loop="uvloop",
                http="httptools")


if __name__ == "__main__":
    main()
