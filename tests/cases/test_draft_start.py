from datetime import timedelta

import pytest

from api.kit import clock
from api.kit.errors import ValidationError
from tests.factories import make_applicant, submit_case


async def test_the_draft_start_is_kept_so_time_to_apply_can_be_measured(db):
    started = clock.now() - timedelta(minutes=7)
    case = await submit_case(await make_applicant(), "dibao", draft_started_at=started)
    assert case.submitted_at - case.draft_started_at >= timedelta(minutes=7)


async def test_a_draft_start_in_the_future_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await submit_case(await make_applicant(), "dibao", draft_started_at=clock.now() + timedelta(hours=1))
    assert e.value.code == "draft_started_at_invalid"
