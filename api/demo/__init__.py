"""Demo data for the embedded default: one staff account per role and two demo applicants."""

from __future__ import annotations

from datetime import date

from api.accounts import repository as accounts_repo
from api.accounts.service import hash_password
from api.applicants import repository as applicants_repo
from api.applicants import service as applicants
from api.kit.crypto import get_cipher
from api.kit.idnumber import make_id_number, mask_id_number

DEMO_PASSWORD = "Dachuan2026"
CUIPING = "511703002"
XINQIAO = "511703002006"  # 新桥村
DEMO_STAFF = [
    ("admin", "系统管理员（演示）", "admin", "511703"),
    ("cun-xinqiao", "新桥村协理员（演示）", "village_worker", XINQIAO),
    ("jd-cuiping", "翠屏街道经办人（演示）", "township_officer", CUIPING),
    ("hedui", "区核对办（演示）", "verifier", "511703"),
    ("shenpi", "区救助中心审批（演示）", "approver", "511703"),
    ("caiwu", "资金发放（演示）", "finance", "511703"),
    ("ducha", "督查股（演示）", "supervisor", "511703"),
    ("tongji", "统计分析（演示）", "analyst", "511703"),
]
DEMO_APPLICANTS = [
    # (name, phone, birth date, sex seq, address): the first signs in herself; the second has no phone
    ("李秀英", "13800000001", date(1968, 3, 12), 2, "翠屏街道新桥村3组12号"),
    ("王德福", None, date(1940, 8, 5), 1, "翠屏街道新桥村5组3号"),
]


async def load_demo_data() -> bool:
    """Writes the demo accounts and applicants once; returns False when they are already there."""
    if await accounts_repo.staff_by_username("admin") is not None:
        return False
    pw = hash_password(DEMO_PASSWORD)
    for username, name, role, region in DEMO_STAFF:
        await accounts_repo.add_staff(username=username, display_name=name, role=role, region_id=region,
                                      password_hash=pw, must_change_password=False)
    worker = await accounts_repo.staff_by_username("cun-xinqiao")
    cipher = get_cipher()
    for name, phone, birth, seq, address in DEMO_APPLICANTS:
        number = make_id_number(region="511703", birth=birth, seq=seq)
        await applicants_repo.add(
            name=name, id_number_enc=cipher.encrypt(number, context=applicants.ID_CONTEXT),
            id_number_hash=applicants.id_hash(number), id_masked=mask_id_number(number), birth_date=birth,
            sex="male" if seq % 2 else "female", phone=phone, address=address, region_id=XINQIAO,
            registered_by_id=worker.id, bank_name="四川农信",
            bank_account_enc=cipher.encrypt("6217995555000011" + str(seq) * 2, context=applicants.BANK_CONTEXT),
            bank_masked=applicants.mask_bank("6217995555000011" + str(seq) * 2),
        )
    return True


def describe() -> str:
    """Returns the demo accounts as printable lines."""
    lines = [f"  {u:<14} {DEMO_PASSWORD}   {name}" for u, name, _, _ in DEMO_STAFF]
    lines.append("  申请人：手机 13800000001（李秀英），验证码见服务日志；王德福（85岁，无手机）由新桥村协理员代办")
    return "\n".join(lines)
