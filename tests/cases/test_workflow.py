"""The case state machine on its own: `decide` for every default item's route, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from api.aid_items.defaults import DEFAULT_ITEMS
from api.cases.workflow import ACTIONS, STATUSES, CaseView, Route, decide, next_status
from api.kit.actors import PROVINCE, SYSTEM, Actor
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from tests.factories import CUIPING, OTHER_TOWN, OTHER_VILLAGE, XINQIAO, YANBA, staff_actor

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
LONG_AGO = NOW - timedelta(days=3)  # far outside the withdrawal grace
APPLICANT_ID = 7


def route_from_defaults(item: dict) -> Route:
    """Builds an item's route the way `aid_items.service.route_of` does, from the default data."""
    limit = item["township_approval_limit"]
    return Route(
        stages=tuple(item["route"]), notice_days=item["notice_days"], payment=item["payment"],
        township_approval_limit=None if limit is None else Decimal(str(limit)),
        emergency_allowed=item["emergency_allowed"],
        whole_case_extendable=bool(item["whole_case_extended_working_days"]),
    )


ROUTES = {item["code"]: route_from_defaults(item) for item in DEFAULT_ITEMS}
ITEM_CODES = list(ROUTES)

ACTORS = {
    "owner": Actor(kind="applicant", role="applicant", name="张三", applicant_id=APPLICANT_ID),
    "stranger": Actor(kind="applicant", role="applicant", name="李四", applicant_id=APPLICANT_ID + 1),
    "village_worker": staff_actor("village_worker", XINQIAO),
    "township_officer": staff_actor("township_officer", CUIPING),
    "verifier": staff_actor("verifier"),
    "approver": staff_actor("approver"),
    "finance": staff_actor("finance"),
    "supervisor": staff_actor("supervisor"),
    "analyst": staff_actor("analyst"),
    "admin": staff_actor("admin"),
    "system": SYSTEM,
    "province": PROVINCE,
}

# Valid data for each action, so that a refusal can only come from status, caller or region.
DATA = {
    "accept": {},
    "return": {"reason": "缺少户口簿", "missing_materials": ["hukou"]},
    "refuse": {"reason": "户籍不在本区"},
    "resubmit": {},
    "withdraw": {},
    "investigate": {"investigators": ["王五", "赵六"], "visited_at": (NOW - timedelta(hours=2)).isoformat(),
                    "conclusion": "情况属实"},
    "verify": {"result": "pass", "household_monthly_income": "800"},
    "review": {"opinion": "同意上报"},
    "approve": {"amount": "500", "start_month": "2026-12"},
    "reject": {"reason": "家庭收入超过标准"},
    "pay_start": {},
    "close": {},
    "province_sent": {"reference": "SC-0001"},
    "province_decide": {"approved": True, "amount": "200", "start_month": "2026-12", "reference": "SC-0001"},
    "extend": {"reason": "家庭成员多，核对需要更多时间"},
    "pay_record": {"result": "paid", "amount": "650", "month": "2026-12"},
    "comment": {"comment": "已电话联系申请人，周五入户"},
    "assign": {"assignee": {"id": 7, "name": "翠屏街道经办人", "role": "township_officer", "region": CUIPING},
               "reason": "协理员休假，改由街道办理"},
}


def view(code: str, status: str, **kw) -> CaseView:
    values = {"route": ROUTES[code], "region_code": XINQIAO, "applicant_id": APPLICANT_ID, "channel": "self",
              "submitted_at": LONG_AGO}
    return CaseView(status=status, **{**values, **kw})


def outcome(action: str, case: CaseView, actor: Actor, data: dict | None = None, now: datetime = NOW) -> str:
    """Returns 'allowed', or which kind of refusal `decide` gave; any other exception propagates."""
    try:
        decide(action, case, actor, DATA[action] if data is None else data, now)
    except (ConflictError, NotAllowedError) as e:
        return e.kind
    return "allowed"


# ---- happy paths -----------------------------------------------------------------------------------

# (action, caller, status the case holds afterwards), independent of the route data.
FULL = [("accept", "township_officer", "investigating"), ("investigate", "township_officer", "verifying"),
        ("verify", "verifier", "reviewing"), ("review", "township_officer", "approving"),
        ("approve", "approver", "approved"), ("pay_start", "finance", "paying"), ("close", "finance", "closed")]
VERIFY_ONLY = [("accept", "township_officer", "verifying"), ("verify", "verifier", "approving"),
               ("approve", "approver", "approved"), ("pay_start", "finance", "paying"), ("close", "finance", "closed")]
INVESTIGATE_ONLY = [("accept", "township_officer", "investigating"), ("investigate", "township_officer", "approving"),
                    ("approve", "approver", "approved"), ("pay_start", "finance", "paying"),
                    ("close", "finance", "closed")]
HAPPY = {
    ("dibao", False): FULL,
    ("tekun", False): FULL,
    ("linshi", False): INVESTIGATE_ONLY,
    ("linshi", True): [("accept", "township_officer", "approving"), ("approve", "approver", "approved"),
                       ("pay_start", "finance", "paying"), ("close", "finance", "closed")],
    ("yiliao", False): VERIFY_ONLY,
    ("jiaoyu", False): VERIFY_ONLY,
    ("zhufang", False): [("accept", "township_officer", "investigating"),
                         ("investigate", "township_officer", "verifying"), ("verify", "verifier", "approving"),
                         ("approve", "approver", "approved"), ("pay_start", "finance", "paying"),
                         ("close", "finance", "closed")],
    ("jiuye", False): [("accept", "township_officer", "investigating"),
                       ("investigate", "township_officer", "approving"), ("approve", "approver", "approved"),
                       ("close", "approver", "closed")],
    ("shouzai", False): INVESTIGATE_ONLY,
    ("gaoling", False): [("accept", "township_officer", "accepted"), ("province_sent", "system", "province_review"),
                         ("province_decide", "province", "approved"), ("pay_start", "finance", "paying"),
                         ("close", "finance", "closed")],
    ("canji", False): INVESTIGATE_ONLY,
}


def test_happy_paths_cover_every_default_item() -> None:
    assert {code for code, _ in HAPPY} == set(ITEM_CODES)


@pytest.mark.parametrize(("code", "emergency"), list(HAPPY), ids=[f"{c}{'-emergency' * e}" for c, e in HAPPY])
def test_happy_path_walks_route_to_closed(code: str, emergency: bool) -> None:
    case = view(code, "submitted", emergency=emergency)
    walked = []
    for action, caller, _ in HAPPY[(code, emergency)]:
        t = decide(action, case, ACTORS[caller], DATA[action], NOW)
        walked.append((action, t.from_status, t.to_status))
        case = replace(case, status=t.to_status)

    expected_from = ["submitted"] + [to for _, _, to in HAPPY[(code, emergency)]][:-1]
    assert walked == [(a, f, to) for (a, _, to), f in zip(HAPPY[(code, emergency)], expected_from, strict=True)]


def test_next_status_after_last_stage_of_route_without_payment_is_approved() -> None:
    assert next_status(("accept", "investigate", "approve"), "approve") == "approved"


def test_next_status_after_payment_stage_is_closed() -> None:
    assert next_status(("accept", "approve", "pay"), "pay") == "closed"


# ---- every (status, action) pair -------------------------------------------------------------------

# The statuses a case of each item can hold; reached by its route, plus the ways out before acceptance.
COMMON = {"submitted", "returned", "refused", "withdrawn", "approved", "rejected", "closed"}
HOLDS = {
    "dibao": COMMON | {"investigating", "verifying", "reviewing", "approving", "paying"},
    "tekun": COMMON | {"investigating", "verifying", "reviewing", "approving", "paying"},
    "linshi": COMMON | {"investigating", "approving", "paying"},
    "yiliao": COMMON | {"verifying", "approving", "paying"},
    "jiaoyu": COMMON | {"verifying", "approving", "paying"},
    "zhufang": COMMON | {"investigating", "verifying", "approving", "paying"},
    "jiuye": COMMON | {"investigating", "approving"},
    "shouzai": COMMON | {"investigating", "approving", "paying"},
    "gaoling": COMMON | {"accepted", "province_review", "paying"},
    "canji": COMMON | {"investigating", "approving", "paying"},
}
PAYS = {"dibao", "tekun", "linshi", "yiliao", "jiaoyu", "zhufang", "shouzai", "gaoling", "canji"}
EXTENDABLE = {"dibao"}
# The only statuses each (action, caller) may start from, on any item (withdrawal long after submitting).
ALLOWED_FROM = {
    ("accept", "township_officer"): {"submitted"},
    ("accept", "village_worker"): {"submitted"},
    ("return", "township_officer"): {"submitted"},
    ("refuse", "township_officer"): {"submitted"},
    ("resubmit", "owner"): {"returned"},
    ("withdraw", "owner"): {"submitted", "returned"},
    ("investigate", "township_officer"): {"investigating"},
    ("investigate", "village_worker"): {"investigating"},
    ("verify", "verifier"): {"verifying"},
    ("review", "township_officer"): {"reviewing"},
    ("approve", "approver"): {"approving"},
    ("reject", "approver"): {"approving"},
    ("province_sent", "system"): {"accepted"},
    ("province_decide", "province"): {"province_review"},
    ("close", "finance"): {"paying"},
    ("pay_start", "finance"): {"approved"},  # items that pay
    ("close", "approver"): {"approved"},  # items that do not pay
    ("extend", "approver"): {"accepted", "investigating", "verifying", "reviewing", "approving", "province_review"},
    ("pay_record", "finance"): {"paying"},
    # an internal note: on any case still open
    ("comment", "verifier"): {"submitted", "returned", "accepted", "investigating", "verifying", "reviewing",
                              "approving", "province_review", "approved", "paying"},
    # assigning to a township officer: on any open case whose stage a township officer can act on
    ("assign", "supervisor"): {"submitted", "returned", "accepted", "investigating", "reviewing", "approving",
                               "province_review", "approved"},
}
ONLY_FOR = {("pay_start", "finance"): PAYS, ("close", "approver"): set(ITEM_CODES) - PAYS,
            ("extend", "approver"): EXTENDABLE}


def expected_statuses(code: str, operation: tuple[str, str]) -> set[str]:
    applies = code in ONLY_FOR.get(operation, ITEM_CODES)
    return ALLOWED_FROM[operation] & HOLDS[code] if applies else set()


def test_status_table_covers_every_status() -> None:
    assert set().union(*HOLDS.values()) == set(STATUSES)


def test_operation_table_covers_every_action_but_submit() -> None:
    assert {action for action, _ in ALLOWED_FROM} == set(ACTIONS) - {"submit"}


@pytest.mark.parametrize("code", ITEM_CODES)
@pytest.mark.parametrize("operation", list(ALLOWED_FROM), ids=[f"{a}-by-{c}" for a, c in ALLOWED_FROM])
def test_action_is_allowed_only_from_its_statuses(code: str, operation: tuple[str, str]) -> None:
    action, caller = operation

    allowed = {status: outcome(action, view(code, status), ACTORS[caller]) == "allowed" for status in HOLDS[code]}

    assert allowed == {status: status in expected_statuses(code, operation) for status in HOLDS[code]}


@pytest.mark.parametrize("status", ["refused", "withdrawn", "rejected", "closed"])
def test_ended_case_cannot_be_withdrawn_even_within_grace(status: str) -> None:
    case = view("dibao", status, submitted_at=NOW - timedelta(minutes=1))

    with pytest.raises(ConflictError) as e:
        decide("withdraw", case, ACTORS["owner"], {}, NOW)
    assert e.value.code == "case_closed"


@pytest.mark.parametrize("action", ["submit", "teleport"])
def test_decide_refuses_unknown_action(action: str) -> None:
    with pytest.raises(ValidationError) as e:
        decide(action, view("dibao", "submitted"), ACTORS["township_officer"], {}, NOW)
    assert e.value.code == "unknown_action"


# ---- who may act -----------------------------------------------------------------------------------

# (action, item, status, channel) → the callers that may take it; everyone else is refused as not allowed.
PERMITTED = {
    ("accept", "dibao", "submitted", "self"): {"village_worker", "township_officer"},
    ("return", "dibao", "submitted", "self"): {"township_officer"},
    ("refuse", "dibao", "submitted", "self"): {"township_officer"},
    ("resubmit", "dibao", "returned", "self"): {"owner"},
    ("resubmit", "dibao", "returned", "proxy"): {"owner", "village_worker", "township_officer"},
    ("withdraw", "dibao", "submitted", "self"): {"owner"},
    ("withdraw", "dibao", "submitted", "proxy"): {"owner", "village_worker", "township_officer"},
    ("investigate", "dibao", "investigating", "self"): {"village_worker", "township_officer"},
    ("verify", "dibao", "verifying", "self"): {"verifier"},
    ("review", "dibao", "reviewing", "self"): {"township_officer"},
    ("approve", "dibao", "approving", "self"): {"approver"},
    ("reject", "dibao", "approving", "self"): {"approver"},
    ("approve", "linshi", "approving", "self"): {"approver", "township_officer"},
    ("reject", "linshi", "approving", "self"): {"approver", "township_officer"},
    ("pay_start", "dibao", "approved", "self"): {"finance"},
    ("close", "dibao", "paying", "self"): {"finance"},
    ("close", "jiuye", "approved", "self"): {"approver", "township_officer"},
    ("province_sent", "gaoling", "accepted", "self"): {"system"},
    ("province_decide", "gaoling", "province_review", "self"): {"province"},
    ("extend", "dibao", "verifying", "self"): {"approver", "township_officer"},
    ("pay_record", "dibao", "paying", "self"): {"finance"},
    ("comment", "dibao", "verifying", "self"): {"village_worker", "township_officer", "verifier", "approver", "finance",
                                               "supervisor"},
    ("assign", "dibao", "investigating", "self"): {"township_officer", "supervisor"},
}


def expected_outcomes(permitted: set[str]) -> dict[str, str]:
    return {name: "allowed" if name in permitted else "not_allowed" for name in ACTORS}


def test_caller_table_covers_every_action_but_submit() -> None:
    assert {action for action, *_ in PERMITTED} == set(ACTIONS) - {"submit"}


@pytest.mark.parametrize("situation", list(PERMITTED), ids=["-".join(s) for s in PERMITTED])
def test_only_permitted_callers_may_take_action(situation: tuple[str, str, str, str]) -> None:
    action, code, status, channel = situation
    case = view(code, status, channel=channel)

    outcomes = {name: outcome(action, case, actor) for name, actor in ACTORS.items()}

    assert outcomes == expected_outcomes(PERMITTED[situation])


def test_village_worker_cannot_accept_outside_own_village() -> None:
    with pytest.raises(NotAllowedError) as e:
        decide("accept", view("dibao", "submitted"), staff_actor("village_worker", YANBA), {}, NOW)
    assert e.value.code == "outside_region"


# (action, item, status, channel, role of a caller bound to a region that does not hold the case)
OUTSIDERS = {"village_worker": OTHER_VILLAGE, "township_officer": OTHER_TOWN, "verifier": "511702",
             "approver": "511702", "finance": "511702"}
OUTSIDE = [
    ("assign", "dibao", "investigating", "self", "township_officer"),
    ("accept", "dibao", "submitted", "self", "village_worker"),
    ("accept", "dibao", "submitted", "self", "township_officer"),
    ("return", "dibao", "submitted", "self", "township_officer"),
    ("refuse", "dibao", "submitted", "self", "township_officer"),
    ("resubmit", "dibao", "returned", "proxy", "village_worker"),
    ("withdraw", "dibao", "submitted", "proxy", "township_officer"),
    ("investigate", "dibao", "investigating", "self", "village_worker"),
    ("investigate", "dibao", "investigating", "self", "township_officer"),
    ("verify", "dibao", "verifying", "self", "verifier"),
    ("review", "dibao", "reviewing", "self", "township_officer"),
    ("approve", "dibao", "approving", "self", "approver"),
    ("approve", "linshi", "approving", "self", "township_officer"),
    ("reject", "dibao", "approving", "self", "approver"),
    ("pay_start", "dibao", "approved", "self", "finance"),
    ("close", "dibao", "paying", "self", "finance"),
    ("close", "jiuye", "approved", "self", "township_officer"),
    ("extend", "dibao", "verifying", "self", "township_officer"),
]


@pytest.mark.parametrize("situation", OUTSIDE, ids=["-".join(s) for s in OUTSIDE])
def test_staff_outside_case_region_is_refused(situation: tuple[str, str, str, str, str]) -> None:
    action, code, status, channel, role = situation
    outsider = staff_actor(role, OUTSIDERS[role])

    with pytest.raises(NotAllowedError) as e:
        decide(action, view(code, status, channel=channel), outsider, DATA[action], NOW)
    assert e.value.code == "outside_region"


# ---- what each action needs ------------------------------------------------------------------------

def investigate(data: dict):
    return decide("investigate", view("dibao", "investigating"), ACTORS["township_officer"],
                  {**DATA["investigate"], **data}, NOW)


@pytest.mark.parametrize("investigators", [["王五"], ["王五", "王五"], ["王五", "  "], []])
def test_investigation_needs_two_distinct_investigators(investigators: list[str]) -> None:
    with pytest.raises(ValidationError) as e:
        investigate({"investigators": investigators})
    assert e.value.code == "investigators_required"


@pytest.mark.parametrize("visited_at", [None, "", "yesterday"])
def test_investigation_needs_visit_time(visited_at) -> None:
    with pytest.raises(ValidationError) as e:
        investigate({"visited_at": visited_at})
    assert e.value.code == "visit_time_required"


def test_investigation_refuses_visit_time_in_future() -> None:
    with pytest.raises(ValidationError) as e:
        investigate({"visited_at": (NOW + timedelta(hours=1)).isoformat()})
    assert e.value.code == "visit_time_future"


@pytest.mark.parametrize("conclusion", [None, "", "   "])
def test_investigation_needs_conclusion(conclusion) -> None:
    with pytest.raises(ValidationError) as e:
        investigate({"conclusion": conclusion})
    assert e.value.code == "conclusion_required"


def test_investigation_records_visit() -> None:
    t = investigate({"place": "新桥村1组"})

    assert {k: t.data[k] for k in ("investigators", "visited_at", "conclusion", "place")} == {
        "investigators": ["王五", "赵六"], "visited_at": (NOW - timedelta(hours=2)).isoformat(),
        "conclusion": "情况属实", "place": "新桥村1组"}


def approve(data: dict, *, code: str = "dibao", caller: str = "approver", **kw):
    return decide("approve", view(code, "approving", **kw), ACTORS[caller], {**DATA["approve"], **data}, NOW)


@pytest.mark.parametrize(("amount", "error"), [(None, "amount_required"), ("", "amount_required"),
                                               ("abc", "amount_required"), ("0", "amount_invalid"),
                                               ("-50", "amount_invalid"), ("0.001", "amount_invalid")])
def test_approval_needs_positive_amount(amount, error: str) -> None:
    with pytest.raises(ValidationError) as e:
        approve({"amount": amount})
    assert e.value.code == error


@pytest.mark.parametrize("month", [None, "", "2026-13", "2026-00", "2026-5", "2026/05", "202605", "26-05"])
def test_approval_needs_start_month_as_year_and_month(month) -> None:
    with pytest.raises(ValidationError) as e:
        approve({"start_month": month})
    assert e.value.code == "month_invalid"


def test_approval_records_amount_and_start_month() -> None:
    t = approve({"amount": "650.5", "start_month": "2027-01"})

    assert (t.to_status, t.data) == ("approved", {"amount": "650.50", "start_month": "2027-01"})


# (action, item, status, caller) of each action that needs a written reason
NEEDS_REASON = [("return", "dibao", "submitted", "township_officer"),
                ("refuse", "dibao", "submitted", "township_officer"),
                ("reject", "dibao", "approving", "approver"),
                ("extend", "dibao", "verifying", "approver"),
                ("province_decide", "gaoling", "province_review", "province")]


@pytest.mark.parametrize("situation", NEEDS_REASON, ids=[s[0] for s in NEEDS_REASON])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_action_needs_written_reason(situation: tuple[str, str, str, str], reason) -> None:
    action, code, status, caller = situation

    with pytest.raises(ValidationError) as e:
        decide(action, view(code, status), ACTORS[caller], {"reason": reason, "approved": False}, NOW)
    assert e.value.code == "reason_required"


@pytest.mark.parametrize("situation", NEEDS_REASON, ids=[s[0] for s in NEEDS_REASON])
def test_action_records_its_reason_as_comment(situation: tuple[str, str, str, str]) -> None:
    action, code, status, caller = situation

    t = decide(action, view(code, status), ACTORS[caller], {"reason": " 理由 ", "approved": False}, NOW)

    assert t.comment == "理由"


def test_return_records_missing_materials() -> None:
    t = decide("return", view("dibao", "submitted"), ACTORS["township_officer"], DATA["return"], NOW)

    assert (t.to_status, t.data) == ("returned", {"missing_materials": ["hukou"]})


# ---- withdrawal --------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["submitted", "returned"])
def test_applicant_may_withdraw_any_time_before_acceptance(status: str) -> None:
    case = view("dibao", status, submitted_at=NOW - timedelta(days=20))

    assert decide("withdraw", case, ACTORS["owner"], {}, NOW).to_status == "withdrawn"


def test_applicant_may_withdraw_accepted_case_within_ten_minutes_of_submitting() -> None:
    case = view("dibao", "investigating", submitted_at=NOW - timedelta(minutes=10))

    assert decide("withdraw", case, ACTORS["owner"], {}, NOW).to_status == "withdrawn"


def test_applicant_cannot_withdraw_accepted_case_after_ten_minutes() -> None:
    case = view("dibao", "investigating", submitted_at=NOW - timedelta(minutes=10, seconds=1))

    with pytest.raises(ConflictError) as e:
        decide("withdraw", case, ACTORS["owner"], {}, NOW)
    assert e.value.code == "withdraw_too_late"


def test_other_applicant_cannot_withdraw_case() -> None:
    with pytest.raises(NotAllowedError) as e:
        decide("withdraw", view("dibao", "submitted"), ACTORS["stranger"], {}, NOW)
    assert e.value.code == "not_owner"


# ---- review, public notice, approval -----------------------------------------------------------------

@pytest.mark.parametrize("code", ["dibao", "tekun"])
def test_review_starts_seven_day_public_notice(code: str) -> None:
    t = decide("review", view(code, "reviewing"), ACTORS["township_officer"], DATA["review"], NOW)

    assert (t.to_status, t.data["notice_days"], t.data["notice_until"]) == (
        "approving", 7, (NOW + timedelta(days=7)).isoformat())


@pytest.mark.parametrize("code", ["dibao", "tekun"])
def test_review_starts_no_public_notice_for_minor(code: str) -> None:
    case = view(code, "reviewing", applicant_is_minor=True)

    t = decide("review", case, ACTORS["township_officer"], DATA["review"], NOW)

    assert (t.to_status, t.data) == ("approving", {"opinion": "同意上报", "notice_days": 0})


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_decision_is_refused_while_public_notice_runs(action: str) -> None:
    case = view("dibao", "approving", notice_until=NOW + timedelta(minutes=1))

    with pytest.raises(ConflictError) as e:
        decide(action, case, ACTORS["approver"], DATA[action], NOW)
    assert e.value.code == "notice_running"


def test_approval_is_allowed_once_public_notice_ends() -> None:
    assert approve({}, notice_until=NOW).to_status == "approved"


def test_township_may_approve_linshi_within_its_limit() -> None:
    t = approve({"amount": "1000"}, code="linshi", caller="township_officer")

    assert (t.to_status, t.data["amount"]) == ("approved", "1000.00")


def test_township_cannot_approve_linshi_above_its_limit() -> None:
    with pytest.raises(NotAllowedError) as e:
        approve({"amount": "1000.01"}, code="linshi", caller="township_officer")
    assert e.value.code == "above_township_limit"


def test_district_may_approve_linshi_above_township_limit() -> None:
    assert approve({"amount": "5000"}, code="linshi").to_status == "approved"


@pytest.mark.parametrize("code", ["dibao", "tekun", "yiliao", "jiaoyu", "zhufang", "jiuye", "shouzai", "canji"])
def test_township_cannot_approve_item_without_township_limit(code: str) -> None:
    with pytest.raises(NotAllowedError) as e:
        approve({"amount": "1"}, code=code, caller="township_officer")
    assert e.value.code == "above_township_limit"


# ---- emergency 临时救助 ---------------------------------------------------------------------------------

def test_emergency_linshi_skips_investigation_after_acceptance() -> None:
    case = view("linshi", "submitted", emergency=True)

    assert decide("accept", case, ACTORS["township_officer"], {}, NOW).to_status == "approving"


def test_emergency_flag_does_not_shorten_route_of_item_without_emergency_help() -> None:
    case = view("dibao", "submitted", emergency=True)

    assert decide("accept", case, ACTORS["township_officer"], {}, NOW).to_status == "investigating"


# ---- the provincial round trip ---------------------------------------------------------------------------

@pytest.mark.parametrize("caller", ["township_officer", "approver", "supervisor", "owner", "province"])
def test_only_system_records_province_push(caller: str) -> None:
    with pytest.raises(NotAllowedError) as e:
        decide("province_sent", view("gaoling", "accepted"), ACTORS[caller], DATA["province_sent"], NOW)
    assert e.value.code == "system_only"


@pytest.mark.parametrize("caller", ["township_officer", "approver", "supervisor", "owner", "system"])
def test_only_province_records_province_decision(caller: str) -> None:
    with pytest.raises(NotAllowedError) as e:
        decide("province_decide", view("gaoling", "province_review"), ACTORS[caller], DATA["province_decide"], NOW)
    assert e.value.code == "province_only"


def test_province_approval_records_amount_and_reference() -> None:
    t = decide("province_decide", view("gaoling", "province_review"), PROVINCE, DATA["province_decide"], NOW)

    assert (t.to_status, t.data) == ("approved", {"amount": "200.00", "start_month": "2026-12",
                                                  "reference": "SC-0001"})


def test_province_rejection_rejects_case_with_reason() -> None:
    data = {"approved": False, "reason": "已在其他地区享受", "reference": "SC-0001"}

    t = decide("province_decide", view("gaoling", "province_review"), PROVINCE, data, NOW)

    assert (t.to_status, t.comment) == ("rejected", "已在其他地区享受")


# ---- extending the whole-case limit ---------------------------------------------------------------------

def test_dibao_case_may_be_extended_once_with_reason() -> None:
    t = decide("extend", view("dibao", "verifying"), ACTORS["approver"], DATA["extend"], NOW)

    assert (t.from_status, t.to_status, t.comment) == ("verifying", "verifying", "家庭成员多，核对需要更多时间")


def test_dibao_case_cannot_be_extended_twice() -> None:
    with pytest.raises(ConflictError) as e:
        decide("extend", view("dibao", "verifying", extended=True), ACTORS["approver"], DATA["extend"], NOW)
    assert e.value.code == "already_extended"


@pytest.mark.parametrize("code", sorted(set(ITEM_CODES) - EXTENDABLE))
def test_only_dibao_case_may_be_extended(code: str) -> None:
    status = HAPPY[(code, False)][0][2]  # the status right after acceptance

    with pytest.raises(ConflictError) as e:
        decide("extend", view(code, status), ACTORS["approver"], DATA["extend"], NOW)
    assert e.value.code == "not_extendable"


@pytest.mark.parametrize("status", ["submitted", "returned", "approved", "paying"])
def test_dibao_case_cannot_be_extended_before_acceptance_or_after_decision(status: str) -> None:
    with pytest.raises(ConflictError) as e:
        decide("extend", view("dibao", status), ACTORS["approver"], DATA["extend"], NOW)
    assert e.value.code == "invalid_transition"
