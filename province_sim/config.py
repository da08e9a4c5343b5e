"""The simulator's one typed configuration (environment prefix PROVINCE_SIM_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimConfig(BaseSettings):
    """Everything the simulator needs; the fault fields are only the start-up values (see /admin/faults)."""

    model_config = SettingsConfigDict(env_prefix="PROVINCE_SIM_", extra="ignore")

    database_path: str = "var/province_sim.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8100
    # App keys the districts sign with → their secrets.
    district_keys: dict[str, str] = Field(
        default_factory=lambda: {"dachuan-511703": "dev-province-shared-secret-0123456789"})
    # What the simulator signs its callbacks with.
    app_key: str = "province-51"
    secret: str = "dev-province-callback-secret-0123456789"
    admin_token: str = "dev-province-admin-token"

    decision_delay_seconds: float = Field(2.0, ge=0)
    # Lowest age of each band → monthly amount in yuan. Illustrative only; the lowest band is the
    # minimum age for the allowance.
    amount_bands: dict[int, str] = Field(default_factory=lambda: {80: "100.00", 90: "200.00", 100: "500.00"})

    callback_timeout_seconds: float = Field(5.0, gt=0)
    callback_max_attempts: int = Field(8, ge=1)
    # Callbacks in flight at once (one at a time while a duplicate or out-of-order fault is on).
    callback_concurrency: int = Field(16, ge=1)
    # Back-off after the n-th failed attempt: callback_backoff_seconds * 2**(n-1), at most the max.
    callback_backoff_seconds: float = Field(1.0, ge=0)
    callback_backoff_max_seconds: float = Field(300.0, ge=0)
    poll_interval_seconds: float = Field(0.5, gt=0)

    # Faults at start-up.
    slow_ms: int = Field(0, ge=0)
    fail_rate: float = Field(0.0, ge=0, le=1)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    timeout_hang_seconds: float = Field(30.0, ge=0)
    down_until: float = 0.0
    duplicate_callbacks: bool = False
    out_of_order_callbacks: bool = False
