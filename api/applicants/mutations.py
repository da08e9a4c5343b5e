from __future__ import annotations

import dataclasses

import strawberry

from api.applicants import service
from api.applicants.types import Applicant, ApplicantSuccess, HouseholdMemberInput, ProfileInput
from api.graphql.payloads import parse_id, payload, run_mutation

ApplicantPayload = payload("ApplicantPayload", ApplicantSuccess)


def _profile(i: ProfileInput) -> service.ProfileInput:
    return service.ProfileInput(name=i.name, id_number=i.id_number, address=i.address, region_code=i.region_code,
                                phone=i.phone, bank_name=i.bank_name, bank_account=i.bank_account)


@strawberry.type
class ApplicantMutations:
    @strawberry.mutation(description="Creates or updates the signed-in citizen's own real-name profile.")
    async def profile_save(self, info: strawberry.Info, input: ProfileInput) -> ApplicantPayload:
        async def work():
            saved = await service.save_own_profile(info.context.actor, _profile(input))
            # the caller was resolved before this profile existed; it is theirs for the rest of the request
            info.context.actor = dataclasses.replace(info.context.actor, applicant_id=saved.id)
            return ApplicantSuccess(applicant=Applicant.from_model(saved))

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Registers someone's profile on their behalf (village/township staff).")
    async def applicant_register(self, info: strawberry.Info, input: ProfileInput) -> ApplicantPayload:
        async def work():
            return ApplicantSuccess(applicant=Applicant.from_model(
                await service.register(info.context.actor, _profile(input))))

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Updates a profile in the staff member's region.")
    async def applicant_update(self, info: strawberry.Info, id: strawberry.ID, input: ProfileInput) -> ApplicantPayload:
        async def work():
            return ApplicantSuccess(applicant=Applicant.from_model(
                await service.update(info.context.actor, parse_id(id), _profile(input))))

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Replaces the household members of a profile.")
    async def household_set(self, info: strawberry.Info, applicant_id: strawberry.ID,
                            members: list[HouseholdMemberInput]) -> ApplicantPayload:
        async def work():
            rows = [service.MemberInput(name=m.name, relation=m.relation, id_number=m.id_number,
                                        monthly_income=m.monthly_income, health=m.health, disability=m.disability)
                    for m in members]
            await service.set_household(info.context.actor, parse_id(applicant_id), rows)
            return ApplicantSuccess(applicant=Applicant.from_model(
                await service.get_for(info.context.actor, parse_id(applicant_id))))

        return await run_mutation(info.context, work)
