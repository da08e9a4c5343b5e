"""The shapes the simulator reads: the Application body and its batch (contract.py), the admin fault settings."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


class Applicant(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32)
    birth_date: date
    address: str = Field(max_length=500)


class Bank(BaseModel):
    bank_name: str = Field(min_length=1, max_length=100)
    account: str = Field(min_length=1, max_length=64)


class ApplicationIn(BaseModel):
    """One pushed application; unknown extra fields are ignored."""

    request_id: str = Field(pattern=REQUEST_ID_PATTERN)
    county_code: str = Field(pattern=r"^\d{6}$")
    case_number: str = Field(min_length=1, max_length=64)
    applied_on: date
    applicant: Applicant
    bank: Bank | None
    callback_url: str = Field(max_length=2000)
    # where decisions may go batched (POST {"decisions": [...]}); absent: one callback per decision
    batch_callback_url: str | None = Field(None, max_length=2000)

    @field_validator("callback_url", "batch_callback_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{info.field_name} must be an absolute http(s) URL")
        return value


class ApplicationBatchIn(BaseModel):
    """A batched push: {"applications": [Application, ...]}; its length and distinct request ids are checked
    by the endpoint, so that a refusal can say which rule was broken."""

    applications: list[ApplicationIn]


class Faults(BaseModel):
    """How the simulator misbehaves right now."""

    model_config = ConfigDict(validate_assignment=True)

    slow_ms: int = Field(0, ge=0)
    fail_rate: float = Field(0.0, ge=0, le=1)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    timeout_hang_seconds: float = Field(30.0, ge=0)
    down_until: float = 0.0
    duplicate_callbacks: bool = False
    out_of_order_callbacks: bool = False


class FaultsUpdate(BaseModel):
    """A change to the faults: only the fields given change; down_for_seconds sets down_until from now."""

    model_config = ConfigDict(extra="forbid")

    slow_ms: int | None = Field(None, ge=0)
    fail_rate: float | None = Field(None, ge=0, le=1)
    timeout_rate: float | None = Field(None, ge=0, le=1)
    timeout_hang_seconds: float | None = Field(None, ge=0)
    down_until: float | None = None
    down_for_seconds: float | None = Field(None, ge=0)
    duplicate_callbacks: bool | None = None
    out_of_order_callbacks: bool | None = None
