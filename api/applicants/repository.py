"""Every query of the applicants domain."""

from __future__ import annotations

from api.applicants.models import Applicant, HouseholdMember


async def get(applicant_id: int) -> Applicant | None:
    return await Applicant.get_or_none(id=applicant_id)


async def get_many(ids: list[int]) -> list[Applicant]:
    return await Applicant.filter(id__in=ids)


async def by_id_hash(id_hash: str) -> Applicant | None:
    return await Applicant.get_or_none(id_number_hash=id_hash)


async def lock_account(citizen_id: int) -> None:
    """Holds the citizen's account row until the transaction ends, so their profile saves run one at a time."""
    from api.accounts.models import CitizenAccount

    await CitizenAccount.filter(id=citizen_id).select_for_update().first()


async def by_account(citizen_id: int) -> Applicant | None:
    return await Applicant.get_or_none(account_id=citizen_id)


async def profile_id_of(citizen_id: int) -> int | None:
    ids = await Applicant.filter(account_id=citizen_id).values_list("id", flat=True)
    return ids[0] if ids else None


async def unclaimed_with_phone(phone: str) -> list[Applicant]:
    return await Applicant.filter(phone=phone, account_id=None).limit(2)


async def add(**values) -> Applicant:
    return await Applicant.create(**values)


async def members_of(applicant_id: int) -> list[HouseholdMember]:
    return await HouseholdMember.filter(applicant_id=applicant_id).order_by("id")


async def members_of_many(ids: list[int]) -> list[HouseholdMember]:
    return await HouseholdMember.filter(applicant_id__in=ids).order_by("id")


async def replace_members(applicant_id: int, rows: list[dict]) -> None:
    await HouseholdMember.filter(applicant_id=applicant_id).delete()
    for row in rows:
        await HouseholdMember.create(applicant_id=applicant_id, **row)


async def search(region_prefix: str, query: str | None, id_hash: str | None, limit: int, offset: int) -> list[Applicant]:
    qs = Applicant.filter(region_id__startswith=region_prefix)
    if id_hash:
        qs = qs.filter(id_number_hash=id_hash)
    elif query:
        qs = qs.filter(name__contains=query)
    return await qs.order_by("-id").offset(offset).limit(limit)
