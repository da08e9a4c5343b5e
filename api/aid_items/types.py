from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from api.aid_items.models import AidItem as AidItemModel


@strawberry.type(description="A document an application for an item carries.")
class MaterialRequirement:
    code: str
    name: str
    required: bool
    hint: str


@strawberry.type(description="One kind of aid: who qualifies, what to bring, the form, the route and time limits.")
class AidItem:
    id: strawberry.ID
    code: str
    name: str
    short_name: str
    name_en: str
    description: str
    materials: list[MaterialRequirement]
    form: JSON = strawberry.field(description="Form fields: name, label, type, required, options, min, max …")
    route: list[str]
    stage_limits: JSON
    notice_days: int
    payment: str | None
    syncs_to_province: bool
    emergency_allowed: bool
    township_approval_limit: Decimal | None
    whole_case_working_days: int | None
    enabled: bool
    updated_at: datetime = strawberry.field(description="When it was last changed: an edit sends it back as "
                                                        "`expectedUpdatedAt`, so it cannot undo someone else's.")

    @classmethod
    def from_model(cls, m: AidItemModel) -> AidItem:
        return cls(
            id=strawberry.ID(str(m.id)), code=m.code, name=m.name, short_name=m.short_name, name_en=m.name_en,
            description=m.description, materials=[MaterialRequirement(**x) for x in m.materials], form=m.form,
            route=list(m.route), stage_limits=m.stage_limits, notice_days=m.notice_days, payment=m.payment,
            syncs_to_province=m.syncs_to_province, emergency_allowed=m.emergency_allowed,
            township_approval_limit=m.township_approval_limit, whole_case_working_days=m.whole_case_working_days,
            enabled=m.enabled, updated_at=m.updated_at,
        )


@strawberry.input(description="Changes to an aid item; fields left out stay as they are.")
class AidItemUpdateInput:
    code: str
    name: str | None = None
    short_name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    form: JSON | None = None
    materials: JSON | None = None
    stage_limits: JSON | None = None
    sort_order: int | None = None
    expected_updated_at: datetime | None = strawberry.field(
        default=None, description="The item's updatedAt when the edit began: if it was changed since, the edit is "
                                  "refused (ConflictError item_changed) instead of undoing the other change.")


@strawberry.type
class AidItemUpdateSuccess:
    item: AidItem
