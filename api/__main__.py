"""`python -m api`: prepare the database and serve the embedded default on port 8000."""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    from api import demo
    from api.settings import get_settings

    settings = get_settings()
    port = int(os.environ.get("PORT", "8000"))
    print(f"\n达川救助 — http://127.0.0.1:{port}/graphql (GraphiQL)\n演示账号（工作人员，密码相同）：\n{demo.describe()}\n",
          flush=True)
    uvicorn.run("api.app:create_app", factory=True, host=os.environ.get("HOST", "127.0.0.1"), port=port,
                ws_per_message_deflate=False, log_level="info")
    del settings


if __name__ == "__main__":
    main()
