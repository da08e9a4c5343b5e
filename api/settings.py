"""One typed Settings object, read once at start and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Development placeholders: fine on a laptop, refused anywhere else.
PLACEHOLDER_SECRET = "dev-only-secret-change-me-0123456789abcdef"
PLACEHOLDER_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="  # base64 of 32 bytes


class Settings(BaseSettings):
    """Configuration for one API or worker process."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite://{ROOT / 'var' / 'dachuan.sqlite3'}"
    # Redis pub/sub for live events across API processes; unset: the in-process broker (one process).
    redis_url: str | None = None
    storage_root: Path = ROOT / "var" / "materials"
    secret_key: str = PLACEHOLDER_SECRET
    # AES-256-GCM key for personal data at rest, base64; `data_key_id` names it so keys can rotate.
    data_key: str = PLACEHOLDER_DATA_KEY
    data_key_id: str = "k1"
    # Keys retired by rotation, by key id (base64): values they wrote are still read; new values use DATA_KEY.
    old_data_keys: dict[str, str] = Field(default_factory=dict)
    sms_backend: Literal["log", "memory"] = "log"
    load_demo_data: bool = True
    # Scaled out, `python -m api migrate` runs once before the processes start, which then skip it.
    migrate_on_start: bool = True

    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 60
    applicant_session_hours: int = 24 * 30
    staff_session_hours: int = 12  # absolute lifetime of a staff session
    staff_idle_minutes: int = 30  # a staff session unused this long has ended
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # Rate limits (0 turns one off); held in Redis when REDIS_URL is set. Generous enough for a village office
    # behind one address, tight enough to stop scripts.
    rate_codes_per_phone_hour: int = 10
    rate_codes_per_client_hour: int = 60
    rate_failed_sign_ins_per_client_15min: int = 50
    rate_failed_sign_ins_per_account_15min: int = 10
    rate_applicant_mutations_minute: int = 60
    rate_staff_mutations_minute: int = 1800

    pwa_dist: Path = ROOT / "pwa" / "dist"
    max_upload_bytes: int = 10 * 1024 * 1024
    material_link_seconds: int = 300  # how long a material's download link works
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_query_aliases: int = 15
    # objects an operation can return: page sizes (`first`) times nesting; a list without `first` counts as 10
    max_query_cost: int = 5000
    # GraphiQL at GET /graphql: None means in development only. In production introspection needs a staff token.
    graphiql: bool | None = None
    page_size_max: int = 100
    withdraw_grace_minutes: int = 10
    cors_origins: list[str] = Field(default_factory=list)
    # Behind a reverse proxy that sets X-Forwarded-For: take the client's address from it (rate limits, audit log).
    trust_forwarded_for: bool = False
    # Bearer token Prometheus must send to /metrics; unset: /metrics is open (keep it off the public proxy).
    metrics_token: str | None = None
    # JSON log lines (one object a line, with the request id); None means JSON everywhere but development.
    log_json: bool | None = None
    # The provincial elderly-allowance system (province_sim in development and tests).
    county_code: str = "511703"
    public_base_url: str = "http://127.0.0.1:8000"
    province_url: str = "http://127.0.0.1:8000/province-sim"
    province_app_key: str = "dachuan-511703"
    province_secret: str = "dev-province-shared-secret-0123456789"
    province_callback_keys: dict[str, str] = Field(
        default_factory=lambda: {"province-51": "dev-province-callback-secret-0123456789"})
    province_timeout_seconds: float = 10.0
    reconcile_after_seconds: float = 60.0
    reconcile_interval_seconds: float = 60.0
    # With the back-off's 1 s base and 300 s cap, 20 attempts span about half an hour: a province down for ten
    # minutes gets everything once it is back. A message that still fails is dead, for a supervisor to send again.
    outbox_max_attempts: int = 20
    outbox_poll_seconds: float = 0.5
    clock_scan_seconds: float = 30.0
    # The embedded default runs the workers and the simulator inside the API process.
    embedded_workers: bool = True
    embedded_province_sim: bool = True
    # Demo only: the public notice lasts this many seconds instead of days, so a walk-through fits in minutes.
    demo_notice_seconds: int | None = None

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_development if self.graphiql is None else self.graphiql

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of at least 32 characters")
            if self.data_key == PLACEHOLDER_DATA_KEY:
                raise ValueError("DATA_KEY must be set to a random 32-byte key (base64)")
            if self.province_secret.startswith("dev-") or any(v.startswith("dev-")
                                                               for v in self.province_callback_keys.values()):
                raise ValueError("PROVINCE_SECRET and PROVINCE_CALLBACK_KEYS must be set to real secrets")
            if self.demo_notice_seconds:
                raise ValueError("DEMO_NOTICE_SECONDS is for demonstrations only")
            if self.sms_backend == "memory":
                raise ValueError("SMS_BACKEND=memory is for tests only")
            if "*" in self.cors_origins:
                raise ValueError("CORS_ORIGINS must list the allowed origins, not '*'")
        return self


_current: Settings | None = None


def get_settings() -> Settings:
    """Returns the process-wide settings, read from the environment once."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Makes `settings` the process-wide settings (create_app and tests call this)."""
    global _current
    _current = settings
    return settings
