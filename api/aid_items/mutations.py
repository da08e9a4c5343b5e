from __future__ import annotations

import strawberry

from api.aid_items import service
from api.aid_items.types import AidItem, AidItemUpdateInput, AidItemUpdateSuccess
from api.graphql.payloads import payload, run_mutation
from api.kit.errors import ValidationError

AidItemUpdatePayload = payload("AidItemUpdatePayload", AidItemUpdateSuccess)


@strawberry.type
class AidItemMutations:
    @strawberry.mutation(description="Edits, enables or disables an aid item (admin).")
    async def aid_item_update(self, info: strawberry.Info, input: AidItemUpdateInput) -> AidItemUpdatePayload:
        async def work():
            for name in ("form", "materials"):
                value = getattr(input, name)
                if value is not None and not isinstance(value, list):
                    raise ValidationError("格式应为列表", code="invalid", field=name)
            if input.stage_limits is not None and not isinstance(input.stage_limits, dict):
                raise ValidationError("格式应为对象", code="invalid", field="stageLimits")
            change = service.ItemUpdate(name=input.name, short_name=input.short_name, description=input.description,
                                        enabled=input.enabled, form=input.form, materials=input.materials,
                                        stage_limits=input.stage_limits, sort_order=input.sort_order,
                                        expected_updated_at=input.expected_updated_at)
            return AidItemUpdateSuccess(item=AidItem.from_model(
                await service.update(info.context.actor, input.code, change)))

        return await run_mutation(info.context, work)
