from __future__ import annotations

import datetime

import strawberry

from api.accounts.models import StaffAccount as StaffModel
from api.applicants.types import Applicant
from api.kit.actors import ROLE_LABELS


@strawberry.type(description="Who is signed in.")
class Viewer:
    kind: str = strawberry.field(description="applicant | staff | anonymous")
    role: str
    role_label: str
    name: str
    region_code: str | None
    must_change_password: bool
    applicant: Applicant | None = strawberry.field(description="The applicant's own real-name profile, if any.")


@strawberry.type(description="A staff account allocated by an administrator.")
class StaffAccount:
    id: strawberry.ID
    username: str
    display_name: str
    role: str
    role_label: str
    region_code: str
    disabled: bool
    must_change_password: bool
    locked_until: datetime.datetime | None
    last_login_at: datetime.datetime | None

    @classmethod
    def from_model(cls, m: StaffModel) -> StaffAccount:
        return cls(id=strawberry.ID(str(m.id)), username=m.username, display_name=m.display_name, role=m.role,
                   role_label=ROLE_LABELS.get(m.role, m.role), region_code=m.region_id, disabled=m.disabled,
                   must_change_password=m.must_change_password, locked_until=m.locked_until,
                   last_login_at=m.last_login_at)


@strawberry.type(description="A staff member's signed-in session, as an administrator sees it.")
class StaffSession:
    id: strawberry.ID
    created_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    expires_at: datetime.datetime = strawberry.field(description="When it ends however active it is.")
    idle_expires_at: datetime.datetime = strawberry.field(description="When it ends if it is not used before.")
    client: str | None = strawberry.field(description="The address it signed in from.")
    user_agent: str | None

    @classmethod
    def from_model(cls, m, idle_minutes: int) -> StaffSession:
        seen = m.last_seen_at or m.created_at
        return cls(id=strawberry.ID(str(m.id)), created_at=m.created_at, last_seen_at=m.last_seen_at,
                   expires_at=m.expires_at, idle_expires_at=min(m.expires_at, seen + datetime.timedelta(
                       minutes=idle_minutes)), client=m.client, user_agent=m.user_agent)


@strawberry.type
class StaffSessionsEndSuccess:
    ended: int = strawberry.field(description="How many sessions were ended.")


@strawberry.type
class CodeSentSuccess:
    retry_after: int = strawberry.field(description="Seconds before another code may be requested.")


@strawberry.type
class SignInSuccess:
    token: str
    expires_at: datetime.datetime
    must_change_password: bool


@strawberry.type
class OkSuccess:
    ok: bool = True


@strawberry.type(description="A new account and its initial password, shown this once.")
class StaffCredentials:
    account: StaffAccount
    initial_password: str


@strawberry.type
class StaffCreateSuccess:
    credentials: list[StaffCredentials]


@strawberry.type
class StaffSuccess:
    account: StaffAccount


@strawberry.input
class StaffCreateInput:
    username: str
    display_name: str
    role: str
    region_code: str
    phone: str | None = None
