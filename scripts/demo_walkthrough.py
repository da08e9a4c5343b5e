"""Walks a 低保 application through every stage against a running `make run` server.

    .venv/bin/python scripts/demo_walkthrough.py [--url http://127.0.0.1:8000] [--inbox var/sms-inbox.txt]

Signs in as the demo applicant (the code is read from the development SMS inbox), saves the profile,
uploads a photo of the ID card, submits, then uses the demo staff accounts to accept, investigate,
verify, review (public notice), and approve. Prints each step; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13800000001"
PASSWORD = "Dachuan2026"
CASE_FIELDS = "id number status statusLabel lastSeq noticeUntil events { seq actionLabel toStatus }"


class Walkthrough:
    def __init__(self, url: str, inbox: Path) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.inbox = inbox

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        r.raise_for_status()
        body = r.json()
        if body.get("errors"):
            raise SystemExit(f"GraphQL error: {body['errors']}")
        return body["data"]

    def ok(self, data: dict, field: str) -> dict:
        result = data[field]
        if "message" in result:
            raise SystemExit(f"{field} failed: {result['__typename']} {result.get('code')} {result['message']}")
        return result

    def staff(self, username: str) -> str:
        d = self.gql("mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ __typename "
                     "... on SignInSuccess { token } ... on Error { code message } } }", {"u": username, "p": PASSWORD})
        return self.ok(d, "authStaffSignIn")["token"]

    def code_from_inbox(self) -> str:
        for _ in range(50):
            if self.inbox.exists():
                lines = [line.split("\t") for line in self.inbox.read_text(encoding="utf-8").splitlines()]
                codes = [c for p, c in lines if p == PHONE]
                if codes:
                    return codes[-1]
            time.sleep(0.1)
        raise SystemExit(f"no code for {PHONE} in {self.inbox}")

    def act(self, token: str, mutation: str, args: str, variables: dict) -> dict:
        q = (f"mutation($id:ID!{args}){{ {mutation}(caseId:$id{', '.join([''] + [f'{k}:${k}' for k in variables if k != 'id'])})"
             f"{{ __typename ... on CaseSuccess {{ case {{ {CASE_FIELDS} }} }} ... on Error {{ code message }} }} }}")
        case = self.ok(self.gql(q, variables, token), mutation)["case"]
        print(f"  {mutation:<18} → {case['statusLabel']}（事件 {case['lastSeq']}）")
        return case

    def run(self) -> dict:
        before = self.inbox.read_text(encoding="utf-8") if self.inbox.exists() else ""
        d = self.gql("mutation($p:String!){ authCodeRequest(phone:$p){ __typename ... on Error { code message } } }",
                     {"p": PHONE})
        if d["authCodeRequest"]["__typename"] == "RateLimitedError":
            time.sleep(61)
            self.gql("mutation($p:String!){ authCodeRequest(phone:$p){ __typename } }", {"p": PHONE})
        for _ in range(50):
            if self.inbox.exists() and self.inbox.read_text(encoding="utf-8") != before:
                break
            time.sleep(0.1)
        code = self.code_from_inbox()
        d = self.gql("mutation($p:String!,$c:String!){ authCodeSignIn(phone:$p,code:$c){ __typename "
                     "... on SignInSuccess { token } ... on Error { code message } } }", {"p": PHONE, "c": code})
        citizen = self.ok(d, "authCodeSignIn")["token"]
        me = self.gql("{ me { kind name applicant { id name idNumber regionCode } } }", token=citizen)["me"]
        print(f"申请人登录：{me['applicant']['name']}（{me['applicant']['idNumber']}）")
        photo = _photo()
        r = self.http.post("/api/materials", headers={"Authorization": f"Bearer {citizen}"},
                           data={"kind": "id_card"}, files={"file": ("id-card.jpg", photo, "image/jpeg")})
        if r.status_code != 201:
            raise SystemExit(f"upload failed: {r.status_code} {r.text}")
        material = r.json()
        print(f"上传身份证照片：{material['contentType']}，{material['size']} 字节")
        item = self.gql('{ aidItem(code:"dibao") { name form materials { code required } } }')["aidItem"]
        mats = [material["id"]]
        for m in item["materials"]:
            if m["required"] and m["code"] != "id_card":
                r = self.http.post("/api/materials", headers={"Authorization": f"Bearer {citizen}"},
                                   data={"kind": m["code"]}, files={"file": ("doc.jpg", _photo(), "image/jpeg")})
                mats.append(r.json()["id"])
        form = _form(item["form"])
        d = self.gql("mutation($i:CaseSubmitInput!){ caseSubmit(input:$i){ __typename ... on CaseSuccess { case { "
                     f"{CASE_FIELDS} }} }} ... on Error {{ code message }} }} }}",
                     {"i": {"itemCode": "dibao", "submissionKey": uuid.uuid4().hex, "form": form, "materialIds": mats}},
                     citizen)
        case = self.ok(d, "caseSubmit")["case"]
        print(f"提交{item['name']}申请：{case['number']} → {case['statusLabel']}")
        township, verifier, approver = self.staff("jd-cuiping"), self.staff("hedui"), self.staff("shenpi")
        cid = case["id"]
        self.act(township, "caseAccept", "", {"id": cid})
        self.act(township, "caseInvestigate", ",$input:InvestigationInput!", {"id": cid, "input": {
            "investigators": ["翠屏街道经办人", "新桥村协理员"], "visitedAt": datetime.now(UTC).isoformat(),
            "conclusion": "家庭人均收入低于当地低保标准，情况属实", "place": "新桥村3组12号"}})
        self.act(verifier, "caseVerify", ",$input:VerificationInput!", {"id": cid, "input": {
            "result": "PASS", "householdMonthlyIncome": "900"}})
        case = self.act(township, "caseReview", ",$opinion:String!", {"id": cid, "opinion": "同意，予以公示"})
        until = datetime.fromisoformat(case["noticeUntil"])
        wait = (until - datetime.now(UTC)).total_seconds()
        print(f"  公示至 {until.astimezone(SHANGHAI):%H:%M:%S}，等待 {max(wait, 0):.0f} 秒")
        time.sleep(max(wait, 0) + 1)
        case = self.act(approver, "caseApprove", ",$amount:Decimal!,$startMonth:String!",
                        {"id": cid, "amount": "650", "startMonth": datetime.now(UTC).strftime("%Y-%m")})
        seen = self.gql("query($id:ID!){ case(id:$id){ status events { seq actionLabel } } }", {"id": cid}, citizen)
        steps = "、".join(e["actionLabel"] for e in seen["case"]["events"])
        print(f"申请人看到的进度：{steps}")
        return case


def _photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 400), (230, 230, 220)).save(buf, format="JPEG")
    return buf.getvalue()


def _form(fields: list[dict]) -> dict:
    out = {}
    for f in fields:
        if not f.get("required"):
            continue
        t = f["type"]
        if t == "select":
            out[f["name"]] = f["options"][0]["value"]
        elif t in ("integer", "number"):
            out[f["name"]] = max(1, f.get("min") or 1)
        elif t == "boolean":
            out[f["name"]] = False
        elif t == "date":
            out[f["name"]] = datetime.now(UTC).strftime("%Y-%m-%d")
        else:
            out[f["name"]] = "家中两位老人患病，收入不足以维持基本生活"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--inbox", default=str(Path(__file__).resolve().parent.parent / "var" / "sms-inbox.txt"))
    args = parser.parse_args(argv)
    case = Walkthrough(args.url, Path(args.inbox)).run()
    print(f"完成：{case['number']} 状态 {case['status']}")
    return 0 if case["status"] == "APPROVED" else 1


if __name__ == "__main__":
    sys.exit(main())
