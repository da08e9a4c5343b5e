"""Who is calling: the caller a service acts for, with role and region scope."""

from __future__ import annotations

from dataclasses import dataclass

STAFF_ROLES = (
    "village_worker",
    "township_officer",
    "verifier",
    "approver",
    "finance",
    "supervisor",
    "analyst",
    "admin",
)
ROLE_LABELS = {
    "applicant": "申请人",
    "village_worker": "村(社区)民政协理员",
    "township_officer": "乡镇(街道)经办人",
    "verifier": "区核对办",
    "approver": "区社会救助管理中心",
    "finance": "资金发放",
    "supervisor": "督查股",
    "analyst": "统计分析",
    "admin": "系统管理员",
    "system": "系统",
    "province": "省高龄津贴管理系统",
}
# The region level each staff role is bound to.
ROLE_LEVELS = {
    "village_worker": "village",
    "township_officer": "township",
    "verifier": "district",
    "approver": "district",
    "finance": "district",
    "supervisor": "district",
    "analyst": "district",
    "admin": "district",
}
# Roles that see whole ID and bank numbers of people inside their region.
ROLES_SEEING_FULL_ID = frozenset({"village_worker", "township_officer", "verifier", "approver"})
ROLES_SEEING_FULL_BANK = frozenset({"finance", "approver"})


@dataclass(frozen=True)
class Actor:
    """The caller of a service: an applicant, a staff member, or the system itself."""

    kind: str  # applicant | staff | system | province | anonymous
    role: str
    name: str = ""
    staff_id: int | None = None
    citizen_id: int | None = None
    applicant_id: int | None = None
    region_code: str | None = None
    phone: str | None = None
    needs_password_change: bool = False
    session_id: int | None = None  # the session this caller signed in with (binds download links to it)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_applicant(self) -> bool:
        return self.kind == "applicant"

    def covers(self, region_code: str | None) -> bool:
        """Tells whether a region lies inside this staff member's subtree."""
        if not self.is_staff or self.region_code is None or region_code is None:
            return False
        return region_code.startswith(self.region_code)


ANONYMOUS = Actor(kind="anonymous", role="anonymous", name="")
SYSTEM = Actor(kind="system", role="system", name="系统")
PROVINCE = Actor(kind="province", role="province", name="省高龄津贴管理系统")
