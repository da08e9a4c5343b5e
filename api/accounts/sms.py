"""The SMS gateway: an interface with a development backend (log) and a test backend (memory)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import aiofiles

log = logging.getLogger("dachuan.sms")


class SmsGateway(Protocol):
    async def send_code(self, phone: str, code: str) -> None: ...


class LogSms:
    """Writes the code to the log (and to a development inbox file, when given); for development."""

    def __init__(self, inbox: Path | None = None) -> None:
        self.inbox = inbox

    async def send_code(self, phone: str, code: str) -> None:
        log.warning("【达川救助】验证码 %s 已发往 %s（开发环境：未真正发送短信）", code, phone)
        print(f"[sms] 验证码 {code} → {phone}", flush=True)
        if self.inbox is not None:
            self.inbox.parent.mkdir(parents=True, exist_ok=True)
            async with aiofiles.open(self.inbox, "a", encoding="utf-8") as f:
                await f.write(f"{phone}\t{code}\n")


class MemorySms:
    """Keeps sent codes in memory; tests read them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last_code(self, phone: str) -> str:
        return [c for p, c in self.sent if p == phone][-1]


_gateway: SmsGateway | None = None


def configure_sms(backend: str, inbox: Path | None = None) -> SmsGateway:
    """Chooses the gateway named by settings."""
    global _gateway
    _gateway = MemorySms() if backend == "memory" else LogSms(inbox)
    return _gateway


def get_sms() -> SmsGateway:
    global _gateway
    if _gateway is None:
        _gateway = LogSms()
    return _gateway


def use_sms(gateway: SmsGateway) -> SmsGateway:
    """Makes `gateway` the process-wide gateway (tests)."""
    global _gateway
    _gateway = gateway
    return gateway
