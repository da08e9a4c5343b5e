from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric
from tortoise import connections

from api.accounts import service as accounts
from api.accounts.sms import MemorySms
from api.applicants import service as applicants
from api.applicants.models import Applicant, HouseholdMember
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from api.kit.idnumber import make_id_number
from tests.factories import CUIPING, OTHER_TOWN, OTHER_VILLAGE, XINQIAO, YANBA, reading_together, staff_actor

PHONE = "13900139000"
MAN = make_id_number(birth=date(1958, 3, 9), seq=123)
WOMAN = make_id_number(birth=date(1962, 11, 30), seq=124)
BAD_DATE_BODY = "51170319601301123"  # month 13
BAD_BIRTH_DATE = BAD_DATE_BODY + ric.calc_check_digit(BAD_DATE_BODY + "0")
BAD_CHECKSUM = MAN[:17] + ("0" if MAN[17] != "0" else "1")
WORKER = staff_actor("village_worker", region=XINQIAO)


def profile(id_number: str = MAN, *, region: str = XINQIAO, phone: str | None = None) -> applicants.ProfileInput:
    return applicants.ProfileInput(name="李四", id_number=id_number, address="新桥村2组", region_code=region,
                                   phone=phone)


async def register(data: applicants.ProfileInput, actor=WORKER) -> Applicant:
    async with unit_of_work():
        return await applicants.register(actor, data)


async def sign_in_with_phone(sms: MemorySms, phone: str) -> accounts.SignInResult:
    async with unit_of_work():
        await accounts.request_code(phone)
    async with unit_of_work():
        return await accounts.sign_in_with_code(phone, sms.last_code(phone))


@pytest.mark.parametrize(("number", "code"), [(BAD_CHECKSUM, "id_number_checksum"), (MAN[:17], "id_number_length"),
                                              (BAD_BIRTH_DATE, "id_number_birth_date")])
async def test_wrong_id_number_is_refused_naming_the_wrong_part_and_nothing_is_written(db, number, code):
    with pytest.raises(ValidationError) as caught:
        await register(profile(number))

    assert (caught.value.code, caught.value.field) == (code, "idNumber")
    assert caught.value.message
    assert await Applicant.all().count() == 0


@pytest.mark.parametrize(("number", "birth", "sex"), [(MAN, date(1958, 3, 9), "male"),
                                                      (WOMAN, date(1962, 11, 30), "female")])
async def test_birth_date_and_sex_come_from_the_id_number(db, number, birth, sex):
    a = await register(profile(number))

    stored = await Applicant.get(id=a.id)
    assert (stored.birth_date, stored.sex) == (birth, sex)


async def test_second_profile_with_the_same_id_number_is_refused(db):
    await register(profile(MAN))

    with pytest.raises(ConflictError) as caught:
        await register(profile(MAN, region=YANBA), actor=staff_actor("township_officer", region=CUIPING))

    assert caught.value.code == "id_number_taken"
    assert await Applicant.all().count() == 1


async def test_stored_row_holds_no_plaintext_id_number(db):
    await register(profile(MAN))

    [row] = await connections.get("default").execute_query_dict("SELECT * FROM applicant")

    assert MAN not in row["id_number_enc"]
    assert row["id_masked"] == f"{MAN[:6]}********{MAN[-4:]}"
    assert not [k for k, v in row.items() if MAN in str(v)]


async def test_proxy_profile_is_claimed_when_the_person_signs_in_with_its_phone(db, sms):
    a = await register(profile(MAN, phone=PHONE))

    result = await sign_in_with_phone(sms, PHONE)

    async with unit_of_work():
        actor = await accounts.resolve_session(result.token)
    assert actor.applicant_id == a.id
    assert (await Applicant.get(id=a.id)).account_id == actor.citizen_id


async def test_two_unclaimed_profiles_with_one_phone_are_left_unclaimed(db, sms):
    first = await register(profile(MAN, phone=PHONE))
    second = await register(profile(WOMAN, phone=PHONE))

    result = await sign_in_with_phone(sms, PHONE)

    async with unit_of_work():
        actor = await accounts.resolve_session(result.token)
    assert actor.applicant_id is None
    assert await Applicant.filter(id__in=[first.id, second.id], account_id=None).count() == 2


async def test_citizen_saves_their_own_profile(db, sms):
    result = await sign_in_with_phone(sms, PHONE)
    async with unit_of_work():
        actor = await accounts.resolve_session(result.token)

    async with unit_of_work():
        saved = await applicants.save_own_profile(actor, profile(MAN))

    stored = await Applicant.get(id=saved.id)
    assert (stored.account_id, stored.phone, stored.birth_date) == (actor.citizen_id, PHONE, date(1958, 3, 9))
    async with unit_of_work():
        assert (await accounts.resolve_session(result.token)).applicant_id == saved.id


async def test_citizen_cannot_save_a_profile_with_someone_elses_id_number(db, sms):
    await register(profile(MAN))
    result = await sign_in_with_phone(sms, PHONE)
    async with unit_of_work():
        actor = await accounts.resolve_session(result.token)

    with pytest.raises(ConflictError) as caught:
        async with unit_of_work():
            await applicants.save_own_profile(actor, profile(MAN))

    assert caught.value.code == "id_number_taken"
    assert await Applicant.filter(account_id=actor.citizen_id).count() == 0


@pytest.mark.parametrize("role", ["analyst", "supervisor", "finance"])
async def test_id_number_is_masked_for_roles_that_do_not_need_it(db, role):
    a = await register(profile(MAN))

    shown = applicants.id_number_for(staff_actor(role), a, a.region_id)

    assert shown == f"{MAN[:6]}********{MAN[-4:]}"


async def test_township_officer_sees_whole_id_number_inside_region(db):
    a = await register(profile(MAN))
    stored = await Applicant.get(id=a.id)

    shown = applicants.id_number_for(staff_actor("township_officer", region=CUIPING), stored, stored.region_id)

    assert shown == MAN


async def test_township_officer_sees_masked_id_number_outside_region(db):
    a = await register(profile(MAN))
    stored = await Applicant.get(id=a.id)

    shown = applicants.id_number_for(staff_actor("township_officer", region=OTHER_TOWN), stored, stored.region_id)

    assert shown == f"{MAN[:6]}********{MAN[-4:]}"


def member(id_number: str, relation: str = "配偶", name: str = "王芳") -> applicants.MemberInput:
    return applicants.MemberInput(name=name, relation=relation, id_number=id_number, monthly_income="300")


async def set_household(applicant_id: int, members: list[applicants.MemberInput]):
    async with unit_of_work():
        return await applicants.set_household(WORKER, applicant_id, members)


async def test_household_members_are_set_and_then_replaced(db):
    a = await register(profile(MAN))
    child = make_id_number(birth=date(1990, 1, 2), seq=131)
    await set_household(a.id, [member(WOMAN), member(child, "子女", "李小明")])

    await set_household(a.id, [member(child, "子女", "李小明")])

    rows = await HouseholdMember.filter(applicant_id=a.id)
    assert [(r.name, r.relation, r.birth_date, r.sex) for r in rows] == [("李小明", "子女", date(1990, 1, 2), "male")]


async def test_household_member_with_unknown_relation_is_refused(db):
    a = await register(profile(MAN))

    with pytest.raises(ValidationError) as caught:
        await set_household(a.id, [member(WOMAN, relation="朋友")])

    assert (caught.value.code, caught.value.field) == ("relation_invalid", "members[0].relation")
    assert await HouseholdMember.all().count() == 0


@pytest.mark.parametrize("twice", [WOMAN, MAN], ids=["listed_twice", "applicant_themself"])
async def test_duplicate_household_member_is_refused(db, twice):
    a = await register(profile(MAN))
    await set_household(a.id, [member(make_id_number(birth=date(1990, 1, 2), seq=131), "子女", "李小明")])

    with pytest.raises(ValidationError) as caught:
        await set_household(a.id, [member(WOMAN), member(twice, "其他", "李五")])

    assert (caught.value.code, caught.value.field) == ("member_duplicate", "members[1].idNumber")
    assert [m.name for m in await HouseholdMember.filter(applicant_id=a.id)] == ["李小明"]


@pytest.mark.parametrize("region", [YANBA, OTHER_VILLAGE])
async def test_village_worker_cannot_register_in_another_village(db, region):
    with pytest.raises(NotAllowedError) as caught:
        await register(profile(MAN, region=region))

    assert caught.value.code == "outside_region"
    assert await Applicant.all().count() == 0



async def test_own_profile_saved_twice_at_once_is_saved_once_without_an_error(db, sms, monkeypatch):
    """A double-tapped 保存 on a first profile: both taps succeed, with one profile (the second used to be
    refused as a conflict, 数据已被他人修改或重复提交)."""
    import asyncio

    from api.applicants import repository

    result = await sign_in_with_phone(sms, PHONE)
    async with unit_of_work():
        actor = await accounts.resolve_session(result.token)
    reading_together(monkeypatch, repository, "by_account", 2)  # both taps read before either writes

    async def save() -> Applicant:
        async with unit_of_work():
            return await applicants.save_own_profile(actor, profile(MAN))

    results = await asyncio.gather(save(), save(), return_exceptions=True)

    assert ([type(r).__name__ for r in results], await Applicant.filter(account_id=actor.citizen_id).count()) == (
        ["Applicant", "Applicant"], 1)
