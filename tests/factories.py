"""Factories: valid objects with one call."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from datetime import date, timedelta

from api.accounts import service as accounts
from api.applicants import service as applicants
from api.cases import service as cases
from api.kit import clock
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number

XINQIAO = "511703002006"
YANBA = "511703002007"
CUIPING = "511703002"
OTHER_TOWN = "511703007"
OTHER_VILLAGE = "511703007001"
DISTRICT = "511703"
ROLE_REGION = {
    "village_worker": XINQIAO, "township_officer": CUIPING, "verifier": DISTRICT, "approver": DISTRICT,
    "finance": DISTRICT, "supervisor": DISTRICT, "analyst": DISTRICT, "admin": DISTRICT,
}
_seq = itertools.count(1)
ADMIN = Actor(kind="staff", role="admin", name="管理员", staff_id=None, region_code=DISTRICT)


def staff_actor(role: str, region: str | None = None, name: str | None = None, staff_id: int | None = None) -> Actor:
    """Returns an in-memory staff caller (no account row) for service tests."""
    return Actor(kind="staff", role=role, name=name or f"{role}-{next(_seq)}", staff_id=staff_id,
                 region_code=region or ROLE_REGION[role])


async def make_staff(role: str, region: str | None = None, password: str = "Passw0rd!x", *,
                     must_change: bool = False) -> tuple[int, str]:
    """Creates a staff account; returns (id, username)."""
    async with unit_of_work():
        staff, _ = await accounts.create_staff(ADMIN, username=f"{role}{next(_seq)}", display_name=f"{role}测试",
                                               role=role, region_code=region or ROLE_REGION[role], password=password)
        staff.must_change_password = must_change
        await staff.save()
    return staff.id, staff.username


async def make_applicant(*, region: str = XINQIAO, phone: str | None = None, birth: date = date(1960, 5, 1),
                         name: str = "张三", bank: str | None = "6217995555000011222") -> Actor:
    """Registers a profile (as a village worker) and returns an applicant caller for it."""
    n = next(_seq)
    worker = staff_actor("village_worker", region=region if len(region) == 12 else XINQIAO)
    async with unit_of_work():
        a = await applicants.register(worker, applicants.ProfileInput(
            name=name, id_number=make_id_number(birth=birth, seq=n % 1000), address="新桥村1组", region_code=region,
            phone=phone, bank_name="四川农信" if bank else None, bank_account=bank))
    return Actor(kind="applicant", role="applicant", name=name, applicant_id=a.id, phone=phone)


def key() -> str:
    return uuid.uuid4().hex


async def upload(actor: Actor, kind: str = "id_card", data: bytes | None = None):
    from api.materials import service as materials

    async with unit_of_work():
        return await materials.upload(actor, data=data or tiny_png(), kind=kind, filename="x.png")


def tiny_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


async def required_material_ids(actor: Actor, item_code: str) -> list[str]:
    from api.aid_items import service as aid_items

    item = await aid_items.get_by_code(item_code)
    return [str((await upload(actor, m["code"])).id) for m in aid_items.required_materials(item)]


def sample_form(item_code: str) -> dict:
    """Returns valid form answers for an item, built from its default schema."""
    from api.aid_items.defaults import DEFAULT_ITEMS

    item = next(i for i in DEFAULT_ITEMS if i["code"] == item_code)
    out = {}
    for f in item["form"]:
        if not f.get("required"):
            continue
        t = f["type"]
        if t == "select":
            out[f["name"]] = f["options"][0]["value"]
        elif t in ("integer", "number"):
            out[f["name"]] = f.get("min", 1) if f.get("min", 1) > 0 else 1
        elif t == "boolean":
            out[f["name"]] = False
        elif t == "date":
            out[f["name"]] = "2026-01-15"
        else:
            out[f["name"]] = "生活困难，申请救助"
    return out


async def submit_case(applicant: Actor, item: str = "dibao", **kw):
    ids = await required_material_ids(applicant, item)
    async with unit_of_work():
        return await cases.submit(applicant, cases.SubmitInput(item_code=item, submission_key=key(),
                                                                form=sample_form(item), material_ids=ids, **kw))


STEP_DATA = {
    "investigate": lambda: {"investigators": ["王五", "赵六"], "visited_at": clock.now().isoformat(),
                            "conclusion": "情况属实"},
    "verify": lambda: {"result": "pass", "household_monthly_income": "800"},
    "review": lambda: {"opinion": "同意上报"},
    "approve": lambda: {"amount": "650", "start_month": "2026-12"},
}
PAYING_ITEMS = {"dibao", "tekun", "linshi", "yiliao", "jiaoyu", "zhufang", "shouzai", "gaoling", "canji"}
STEP_ROLE = {"accept": "township_officer", "return": "township_officer", "refuse": "township_officer",
             "investigate": "township_officer", "verify": "verifier", "reject": "approver",
             "review": "township_officer", "approve": "approver", "pay_start": "finance", "close": "finance"}


async def act(case_id: int, action: str, role: str | None = None, data: dict | None = None, actor: Actor | None = None):
    who = actor or staff_actor(role or STEP_ROLE[action])
    async with unit_of_work():
        return await cases.act(who, case_id, action, data if data is not None else STEP_DATA.get(action, dict)())


async def make_case(item: str = "dibao", status: str = "submitted", applicant: Actor | None = None):
    """Submits a case and walks it through its route until it reaches `status`."""
    applicant = applicant or await make_applicant()
    case = await submit_case(applicant, item)
    path = {"submitted": [], "returned": [("return", {"reason": "缺少户口簿"})]}
    for action, data in path.get(status, []):
        case, _ = await act(case.id, action, data=data)
    steps = ["accept", "investigate", "verify", "review", "approve", "pay_start", "close"]
    for action in steps:
        if case.status == status:
            return case
        if case.status == "approving" and case.notice_until is not None:
            clock.freeze(case.notice_until + timedelta(minutes=1))
        if action in ("investigate", "verify", "review") and case.status != {"investigate": "investigating",
                                                                             "verify": "verifying",
                                                                             "review": "reviewing"}[action]:
            continue
        if action == "pay_start" and item not in PAYING_ITEMS:
            continue
        if action == "close" and case.status == "approved":
            case, _ = await act(case.id, "close", role="approver")
            continue
        case, _ = await act(case.id, action)
    assert case.status == status, f"could not reach {status}, got {case.status}"
    return case


async def submit_proxy_case(worker: Actor, applicant_id: int, item: str = "dibao"):
    """A staff member uploads the required materials and applies on the applicant's behalf (帮办代办)."""
    from api.aid_items import service as aid_items
    from api.materials import service as materials

    definition = await aid_items.get_by_code(item)
    ids = []
    for kind in [m["code"] for m in aid_items.required_materials(definition)] + ["proxy_consent"]:
        async with unit_of_work():
            ids.append(str((await materials.upload(worker, data=tiny_png(), kind=kind,
                                                   applicant_id=applicant_id)).id))
    async with unit_of_work():
        return await cases.submit(worker, cases.SubmitInput(item_code=item, submission_key=key(),
                                                            form=sample_form(item), material_ids=ids,
                                                            applicant_id=applicant_id))


def reading_together(monkeypatch, module, name: str, n: int, *, within: float = 1.0) -> None:
    """Makes `module.name` (an async read) hold each caller after its read until `n` callers have read, or
    `within` seconds have passed: requests sent at once all read before any of them writes, if they can, which is
    the race a lock has to stop."""
    read, readers, all_read = getattr(module, name), [], asyncio.Event()

    async def read_together(*args, **kwargs):
        found = await read(*args, **kwargs)
        readers.append(args)
        if len(readers) == n:
            all_read.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_read.wait(), within)
        return found

    monkeypatch.setattr(module, name, read_together)
