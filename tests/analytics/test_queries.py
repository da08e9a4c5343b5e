"""Statistics through GraphQL: typed errors with codes, and no personal data in any answer an analyst gets."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from tortoise import connections

from api.demo.generate import generate
from tests.graphql.helpers import gql, staff_token

RANGE = {"from": "2025-11-01", "to": "2026-10-31"}
CELL = "keys { dimension code name } count display suppressed"
NUMBER = "value display suppressed"
COUNT = "count display suppressed"
TIMES = f"{CELL} stage label medianWorkingDays {{ {NUMBER} }} p90WorkingDays {{ {NUMBER} }} medianHours {{ {NUMBER} }}" \
        f" p90Hours {{ {NUMBER} }} overLimitShare {{ {NUMBER} }} overWarningShare {{ {NUMBER} }}"
SATISFACTION = f"{CELL} ratings {{ {COUNT} }} averageRating {{ {NUMBER} }} averageEase {{ {NUMBER} }}"
COUNTS = f"query($r: StatsRangeInput!, $g: [String!]!, $f: [StatsFilterInput!]) {{ statsCaseCounts(range: $r, groupBy: $g, filters: $f) {{ groupBy cells {{ {CELL} }} total {{ {COUNT} }} }} }}"
DIMENSIONS = ["item", "status", "township", "village", "channel", "month", "ageBand"]
QUERIES = {
    "funnel": f"query($r: StatsRangeInput!) {{ statsFunnel(range: $r) {{ steps {{ step label {COUNT} }} dropOuts {{ step label {COUNT} }} }} }}",
    "times": f"query($r: StatsRangeInput!, $g: [String!]) {{ statsProcessingTimes(range: $r, groupBy: $g) {{ {TIMES} }} }}",
    "clocks": f"query($r: StatsRangeInput!, $g: [String!]) {{ statsClockRates(range: $r, groupBy: $g) {{ {CELL} warning {{ {COUNT} }} overdue {{ {COUNT} }} warningShare {{ {NUMBER} }} overdueShare {{ {NUMBER} }} }} }}",
    "apply": f"query($r: StatsRangeInput!, $g: [String!]) {{ statsTimeToApply(range: $r, groupBy: $g) {{ {CELL} medianMinutes {{ {NUMBER} }} p90Minutes {{ {NUMBER} }} }} }}",
    "satisfaction": f"query($r: StatsRangeInput!, $g: [String!]) {{ statsSatisfaction(range: $r, groupBy: $g) {{ {SATISFACTION} }} }}",
    "reach": f"query($r: StatsRangeInput!, $g: [String!]) {{ statsElderReach(range: $r, groupBy: $g) {{ {CELL} byProxy {{ {COUNT} }} byProxyShare {{ {NUMBER} }} }} }}",
}
PROVINCE = f"query($r: StatsRangeInput!) {{ statsProvinceSync(range: $r) {{ day {COUNT} decided {{ {COUNT} }} medianMinutes {{ {NUMBER} }} failed {{ {COUNT} }} failedAttempts {{ {COUNT} }} deadLetters {{ {COUNT} }} }} }}"
REPORT = (f"query($r: StatsRangeInput!) {{ statsReviewReport(range: $r, commentsPerTownship: 500) {{ from to total {{ {COUNT} }}"
          f" channelMix {{ {CELL} share {{ {NUMBER} }} }} timeToApply {{ {CELL} medianMinutes {{ {NUMBER} }} }}"
          f" timeToDecide {{ {TIMES} }} overdue {{ {TIMES} }} satisfaction {{ {SATISFACTION} }}"
          f" comments {{ {CELL} comments }} }} }}")
ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def figures(node) -> list[dict]:
    """Returns every object in a response that carries a count (cells, counts) — suppressed or not."""
    found = [node] if isinstance(node, dict) and "count" in node and "suppressed" in node else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return found + [f for child in children for f in figures(child)]


def visible_counts(bodies: list[dict]) -> list[int]:
    return [f["count"] for body in bodies for f in figures(body) if not f["suppressed"]]


def errors_of(bodies: list[dict]) -> list:
    return [b["errors"] for b in bodies if "errors" in b]


def names_in(text: str, names: set[str]) -> list[str]:
    return sorted(name for name in names if name in text)


@pytest.fixture
async def generated(db):
    """A few thousand synthetic cases over a year: many small cells, comments with phones, ID numbers and names."""
    await generate(2500, seed=11, months=12, batch_size=500, now=datetime(2026, 11, 1, tzinfo=UTC), progress=None)
    rows = await connections.get("default").execute_query_dict("SELECT name, phone FROM applicant")
    return {"names": {r["name"] for r in rows}}


async def _every_answer(client, token) -> list[dict]:
    """Asks every statistic an analyst can ask, with every grouping by one and by two dimensions."""
    bodies = []
    for i, first in enumerate(DIMENSIONS):
        bodies.append(await gql(client, COUNTS, {"r": RANGE, "g": [first]}, token))
        for second in DIMENSIONS[i + 1:]:
            bodies.append(await gql(client, COUNTS, {"r": RANGE, "g": [first, second]}, token))
    for query in QUERIES.values():
        for group in (None, *[[d] for d in DIMENSIONS]):
            bodies.append(await gql(client, query, {"r": RANGE, "g": group}, token))
    bodies.append(await gql(client, PROVINCE, {"r": RANGE}, token))
    bodies.append(await gql(client, REPORT, {"r": RANGE}, token))
    return bodies


async def test_no_analyst_answer_carries_personal_data_or_a_cell_under_five(client, generated):
    token = await staff_token(client, "analyst")

    bodies = await _every_answer(client, token)

    text = json.dumps(bodies, ensure_ascii=False)
    shown = visible_counts(bodies)
    assert errors_of(bodies) == []
    assert (ID_LIKE.findall(text), PHONE_LIKE.findall(text)) == ([], [])
    assert names_in(text, generated["names"]) == []
    assert min(shown) >= 5
    assert (len(shown) > 100, "<5" in text) == (True, True)  # the answers were not empty, and small cells occurred


async def test_generated_comments_carry_numbers_that_the_report_removes(client, generated):
    rows = await connections.get("default").execute_query_dict("SELECT comment FROM satisfaction")
    raw = " ".join(r["comment"] for r in rows)
    token = await staff_token(client, "analyst")

    body = await gql(client, REPORT, {"r": RANGE}, token)

    assert (bool(PHONE_LIKE.search(raw)), bool(ID_LIKE.search(raw))) == (True, True)
    assert "[已隐去]" in json.dumps(body["data"], ensure_ascii=False)


@pytest.mark.parametrize("variables, code", [
    ({"r": RANGE, "g": ["colour"]}, "group_by_unknown"),
    ({"r": RANGE, "g": ["idNumber"]}, "personal_field"),
    ({"r": RANGE, "g": [], "f": [{"field": "name", "values": ["张三"]}]}, "personal_field"),
    ({"r": RANGE, "g": [], "f": [{"field": "weather", "values": ["rain"]}]}, "filter_unknown"),
    ({"r": {"from": "2026-05-01", "to": "2026-04-01"}, "g": []}, "range_backwards"),
    ({"r": {"from": "2020-01-01", "to": "2026-04-01"}, "g": []}, "range_too_long"),
])
async def test_bad_questions_come_back_as_errors_with_codes(client, variables, code):
    token = await staff_token(client, "analyst")

    body = await gql(client, COUNTS, variables, token)

    assert body["data"] is None
    assert [(e["extensions"]["code"], bool(re.search(r"[\u4e00-\u9fff]", e["message"]))) for e in body["errors"]] == [
        (code, True)]


async def test_a_village_worker_cannot_read_statistics(client):
    token = await staff_token(client, "village_worker")

    body = await gql(client, COUNTS, {"r": RANGE, "g": ["channel"]}, token)

    assert [e["extensions"]["code"] for e in body["errors"]] == ["role_not_allowed"]


async def test_statistics_need_a_signed_in_caller(client):
    body = await gql(client, COUNTS, {"r": RANGE, "g": ["channel"]})

    assert [e["extensions"]["code"] for e in body["errors"]] == ["unauthenticated"]


async def test_an_analyst_reads_case_counts_through_graphql(client):
    from tests.analytics.builders import case

    for _ in range(6):
        await case(channel="proxy")
    token = await staff_token(client, "analyst")

    body = await gql(client, COUNTS, {"r": {"from": "2026-01-01", "to": "2026-12-31"}, "g": ["channel"]}, token)

    assert body["data"]["statsCaseCounts"]["cells"] == [{
        "keys": [{"dimension": "channel", "code": "proxy", "name": "帮办代办"}], "count": 6, "display": "6",
        "suppressed": False}]
