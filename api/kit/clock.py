"""The current time, replaceable in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Returns the current aware UTC time (or the frozen time in tests)."""
    return _frozen or datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Freezes `now()` at `at` (None unfreezes); for tests."""
    global _frozen
    _frozen = at.astimezone(UTC) if at is not None else None
