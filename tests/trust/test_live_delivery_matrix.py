"""What an allowed subscriber receives: the work queue and a case's progress, inside and outside each region.

The authorization matrix checks who may subscribe; this checks what each allowed subscriber is then sent while real
workflow steps (through the service, as the mutations take them) happen on cases in four places: the caller's own
village, the next village of the same township, another township, and another district. For each caller:

- `workQueue` delivers exactly the steps of cases inside its region subtree that enter, change in or leave its
  stages (new submissions, returns, resubmissions, warnings, overdue, every later stage), and nothing else;
- `caseProgress` on a case it may read delivers that case's steps (the replay, then each live one; applicants only
  the public ones), and never a step of another case;
- no message carries a person's name, ID number, phone or bank account to an analyst, a whole ID number to a role
  that sees it masked, a whole bank account to a role that sees it masked, or a staff member's name to an applicant.

What the callers are sent is read from a real server's websocket route; what should have been sent is worked out
here from the cases' regions, the statuses of DOMAIN.md's roles and the steps the broker was asked to announce.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta

from argon2 import PasswordHasher
from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, get_named_type

from api.accounts import service as accounts
from api.applicants import service as applicants
from api.cases import service as cases
from api.cases.workflow import ACTIONS, STATUSES
from api.graphql.schema import build_schema
from api.kit import clock
from api.kit.actors import ROLES_SEEING_FULL_BANK, ROLES_SEEING_FULL_ID, STAFF_ROLES, Actor
from api.kit.broker import get_broker
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number
from api.regions import service as regions
from api.settings import get_settings
from tests.factories import (
    ADMIN,
    CUIPING,
    DISTRICT,
    OTHER_TOWN,
    OTHER_VILLAGE,
    STEP_DATA,
    XINQIAO,
    YANBA,
    key,
    make_staff,
    required_material_ids,
    sample_form,
    staff_actor,
)
from tests.graphql.helpers import new_phone, sign_in_applicant, sign_in_staff
from tests.subscriptions.client import WAIT, GraphQLWS, connected, serve, until_subscribed

FAR_DISTRICT, FAR_TOWN, FAR_VILLAGE = "511702", "511702001", "511702001001"
FAR_REGIONS = (f"{FAR_DISTRICT},通川区,district,\n{FAR_TOWN},东城街道,township,{FAR_DISTRICT}\n"
               f"{FAR_VILLAGE},矩阵村,village,{FAR_TOWN}")
PLACES = (XINQIAO, YANBA, OTHER_VILLAGE, FAR_VILLAGE)  # where the cases are

# The statuses each role works on (DOMAIN.md, Roles): its queue shows cases entering, changing in or leaving them.
STAGES: dict[str, frozenset[str]] = {
    "village_worker": frozenset({"submitted", "returned", "investigating"}),
    "township_officer": frozenset({"submitted", "returned", "investigating", "reviewing", "approving", "approved"}),
    "verifier": frozenset({"verifying"}),
    "approver": frozenset({"approving", "province_review", "approved"}),
    "finance": frozenset({"approved", "paying"}),
    "supervisor": frozenset(STATUSES),
}
# Who listens to a work queue, as (role, region): the roles that work on cases inside the caller's district, the
# next village's worker, a worker and an officer of another township, and another district's supervisor.
QUEUE_CALLERS: dict[str, tuple[str, str]] = {
    **{role: (role, {"village_worker": XINQIAO, "township_officer": CUIPING}.get(role, DISTRICT)) for role in STAGES},
    "village_worker@neighbour": ("village_worker", YANBA),
    "village_worker@outside": ("village_worker", OTHER_VILLAGE),
    "township_officer@outside": ("township_officer", OTHER_TOWN),
    "supervisor@far": ("supervisor", FAR_DISTRICT),
}
OWNER = "owner"
# Who follows the watched case (in Xinqiao) with caseProgress: every staff role (all of them read it) and its
# applicant.
PROGRESS_CALLERS = (*STAFF_ROLES, OWNER)
NOTHING_MORE = 0.3  # seconds of silence after the last expected message that count as "nothing more arrives"


# ---- the subscription documents: every field of the types they send, so a field added later is checked too ----
def _selection(type_name: str, depth: int = 3) -> str:
    schema = build_schema(get_settings())._schema
    kind = schema.type_map[type_name]

    def select(t: GraphQLObjectType, left: int) -> str:
        parts = []
        for name, f in t.fields.items():
            assert not f.args, f"{t.name}.{name} takes arguments: give it some here, so that it is checked too"
            named = get_named_type(f.type)
            if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
                parts.append(name)
            elif isinstance(named, GraphQLObjectType) and left > 1:
                parts.append(f"{name} {{ {select(named, left - 1)} }}")
        return " ".join(parts)

    return select(kind, depth)


def queue_document() -> str:
    return f"subscription {{ workQueue {{ {_selection('WorkQueueItem')} }} }}"


def progress_document() -> str:
    return f"subscription($id: ID!) {{ caseProgress(caseId: $id) {{ {_selection('CaseEvent')} }} }}"


# ---- the world ---------------------------------------------------------------------------------------------------
@dataclass
class Person:
    actor: Actor
    name: str
    id_number: str
    phone: str
    bank: str


@dataclass
class World:
    people: list[Person] = field(default_factory=list)
    region_of: dict[int, str] = field(default_factory=dict)  # case id → its village
    number_of: dict[int, str] = field(default_factory=dict)
    item_of: dict[int, str] = field(default_factory=dict)
    owner_of: dict[int, Person] = field(default_factory=dict)
    staff_names: set[str] = field(default_factory=set)
    announced: list[dict] = field(default_factory=list)  # the work-queue messages, once each, in order
    from_status: dict[tuple[int, int], str] = field(default_factory=dict)  # (case id, seq) → status it left

    def staff(self, role: str, place: str) -> Actor:
        """A staff caller of the role whose region holds `place` (a village)."""
        region = {"village_worker": place, "township_officer": place[:9]}.get(role, place[:6])
        actor = staff_actor(role, region, name=f"经办{role}{place[-3:]}")
        self.staff_names.add(actor.name)
        return actor


SURNAMES = "欧阳 司马 诸葛 上官 公孙 慕容 夏侯 皇甫 尉迟 长孙 宇文 令狐 端木 东方 独孤 南宫".split()


async def person(w: World, place: str) -> Person:
    n = len(w.people)
    name = f"{SURNAMES[n % len(SURNAMES)]}{'甲乙丙丁戊己庚辛'[n // len(SURNAMES)]}"
    id_number = make_id_number(birth=date(1950 + n, 3, 4), seq=300 + n)
    phone, bank = new_phone(), f"621799000012{n:07d}"
    async with unit_of_work():
        a = await applicants.register(w.staff("village_worker", place), applicants.ProfileInput(
            name=name, id_number=id_number, address="一组", region_code=place, phone=phone, bank_name="四川农信",
            bank_account=bank))
    p = Person(Actor(kind="applicant", role="applicant", name=name, applicant_id=a.id, phone=phone), name,
               id_number, phone, bank)
    w.people.append(p)
    return p


async def submit(w: World, place: str) -> int:
    """A new applicant of the place applies for 低保 (the new submission every queue of the place hears of)."""
    p = await person(w, place)
    ids = await required_material_ids(p.actor, "dibao")
    async with unit_of_work():
        case = await cases.submit(p.actor, cases.SubmitInput(item_code="dibao", submission_key=key(),
                                                              form=sample_form("dibao"), material_ids=ids))
    w.region_of[case.id], w.number_of[case.id], w.item_of[case.id], w.owner_of[case.id] = (
        place, case.number, "dibao", p)
    return case.id


async def step(w: World, case_id: int, action: str, role: str | None = None, data: dict | None = None):
    """Takes one step as the staff member of `role` whose region holds the case (or as its applicant)."""
    place = w.region_of[case_id]
    actor = w.owner_of[case_id].actor if role is None else w.staff(role, place)
    async with unit_of_work():
        case, _ = await cases.act(actor, case_id, action, data if data is not None else STEP_DATA.get(action, dict)())
    return case


async def run_the_workflow(w: World, watched: int) -> None:
    """In each place: a case returned and resubmitted, a case left waiting at investigation, and a case walked
    through every stage to its end; the clocks are scanned when a warning is due and again when all are overdue."""
    whole, returned, waiting = {}, {}, {}
    for place in PLACES:
        whole[place] = watched if place == XINQIAO else await submit(w, place)
        returned[place] = await submit(w, place)
        waiting[place] = await submit(w, place)
    for place in PLACES:
        await step(w, returned[place], "return", "township_officer", {"reason": "缺少户口簿"})
        await step(w, returned[place], "resubmit", None, {"comment": "已补交"})
        await step(w, waiting[place], "accept", "township_officer")
        c = whole[place]
        await step(w, c, "accept", "township_officer")
        await step(w, c, "investigate", "township_officer")
        await step(w, c, "comment", "verifier", {"comment": "请核实赡养人收入"})  # internal: not for the applicant
        await step(w, c, "verify", "verifier")
        await step(w, c, "review", "township_officer")
    # a warning: the first warning mark of a case still waiting (before its deadline)
    open_cases = [await cases.repository.by_id(c) for c in (*returned.values(), *waiting.values())]
    warn = min(c.warn_at for c in open_cases if c.warn_at and c.due_at and c.warn_at < c.due_at)
    clock.freeze(warn + timedelta(minutes=1))
    await cases.scan_clocks()
    for place in PLACES:
        case = await cases.repository.by_id(whole[place])
        if case.notice_until is not None and case.notice_until > clock.now():
            clock.freeze(case.notice_until + timedelta(minutes=1))
        await step(w, case.id, "approve", "approver")
        await step(w, case.id, "pay_start", "finance")
    clock.freeze(clock.now() + timedelta(days=90))  # every case still open is overdue, and every notice over
    await cases.scan_clocks()
    for place in PLACES:
        await step(w, whole[place], "close", "finance")


# ---- what each caller should be sent -----------------------------------------------------------------------------
def record_announcements(w: World, monkeypatch) -> None:
    """Notes every work-queue message the broker is asked to publish (each once: it goes to three channels)."""
    broker = get_broker()
    publish_many = broker.publish_many
    seen: set[tuple] = set()

    async def recording(messages: list[tuple[str, dict]]) -> None:
        for channel, message in messages:
            step = (message.get("case_id"), message.get("seq"), message.get("action"))
            if channel.startswith("case:"):
                w.from_status[step[:2]] = message["event"]["from_status"]
            elif channel.startswith("region:") and step not in seen:
                seen.add(step)
                w.announced.append(dict(message))
        await publish_many(messages)

    monkeypatch.setattr(broker, "publish_many", recording)


def expected_queue(w: World, role: str, region: str) -> set[tuple]:
    """The work-queue items a caller of `role` in `region` should be sent: a case inside the region's subtree
    whose step leaves it in, or takes it out of, the role's stages (the case's own region, not the message's)."""
    stages = STAGES[role]
    out = set()
    for m in w.announced:
        case_id, status, action = m["case_id"], m["status"], m["action"]
        if not w.region_of[case_id].startswith(region):
            continue
        leaving = action in ACTIONS and w.from_status[case_id, m["seq"]] in stages and status not in stages
        if status in stages or leaving:
            out.add((str(case_id), w.number_of[case_id], status.upper(), action, m["seq"], w.item_of[case_id],
                     status in stages))
    return out


def as_queue_item(data: dict) -> tuple:
    item = data["workQueue"]
    return (item["caseId"], item["number"], item["status"], item["action"], item["seq"], item["itemCode"],
            item["inQueue"])


async def expected_progress(caller: Actor, case_id: int) -> list[tuple]:
    return [(e.seq, e.action, e.to_status.upper(), e.comment)
            for e in await cases.events_for(caller, case_id)]


def as_progress_step(data: dict) -> tuple:
    e = data["caseProgress"]
    return e["seq"], e["action"], e["toStatus"], e["comment"]


def forbidden_in_messages(w: World, caller: str, role: str) -> dict[str, str]:
    """What must never appear in any message to the caller: marker → what it is."""
    never: dict[str, str] = {}
    for p in w.people:
        if role == "analyst":
            never |= {p.name: "a name", p.phone: "a phone number"}
        own = caller == OWNER and p is w.people[0]
        if not own and role not in ROLES_SEEING_FULL_ID:
            never[p.id_number] = "a whole ID number"
        if not own and role not in ROLES_SEEING_FULL_BANK:
            never[p.bank] = "a whole bank account"
    if caller == OWNER:
        never |= {name: "a staff member's name" for name in w.staff_names}
    return never


REGION_CHANNELS = sorted({*(place[:n] for place in PLACES for n in (6, 9, 12)),
                          *(region for _, region in QUEUE_CALLERS.values())})


async def queue_listeners() -> dict[str, int]:
    """Waits until every work queue listens on a region channel; returns how many listen on each."""
    broker = get_broker()

    def listening() -> int:
        return sum(broker.local_subscribers(cases.region_channel(region)) for region in REGION_CHANNELS)

    async with asyncio.timeout(WAIT):
        while listening() < len(QUEUE_CALLERS):  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.01)
    return {region: broker.local_subscribers(cases.region_channel(region)) for region in REGION_CHANNELS}


# ---- reading what arrives -----------------------------------------------------------------------------------------
async def receive_all(ws: GraphQLWS, wanted: dict[str, int]) -> dict[str, list[dict]]:
    """Returns every message of each operation of the connection: read until each has the number wanted (or the
    rest do not come within WAIT seconds of the last one), then until NOTHING_MORE seconds pass in silence.
    One reader per connection: its operations share it."""
    try:
        while any(len(ws._inbox[op]) < count for op, count in wanted.items()):
            async with asyncio.timeout(WAIT):
                await ws._read_one()
    except TimeoutError:
        pass
    try:
        while True:  # nothing more arrives
            async with asyncio.timeout(NOTHING_MORE):
                await ws._read_one()
    except TimeoutError:
        pass
    unasked = [m for op, inbox in ws._inbox.items() if op not in wanted for m in inbox]
    assert not unasked, unasked
    return {op: list(ws._inbox[op]) for op in wanted}


def data_of(message: dict) -> dict:
    assert message["type"] == "next" and "errors" not in message["payload"], message
    return message["payload"]["data"]


# ---- the test ------------------------------------------------------------------------------------------------------
async def test_each_subscriber_receives_exactly_its_regions_and_stages_and_no_personal_data(make_client, sms,
                                                                                           monkeypatch):
    # argon2 at its lowest cost: a dozen staff members sign in
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    no_limits = {f: 0 for f in type(get_settings()).model_fields if f.startswith("rate_")}
    w = World()
    async with make_client(**no_limits) as client:
        async with unit_of_work():
            await regions.import_csv(ADMIN, FAR_REGIONS)
        tokens = {}
        for caller, (role, region) in QUEUE_CALLERS.items():
            tokens[caller] = await sign_in_staff(client, (await make_staff(role, region))[1])
        for role in set(PROGRESS_CALLERS) - set(tokens) - {OWNER}:
            tokens[role] = await sign_in_staff(client, (await make_staff(role))[1])
        watched = await submit(w, XINQIAO)  # the case followed live (its applicant is the first person)
        tokens[OWNER] = await sign_in_applicant(client, sms, w.people[0].phone)
        owner = w.people[0].actor
        readers = {caller: owner if caller == OWNER else staff_actor(caller) for caller in PROGRESS_CALLERS}

        from api.app import create_app

        app = create_app(get_settings().model_copy(update=no_limits), manage_database=False)
        async with serve(app) as server, AsyncExitStack() as stack:
            sockets: dict[str, GraphQLWS] = {}
            queue_ops: dict[str, str] = {}
            progress_ops: dict[str, str] = {}
            for caller in dict.fromkeys([*QUEUE_CALLERS, *PROGRESS_CALLERS]):
                ws = sockets[caller] = await stack.enter_async_context(connected(server, tokens[caller]))
                if caller in QUEUE_CALLERS:
                    queue_ops[caller] = await ws.subscribe(queue_document())
                if caller in PROGRESS_CALLERS:
                    progress_ops[caller] = await ws.subscribe(progress_document(), {"id": str(watched)})
            # each queue listens on its own region's channel, and only there
            await until_subscribed(cases.case_channel(str(watched)), len(PROGRESS_CALLERS))
            assert await queue_listeners() == {region: sum(r == region for _, r in QUEUE_CALLERS.values())
                                               for region in REGION_CHANNELS}

            record_announcements(w, monkeypatch)
            await run_the_workflow(w, watched)
            # every step taken was announced to the work queues (what is expected below is worked out from these)
            taken_steps = {(c, e.seq, e.action) for c in w.region_of for e in await cases.events_for(ADMIN, c)}
            assert {(m["case_id"], m["seq"], m["action"]) for m in w.announced if m["action"] in ACTIONS} == (
                taken_steps - {(watched, 1, "submit")})

            expected_items = {caller: expected_queue(w, role, region) for caller, (role, region) in
                              QUEUE_CALLERS.items()}
            expected_steps = {caller: await expected_progress(readers[caller], watched) for caller in PROGRESS_CALLERS}
            wanted = {caller: {**({queue_ops[caller]: len(expected_items[caller])} if caller in queue_ops else {}),
                               **({progress_ops[caller]: len(expected_steps[caller])} if caller in progress_ops
                                  else {})}
                      for caller in sockets}
            taken = dict(zip(sockets, await asyncio.gather(*(receive_all(sockets[c], wanted[c]) for c in sockets)),
                             strict=True))
    queue_got = [taken[c][queue_ops[c]] for c in QUEUE_CALLERS]
    progress_got = [taken[c][progress_ops[c]] for c in PROGRESS_CALLERS]

    # the scenario covers what it claims to: each kind of news reaches the village worker and the officer
    for caller in ("village_worker", "township_officer"):
        actions = {item[3] for item in expected_items[caller]}
        assert {"submit", "return", "resubmit", "clock_warning", "clock_overdue"} <= actions, (caller, actions)
    for caller, (role, region) in QUEUE_CALLERS.items():
        assert expected_items[caller], f"{caller} expects nothing: the scenario tests nothing for it"
        outside = [m for m in w.announced if not w.region_of[m["case_id"]].startswith(region)
                   and m["status"] in STAGES[role]]
        assert outside, f"nothing in {caller}'s stages happened outside its region: the filter is not exercised"

    wrong: list[str] = []
    for caller, got in zip(QUEUE_CALLERS, queue_got, strict=True):
        received = [as_queue_item(data_of(m)) for m in got]
        if len(received) != len(set(received)):
            wrong.append(f"workQueue × {caller}: a step sent twice: {received}")
        if set(received) != expected_items[caller]:
            wrong.append(f"workQueue × {caller}: missing {sorted(expected_items[caller] - set(received))}, "
                         f"unexpected {sorted(set(received) - expected_items[caller])}")
    for caller, got in zip(PROGRESS_CALLERS, progress_got, strict=True):
        received = [as_progress_step(data_of(m)) for m in got]
        if received != expected_steps[caller]:
            wrong.append(f"caseProgress × {caller}: got {received}, expected {expected_steps[caller]}")
    for caller, got in [*zip(QUEUE_CALLERS, queue_got, strict=True), *zip(PROGRESS_CALLERS, progress_got,
                                                                             strict=True)]:
        role = QUEUE_CALLERS.get(caller, (caller,))[0] if caller != OWNER else "applicant"
        text = json.dumps(got, ensure_ascii=False)
        leaked = [f"{what} ({marker})" for marker, what in forbidden_in_messages(w, caller, role).items()
                  if marker in text]
        if leaked:
            wrong.append(f"{caller}: messages carry {leaked}")
    assert not wrong, "\n".join(wrong)
