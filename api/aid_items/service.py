"""The catalogue of aid items: data an admin can edit, enable and disable."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from api.aid_items import repository
from api.aid_items.defaults import DEFAULT_ITEMS
from api.aid_items.models import AidItem
from api.cases.workflow import STAGES, Route
from api.kit.actors import Actor
from api.kit.broker import ChannelWatch
from api.kit.db import after_commit, publish_after_commit
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError, echo
from api.kit.forms import check_form_schema

log = logging.getLogger("dachuan.aid_items")

# Every workflow action reads its case's item for the rules (route, time limits). Items change seldom (an admin's
# edit), so each process keeps what it read for a few seconds. A write drops the copies of this process at once
# and, once it commits, those of every process that listens (`watch_writes`: the APIs and the workers) as the
# ITEMS_WRITTEN announcement reaches it; were one lost (Redis away), a copy is read again after
# ITEM_CACHE_SECONDS.
ITEM_CACHE_SECONDS = 5.0
ITEMS_WRITTEN = "aid-items-written"
_by_id: dict[int, tuple[float, AidItem]] = {}
_now = time.monotonic  # what the copies' age is measured with (a test moves it)


def forget_cached() -> None:
    """Drops this process's copies of items."""
    _by_id.clear()


def _written() -> None:
    """After a write to the catalogue: drops this process's copies now, and again once the write commits (a read
    in between would keep the old item); the announcement tells every other process."""
    forget_cached()

    async def forget_again() -> None:
        forget_cached()

    after_commit(forget_again)
    publish_after_commit([(ITEMS_WRITTEN, {"written": True})])


def _overflowed() -> None:
    forget_cached()
    log.warning("aid item announcements fell behind; copies are read again after %ss", ITEM_CACHE_SECONDS)


# an announcement, or a resync after an outage (one may have been lost): either way the copies go
_watch = ChannelWatch(ITEMS_WRITTEN, lambda _message: forget_cached(), on_overflow=_overflowed, max_queue=100,
                      name="aid-items-watch")


def watch_writes() -> None:
    """Drops this process's copies whenever a write is announced, from now on (the API's start-up and the
    workers call it; a second call on the same loop and broker does nothing)."""
    _watch.start()


async def ensure_defaults() -> int:
    """Writes the ten default items when the catalogue is empty; returns how many were written."""
    forget_cached()
    if await repository.count():
        return 0
    _written()
    for item in DEFAULT_ITEMS:
        await repository.add(**item)
    return len(DEFAULT_ITEMS)


async def list_items(*, include_disabled: bool = False) -> list[AidItem]:
    """Returns the catalogue in display order."""
    return await repository.all_items(enabled_only=not include_disabled)


async def get_by_code(code: str, *, for_update: bool = False) -> AidItem:
    """Returns an item by code (locked until the transaction ends when `for_update`), or raises a not-found error
    naming it."""
    item = await repository.by_code((code or "").strip(), for_update=for_update)
    if item is None:
        raise NotFoundError(f"救助事项「{echo(code)}」不存在", code="item_not_found", field="itemCode")
    return item


async def get_by_id(item_id: int) -> AidItem | None:
    """Returns an item by id, as read at most ITEM_CACHE_SECONDS ago (for the rules of a workflow action; the
    item must not be changed by the caller)."""
    now = _now()
    cached = _by_id.get(item_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    item = await repository.by_id(item_id)
    if item is not None:
        _by_id[item_id] = (now + ITEM_CACHE_SECONDS, item)
    return item


def route_of(item: AidItem) -> Route:
    """Returns what the state machine needs to know of an item."""
    limit = item.township_approval_limit
    return Route(
        stages=tuple(item.route), notice_days=item.notice_days, payment=item.payment,
        township_approval_limit=Decimal(str(limit)) if limit is not None else None,
        emergency_allowed=item.emergency_allowed,
        whole_case_extendable=bool(item.whole_case_extended_working_days),
    )


def required_materials(item: AidItem) -> list[dict]:
    """Returns the materials an application for this item must carry."""
    return [m for m in item.materials if m.get("required")]


@dataclass
class ItemUpdate:
    name: str | None = None
    short_name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    form: list[dict] | None = None
    materials: list[dict] | None = None
    stage_limits: dict | None = None
    sort_order: int | None = None
    # the item's updated_at when the caller read what it edited; None writes over whatever is stored
    expected_updated_at: datetime | None = None


def _check_materials(materials: list[dict]) -> list[dict]:
    seen = set()
    out = []
    for i, m in enumerate(materials):
        code = str(m.get("code") or "").strip()
        name = str(m.get("name") or "").strip()
        if not code or not name:
            raise ValidationError(f"第{i + 1}项材料缺少编码或名称", code="materials_invalid", field="materials")
        if code in seen:
            raise ValidationError(f"材料编码「{echo(code)}」重复", code="materials_invalid", field="materials")
        seen.add(code)
        out.append({"code": code, "name": name, "required": bool(m.get("required")), "hint": str(m.get("hint") or "")})
    return out


def _check_limits(item: AidItem, limits: dict) -> dict:
    out = {}
    for stage, value in limits.items():
        if stage not in STAGES or stage not in item.route:
            raise ValidationError(f"环节「{echo(stage)}」不在该事项的流程中", code="stage_limits_invalid", field="stageLimits")
        days = value.get("working_days") if isinstance(value, dict) else value
        if not isinstance(days, int) or not 1 <= days <= 90:
            raise ValidationError("时限应为1到90个工作日", code="stage_limits_invalid", field="stageLimits")
        out[stage] = {"working_days": days}
    return {**item.stage_limits, **out}


async def update(actor: Actor, code: str, change: ItemUpdate) -> AidItem:
    """Edits an item's name, description, form, materials, time limits or enabled flag."""
    if actor.role != "admin":
        raise NotAllowedError("只有系统管理员可以配置救助事项", code="admin_only")
    item = await get_by_code(code, for_update=True)  # two admins' saves of one item take turns
    if change.expected_updated_at is not None and item.updated_at != change.expected_updated_at:
        # what the caller edited is no longer what is stored: writing it would silently undo the other edit
        raise ConflictError(f"「{item.name}」刚被其他管理员修改过，您的修改未保存，请核对最新内容后再保存",
                            code="item_changed", field="expectedUpdatedAt")
    if change.name is not None:
        name = change.name.strip()
        if not name or len(name) > 64:
            raise ValidationError("事项名称不能为空，且不超过64个字", code="name_invalid", field="name")
        item.name = name
    if change.short_name is not None:
        short = change.short_name.strip()
        if not short or len(short) > 32:
            raise ValidationError("简称不能为空，且不超过32个字", code="name_invalid", field="shortName")
        item.short_name = short
    if change.description is not None:
        if len(change.description) > 4000:
            raise ValidationError("说明不能超过4000字", code="description_too_long", field="description")
        item.description = change.description.strip()
    if change.form is not None:
        item.form = check_form_schema(change.form)
    if change.materials is not None:
        item.materials = _check_materials(change.materials)
    if change.stage_limits is not None:
        item.stage_limits = _check_limits(item, change.stage_limits)
    if change.enabled is not None:
        item.enabled = change.enabled
    if change.sort_order is not None:
        item.sort_order = change.sort_order
    await item.save()
    _written()
    return item
