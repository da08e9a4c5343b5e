from datetime import timedelta

import pytest

from api.kit import clock
from tests.factories import make_applicant, submit_case


async def test_the_draft_start_is_kept_so_time_to_apply_can_be_measured(db):
    started = clock.now() - timedelta(minutes=7)
    case = await submit_case(await make_applicant(), "dibao", draft_started_at=started)
    assert case.submitted_at - case.draft_started_at >= timedelta(minutes=7)


@pytest.mark.parametrize("offset", [timedelta(hours=1), -timedelta(days=91)])
async def test_a_phone_clock_that_is_wrong_does_not_stop_the_application(db, offset):
    case = await submit_case(await make_applicant(), "dibao", draft_started_at=clock.now() + offset)
    assert (case.status, case.draft_started_at) == ("submitted", None)


async def test_a_start_slightly_ahead_of_the_server_counts_as_now(db):
    case = await submit_case(await make_applicant(), "dibao", draft_started_at=clock.now() + timedelta(minutes=2))
    assert case.draft_started_at == case.submitted_at
