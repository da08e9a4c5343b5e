"""`python -m workers`: the outbox dispatcher, reconciler and clocks as their own process."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from api.aid_items.service import watch_writes as watch_item_writes
from api.kit.broker import configure_broker
from api.kit.crypto import configure_cipher
from api.kit.db import close_db, init_db
from api.kit.heap import freeze_start_up
from api.kit.logs import configure_logging
from api.settings import get_settings
from workers.runner import run_workers


async def main() -> None:
    settings = get_settings()
    configure_cipher(settings)
    broker = configure_broker(settings)
    await broker.start()
    watch_item_writes()  # an admin's edit of an aid item drops the copies the actions here read
    await init_db(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    freeze_start_up()
    try:
        await run_workers(settings, stop)
    finally:
        await broker.stop()
        await close_db()


def configure_worker_logging() -> None:
    """Logs as the API does: JSON lines, or plain text in development (LOG_JSON decides when set)."""
    settings = get_settings()
    configure_logging(json_lines=settings.log_json if settings.log_json is not None else not settings.is_development)
    # one line per push is noise; a failed push is logged by the outbox with its error
    logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    configure_worker_logging()
    uvloop.run(main())  # the loop the API runs on (libuv's): each I/O costs less CPU than with asyncio's own
