"""Real-name applicant profiles and households; ID and bank numbers encrypted, shown by role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from api.applicants import repository
from api.applicants.models import Applicant, HouseholdMember
from api.audit import service as audit
from api.kit.actors import ROLES_SEEING_FULL_BANK, ROLES_SEEING_FULL_ID, Actor
from api.kit.crypto import get_cipher
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError
from api.kit.idnumber import mask_id_number, parse_id_number
from api.kit.phones import normalize_phone
from api.regions import service as regions

ID_CONTEXT = "id_number"
BANK_CONTEXT = "bank_account"
RELATIONS = ("配偶", "子女", "父母", "祖父母", "外祖父母", "孙子女", "兄弟姐妹", "儿媳", "女婿", "其他")
# Staff roles that work with applicants' personal data (inside their region).
ROLES_READING_APPLICANTS = frozenset(
    {"village_worker", "township_officer", "verifier", "approver", "finance", "supervisor", "admin"}
)
ROLES_REGISTERING = frozenset({"village_worker", "township_officer"})
_NAME = re.compile(r"^[\u4e00-\u9fa5A-Za-z·•. ]{2,30}$")


@dataclass
class ProfileInput:
    name: str
    id_number: str
    address: str
    region_code: str
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


@dataclass
class MemberInput:
    name: str
    relation: str
    id_number: str
    monthly_income: str | float | Decimal | None = 0
    health: str = ""
    disability: str = ""


def id_hash(number: str) -> str:
    """Returns the blind index of an ID number."""
    return get_cipher().blind_index(number, context=ID_CONTEXT)


def mask_bank(account: str) -> str:
    """Returns 6217 **** **** 1234."""
    return f"{account[:4]} **** **** {account[-4:]}"


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写姓名", code="name_empty", field=field)
    if not _NAME.match(name):
        raise ValidationError("姓名应为2到30个汉字或字母", code="name_invalid", field=field)
    return name


def _clean_bank(bank_name: str | None, account: str | None) -> tuple[str | None, str | None]:
    account = re.sub(r"\s", "", account or "")
    bank_name = (bank_name or "").strip() or None
    if bank_name is not None and len(bank_name) > 64:
        raise ValidationError("开户银行名称不能超过64个字", code="bank_name_too_long", field="bankName")
    if not account:
        return bank_name, None
    if not account.isdigit() or not 12 <= len(account) <= 30:
        raise ValidationError("银行卡号应为12到30位数字", code="bank_account_invalid", field="bankAccount")
    if bank_name is None:
        raise ValidationError("请填写开户银行", code="bank_name_empty", field="bankName")
    return bank_name, account


async def _clean_profile(data: ProfileInput) -> dict:
    name = _clean_name(data.name)
    info = parse_id_number(data.id_number, today=date.today())
    address = (data.address or "").strip()
    if not address:
        raise ValidationError("请填写现居住地址", code="address_empty", field="address")
    if len(address) > 200:
        raise ValidationError("地址不能超过200个字", code="address_too_long", field="address")
    region = await regions.get((data.region_code or "").strip())
    if region.level != "village":
        raise ValidationError("户籍所在地请选择到村(社区)", code="region_not_village", field="regionCode")
    phone = normalize_phone(data.phone) if data.phone else None
    bank_name, bank_account = _clean_bank(data.bank_name, data.bank_account)
    cipher = get_cipher()
    values = {
        "name": name, "id_number_enc": cipher.encrypt(info.number, context=ID_CONTEXT),
        "id_number_hash": id_hash(info.number), "id_masked": mask_id_number(info.number),
        "birth_date": info.birth_date, "sex": info.sex, "address": address, "region_id": region.code,
        "phone": phone, "bank_name": bank_name,
    }
    if bank_account:
        values["bank_account_enc"] = cipher.encrypt(bank_account, context=BANK_CONTEXT)
        values["bank_masked"] = mask_bank(bank_account)
    return values


async def claim_profile_for(citizen_id: int, phone: str, *, new_account: bool = False) -> int | None:
    """Links the one unclaimed profile registered with this phone to the citizen who just signed in, unless
    they have their own already; returns the id of their own profile afterwards, if any (`new_account`: the
    account was made just now, so it has none yet)."""
    if not new_account:
        own = await repository.profile_id_of(citizen_id)
        if own is not None:
            return own
    candidates = await repository.unclaimed_with_phone(phone)
    # two unclaimed profiles share this phone (a relative's number): leave both for staff to sort out
    if len(candidates) == 1:
        candidates[0].account_id = citizen_id
        await candidates[0].save(update_fields=["account_id"])
        return candidates[0].id
    return None


async def profile_id_of(citizen_id: int) -> int | None:
    """Returns the id of the citizen's own profile, if they have one."""
    return await repository.profile_id_of(citizen_id)


async def save_own_profile(actor: Actor, data: ProfileInput) -> Applicant:
    """Creates or updates the signed-in citizen's own real-name profile."""
    if not actor.is_applicant or actor.citizen_id is None:
        raise NotAllowedError("请先用手机号登录", code="applicant_only")
    data.phone = actor.phone
    values = await _clean_profile(data)
    # a second save (a double tap) waits for the first to commit and then updates the profile it made
    await repository.lock_account(actor.citizen_id)
    own = await repository.by_account(actor.citizen_id)
    same_person = await repository.by_id_hash(values["id_number_hash"])
    if own is None:
        if same_person is not None:
            if same_person.account_id is None and same_person.phone == actor.phone:
                own = same_person
            else:
                raise ConflictError("该身份证号码已登记在其他账号下，请联系村(社区)工作人员核实",
                                    code="id_number_taken", field="idNumber")
        else:
            return await repository.add(account_id=actor.citizen_id, **values)
    elif own.id_number_hash != values["id_number_hash"]:
        raise ConflictError("身份证号码登记后不能自行修改，请联系村(社区)工作人员", code="id_number_locked",
                            field="idNumber")
    for k, v in values.items():
        setattr(own, k, v)
    own.account_id = actor.citizen_id
    await own.save()
    return own


def _require_registrar(actor: Actor, region_code: str) -> None:
    if actor.role not in ROLES_REGISTERING:
        raise NotAllowedError("只有村(社区)协理员和乡镇(街道)经办人可以登记申请人", code="role_not_allowed")
    if not actor.covers(region_code):
        raise NotAllowedError("只能登记本辖区的申请人", code="outside_region", field="regionCode")


async def register(actor: Actor, data: ProfileInput) -> Applicant:
    """Registers a profile for someone (often without a phone) on their behalf."""
    values = await _clean_profile(data)
    _require_registrar(actor, values["region_id"])
    existing = await repository.by_id_hash(values["id_number_hash"])
    if existing is not None:
        raise ConflictError(f"该身份证号码已登记（申请人：{existing.name[0]}**）", code="id_number_taken",
                            field="idNumber")
    return await repository.add(registered_by_id=actor.staff_id, **values)


async def update(actor: Actor, applicant_id: int, data: ProfileInput) -> Applicant:
    """Updates a profile inside the staff member's region (the ID number itself stays)."""
    applicant = await get_for(actor, applicant_id)
    values = await _clean_profile(data)
    _require_registrar(actor, applicant.region_id)
    _require_registrar(actor, values["region_id"])
    if values["id_number_hash"] != applicant.id_number_hash:
        raise ConflictError("身份证号码不能修改；如登记有误，请注销后重新登记", code="id_number_locked",
                            field="idNumber")
    for k, v in values.items():
        setattr(applicant, k, v)
    await applicant.save()
    return applicant


def can_read(actor: Actor, applicant: Applicant) -> bool:
    """Tells whether the caller may see this person's profile."""
    if actor.is_applicant:
        return actor.applicant_id == applicant.id
    return actor.is_staff and actor.role in ROLES_READING_APPLICANTS and actor.covers(applicant.region_id)


async def get_for(actor: Actor, applicant_id: int) -> Applicant:
    """Returns a profile the caller may read, or NotFound (never revealing that it exists)."""
    applicant = await repository.get(applicant_id)
    if applicant is None or not can_read(actor, applicant):
        raise NotFoundError("申请人不存在或无权查看", code="applicant_not_found", field="applicantId")
    return applicant


async def own_profile(actor: Actor) -> Applicant | None:
    """Returns the signed-in citizen's profile, if any."""
    if not actor.is_applicant:
        return None
    if actor.applicant_id is not None:
        return await repository.get(actor.applicant_id)
    if actor.citizen_id is None:
        return None
    return await repository.by_account(actor.citizen_id)


async def search(actor: Actor, *, query: str | None, first: int, offset: int) -> list[Applicant]:
    """Finds profiles in the staff member's region by name or whole ID number."""
    if not actor.is_staff or actor.role not in ROLES_READING_APPLICANTS:
        raise NotAllowedError("无权查询申请人", code="role_not_allowed")
    query = (query or "").strip()
    hash_ = None
    if len(query) == 18 and query[:17].isdigit():
        hash_ = id_hash(parse_id_number(query).number)
    return await repository.search(actor.region_code or "", query or None, hash_, first, offset)


def id_number_for(actor: Actor, person: Applicant | HouseholdMember, region_code: str) -> str:
    """Returns the whole ID number to those who need it, the masked form to everyone else."""
    owner_id = getattr(person, "applicant_id", getattr(person, "id", None))
    own = actor.is_applicant and actor.applicant_id == owner_id
    if own or (actor.role in ROLES_SEEING_FULL_ID and actor.covers(region_code)):
        if not own:
            audit.note(actor, "id_number_read", applicant_id=owner_id,
                       field="householdMember.idNumber" if isinstance(person, HouseholdMember) else "applicant.idNumber",
                       detail=f"householdMember:{person.id}" if isinstance(person, HouseholdMember) else None)
        return get_cipher().decrypt(person.id_number_enc, context=ID_CONTEXT)
    return person.id_masked


def bank_account_for(actor: Actor, applicant: Applicant) -> str | None:
    """Returns the whole bank account to the owner and to finance/approval staff, else masked."""
    if applicant.bank_account_enc is None:
        return None
    own = actor.is_applicant and actor.applicant_id == applicant.id
    if own or (actor.role in ROLES_SEEING_FULL_BANK and actor.covers(applicant.region_id)):
        if not own:
            audit.note(actor, "bank_account_read", applicant_id=applicant.id, field="applicant.bankAccount")
        return get_cipher().decrypt(applicant.bank_account_enc, context=BANK_CONTEXT)
    return applicant.bank_masked


def full_bank_account(applicant: Applicant) -> str | None:
    """Returns the plaintext bank account, for the service's own use (the provincial push)."""
    if applicant.bank_account_enc is None:
        return None
    return get_cipher().decrypt(applicant.bank_account_enc, context=BANK_CONTEXT)


def full_id_number(applicant: Applicant) -> str:
    """Returns the plaintext ID number, for the service's own use (never straight to a client)."""
    return get_cipher().decrypt(applicant.id_number_enc, context=ID_CONTEXT)


async def set_household(actor: Actor, applicant_id: int, members: list[MemberInput]) -> list[HouseholdMember]:
    """Replaces the household members of a profile; the applicant or a registrar in region may do it."""
    applicant = await get_for(actor, applicant_id)
    if not (actor.is_applicant or actor.role in ROLES_REGISTERING):
        raise NotAllowedError("无权修改家庭成员", code="role_not_allowed")
    if len(members) > 20:
        raise ValidationError("家庭成员最多20人", code="household_too_large", field="members")
    rows, seen = [], set()
    cipher = get_cipher()
    for i, m in enumerate(members):
        field = f"members[{i}]"
        name = _clean_name(m.name, field=f"{field}.name")
        if m.relation not in RELATIONS:
            raise ValidationError(f"第{i + 1}位成员的关系无效，应为：{'、'.join(RELATIONS)}", code="relation_invalid",
                                  field=f"{field}.relation")
        try:
            info = parse_id_number(m.id_number)
        except ValidationError as e:
            raise ValidationError(f"第{i + 1}位成员：{e.message}", code=e.code, field=f"{field}.idNumber") from None
        h = id_hash(info.number)
        if h == applicant.id_number_hash or h in seen:
            raise ValidationError(f"第{i + 1}位成员的身份证号码重复", code="member_duplicate",
                                  field=f"{field}.idNumber")
        seen.add(h)
        try:
            income = Decimal(str(m.monthly_income if m.monthly_income not in (None, "") else 0))
        except InvalidOperation:
            income = Decimal(-1)
        if income < 0 or income > Decimal("1000000"):
            raise ValidationError(f"第{i + 1}位成员的月收入应为0到1000000之间的数字", code="income_invalid",
                                  field=f"{field}.monthlyIncome")
        rows.append({"name": name, "relation": m.relation, "id_number_enc": cipher.encrypt(info.number,
                     context=ID_CONTEXT), "id_number_hash": h, "id_masked": mask_id_number(info.number),
                     "birth_date": info.birth_date, "sex": info.sex, "monthly_income": income.quantize(Decimal("0.01")),
                     "health": (m.health or "")[:64], "disability": (m.disability or "")[:64]})
    await repository.replace_members(applicant.id, rows)
    return await repository.members_of(applicant.id)


async def members(applicant_id: int) -> list[HouseholdMember]:
    """Returns a profile's household members."""
    return await repository.members_of(applicant_id)
