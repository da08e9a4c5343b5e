"""A page of cases costs a fixed number of SQL statements, whatever its size (DataLoaders, no N+1)."""

from __future__ import annotations

from datetime import date

from api.applicants import service as applicants
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number
from tests.factories import make_applicant, staff_actor, submit_case
from tests.graphql.helpers import counting_sql, gql, staff_token

PAGE = """
query($first: Int!) {
  cases(first: $first) {
    edges { node {
      item { name }
      applicant { name idNumber members { name } }
      events { seq }
      materials { id }
      availableActions
    } }
  }
}"""
async def _cases_with_households(count: int) -> None:
    worker = staff_actor("village_worker")
    for i in range(count):
        person = await make_applicant()
        async with unit_of_work():
            await applicants.set_household(worker, person.applicant_id, [applicants.MemberInput(
                name="李小红", relation="子女", id_number=make_id_number(birth=date(1995, 1, 1), seq=i))])
        await submit_case(person, "dibao")


async def _statements_for_page(client, token: str, first: int) -> tuple[int, list[str]]:
    with counting_sql() as statements:
        body = await gql(client, PAGE, {"first": first}, token)
    assert "errors" not in body
    return len(body["data"]["cases"]["edges"]), list(statements)


async def test_a_page_of_cases_costs_the_same_statements_whatever_its_size(client):
    await _cases_with_households(60)
    officer = await staff_token(client, "township_officer")  # a role with actions to offer on each case

    size_10, small = await _statements_for_page(client, officer, 10)
    size_50, large = await _statements_for_page(client, officer, 50)

    print(f"\nSQL statements: cases(first: 10) → {len(small)}, cases(first: 50) → {len(large)}")
    assert (size_10, size_50) == (10, 50)
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= 12, "\n".join(large)
