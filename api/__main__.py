"""`python -m api`: prepare the database and serve the embedded default on port 8000."""

from __future__ import annotations

import os

import uvicorn


def migrate() -> None:
    """Applies migrations and loads the catalogue and regions (and demo data in development), then exits."""
    import asyncio

    from api.app import prepare_database
    from api.kit.crypto import configure_cipher
    from api.kit.db import close_db
    from api.settings import get_settings

    async def run() -> None:
        settings = get_settings().model_copy(update={"migrate_on_start": True})
        configure_cipher(settings)
        await prepare_database(settings)
        await close_db()
        print("migrations applied", flush=True)

    asyncio.run(run())


def main() -> None:
    import sys

    if sys.argv[1:] == ["migrate"]:
        migrate()
        return
    port = int(os.environ.get("PORT", "8000"))
    # on another port, the in-process simulator and its callbacks follow the server unless told otherwise
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    os.environ.setdefault("PROVINCE_URL", f"http://127.0.0.1:{port}/province-sim")
    from api import demo
    from api.kit.logs import configure_logging
    from api.settings import get_settings

    settings = get_settings()
    # our own handler for every logger, uvicorn's included; the access line is RequestContext's, with the request id
    configure_logging(json_lines=settings.log_json if settings.log_json is not None else not settings.is_development)
    notice = (f"演示模式：公示期缩短为{settings.demo_notice_seconds}秒\n" if settings.demo_notice_seconds else "")
    print(f"\n达川救助 — 手机应用 http://127.0.0.1:{port}/ ，接口 http://127.0.0.1:{port}/graphql (GraphiQL)\n{notice}"
          f"演示账号（工作人员，密码相同）：\n{demo.describe()}\n"
          f"申请人验证码（开发环境不发短信）写入 {settings.storage_root.parent / 'sms-inbox.txt'}\n", flush=True)
    # proxy_headers off: which X-Forwarded-For to believe is the app's own setting (TRUST_FORWARDED_FOR,
    # api/kit/requests.py), not uvicorn's default of trusting it from any client on 127.0.0.1; libuv's event
    # loop and the C HTTP parser named, not left to what happens to be installed
    uvicorn.run("api.app:create_app", factory=True, host=os.environ.get("HOST", "127.0.0.1"), port=port,
                ws_per_message_deflate=False, log_level="info", log_config=None, access_log=False,
                proxy_headers=False, loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
