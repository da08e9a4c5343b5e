"""The synthetic data generator (api/demo/generate.py): realistic coverage, valid timelines, facts written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise import connections

from api.demo.generate import generate


async def _one(sql: str) -> dict:
    return (await connections.get("default").execute_query_dict(sql))[0]


@pytest.fixture
async def generated(db):
    return await generate(3000, seed=3, months=24, batch_size=1000, now=datetime(2026, 11, 1, tzinfo=UTC),
                          progress=None)


async def test_generator_reports_what_it_wrote(generated):
    counted = await _one("SELECT (SELECT COUNT(*) FROM aid_case) AS cases, (SELECT COUNT(*) FROM case_event) AS events,"
                         " (SELECT COUNT(*) FROM satisfaction) AS surveys")

    assert (generated["cases"], generated["events"], generated["surveys"]) == (
        counted["cases"], counted["events"], counted["surveys"])


async def test_generator_covers_every_item_township_and_channel(generated):
    found = await _one("SELECT COUNT(DISTINCT item_id) AS items, COUNT(DISTINCT substr(region_id, 1, 9)) AS towns,"
                       " COUNT(DISTINCT channel) AS channels FROM aid_case")

    assert (found["items"], found["towns"], found["channels"]) == (10, 22, 3)


async def test_generated_applicants_are_mostly_old(generated):
    found = await _one("SELECT AVG(CASE WHEN f.age >= 60 THEN 1.0 ELSE 0.0 END) AS old,"
                       " AVG(CASE WHEN f.age >= 80 THEN 1.0 ELSE 0.0 END) AS very_old FROM case_fact f")

    assert (float(found["old"]) > 0.5, float(found["very_old"]) > 0.15) == (True, True)


async def test_generated_events_are_numbered_without_gaps(generated):
    found = await _one("SELECT COUNT(*) AS wrong FROM aid_case c JOIN (SELECT case_id, COUNT(*) AS n, MAX(seq) AS top,"
                       " MIN(seq) AS bottom FROM case_event GROUP BY case_id) e ON e.case_id = c.id"
                       " WHERE e.n <> c.last_seq OR e.top <> c.last_seq OR e.bottom <> 1")

    assert found["wrong"] == 0


async def test_generated_data_has_open_overdue_cases_province_failures_and_payments(generated):
    found = await _one(
        "SELECT (SELECT COUNT(*) FROM aid_case WHERE clock_flag = 'overdue') AS overdue,"
        " (SELECT COUNT(*) FROM province_sync WHERE attempts > 0) AS failed,"
        " (SELECT COUNT(*) FROM province_sync WHERE state = 'decided') AS decided,"
        " (SELECT COUNT(*) FROM aid_case WHERE status IN ('paying', 'closed') AND amount IS NOT NULL) AS paid")

    assert [found[k] > 0 for k in ("overdue", "failed", "decided", "paid")] == [True] * 4


async def test_generated_cases_have_their_statistics_facts(generated):
    found = await _one("SELECT (SELECT COUNT(*) FROM aid_case) AS cases, (SELECT COUNT(*) FROM case_fact) AS facts")

    assert found["facts"] == found["cases"]


async def test_generated_id_number_blind_indexes_are_unique(generated):
    found = await _one("SELECT COUNT(*) AS n, COUNT(DISTINCT id_number_hash) AS distinct_hashes FROM applicant")

    assert found["n"] == found["distinct_hashes"]
