from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from api.applicants import service
from api.applicants.models import Applicant as ApplicantModel
from api.applicants.models import HouseholdMember as MemberModel
from api.kit.phones import mask_phone
from api.regions.types import Region


def _masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


@strawberry.type(description="Someone who shares the applicant's household.")
class HouseholdMember:
    _model: strawberry.Private[MemberModel]
    _region: strawberry.Private[str]
    id: strawberry.ID
    relation: str
    birth_date: datetime.date
    sex: str
    monthly_income: Decimal
    health: str
    disability: str

    @strawberry.field
    def name(self, info: strawberry.Info) -> str:
        return _masked_name(self._model.name) if info.context.actor.role == "analyst" else self._model.name

    @strawberry.field(description="Whole for those who need it, masked (511703********1234) for others.")
    def id_number(self, info: strawberry.Info) -> str:
        return service.id_number_for(info.context.actor, self._model, self._region)

    @classmethod
    def from_model(cls, m: MemberModel, region_code: str) -> HouseholdMember:
        return cls(_model=m, _region=region_code, id=strawberry.ID(str(m.id)), relation=m.relation,
                   birth_date=m.birth_date, sex=m.sex, monthly_income=m.monthly_income, health=m.health,
                   disability=m.disability)


@strawberry.type(description="A real-name applicant; personal fields are shown according to the caller's role.")
class Applicant:
    _model: strawberry.Private[ApplicantModel]
    id: strawberry.ID
    birth_date: datetime.date
    sex: str
    region_code: str
    claimed: bool = strawberry.field(description="Whether the person signs in with their own phone.")

    @strawberry.field
    def name(self, info: strawberry.Info) -> str:
        return _masked_name(self._model.name) if info.context.actor.role == "analyst" else self._model.name

    @strawberry.field(description="Whole for the person and for staff who need it; masked for everyone else.")
    def id_number(self, info: strawberry.Info) -> str:
        return service.id_number_for(info.context.actor, self._model, self._model.region_id)

    @strawberry.field
    def phone(self, info: strawberry.Info) -> str | None:
        return mask_phone(self._model.phone) if info.context.actor.role == "analyst" else self._model.phone

    @strawberry.field
    def address(self, info: strawberry.Info) -> str:
        return "" if info.context.actor.role == "analyst" else self._model.address

    @strawberry.field
    def bank_name(self) -> str | None:
        return self._model.bank_name

    @strawberry.field(description="Whole for the person, finance and approvers; masked for everyone else.")
    def bank_account(self, info: strawberry.Info) -> str | None:
        return service.bank_account_for(info.context.actor, self._model)

    @strawberry.field
    async def region(self, info: strawberry.Info) -> Region | None:
        r = await info.context.loaders.region.load(self._model.region_id)
        return Region.from_model(r) if r else None

    @strawberry.field
    async def members(self, info: strawberry.Info) -> list[HouseholdMember]:
        rows = await info.context.loaders.members.load(self._model.id)
        return [HouseholdMember.from_model(m, self._model.region_id) for m in rows]

    @classmethod
    def from_model(cls, m: ApplicantModel) -> Applicant:
        return cls(_model=m, id=strawberry.ID(str(m.id)), birth_date=m.birth_date, sex=m.sex,
                   region_code=m.region_id, claimed=m.account_id is not None)


@strawberry.input(description="A real-name profile.")
class ProfileInput:
    name: str
    id_number: str
    address: str
    region_code: str = strawberry.field(description="The household-registration village or community.")
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


@strawberry.input
class HouseholdMemberInput:
    name: str
    relation: str
    id_number: str
    monthly_income: Decimal = Decimal(0)
    health: str = ""
    disability: str = ""


@strawberry.type
class ApplicantSuccess:
    applicant: Applicant
