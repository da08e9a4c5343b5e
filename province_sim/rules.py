"""How the simulated province decides an application (DOMAIN.md, "The provincial round trip")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from api.kit.idnumber import age_on, parse_id_number

SICHUAN_PREFIX = "51"
REASON_NOT_SICHUAN = "非四川省户籍人员"
REASON_ALREADY_RECEIVING = "已在其他地区享受"
REFERENCE_PREFIX = "SC-GL"


@dataclass(frozen=True)
class Verdict:
    status: str  # "approved" | "rejected"
    reason: str | None
    monthly_amount: str | None
    first_month: str | None


def decide(id_number: str, applied_on: date, *, bands: dict[int, str], approved_elsewhere: bool) -> Verdict:
    """Returns the decision for an applicant, judged on the application date."""
    info = parse_id_number(id_number)
    minimum_age = min(bands)
    age = age_on(info.birth_date, applied_on)
    if not info.number.startswith(SICHUAN_PREFIX):
        return _rejected(REASON_NOT_SICHUAN)
    if age < minimum_age:
        return _rejected(f"年龄未满{minimum_age}周岁")
    if approved_elsewhere:
        return _rejected(REASON_ALREADY_RECEIVING)
    return Verdict("approved", None, monthly_amount(age, bands), first_month(applied_on))


def monthly_amount(age: int, bands: dict[int, str]) -> str | None:
    """Returns the amount of the highest band the age reaches, or None below every band."""
    reached = [low for low in bands if age >= low]
    return bands[max(reached)] if reached else None


def first_month(applied_on: date) -> str:
    """Returns the month after the application month as "YYYY-MM"."""
    year, month = (applied_on.year + 1, 1) if applied_on.month == 12 else (applied_on.year, applied_on.month + 1)
    return f"{year:04d}-{month:02d}"


def reference(year: int, seq: int) -> str:
    """Returns the provincial reference for the seq-th application received, e.g. SC-GL-2026-00000123."""
    return f"{REFERENCE_PREFIX}-{year:04d}-{seq:08d}"


def _rejected(reason: str) -> Verdict:
    return Verdict("rejected", reason, None, None)
