"""The simulated province's decision rules (DOMAIN.md, "The provincial round trip")."""

from __future__ import annotations

from datetime import date

import pytest

from api.kit.idnumber import make_id_number
from province_sim import rules
from province_sim.config import SimConfig

BANDS = SimConfig().amount_bands


def decide(birth: date, applied_on: date, *, region: str = "511703", approved_elsewhere: bool = False):
    return rules.decide(make_id_number(region=region, birth=birth), applied_on, bands=BANDS,
                        approved_elsewhere=approved_elsewhere)


def test_applicant_turning_80_on_the_application_date_is_approved():
    verdict = decide(date(1946, 3, 15), date(2026, 3, 15))
    assert verdict == rules.Verdict("approved", None, "100.00", "2026-04")


def test_applicant_79_on_the_application_date_is_rejected_for_age():
    verdict = decide(date(1946, 3, 16), date(2026, 3, 15))
    assert verdict == rules.Verdict("rejected", "年龄未满80周岁", None, None)


def test_id_number_from_outside_sichuan_is_rejected():
    verdict = decide(date(1930, 1, 1), date(2026, 3, 15), region="520102")
    assert verdict == rules.Verdict("rejected", "非四川省户籍人员", None, None)


def test_applicant_already_approved_elsewhere_is_rejected():
    verdict = decide(date(1930, 1, 1), date(2026, 3, 15), approved_elsewhere=True)
    assert verdict == rules.Verdict("rejected", "已在其他地区享受", None, None)


@pytest.mark.parametrize(("birth", "amount"), [
    (date(1946, 3, 15), "100.00"),  # 80
    (date(1936, 3, 16), "100.00"),  # 89
    (date(1936, 3, 15), "200.00"),  # 90
    (date(1926, 3, 16), "200.00"),  # 99
    (date(1926, 3, 15), "500.00"),  # 100
    (date(1916, 1, 1), "500.00"),  # 110
])
def test_monthly_amount_follows_the_age_band_on_the_application_date(birth, amount):
    assert decide(birth, date(2026, 3, 15)).monthly_amount == amount


def test_bands_come_from_configuration():
    verdict = rules.decide(make_id_number(birth=date(1951, 1, 1)), date(2026, 3, 15),
                           bands={75: "50.00", 85: "150.00"}, approved_elsewhere=False)
    assert (verdict.status, verdict.monthly_amount) == ("approved", "50.00")


def test_age_rejection_names_the_lowest_configured_band():
    verdict = rules.decide(make_id_number(birth=date(1951, 1, 1)), date(2026, 3, 15),
                           bands={85: "150.00"}, approved_elsewhere=False)
    assert verdict.reason == "年龄未满85周岁"


@pytest.mark.parametrize(("applied_on", "first_month"), [
    (date(2026, 3, 15), "2026-04"),
    (date(2026, 1, 31), "2026-02"),
    (date(2026, 12, 1), "2027-01"),
])
def test_first_month_is_the_month_after_the_application(applied_on, first_month):
    assert rules.first_month(applied_on) == first_month


def test_reference_has_the_provincial_format():
    assert rules.reference(2026, 123) == "SC-GL-2026-00000123"
