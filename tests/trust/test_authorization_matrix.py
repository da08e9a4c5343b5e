"""The authorization matrix, generated from the schema: every operation × every caller × inside/outside the region.

`EXPECTED` names, for each query, mutation and subscription of the built schema, who may call it. A new operation
without an entry (or an entry for an operation that no longer exists) fails `test_every_operation_has_an_entry`.
Each cell is then called over GraphQL against a small world (two villages in two townships, cases in each, two
applicants): an allowed caller is not refused and sees no one else's data; a refused caller gets a typed refusal
(NotAllowedError / AuthError / NotFoundError, or a query error with such a code) and nothing in the database changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from argon2 import PasswordHasher
from tortoise import connections

from api.accounts import service as accounts
from api.applicants import service as applicants
from api.disbursements import service as disbursements
from api.graphql.schema import build_schema
from api.kit import clock
from api.kit.actors import STAFF_ROLES, Actor
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number
from api.materials.models import Material
from api.province.models import ProvinceSync
from api.settings import get_settings
from tests.factories import (
    ADMIN,
    OTHER_TOWN,
    OTHER_VILLAGE,
    XINQIAO,
    YANBA,
    make_case,
    make_staff,
    required_material_ids,
    staff_actor,
)
from tests.graphql.helpers import CODE_REQUEST, gql, new_phone, sign_in_applicant, sign_in_staff
from tests.subscriptions.client import connect, connected, serve

# ---- callers ---------------------------------------------------------------------------------------------------
ANON, OWNER, OTHER = "anonymous", "owner", "other_applicant"
OUT_VILLAGE, OUT_TOWN = "village_worker@outside", "township_officer@outside"
NEIGHBOUR = "village_worker@neighbour"  # the next village of the same township
INITIAL = "admin@initial_password"  # signed in, but must change the initial password before anything else
DISABLED = "approver@disabled"  # signed in, then the account was disabled
CALLERS = (ANON, OWNER, OTHER, *STAFF_ROLES, OUT_VILLAGE, OUT_TOWN, NEIGHBOUR, INITIAL, DISABLED)
OUTSIDE = frozenset({OUT_VILLAGE, OUT_TOWN, NEIGHBOUR})
EVERYONE = frozenset(CALLERS)  # public: the caller's state does not matter
SIGNED_IN = EVERYONE - {ANON, INITIAL, DISABLED}
APPLICANTS = frozenset({OWNER, OTHER})
STAFF = frozenset(STAFF_ROLES) | OUTSIDE
CASE_READERS = frozenset(STAFF_ROLES)  # every staff role reads cases inside its region
APPLICANT_READERS = frozenset(STAFF_ROLES) - {"analyst"}
REGISTERING = frozenset({"village_worker", "township_officer"})
STATS = frozenset({"analyst", "supervisor", "admin"})


def only(*callers: str) -> frozenset[str]:
    return frozenset(callers)


@dataclass(frozen=True)
class Rule:
    """Who may call an operation. What each allowed caller may find in the answer is `World.foreign_markers`:
    the cases, names and whole ID and bank numbers it must never see."""

    may: frozenset[str]


# The expectation table: operation → who may call it (region-scoped staff only inside their region; the
# `@outside` callers are a village worker and a township officer of another township).
EXPECTED: dict[str, Rule] = {
    # queries
    "me": Rule(EVERYONE),
    "staffAccounts": Rule(only("admin")),
    "staffSessions": Rule(only("admin")),
    "regions": Rule(EVERYONE),
    "region": Rule(EVERYONE),
    "aidItems": Rule(EVERYONE),
    "aidItem": Rule(EVERYONE),
    "applicants": Rule(APPLICANT_READERS | OUTSIDE),  # outside staff: their own region's, none of ours
    "applicant": Rule(APPLICANT_READERS | {OWNER}),
    "cases": Rule(SIGNED_IN),  # each caller's own: the markers check that nobody else's comes back
    "caseCounts": Rule(CASE_READERS | OUTSIDE),
    "case": Rule(CASE_READERS | {OWNER}),
    "caseClockBoard": Rule(only("supervisor", "township_officer", "approver", "verifier", "admin", OUT_TOWN)),
    "caseAssignees": Rule(only("supervisor", "township_officer")),
    "provinceSyncs": Rule(only("supervisor")),
    "paymentBatches": Rule(only("finance", "supervisor", "approver")),
    "paymentLines": Rule(only("finance", "supervisor", "approver")),
    "statsCaseCounts": Rule(STATS),
    "statsFunnel": Rule(STATS),
    "statsProcessingTimes": Rule(STATS),
    "statsClockRates": Rule(STATS),
    "statsTimeToApply": Rule(STATS),
    "statsProvinceSync": Rule(STATS),
    "statsSatisfaction": Rule(STATS),
    "statsElderReach": Rule(STATS),
    "statsReviewReport": Rule(STATS),
    "accessLog": Rule(only("supervisor", "admin")),
    # mutations
    "authCodeRequest": Rule(EVERYONE),
    "authCodeSignIn": Rule(EVERYONE),
    "authStaffSignIn": Rule(EVERYONE),
    "authSignOut": Rule(SIGNED_IN | {INITIAL}),
    "passwordChange": Rule(STAFF | {INITIAL}),
    "staffCreate": Rule(only("admin")),
    "staffCreateVillageWorkers": Rule(only("admin")),
    "staffPasswordReset": Rule(only("admin")),
    "staffDisabledSet": Rule(only("admin")),
    "staffSessionsEnd": Rule(only("admin")),
    "regionImport": Rule(only("admin")),
    "aidItemUpdate": Rule(only("admin")),
    "profileSave": Rule(APPLICANTS),
    "applicantRegister": Rule(REGISTERING),
    "applicantUpdate": Rule(REGISTERING),
    "householdSet": Rule(REGISTERING | {OWNER}),
    "caseSubmit": Rule(REGISTERING | {OWNER}),  # for applicant A: A or staff on A's behalf
    "caseWithdraw": Rule(only(OWNER)),
    "caseResubmit": Rule(only(OWNER)),
    "caseAccept": Rule(REGISTERING),
    "caseReturn": Rule(only("township_officer")),
    "caseRefuse": Rule(only("township_officer")),
    "caseInvestigate": Rule(REGISTERING),
    "caseVerify": Rule(only("verifier")),
    "caseReview": Rule(only("township_officer")),
    "caseApprove": Rule(only("approver")),  # 低保 has no township approval limit
    "caseReject": Rule(only("approver")),
    "casePayStart": Rule(only("finance")),
    "caseClose": Rule(only("finance")),
    "caseExtend": Rule(only("approver", "township_officer")),
    "caseAssign": Rule(only("supervisor", "township_officer")),
    "caseComment": Rule(only("village_worker", "township_officer", "verifier", "approver", "finance", "supervisor")),
    "provinceSyncRetry": Rule(only("supervisor")),
    "caseRate": Rule(only(OWNER)),
    "paymentBatchBuild": Rule(only("finance")),
    "paymentLineMark": Rule(only("finance")),
    # subscriptions
    "caseProgress": Rule(CASE_READERS | {OWNER}),
    "workQueue": Rule(only("village_worker", "township_officer", "verifier", "approver", "finance", "supervisor")
                      | OUTSIDE),
}

# Codes of NotAllowedError / AuthError / NotFoundError that a query answers with.
REFUSAL_CODES = {"unauthenticated", "password_change_required", "role_not_allowed", "outside_region", "not_owner",
                 "admin_only", "staff_only", "not_allowed", "not_found", "session_ended"}
REFUSAL_TYPES = {"NotAllowedError", "AuthError", "NotFoundError"}


def is_refusal_code(code: str | None) -> bool:
    return code is not None and (code in REFUSAL_CODES or code.endswith(("_not_found", "_only", "_not_allowed")))


def schema_operations() -> dict[str, set[str]]:
    """The operations of the built schema, by kind."""
    g = build_schema(get_settings())._schema
    return {kind: set(t.fields) for kind, t in (("query", g.query_type), ("mutation", g.mutation_type),
                                                ("subscription", g.subscription_type))}


def test_every_operation_has_an_entry():
    ops = schema_operations()
    in_schema = set().union(*ops.values())
    missing = sorted(in_schema - set(EXPECTED))
    stale = sorted(set(EXPECTED) - in_schema)
    assert not missing, f"operations without an entry in the authorization matrix: {missing}"
    assert not stale, f"matrix entries for operations that no longer exist: {stale}"
    assert set(CALLS) | SUBSCRIPTIONS == set(EXPECTED), "every entry needs a call in CALLS (or a subscription)"


# ---- the world ---------------------------------------------------------------------------------------------------
@dataclass
class World:
    client: object
    sms: object
    tokens: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    owners: dict[int, tuple[Actor, str]] = field(default_factory=dict)  # case id → (applicant, token)
    cases: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    applicant_a: Actor | None = None
    token_a: str = ""
    victim_id: int = 0
    batch_id: int = 0
    line_id: int = 0
    foreign_markers: dict[str, set[str]] = field(default_factory=dict)  # caller → strings it must never see
    phones: dict[str, str] = field(default_factory=dict)
    id_numbers: dict[int, str] = field(default_factory=dict)

    async def fresh_token(self, caller: str) -> str | None:
        """A new session for the caller (for operations that end or alter the one they use)."""
        if caller in (ANON, DISABLED):
            return self.tokens[caller]
        if caller in (OWNER, OTHER):
            clock.freeze(clock.now() + timedelta(seconds=61))  # one code a minute per phone
            return await sign_in_applicant(self.client, self.sms, self.phones[caller])
        return await sign_in_staff(self.client, self.usernames[caller])


BANK_A = "6217990000123456789"
NAMES = {"a": "欧阳甲", "b": "司马乙", "c": "诸葛丙", "d": "上官戊"}


async def build_world(client, sms) -> World:
    w = World(client, sms)
    staff_region = {OUT_VILLAGE: ("village_worker", OTHER_VILLAGE), OUT_TOWN: ("township_officer", OTHER_TOWN),
                    NEIGHBOUR: ("village_worker", YANBA), DISABLED: ("approver", None)}
    for caller in [*STAFF_ROLES, OUT_VILLAGE, OUT_TOWN, NEIGHBOUR, DISABLED]:
        role, region = staff_region.get(caller, (caller, None))
        w.staff_ids[caller], w.usernames[caller] = await make_staff(role, region)
    _, w.usernames[INITIAL] = await make_staff("admin", must_change=True)
    w.victim_id, _ = await make_staff("village_worker", XINQIAO)
    w.tokens[ANON] = None

    async def person(key: str, region: str, n: int) -> tuple[Actor, str, str]:
        phone = new_phone()
        w.id_numbers[n] = make_id_number(birth=date(1950 + n, 3, 4), seq=n)
        async with unit_of_work():
            a = await applicants.register(staff_actor("village_worker", region), applicants.ProfileInput(
                name=NAMES[key], id_number=w.id_numbers[n], address="新桥村1组", region_code=region, phone=phone,
                bank_name="四川农信" if key == "a" else None, bank_account=BANK_A if key == "a" else None))
        actor = Actor(kind="applicant", role="applicant", name=NAMES[key], applicant_id=a.id, phone=phone)
        return actor, phone, phone  # signed in once the world is built (building it moves the clock)

    w.applicant_a, w.token_a, w.phones[OWNER] = await person("a", XINQIAO, 1)
    other, w.tokens[OTHER], w.phones[OTHER] = await person("b", XINQIAO, 2)
    c, _, _ = await person("c", OTHER_VILLAGE, 3)
    far = await make_case("linshi", "submitted", applicant=c)
    w.numbers["far"] = far.number

    # one case of its own (owned by its own applicant) per workflow operation, in the state the action needs
    needs = {"accept": "submitted", "return": "submitted", "refuse": "submitted", "withdraw": "submitted",
             "resubmit": "returned", "investigate": "investigating", "verify": "verifying", "review": "reviewing",
             "approve": "approving", "reject": "approving", "pay_start": "approved", "close": "paying",
             "extend": "investigating", "rate": "closed", "read": "investigating"}
    for i, (key, status) in enumerate(needs.items()):
        if key == "read":
            owner, token = w.applicant_a, w.token_a
        else:
            owner, token, _ = await person("d", XINQIAO, 10 + i)
        case = await make_case("dibao", status, applicant=owner)
        w.cases[key], w.numbers[key] = case.id, case.number
        w.owners[case.id] = (owner, token)
    # a 高龄津贴 case whose provincial sync has died, for the supervisors' retry
    owner, phone, _ = await person("d", XINQIAO, 41)
    synced = await make_case("gaoling", "accepted", applicant=owner)
    await ProvinceSync.filter(case_id=synced.id).update(state="dead")
    w.cases["sync"], w.numbers["sync"] = synced.id, synced.number
    w.owners[synced.id] = (owner, phone)
    # a payment batch with a line, for the finance operations
    paying = await make_case("dibao", "approved", applicant=(await person("d", XINQIAO, 40))[0])
    finance_id, _ = await make_staff("finance")
    finance = staff_actor("finance", staff_id=finance_id)
    async with unit_of_work():
        summary = await disbursements.build(finance, paying.start_month)
    w.batch_id = summary.batch.id
    w.line_id = (await disbursements.lines(finance, w.batch_id))[0].id
    # sessions last, at the clock the cases left: the walk through the notice period moved it on
    for caller in w.usernames:
        w.tokens[caller] = await sign_in_staff(client, w.usernames[caller])
    async with unit_of_work():
        await accounts.set_disabled(ADMIN, w.staff_ids[DISABLED], True)
    w.token_a = w.tokens[OWNER] = await sign_in_applicant(client, sms, w.phones[OWNER])
    for case_id, (owner, phone) in list(w.owners.items()):
        token = w.token_a if phone == w.phones[OWNER] else await sign_in_applicant(client, sms, phone)
        w.owners[case_id] = (owner, token)
    w.tokens[OTHER] = await sign_in_applicant(client, sms, w.phones[OTHER])
    # who must never see what: the far case (another township) to the near staff, the near cases to the far staff
    # and to other applicants, other people's names to applicants and (unmasked) to analysts
    near = {w.numbers[k] for k in (*needs, "sync")}
    for caller in CALLERS:
        hidden: set[str] = set()
        if caller in (ANON, OTHER, OWNER, "village_worker", "township_officer", NEIGHBOUR):
            hidden |= {w.numbers["far"], NAMES["c"]}
        if caller in (ANON, OTHER, OWNER, *OUTSIDE):
            hidden |= (near - {w.numbers["read"]}) | {NAMES["d"]}
        if caller in (ANON, OTHER, *OUTSIDE):
            hidden |= {w.numbers["read"], NAMES["a"]}
        if caller == "analyst":
            hidden |= {NAMES["a"], NAMES["c"], NAMES["d"]}
        # whole ID and bank numbers only to the person and the roles that need them (inside the region)
        if caller not in (OWNER, "village_worker", "township_officer", "verifier", "approver"):
            hidden.add(w.id_numbers[1])
        if caller not in (OWNER, "finance", "approver"):
            hidden.add(BANK_A)
        if caller in (INITIAL, DISABLED):
            hidden |= {NAMES["a"], NAMES["c"], NAMES["d"], w.numbers["far"], *near}
        w.foreign_markers[caller] = hidden
    return w


# ---- the calls -----------------------------------------------------------------------------------------------------
MUTATION_TAIL = "{ __typename ... on Error { code message } }"
RANGE = '{from: "2025-01-01", to: "2027-12-31"}'


@dataclass(frozen=True)
class Call:
    """How to call one operation: the document (formatted with the world) and, optionally, a preparation."""

    text: str
    prepare: Callable[[World, str], Awaitable[dict]] | None = None
    fresh_session: bool = False
    case_key: str | None = None  # the case the operation targets: its applicant is the "owner" caller


def q(body: str) -> Call:
    return Call("query { " + body + " }")


def m(body: str, **kw) -> Call:
    return Call("mutation { " + body + " " + MUTATION_TAIL + " }", **kw)


def case_m(name: str, key: str, args: str = "") -> Call:
    return m(f'{name}(caseId: "{{cases[{key}]}}"{args})', case_key=key)


async def _code_sign_in(w: World, caller: str) -> dict:
    phone = new_phone()
    await gql(w.client, CODE_REQUEST, {"phone": phone})
    return {"phone": phone, "code": w.sms.last_code(phone)}


async def _materials(w: World, caller: str) -> dict:
    ids = await required_material_ids(w.applicant_a, "tekun")
    return {"materials": json.dumps(ids)}


PROFILE = ('{{name: "{name}", idNumber: "{id_number}", address: "新桥村3组", regionCode: "' + XINQIAO + '"}}')


async def _profile(w: World, caller: str) -> dict:
    global _profile_seq
    _profile_seq += 1
    return {"name": "公孙丁", "id_number": make_id_number(birth=date(1970, 1, 1), seq=500 + _profile_seq)}

_profile_seq = 0

CALLS: dict[str, Call] = {
    "me": q("me { kind }"),
    "staffAccounts": q("staffAccounts { id username }"),
    "staffSessions": q('staffSessions(staffId: "{victim_id}") { __typename }'),
    "regions": q("regions { code }"),
    "region": q(f'region(code: "{XINQIAO}") {{ code }}'),
    "aidItems": q("aidItems { code }"),
    "aidItem": q('aidItem(code: "dibao") { code }'),
    "applicants": q("applicants(first: 100) { id name idNumber bankAccount }"),
    "applicant": q('applicant(id: "{applicant_a.applicant_id}") { id name idNumber bankAccount }'),
    "cases": q("cases(first: 100) { edges { node { id number applicant { name idNumber bankAccount } } } }"),
    "caseCounts": q("caseCounts { __typename }"),
    "case": q('case(id: "{cases[read]}") { id number applicant { name idNumber bankAccount } '
              'events { actorName comment data } }'),
    "caseClockBoard": q("caseClockBoard { __typename }"),
    "caseAssignees": q('caseAssignees(caseId: "{cases[read]}") { __typename }'),
    "provinceSyncs": q("provinceSyncs { __typename }"),
    "paymentBatches": q("paymentBatches { __typename }"),
    "paymentLines": q('paymentLines(batchId: "{batch_id}") { __typename }'),
    "statsCaseCounts": q(f'statsCaseCounts(range: {RANGE}, groupBy: ["item"]) {{ __typename }}'),
    "statsFunnel": q(f"statsFunnel(range: {RANGE}) {{ __typename }}"),
    "statsProcessingTimes": q(f"statsProcessingTimes(range: {RANGE}) {{ __typename }}"),
    "statsClockRates": q(f"statsClockRates(range: {RANGE}) {{ __typename }}"),
    "statsTimeToApply": q(f"statsTimeToApply(range: {RANGE}) {{ __typename }}"),
    "statsProvinceSync": q(f"statsProvinceSync(range: {RANGE}) {{ __typename }}"),
    "statsSatisfaction": q(f"statsSatisfaction(range: {RANGE}) {{ __typename }}"),
    "statsElderReach": q(f"statsElderReach(range: {RANGE}) {{ __typename }}"),
    "statsReviewReport": q(f"statsReviewReport(range: {RANGE}) {{ __typename }}"),
    "accessLog": q("accessLog { __typename }"),
    "authCodeRequest": m('authCodeRequest(phone: "{new_phone}")'),
    "authCodeSignIn": m('authCodeSignIn(phone: "{phone}", code: "{code}")', prepare=_code_sign_in),
    "authStaffSignIn": m('authStaffSignIn(username: "{usernames[verifier]}", password: "Passw0rd!x")'),
    "authSignOut": m("authSignOut", fresh_session=True),
    "passwordChange": m('passwordChange(oldPassword: "Passw0rd!x", newPassword: "Passw0rd!x")', fresh_session=True),
    "staffCreate": m('staffCreate(input: {{username: "mx{new_phone}", displayName: "矩阵测试", role: "verifier", '
                     'regionCode: "511703"}})'),
    "staffCreateVillageWorkers": m(f'staffCreateVillageWorkers(villageCodes: ["{OTHER_VILLAGE}"])'),
    "staffPasswordReset": m('staffPasswordReset(staffId: "{victim_id}")'),
    "staffDisabledSet": m('staffDisabledSet(staffId: "{victim_id}", disabled: false)'),
    "staffSessionsEnd": m('staffSessionsEnd(staffId: "{victim_id}")'),
    "regionImport": m('regionImport(csv: "511703002099,矩阵村,village,511703002")'),
    "aidItemUpdate": m('aidItemUpdate(input: {{code: "dibao", sortOrder: 1}})'),
    "profileSave": m(f"profileSave(input: {PROFILE})", prepare=_profile),
    "applicantRegister": m(f"applicantRegister(input: {PROFILE})", prepare=_profile),
    "applicantUpdate": m('applicantUpdate(id: "{applicant_a.applicant_id}", input: {{name: "欧阳甲", '
                         'idNumber: "{id_a}", address: "新桥村1组", regionCode: "' + XINQIAO + '"}})'),
    "householdSet": m('householdSet(applicantId: "{applicant_a.applicant_id}", members: [])'),
    "caseSubmit": m('caseSubmit(input: {{itemCode: "tekun", submissionKey: "{new_key}", materialIds: {materials}, '
                    'applicantId: "{applicant_a.applicant_id}"}})', prepare=_materials),
    "caseWithdraw": case_m("caseWithdraw", "withdraw"),
    "caseResubmit": case_m("caseResubmit", "resubmit"),
    "caseAccept": case_m("caseAccept", "accept"),
    "caseReturn": case_m("caseReturn", "return", ', reason: "缺少户口簿"'),
    "caseRefuse": case_m("caseRefuse", "refuse", ', reason: "不符合条件"'),
    "caseInvestigate": case_m("caseInvestigate", "investigate", ', input: {{investigators: ["王五", "赵六"], '
                              'visitedAt: "2026-11-20T10:00:00+08:00", conclusion: "情况属实"}}'),
    "caseVerify": case_m("caseVerify", "verify", ", input: {{result: PASS, householdMonthlyIncome: \"800\"}}"),
    "caseReview": case_m("caseReview", "review", ', opinion: "同意"'),
    "caseApprove": case_m("caseApprove", "approve", ', amount: "650", startMonth: "2026-12"'),
    "caseReject": case_m("caseReject", "reject", ', reason: "收入超标"'),
    "casePayStart": case_m("casePayStart", "pay_start"),
    "caseClose": case_m("caseClose", "close"),
    "caseExtend": case_m("caseExtend", "extend", ', reason: "情况复杂"'),
    "caseAssign": case_m("caseAssign", "read", ', assigneeId: "{victim_id}", reason: "工作调整"'),
    "caseComment": case_m("caseComment", "read", ', comment: "请核实"'),
    "provinceSyncRetry": case_m("provinceSyncRetry", "sync"),
    "caseRate": case_m("caseRate", "rate", ", rating: 5"),
    "paymentBatchBuild": m('paymentBatchBuild(month: "2027-01")'),
    "paymentLineMark": m('paymentLineMark(lineId: "{line_id}", paid: true)'),
}
SUBSCRIPTIONS = {"caseProgress", "workQueue"}


# ---- running the cells -----------------------------------------------------------------------------------------------
SNAPSHOT_TABLES = ("aid_case", "case_event", "applicant", "household_member", "staff_account", "citizen_account",
                   "region", "aid_item", "material", "payment_batch", "payment_line", "satisfaction", "province_sync")


async def snapshot() -> str:
    """A digest of everything a mutation could change (sessions and the access log aside)."""
    conn = connections.get("default")
    digest = hashlib.sha256()
    for table in SNAPSHOT_TABLES:
        rows = await conn.execute_query_dict(f"SELECT * FROM {table} ORDER BY 1")
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def _kind(name: str, ops: dict[str, set[str]]) -> str:
    return next(kind for kind, names in ops.items() if name in names)


PLACEHOLDER = re.compile(r"\{(\w+)(?:\[(\w+)\]|\.(\w+))?\}")


def render(text: str, values: dict) -> str:
    """Fills `{name}`, `{name[key]}` and `{name.attr}` from the world; `{{`/`}}` stand for literal braces."""
    def fill(match: re.Match) -> str:
        value = values[match[1]]
        if match[2]:
            value = value[match[2]]
        elif match[3]:
            value = getattr(value, match[3])
        return str(value)

    return PLACEHOLDER.sub(fill, text).replace("{{", "{").replace("}}", "}")


async def _prepare(w: World, caller: str, call: Call) -> tuple[str, str | None]:
    """Returns the document and the token for one cell (done before the database is compared)."""
    values = {"cases": {k: str(v) for k, v in w.cases.items()}, "victim_id": w.victim_id,
              "applicant_a": w.applicant_a, "batch_id": w.batch_id, "line_id": w.line_id, "usernames": w.usernames,
              "new_phone": new_phone(), "new_key": uuid.uuid4().hex, "id_a": w.id_numbers[1]}
    if call.prepare is not None:
        values.update(await call.prepare(w, caller))
    if call.fresh_session:
        token = await w.fresh_token(caller)
    elif caller == OWNER and call.case_key is not None:
        token = w.owners[w.cases[call.case_key]][1]
    else:
        token = w.tokens[caller]
    return render(call.text, values), token


def _cell_failure(w: World, name: str, caller: str, kind: str, allowed: bool, body: dict, changed: bool) -> str | None:
    """Returns why the cell breaks the table, or None."""
    errors = body.get("errors") or []
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    text = json.dumps(body, ensure_ascii=False)
    if kind == "query":
        if allowed:
            if errors:
                return f"allowed but answered with errors {codes}"
            leaked = [marker for marker in w.foreign_markers[caller] if marker in text]
            if leaked:
                return f"allowed, but the answer holds others' data {leaked}"
            return None
        if not errors or not all(is_refusal_code(c) for c in codes) or (body.get("data") or {}).get(name):
            return f"should be refused, got {text[:300]}"
        return None
    if errors:
        return f"top-level errors {codes}"
    result = body["data"][name]
    if allowed:
        if result["__typename"] in REFUSAL_TYPES:
            return f"allowed but refused: {result}"
        return None
    if result["__typename"] not in REFUSAL_TYPES:
        return f"should be refused, got {result}"
    if changed:
        return f"refused ({result['code']}) but the database changed"
    return None


async def test_authorization_matrix(make_client, sms, monkeypatch):
    # argon2 at its lowest cost: the matrix signs staff in and changes passwords dozens of times
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    ops = schema_operations()
    no_limits = {f: 0 for f in type(get_settings()).model_fields if f.startswith("rate_")}
    failures: list[str] = []
    cells = 0
    async with make_client(**no_limits) as client:
        w = await build_world(client, sms)
        for name, call in CALLS.items():
            kind = _kind(name, ops)
            rule = EXPECTED[name]
            # refused callers first, while the target is still in the state the operation needs
            last = None
            for caller in sorted(CALLERS, key=lambda c: c in rule.may):
                allowed = caller in rule.may
                document, token = await _prepare(w, caller, call)
                before = None
                if kind == "mutation" and not allowed:
                    # the digest after the last refused call still holds unless something ran since
                    fresh = last is None or call.prepare is not None or call.fresh_session
                    before = await snapshot() if fresh else last
                body = await gql(client, document, token=token)
                last = await snapshot() if before is not None else None
                changed = before is not None and last != before
                cells += 1
                why = _cell_failure(w, name, caller, kind, allowed, body, changed)
                if why:
                    failures.append(f"{name} × {caller}: {why}")
        # subscriptions over the websocket route of a real server
        from api.app import create_app

        app = create_app(get_settings().model_copy(update=no_limits), manage_database=False)
        async with serve(app) as server:
            for caller in CALLERS:
                token = w.token_a if caller == OWNER else w.tokens[caller]
                if caller == DISABLED:
                    # a revoked session may not even open the connection: 4403 before any operation
                    async with connect(server, {"token": token}) as ws:
                        code, _ = await ws.closed()
                    cells += 2
                    assert code == 4403, code
                    assert not any(caller in EXPECTED[name].may for name in SUBSCRIPTIONS)
                    continue
                async with connected(server, token) as ws:
                    for name, document, variables in (
                            ("caseProgress", "subscription($id: ID!) { caseProgress(caseId: $id) { seq } }",
                             {"id": str(w.cases["read"])}),
                            ("workQueue", "subscription { workQueue { caseId } }", {})):
                        cells += 1
                        allowed = caller in EXPECTED[name].may
                        op = await ws.subscribe(document, variables)
                        if name == "caseProgress":
                            message = await ws.receive(op)
                            ok = message["type"] == "next" and "errors" not in message["payload"]
                            if allowed and not ok:
                                failures.append(f"{name} × {caller}: allowed but got {message}")
                            if not allowed and ok:
                                failures.append(f"{name} × {caller}: should be refused, got {message}")
                            if not allowed and not ok:
                                codes = await _codes_of(message)
                                if not all(is_refusal_code(c) for c in codes):
                                    failures.append(f"{name} × {caller}: refused without a typed refusal {codes}")
                        elif allowed:
                            try:
                                message = await asyncio.wait_for(ws.receive(op), 0.3)
                            except TimeoutError:
                                message = None  # listening: nothing to report until a case changes
                            if message is not None:
                                failures.append(f"{name} × {caller}: allowed but got {message}")
                        else:
                            message = await ws.receive(op)  # a refusal comes at once (WAIT at most)
                            codes = await _codes_of(message) if message["type"] in ("next", "error") else []
                            if not codes or not all(is_refusal_code(c) for c in codes):
                                failures.append(f"{name} × {caller}: should be refused, got {message}")
                        await ws.complete(op)
    assert cells >= len(EXPECTED) * len(CALLERS)
    assert not failures, f"{len(failures)} of {cells} cells break the table:\n" + "\n".join(failures)


async def _codes_of(message: dict) -> list[str | None]:
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return [(e.get("extensions") or {}).get("code") for e in errors]


# ---- the file routes beside GraphQL ------------------------------------------------------------------------------
async def test_file_downloads_follow_the_same_rules(client, sms, monkeypatch):
    """The XLSX downloads (payment batch, 回头看 report): finance / analysts, supervisors and administrators only,
    never anonymous and never a staff member who has not yet changed the initial password."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    paying = await make_case("dibao", "approved")
    finance_id, _ = await make_staff("finance")
    async with unit_of_work():
        batch = (await disbursements.build(staff_actor("finance", staff_id=finance_id), paying.start_month)).batch
    routes = {f"/api/disbursements/batches/{batch.id}.xlsx": {"finance"},
              "/api/analytics/review-report.xlsx?from=2025-01-01&to=2027-12-31": set(STATS)}
    tokens = {role: await sign_in_staff(client, (await make_staff(role))[1]) for role in STAFF_ROLES}
    tokens.update({f"{role}@initial_password": await sign_in_staff(client, (await make_staff(role, must_change=True))[1])
                   for role in ("finance", "analyst")})
    tokens[OUT_VILLAGE] = await sign_in_staff(client, (await make_staff("village_worker", OTHER_VILLAGE))[1])
    tokens[NEIGHBOUR] = await sign_in_staff(client, (await make_staff("village_worker", YANBA))[1])
    people = {}
    for n, caller in enumerate((OWNER, OTHER)):
        phone = new_phone()
        async with unit_of_work():
            person = await applicants.register(staff_actor("village_worker"), applicants.ProfileInput(
                name="欧阳甲", id_number=make_id_number(birth=date(1951, 3, 4), seq=7 + n), address="新桥村1组",
                region_code=XINQIAO, phone=phone))
        people[caller] = Actor(kind="applicant", role="applicant", name="欧阳甲", applicant_id=person.id)
        tokens[caller] = await sign_in_applicant(client, sms, phone)
    tokens[ANON] = None
    # a document of the owner's case: the owner and the staff who read the case (never analysts)
    case = await make_case("linshi", "submitted", applicant=people[OWNER])
    material = await Material.filter(case_id=case.id).first()
    routes[f"/api/materials/{material.id}"] = {OWNER, *(set(CASE_READERS) - {"analyst"})}
    wrong = []
    for path, may in routes.items():
        for caller, token in tokens.items():
            response = await client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
            allowed = caller in may
            if allowed and response.status_code != 200:
                wrong.append(f"{path} × {caller}: allowed, got {response.status_code} {response.text[:120]}")
            if not allowed and (response.status_code not in (401, 403, 404)
                                or not is_refusal_code(response.json()["error"]["code"])):
                wrong.append(f"{path} × {caller}: should be refused, got {response.status_code}")
    assert not wrong, "\n".join(wrong)
