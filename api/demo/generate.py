"""Synthetic data to measure statistics on: `python -m api.demo.generate --cases N [--database-url URL]`.

Fills a database with realistic but invented cases: every township and item, the three channels
(self-service on the phone growing over the years, proxy for the very old), applicants' ages skewed old,
whole timelines whose stage durations mostly keep within the limits and sometimes overrun them, cases
still open (some overdue), provincial round trips (a few failing or dead), payments and 回头看 surveys
with comments. No real person's data: names are drawn from common characters, ID numbers are valid but
made up (and stored encrypted, like real ones), phone numbers are random and no account is created for
them, so nothing is ever sent to them.

Rows are written in batches with PostgreSQL's COPY (asyncpg `copy_records_to_table`) or SQLite's
`executemany`, never one ORM save per row, so a million cases take minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tortoise import connections

from api.analytics.workdays import WorkdayIndex
from api.kit.idnumber import make_id_number, mask_id_number

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任"
            "卢姚沈钟姜崔谭陆范汪廖贾夏付方邹熊孟秦邱侯尹薛闫段雷黎史陶贺毛郝顾龚邵覃钱严莫孔向常汤康易乔赖")
_GIVEN_CANDIDATES = ("秀英桂兰玉珍凤芝淑华德福建国志强永学春梅红霞丽娟晓燕海涛俊杰树成贵发荣兴顺才辉素琴翠"
                     "银少开芳敏静伟刚勇军平波斌磊洪亮宏伦忠义礼仁智信孝廉耀祖宗绍远鹏飞燕琼莲菊萍娥蓉莉婷娅")
COMMENTS = {
    "good": ("工作人员上门帮我办的，很方便", "手机上就能申请，不用跑路了", "办得很快，谢谢政府", "协理员很耐心，讲得清楚",
             "材料一次就说清楚了，没有白跑", "进度随时能查，心里踏实", "老人不会用手机，村里帮忙代办，很贴心"),
    "fair": ("流程还可以，就是等的时间有点长", "字有点小，老人看不清", "要交的材料有点多", "公示期太长了"),
    "poor": ("等了很久没有消息", "退回补正没说清楚缺什么，跑了两趟", "审批太慢了", "电话打不通，不知道进度",
             "结果不满意，也没人解释"),
}
# characters that appear in anything a statistic may show: no generated name may be spelled with them
_SHOWN = ("".join(v for vs in COMMENTS.values() for v in vs)
          + "三里坪街道翠屏石板斌郎明月江杨柳亭子镇福善麻柳大树南岳万家景市百节赵家河金垭渡管村梯桥堡草街梧桐梁"
          "华坝新堰蔡长田临亚云社区示例一二村最低生活保障特困人员救助供养临时医疗教育住房就业受灾高龄津贴残疾两项补"
          "提交受理调查核对审核公示审批通过未不予撤回发放中已办结省级窗口代办自助帮手机掌上岁至及以下上某隐去工作日")
GIVEN = "".join(ch for ch in dict.fromkeys(_GIVEN_CANDIDATES) if ch not in _SHOWN)
ITEM_WEIGHTS = {"dibao": 22, "gaoling": 18, "linshi": 15, "yiliao": 12, "canji": 9, "jiaoyu": 7, "tekun": 6,
                "zhufang": 4, "shouzai": 4, "jiuye": 3}
TOWNSHIP_WEIGHTS = {"三里坪街道": 6, "翠屏街道": 7, "石板街道": 4, "斌郎街道": 3, "明月江街道": 3, "杨柳街道": 3}
DISTRICT = "511703"
ID_REGIONS = ("511703", "511703", "511703", "511702", "511722", "511721", "511723")
STAGE_STATUS = {"accept": "submitted", "investigate": "investigating", "verify": "verifying", "review": "reviewing",
                "approve": "approving", "province": "accepted", "pay": "approved"}
TERMINAL = {"refused", "withdrawn", "rejected", "closed"}
OFFICE_START, OFFICE_END = 8.5 * 3600, 17.5 * 3600

APPLICANT_COLS = ("id", "name", "id_number_enc", "id_number_hash", "id_masked", "birth_date", "sex", "phone",
                  "address", "region_id", "account_id", "registered_by_id", "bank_name", "bank_account_enc",
                  "bank_masked", "created_at", "updated_at")
CASE_COLS = ("id", "number", "applicant_id", "item_id", "region_id", "channel", "proxy_by_id", "status", "emergency",
             "form_data", "submission_key", "open_key", "submitted_at", "draft_started_at", "accepted_at",
             "decided_at", "closed_at", "stage_started_at", "warn_at", "due_at", "case_due_at", "extended",
             "extension_reason", "notice_until", "notice_ended", "clock_flag", "investigation", "verification",
             "amount", "start_month", "decision_reason", "last_seq", "created_at", "updated_at")
EVENT_COLS = ("id", "case_id", "seq", "action", "from_status", "to_status", "actor_kind", "actor_staff_id",
              "actor_name", "actor_role", "comment", "public", "data", "created_at")
SYNC_COLS = ("id", "case_id", "request_id", "reference", "state", "attempts", "last_error", "created_at",
             "pushed_at", "decided_at", "last_checked_at", "decision")
OUTBOX_COLS = ("id", "topic", "key", "payload", "status", "attempts", "next_attempt_at", "claimed_by",
               "claimed_until", "last_error", "created_at", "done_at")
SURVEY_COLS = ("id", "case_id", "rating", "ease", "helped", "how_applied", "answered_by", "comment", "created_at")
TABLES = (("applicant", APPLICANT_COLS), ("aid_case", CASE_COLS), ("case_event", EVENT_COLS),
          ("province_sync", SYNC_COLS), ("outbox_message", OUTBOX_COLS), ("satisfaction", SURVEY_COLS))


@dataclass
class Item:
    id: int
    code: str
    route: list[str]
    limits: dict[str, float]
    notice_days: int
    payment: str | None
    whole_case: int | None
    whole_case_extended: int | None
    emergency_allowed: bool
    emergency_hours: int | None
    township_limit: float | None
    forms: list[str]


@dataclass
class Staff:
    id: int
    name: str
    role: str


@dataclass
class World:
    """What the generator draws on: items, villages by township, staff, and the working-day index."""

    items: dict[str, Item]
    villages: dict[str, list[tuple[str, str]]]  # township code → [(village code, name)]
    township_names: dict[str, str]
    workers: dict[str, Staff]  # village code → village worker
    officers: dict[str, Staff]  # township code → township officer
    district: dict[str, Staff]  # role → staff
    days: WorkdayIndex


@dataclass
class Batch:
    rows: dict[str, list[tuple]] = field(default_factory=lambda: {t: [] for t, _ in TABLES})


@dataclass
class Ids:
    applicant: int
    case: int
    event: int
    sync: int
    outbox: int
    survey: int


class Generator:
    """Builds the rows of one batch of cases at a time, deterministically from a seed."""

    def __init__(self, world: World, *, seed: int, now: datetime, months: int, ids: Ids, run: str) -> None:
        self.w = world
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=round(months * 30.44))
        self.ids = ids
        self.run = run
        from api.applicants.service import BANK_CONTEXT, ID_CONTEXT, mask_bank
        from api.kit.crypto import get_cipher

        self.cipher = get_cipher()
        self.id_context, self.bank_context, self.mask_bank = ID_CONTEXT, BANK_CONTEXT, mask_bank
        codes = list(world.items)
        self.item_codes = codes
        self.item_weights = [ITEM_WEIGHTS.get(c, 3) for c in codes]
        towns = sorted(world.villages)
        self.towns = towns
        self.town_weights = [TOWNSHIP_WEIGHTS.get(world.township_names[t], 1 + (int(t[-3:]) % 3) * 0.6) for t in towns]
        # some townships are slower than others, so overdue rates differ between them
        self.town_pace = {t: 0.75 + 0.6 * random.Random(f"{seed}:{t}").random() for t in towns}
        self.forms = {c: [json.dumps(f, ensure_ascii=False) for f in it.forms] for c, it in world.items.items()}
        self.batch = Batch()

    # ------------------------------------------------------------------------------------- small draws

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0, sigma))

    def plan(self, cases: int) -> None:
        """Draws the submission moments of the next `cases` cases, in order: case numbers grow with time, as
        they do in the service (and as the database's statistics about table order expect)."""
        # applications grow over the period: the density rises linearly by half (inverse of its distribution)
        self.moments = iter(sorted(2 * (math.sqrt(1 + 1.25 * self.rng.random()) - 1) for _ in range(cases)))

    def next_moment(self) -> datetime:
        x = next(self.moments, None)
        x = self.rng.random() if x is None else x
        return self.start + (self.now - self.start) * x

    def submission_time(self, moment: datetime, channel: str) -> datetime:
        """Returns the submission on the moment's day: phones any time of day, staff in office hours."""
        day = WorkdayIndex.local_day(moment)
        if channel == "self":
            hour = min(23.9, max(6.5, self.rng.gauss(15, 4.5)))
            at = WorkdayIndex.at(day, hour * 3600 + self.rng.random() * 60)
        else:
            at = WorkdayIndex.at(self.w.days.worked_on_or_after(day), self.rng.uniform(OFFICE_START, OFFICE_END))
        return min(at, self.now - timedelta(minutes=self.rng.uniform(1, 240)))

    def after(self, start: datetime, working_days: float) -> datetime:
        """Returns a moment in office hours about `working_days` of working time after start."""
        target = self.w.days.add(start, working_days)
        day = self.w.days.worked_on_or_after(WorkdayIndex.local_day(target))
        seconds = (target.timestamp() + 8 * 3600) % 86400 if WorkdayIndex.local_day(target) == day else 0
        if seconds < OFFICE_START:
            seconds = OFFICE_START + self.rng.random() * 5400
        elif seconds > OFFICE_END:
            day = self.w.days.nth_after(day, 1)
            seconds = OFFICE_START + self.rng.random() * 7200
        return max(WorkdayIndex.at(day, seconds), start + timedelta(minutes=5))

    def stage_time(self, limit: float, pace: float, over_share: float = 0.06) -> float:
        """Working days a stage takes: mostly well within the limit, sometimes over it."""
        if self.rng.random() < over_share * pace:
            return limit * self.rng.uniform(1.03, 1.9)
        return limit * min(0.97, self.rng.betavariate(2, 3.2) * pace)

    # ------------------------------------------------------------------------------------- people

    def age_for(self, code: str) -> int:
        r = self.rng.random()
        if code == "gaoling":
            if r < 0.06:
                return self.rng.choice((78, 79))
            if r < 0.76:
                return self.rng.randint(80, 89)
            return self.rng.randint(90, 99) if r < 0.99 else self.rng.randint(100, 104)
        if code == "jiaoyu":
            return self.rng.randint(6, 22)
        if code == "tekun":
            return self.rng.randint(55, 95)
        return int(18 + 80 * self.rng.betavariate(2.6, 1.5))

    def channel_for(self, age: int, submitted: datetime) -> str:
        progress = (submitted - self.start) / (self.now - self.start)
        ramp = 0.55 + 0.8 * progress  # self-service grows as the reform takes hold
        if age >= 80:
            weights = (0.12 * ramp, 0.6, 0.28)
        elif age >= 60:
            weights = (0.38 * ramp, 0.32, 0.3)
        else:
            weights = (0.62 * ramp, 0.1, 0.28)
        return self.rng.choices(("self", "proxy", "counter"), weights)[0]

    def applicant(self, birth: date, town: str, village: tuple[str, str], proxied: bool) -> int:
        self.ids.applicant += 1
        aid = self.ids.applicant
        seq = self.rng.randrange(1000)
        number = make_id_number(region=self.rng.choice(ID_REGIONS), birth=birth, seq=seq)
        bank = "62179955" + "".join(self.rng.choice("0123456789") for _ in range(11))
        has_phone = self.rng.random() < (0.55 if (self.now.date() - birth).days > 80 * 365 else 0.92)
        created = datetime.combine(self.start.date(), datetime.min.time(), UTC)
        self.batch.rows["applicant"].append((
            aid, self.name(), self.cipher.encrypt(number, context=self.id_context),
            # unique by construction: the blind index of a synthetic key, never of a real number
            self.cipher.blind_index(f"synthetic:{self.run}:{aid}", context=self.id_context), mask_id_number(number),
            birth, "male" if seq % 2 else "female", self.phone() if has_phone else None,
            f"{village[1]}{self.rng.randint(1, 12)}组{self.rng.randint(1, 80)}号", village[0], None,
            self.w.workers[village[0]].id if proxied else None, "四川农信",
            self.cipher.encrypt(bank, context=self.bank_context), self.mask_bank(bank), created, created,
        ))
        return aid

    # ------------------------------------------------------------------------------------- one batch

    def people(self, n_cases: int) -> int:
        """Adds applicants and their cases until `n_cases` cases are made; returns how many were made."""
        made = 0
        while made < n_cases:
            first = self.rng.choices(self.item_codes, self.item_weights)[0]
            age = self.age_for(first)
            town = self.rng.choices(self.towns, self.town_weights)[0]
            village = self.rng.choice(self.w.villages[town])
            k = min(n_cases - made, self.rng.choices((1, 2, 3), (78, 18, 4))[0])
            items = [first]
            for _ in range(k - 1):
                allowed = [c for c in self.item_codes if c not in items and not (c == "gaoling" and age < 78)
                           and not (c == "jiaoyu" and age > 22) and not (c == "tekun" and age < 55)]
                if not allowed:
                    break
                items.append(self.rng.choices(allowed, [ITEM_WEIGHTS.get(c, 3) for c in allowed])[0])
            moments = [self.next_moment() for _ in items]
            birth = (moments[0].date() - timedelta(days=round(age * 365.25 + self.rng.uniform(5, 360))))
            channels = [self.channel_for(age, m) for m in moments]
            times = [self.submission_time(m, ch) for m, ch in zip(moments, channels, strict=True)]
            applicant_id = self.applicant(birth, town, village, proxied=any(c != "self" for c in channels))
            name = self.batch.rows["applicant"][-1][1]
            for code, ch, t in zip(items, channels, times, strict=True):
                self.case(applicant_id, name, birth, town, village[0], self.w.items[code], ch, t)
                made += 1
        return made

    def case(self, applicant_id: int, name: str, birth: date, town: str, village: str, item: Item, channel: str,
             submitted: datetime) -> None:
        self.ids.case += 1
        cid = self.ids.case
        rng, now = self.rng, self.now
        pace = self.town_pace[town]
        age = submitted.date().year - birth.year - ((submitted.month, submitted.day) < (birth.month, birth.day))
        emergency = item.emergency_allowed and rng.random() < 0.3
        stages = [s for s in item.route if not (emergency and s in ("investigate", "verify", "review"))]
        worker, officer = self.w.workers[village], self.w.officers[town]
        d = self.w.district
        events: list[tuple] = []
        c = {"status": "submitted", "accepted_at": None, "decided_at": None, "closed_at": None, "notice_until": None,
             "investigation": None, "verification": None, "amount": None, "start_month": None, "reason": None,
             "extended": False, "extension_reason": None, "entered": submitted}

        def who(kind: str) -> tuple:
            if kind == "applicant":
                return ("applicant", None, name, "applicant")
            if kind == "system":
                return ("system", None, "系统", "system")
            if kind == "province":
                return ("province", None, "省高龄津贴管理系统", "province")
            s = {"worker": worker, "officer": officer}.get(kind) or d[kind]
            return ("staff", s.id, s.name, s.role)

        def add(action: str, to: str, at: datetime, actor: str, comment: str = "", data: dict | None = None) -> bool:
            if at > now:
                return False
            frm = None if action == "submit" else c["status"]
            events.append((action, frm, to, who(actor), comment, data or {}, at))
            if to != frm:
                c["entered"] = at
            c["status"] = to
            return True

        submitter = {"self": "applicant", "proxy": "worker", "counter": "officer"}[channel]
        add("submit", "submitted", submitted, submitter,
            {"self": "", "proxy": "工作人员代为提交（帮办代办）", "counter": "窗口受理录入"}[channel])
        draft = None
        if channel == "self":
            draft = submitted - timedelta(minutes=max(1.0, self.lognormal(16, 0.8)))
            if rng.random() < 0.12:
                draft -= timedelta(hours=rng.uniform(1, 96))
        elif channel == "proxy":
            draft = submitted - timedelta(minutes=max(1.0, self.lognormal(9, 0.6)))
        elif rng.random() < 0.4:
            draft = submitted - timedelta(minutes=max(1.0, self.lognormal(6, 0.5)))
        sync = None
        t = submitted
        over_any = False
        while True:  # one pass through the route; `break` when the case stops (ended, or now is reached)
            if rng.random() < 0.02:
                add("withdraw", "withdrawn", t + timedelta(minutes=rng.uniform(2, 2880)), submitter)
                break
            limit = item.limits.get("accept", 3)
            wd = self.stage_time(limit, pace, 0.05)
            over_any |= wd > limit
            t = self.after(t, wd)
            r = rng.random()
            if r < 0.08:
                if not add("return", "returned", t, "officer", "请补充户口簿", {"missing_materials": ["户口簿"]}):
                    break
                t = t + timedelta(days=self.lognormal(3, 0.7))
                if rng.random() < 0.12:
                    add("withdraw", "withdrawn", t + timedelta(days=rng.uniform(5, 30)), submitter)
                    break
                if not add("resubmit", "submitted", t, submitter):
                    break
                t = self.after(t, self.stage_time(limit, pace, 0.04))
            if r > 0.97:
                if add("refuse", "refused", t, "officer", "不符合申请条件"):
                    c["decided_at"], c["reason"] = t, "不符合申请条件"
                break
            nxt = stages[1] if len(stages) > 1 else "approve"
            accepter = "worker" if channel == "proxy" and rng.random() < 0.3 else "officer"
            if not add("accept", STAGE_STATUS[nxt], t, accepter):
                break
            c["accepted_at"] = t
            if item.code == "dibao" and rng.random() < 0.03:
                if not add("extend", c["status"], t + timedelta(days=rng.uniform(5, 20)), "officer", "需进一步核实收入"):
                    break
                c["extended"], c["extension_reason"] = True, "需进一步核实收入"
            decided = False
            for stage in stages[1:]:
                status_after = self._next_status(stages, stage)
                if stage == "province":
                    sync, ok = self._province(cid, item, age, t, c, add)
                    if not ok:
                        break
                    t = c["decided_at"]
                    decided = True
                    if c["status"] == "rejected":
                        break
                    continue
                if stage == "pay":
                    if c["status"] != "approved":
                        break
                    if emergency:
                        t = t + timedelta(hours=self.lognormal(6, 0.5))
                    else:
                        t = self.after(t, self.stage_time(item.limits.get("pay", 10), pace, 0.04))
                    if not add("pay_start", "paying", t, "finance"):
                        break
                    if item.payment == "once":
                        t = t + timedelta(days=rng.uniform(1, 12))
                        if add("close", "closed", t, "finance", "已发放"):
                            c["closed_at"] = t
                    break
                start = c["notice_until"] if stage == "approve" and c["notice_until"] else t
                limit = item.limits.get(stage, 10)
                if emergency and stage == "approve":
                    # emergency 临时救助: help first, within 48 hours of acceptance
                    t = t + timedelta(hours=min(70.0, self.lognormal(18, 0.6)))
                else:
                    wd = self.stage_time(limit, pace)
                    over_any |= wd > limit
                    t = self.after(start, wd)
                if stage == "investigate":
                    data = {"investigators": [worker.name, officer.name], "visited_at": (t - timedelta(hours=2)).isoformat(),
                            "conclusion": "情况属实", "place": "申请人家中", "findings": ""}
                    if not add("investigate", status_after, t, "officer", "", data):
                        break
                    c["investigation"] = data
                elif stage == "verify":
                    data = {"result": "pass" if rng.random() < 0.9 else "fail",
                            "household_monthly_income": f"{rng.randint(0, 30) * 100}.00", "note": ""}
                    if not add("verify", status_after, t, "verifier", "", data):
                        break
                    c["verification"] = data
                elif stage == "review":
                    notice = item.notice_days if age >= 18 else 0
                    data = {"opinion": "同意上报", "notice_days": notice}
                    if notice:
                        c["notice_until"] = t + timedelta(days=notice)
                        data["notice_until"] = c["notice_until"].isoformat()
                    if not add("review", status_after, t, "officer", "同意上报", data):
                        break
                elif stage == "approve":
                    failed = (c["verification"] or {}).get("result") == "fail"
                    reject = rng.random() < (0.8 if failed else 0.09)
                    amount = self._amount(item, age)
                    approver = ("officer" if item.township_limit is not None and (reject or amount <= item.township_limit)
                                and rng.random() < 0.7 else "approver")
                    if reject:
                        if not add("reject", "rejected", t, approver, "家庭收入超过保障标准"):
                            break
                        c["decided_at"], c["reason"] = t, "家庭收入超过保障标准"
                        break
                    month = (t + timedelta(days=20)).strftime("%Y-%m")
                    if not add("approve", status_after, t, approver, "", {"amount": str(amount), "start_month": month}):
                        break
                    c["decided_at"], c["amount"], c["start_month"] = t, amount, month
                    decided = True
                    if status_after == "closed":
                        c["closed_at"] = t
            else:
                if decided and c["status"] == "approved" and "pay" not in stages:
                    t = t + timedelta(minutes=rng.uniform(5, 600))
                    if add("close", "closed", t, "approver"):
                        c["closed_at"] = t
            break
        self._write_case(cid, applicant_id, item, village, channel, emergency, submitted, draft, c, events, worker,
                         over_any, age)
        if sync is not None:
            self._write_sync(cid, sync)

    @staticmethod
    def _next_status(stages: list[str], after: str) -> str:
        i = stages.index(after)
        if i + 1 < len(stages):
            return STAGE_STATUS[stages[i + 1]]
        return "approved" if after in ("approve", "province") else "closed"

    def _amount(self, item: Item, age: int) -> Decimal:
        rng = self.rng
        if item.code == "gaoling":
            return Decimal(50 if age < 90 else 100 if age < 100 else 300)
        if item.payment == "monthly":
            return Decimal(rng.randint(25, 95) * 10)
        if item.code == "linshi":
            return Decimal(rng.randint(3, 40) * 50)
        return Decimal(rng.randint(5, 200) * 100)

    def _province(self, cid: int, item: Item, age: int, accepted: datetime, c: dict, add: Callable) -> tuple[dict, bool]:
        """The 高龄津贴 round trip after acceptance; returns the sync record and whether a decision came."""
        rng = self.rng
        number = f"DC{accepted.astimezone(UTC).year}-{cid:06d}"
        sync = {"request_id": f"{number}-GL", "reference": None, "state": "pending", "attempts": 0, "last_error": None,
                "created_at": accepted, "pushed_at": None, "decided_at": None, "last_checked_at": None,
                "decision": None}
        r = rng.random()
        if r < 0.006:
            sync.update(state="dead", attempts=8, last_error="省级系统连接超时（已停止重试）")
            return sync, False
        push = accepted + timedelta(seconds=self.lognormal(40, 0.8))
        if r < 0.04:
            sync["attempts"] = rng.randint(1, 5)
            push += timedelta(minutes=sum(2 ** i for i in range(sync["attempts"])) * rng.uniform(1, 3))
            sync["last_error"] = "HTTP 503"
        if push > self.now:
            sync["state"] = "failing" if sync["attempts"] else "pending"
            return sync, False
        reference = f"SC{cid:010d}"
        sync.update(state="sent", reference=reference, pushed_at=push, last_error=None)
        if not add("province_sent", "province_review", push, "system", "", {"reference": reference}):
            return sync, False
        decided = push + timedelta(hours=min(240.0, self.lognormal(4, 1.4)))
        approved = age >= 80 and rng.random() > 0.02
        reason = None if approved else ("申请人未满80周岁" if age < 80 else "已在其他地区享受")
        amount = self._amount(item, age)
        month = (decided + timedelta(days=20)).strftime("%Y-%m")
        decision = {"request_id": sync["request_id"], "reference": reference,
                    "status": "approved" if approved else "rejected", "reason": reason,
                    "monthly_amount": str(amount) if approved else None, "first_month": month if approved else None}
        data = ({"amount": str(amount), "start_month": month, "reference": reference} if approved
                else {"reference": reference})
        if not add("province_decide", "approved" if approved else "rejected", decided, "province",
                   "省级审核通过" if approved else reason, data):
            return sync, False
        sync.update(state="decided", decided_at=decided, decision=decision)
        c["decided_at"] = decided
        if approved:
            c["amount"], c["start_month"] = amount, month
        else:
            c["reason"] = reason
        return sync, True

    # ------------------------------------------------------------------------------------- rows

    def _write_case(self, cid: int, applicant_id: int, item: Item, village: str, channel: str, emergency: bool,
                    submitted: datetime, draft: datetime | None, c: dict, events: list, worker: Staff, over_any: bool,
                    age: int) -> None:
        rng, now, days = self.rng, self.now, self.w.days
        status = c["status"]
        number = f"DC{submitted.astimezone(UTC).year}-{cid:06d}"
        stage_started = warn = due = case_due = None
        if status not in TERMINAL and status != "returned":
            stage_started = c["entered"]
            stage = next((s for s, st in STAGE_STATUS.items() if st == status), None)
            if status == "province_review":
                stage = "province"
            if status == "approving" and c["notice_until"]:
                stage_started = max(stage_started, c["notice_until"])
            limit = item.limits.get(stage) if stage else None
            if emergency and status in ("approving", "approved") and item.emergency_hours and c["accepted_at"]:
                warn = c["accepted_at"] + timedelta(hours=item.emergency_hours * 0.75)
                due = c["accepted_at"] + timedelta(hours=item.emergency_hours)
            elif limit:
                warn, due = days.add(stage_started, limit * 0.75), days.add(stage_started, limit)
            if item.whole_case and c["accepted_at"] and status not in ("approved", "paying"):
                case_due = days.add(c["accepted_at"], item.whole_case_extended if c["extended"] else item.whole_case)
        flag = "ok"
        if (due and due <= now) or (case_due and case_due <= now):
            flag = "overdue"
        elif warn and warn <= now:
            flag = "warning"
        last = events[-1][6]
        open_key = None if status in TERMINAL else f"{applicant_id}:{item.id}"
        notice = c["notice_until"]
        self.batch.rows["aid_case"].append((
            cid, number, applicant_id, item.id, village, channel, worker.id if channel == "proxy" else None, status,
            emergency, rng.choice(self.forms[item.code]), f"gen{self.run}{cid}", open_key, submitted, draft,
            c["accepted_at"], c["decided_at"], c["closed_at"], stage_started, warn, due, case_due, c["extended"],
            c["extension_reason"], notice, bool(notice and notice <= now), flag,
            json.dumps(c["investigation"], ensure_ascii=False) if c["investigation"] else None,
            json.dumps(c["verification"], ensure_ascii=False) if c["verification"] else None,
            c["amount"], c["start_month"], c["reason"], len(events), submitted, last,
        ))
        rows = self.batch.rows["case_event"]
        for seq, (action, frm, to, actor, comment, data, at) in enumerate(events, start=1):
            self.ids.event += 1
            rows.append((self.ids.event, cid, seq, action, frm, to, actor[0], actor[1], actor[2], actor[3], comment,
                         True, json.dumps(data, ensure_ascii=False), at))
        if status in ("closed", "rejected", "refused", "paying", "approved") and c["decided_at"]:
            self._survey(cid, channel, status, c, over_any, age)

    def _survey(self, cid: int, channel: str, status: str, c: dict, over_any: bool, age: int) -> None:
        rng = self.rng
        if rng.random() > (0.65 if channel == "proxy" else 0.5):
            return
        at = c["decided_at"] + timedelta(days=rng.uniform(1, 30))
        if at > self.now:
            return
        if status == "rejected":
            weights = (10, 18, 35, 25, 12)
        elif status == "refused":
            weights = (18, 25, 30, 18, 9)
        else:
            weights = (1, 3, 9, 35, 52)
        if over_any:
            weights = (weights[0] + 6, weights[1] + 8, weights[2] + 8, weights[3], max(1, weights[4] - 20))
        rating = rng.choices((1, 2, 3, 4, 5), weights)[0]
        ease = max(1, min(5, rating + rng.choice((-1, 0, 0, 1)) - (1 if channel == "self" and age >= 70 else 0)))
        comment = ""
        if rng.random() < 0.35:
            pool = COMMENTS["good" if rating >= 4 else "fair" if rating == 3 else "poor"]
            comment = rng.choice(pool)
            r = rng.random()
            if r < 0.02:
                comment += f"，有事请打我电话{self.phone()}"
            elif r < 0.03:
                comment += f"，我的身份证号{make_id_number(birth=date(1950, 3, 3), seq=rng.randrange(1000))}"
            elif r < 0.04:
                comment = f"我是{self.batch.rows['applicant'][-1][1]}，{comment}"
        answered_by = "worker" if channel == "proxy" and rng.random() < 0.6 else "applicant"
        how = channel if rng.random() > 0.05 else "other"
        self.ids.survey += 1
        self.batch.rows["satisfaction"].append((self.ids.survey, cid, rating, ease,
                                                channel != "self" or rng.random() < 0.2, how, answered_by, comment, at))

    def _write_sync(self, cid: int, s: dict) -> None:
        self.ids.sync += 1
        self.batch.rows["province_sync"].append((
            self.ids.sync, cid, s["request_id"], s["reference"], s["state"], s["attempts"], s["last_error"],
            s["created_at"], s["pushed_at"], s["decided_at"], s["last_checked_at"],
            json.dumps(s["decision"], ensure_ascii=False) if s["decision"] else None))
        self.ids.outbox += 1
        status = {"dead": "dead", "pending": "pending", "failing": "pending"}.get(s["state"], "done")
        done = s["pushed_at"] if status == "done" else None
        next_at = s["created_at"] if status != "pending" else self.now + timedelta(minutes=5)
        self.batch.rows["outbox_message"].append((
            self.ids.outbox, "province.push", s["request_id"],
            json.dumps({"case_id": cid, "request_id": s["request_id"]}), status, s["attempts"], next_at, None, None,
            s["last_error"], s["created_at"], done))

    def take(self) -> Batch:
        batch, self.batch = self.batch, Batch()
        return batch


# ----------------------------------------------------------------------------------------- the database


async def _load_world() -> World:
    from api.accounts import repository as accounts_repo
    from api.accounts.service import hash_password
    from api.aid_items import service as aid_items
    from api.regions import service as regions

    items = {}
    for it in await aid_items.list_items(include_disabled=False):
        limits = {s: float(v["working_days"]) for s, v in (it.stage_limits or {}).items()
                  if isinstance(v, dict) and v.get("working_days")}
        items[it.code] = Item(it.id, it.code, list(it.route or []), limits, it.notice_days, it.payment,
                              it.whole_case_working_days, it.whole_case_extended_working_days, it.emergency_allowed,
                              it.emergency_hours,
                              float(it.township_approval_limit) if it.township_approval_limit is not None else None,
                              _sample_forms(it.form))
    villages, names = {}, {}
    for town in await regions.children(DISTRICT):
        names[town.code] = town.name
        villages[town.code] = [(v.code, v.name) for v in await regions.children(town.code)]
    villages = {t: vs for t, vs in villages.items() if vs}
    password = hash_password(secrets.token_urlsafe(24))  # generated staff cannot sign in

    async def staff(username: str, name: str, role: str, region: str) -> Staff:
        found = await accounts_repo.staff_by_username(username)
        if found is None:
            found = await accounts_repo.add_staff(username=username, display_name=name, role=role, region_id=region,
                                                  password_hash=password, must_change_password=True)
        return Staff(found.id, found.display_name, found.role)

    workers, officers = {}, {}
    for town, vs in villages.items():
        officers[town] = await staff(f"gen-jd-{town}", f"{names[town]}经办人", "township_officer", town)
        for code, vname in vs:
            workers[code] = await staff(f"gen-cun-{code}", f"{vname}协理员", "village_worker", code)
    district = {role: await staff(f"gen-{role}", label, role, DISTRICT)
                for role, label in (("verifier", "区核对办"), ("approver", "区社会救助管理中心"), ("finance", "资金发放"))}
    return World(items, villages, names, workers, officers, district, WorkdayIndex())


def _sample_forms(form: list[dict]) -> list[dict]:
    """Returns a few valid answer sets for an item's form."""
    rng = random.Random(len(form))
    out = []
    for _ in range(6):
        answers = {}
        for f in form:
            if not f.get("required"):
                continue
            kind = f.get("type")
            if kind == "select":
                answers[f["name"]] = rng.choice(f["options"])["value"]
            elif kind in ("integer", "number"):
                low = max(int(f.get("min", 0) or 0), 1 if kind == "integer" else 0)
                answers[f["name"]] = rng.randint(low, max(low + 1, min(int(f.get("max", 5000) or 5000), 5000)))
            elif kind == "boolean":
                answers[f["name"]] = rng.random() < 0.2
            elif kind == "date":
                answers[f["name"]] = "2026-01-15"
            elif f["name"] == "studentName":
                answers[f["name"]] = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            else:
                answers[f["name"]] = "家庭生活困难，申请救助"
        out.append(answers)
    return out


async def _next_ids() -> Ids:
    conn = connections.get("default")
    found = []
    for table in ("applicant", "aid_case", "case_event", "province_sync", "outbox_message", "satisfaction"):
        rows = await conn.execute_query_dict(f"SELECT COALESCE(MAX(id), 0) AS m FROM {table}")
        found.append(int(rows[0]["m"]))
    return Ids(*found)


async def _write(batch: Batch) -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        async with conn.acquire_connection() as raw:
            async with raw.transaction():
                for table, cols in TABLES:
                    if batch.rows[table]:
                        await raw.copy_records_to_table(table, records=batch.rows[table], columns=list(cols))
        return
    from tortoise.transactions import in_transaction

    async with in_transaction() as tx:
        for table, cols in TABLES:
            if batch.rows[table]:
                marks = ", ".join("?" for _ in cols)
                await tx.execute_many(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                                      [list(r) for r in batch.rows[table]])


async def _finish() -> None:
    """Moves the id sequences past the written ids and refreshes the planner's statistics."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        for table, _ in TABLES:
            await conn.execute_script(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")
        async with conn.acquire_connection() as raw:
            await raw.execute("VACUUM ANALYZE")
    else:
        await conn.execute_script("ANALYZE")


async def generate(cases: int, *, seed: int = 20261126, months: int = 36, batch_size: int = 5000,
                   now: datetime | None = None, progress: Callable[[str], None] | None = print) -> dict[str, int]:
    """Adds `cases` synthetic cases (with their applicants, events, syncs and surveys) to the connected database."""
    from api.aid_items import service as aid_items
    from api.analytics import repository as analytics
    from api.analytics.service import ensure_workday_index
    from api.kit.db import unit_of_work
    from api.regions import service as regions

    async with unit_of_work():
        await regions.ensure_sample_tree()
        await aid_items.ensure_defaults()
    async with unit_of_work():
        world = await _load_world()
    await ensure_workday_index()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    ids = await _next_ids()
    first = Ids(**vars(ids))
    gen = Generator(world, seed=seed, now=now, months=months, ids=ids, run=secrets.token_hex(3))
    gen.plan(cases)
    started, made = time.perf_counter(), 0
    began = datetime.now(UTC)
    had_facts = await analytics.facts_watermark() is not None

    async def store(batch: Batch, first_case: int, last_case: int) -> None:
        await _write(batch)
        # the statistics' per-case facts, computed by the database for the cases just written
        await analytics.write_facts(first_id=first_case, last_id=last_case)

    def build(n: int) -> tuple[Batch, int, int]:
        first_case = ids.case + 1
        gen.people(n)
        return gen.take(), first_case, ids.case

    writing: asyncio.Task | None = None
    while made < cases:
        # the next batch is drawn in a thread while the database writes the previous one
        n = min(batch_size, cases - made)
        batch, first_case, last_case = await asyncio.to_thread(build, n)
        made += n
        if writing is not None:
            await writing
        writing = asyncio.create_task(store(batch, first_case, last_case))
        if progress and (made % (batch_size * 20) == 0 or made == cases):
            progress(f"  {made:>9,} cases  {time.perf_counter() - started:6.1f} s")
    if writing is not None:
        await writing
    if not had_facts:
        # never refreshed before: the cases that were there already need their facts too
        await analytics.write_facts(last_id=first.case)
        await analytics.set_facts_watermark(began, await analytics.last_survey_id())
    await _finish()
    return {"applicants": ids.applicant - first.applicant, "cases": ids.case - first.case,
            "events": ids.event - first.event, "province_syncs": ids.sync - first.sync,
            "surveys": ids.survey - first.survey}


async def _main(args: argparse.Namespace) -> None:
    from api.kit.crypto import configure_cipher
    from api.kit.db import close_db, init_db
    from api.settings import get_settings

    settings = get_settings()
    url = args.database_url or settings.database_url
    configure_cipher(settings)
    await init_db(url)
    try:
        started = time.perf_counter()
        counts = await generate(args.cases, seed=args.seed, months=args.months, batch_size=args.batch)
        print(f"generated in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    finally:
        await close_db()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.demo.generate",
                                     description="用合成数据填充数据库（不含任何真实个人信息），用于统计分析的测量。")
    parser.add_argument("--cases", type=int, required=True, help="要生成的申请件数")
    parser.add_argument("--database-url", help="数据库地址（默认取 DATABASE_URL）")
    parser.add_argument("--seed", type=int, default=20261126, help="随机种子（相同种子生成相同数据）")
    parser.add_argument("--months", type=int, default=36, help="申请时间分布在最近多少个月")
    parser.add_argument("--batch", type=int, default=5000, help="每批写入的申请件数")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases 应为正整数")
    asyncio.run(_main(args))


if __name__ == "__main__":
    main(sys.argv[1:])
