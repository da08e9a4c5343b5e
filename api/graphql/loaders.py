"""DataLoaders: a page of cases with their applicants, items, events and materials costs a fixed number of
queries whatever the page size. The page's loaders read light rows (`cases.repository.read_rows_in`), their
statements built once per number of keys."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.dataloader import DataLoader
from strawberry.exceptions import WrongNumberOfResultsReturned

from api.accounts.models import StaffAccount
from api.aid_items.models import AidItem
from api.applicants.models import Applicant, HouseholdMember
from api.cases.models import CaseEvent
from api.cases.repository import read_rows_in
from api.materials.models import Material
from api.regions.models import Region

T = TypeVar("T")


def _by_key(rows, keys, attr):
    index = {getattr(r, attr): r for r in rows}
    return [index.get(k) for k in keys]


def _grouped(rows, keys, attr):
    groups = defaultdict(list)
    for r in rows:
        groups[getattr(r, attr)].append(r)
    return [groups.get(k, []) for k in keys]


async def _applicants(keys: list[int]) -> list[Applicant | None]:
    # the statement of `applicants.repository.get_many`; the GraphQL type, `id_number_for`, `bank_account_for`
    # and `cases.service.available_actions` only read columns
    return _by_key(await read_rows_in(Applicant, "id", keys), keys, "id")


async def _items(keys: list[int]) -> list[AidItem | None]:
    # the statement of `aid_items.repository.by_ids`; `AidItem.from_model` and `cases.service` only read columns
    return _by_key(await read_rows_in(AidItem, "id", keys), keys, "id")


async def _regions(keys: list[str]) -> list[Region | None]:
    from api.regions import repository

    return _by_key(await repository.get_many(list(keys)), keys, "code")


async def _events(keys: list[int]) -> list[list[CaseEvent]]:
    # the statement of `cases.repository.events_of_many`; `CaseEvent.from_model` only reads columns
    rows = await read_rows_in(CaseEvent, "case_id", keys, ("case_id", "seq"))
    return _grouped(rows, keys, "case_id")


async def _materials(keys: list[int]) -> list[list[Material]]:
    # the statement of `materials.repository.of_cases`; `Material.from_model` only reads columns
    rows = await read_rows_in(Material, "case_id", keys, ("created_at", "id"))
    return _grouped(rows, keys, "case_id")


async def _members(keys: list[int]) -> list[list[HouseholdMember]]:
    from api.applicants import repository

    return _grouped(await repository.members_of_many(list(keys)), keys, "applicant_id")


async def _staff(keys: list[int]) -> list[StaffAccount | None]:
    from api.accounts import repository

    return _by_key(await repository.staff_many(list(keys)), keys, "id")


async def _province_syncs(keys: list[int]) -> list:
    from api.province import repository

    return _by_key(await repository.by_cases(list(keys)), keys, "case_id")


async def _satisfactions(keys: list[int]) -> list:
    from api.surveys import repository

    return _by_key(await repository.of_cases(list(keys)), keys, "case_id")


class Loaders:
    """One set of loaders per request, so nothing is cached across callers."""

    def __init__(self) -> None:
        self.applicant = DataLoader(load_fn=_applicants)
        self.item = DataLoader(load_fn=_items)
        self.region = DataLoader(load_fn=_regions)
        self.events = DataLoader(load_fn=_events)
        self.materials = DataLoader(load_fn=_materials)
        self.members = DataLoader(load_fn=_members)
        self.staff = DataLoader(load_fn=_staff)
        self.province_sync = DataLoader(load_fn=_province_syncs)
        self.satisfaction = DataLoader(load_fn=_satisfactions)


def now_or_later(loader: DataLoader, key: Any, then: Callable[[Any], T]) -> T | Awaitable[T]:
    """Returns `then(value)` at once when the loader already holds the key's value (a page primed by `prefetch`),
    else an awaitable of it (graphql-core awaits what a resolver returns). A failed load raises either way."""
    future = loader.load(key)
    if isinstance(future, asyncio.Future) and future.done():
        return then(future.result())
    return _later(future, then)


async def _later(future: Awaitable[Any], then: Callable[[Any], T]) -> T:
    return then(await future)


async def prefetch(*loads: tuple[DataLoader, Iterable[Any]]) -> None:
    """Loads the given keys of each loader at once (one statement per loader, as the fields would have), so the
    fields of a page's objects resolve without each waiting on its own. A failed load is left in the loader, to
    fail the fields that need it as it would have without the prefetch."""
    if loads:
        await asyncio.gather(*(_fill(loader, list(dict.fromkeys(keys))) for loader, keys in loads))


async def _fill(loader: DataLoader, keys: list[Any]) -> None:
    """Runs the loader's batch function for the keys not yet loaded and primes the loader with the values, as
    its own batch would (without a future and a task per key); a failure is kept for each key."""
    keys = [k for k in keys if loader.cache_map.get(k) is None]
    if not keys:
        return
    try:
        values = list(await loader.load_fn(keys))
        if len(values) != len(keys):
            raise WrongNumberOfResultsReturned(expected=len(keys), received=len(values))
    except Exception as error:  # noqa: BLE001 (kept, to fail the fields that need these keys)
        values = [error] * len(keys)
    loaded = {}
    for key, value in zip(keys, values, strict=True):
        if isinstance(value, BaseException):
            failed = loader.loop.create_future()
            failed.set_exception(value)
            failed.add_done_callback(_retrieved)  # the fields may never ask: no "exception never retrieved"
            loader.cache_map.set(key, failed)
        else:
            loaded[key] = value
    loader.prime_many(loaded)


def _retrieved(future: asyncio.Future) -> None:
    future.exception()


# `selected_names_of` by query: (the field's first node, kept so that its id stays its own, the names)
_selected: dict[tuple[int, tuple[str, ...]], tuple[Any, frozenset[str]]] = {}


def selected_names_of(info: Any, *path: str) -> frozenset[str]:
    """Returns the names of the fields selected at `path` (e.g. "cases", "edges", "node") below the field being
    resolved, through fragments and inline fragments: read from the query's own nodes, once per query document
    (the parser's cache hands the same document to every request of the same query text; Strawberry's
    `info.selected_fields` would convert the whole selection on every request)."""
    raw = info._raw_info
    nodes = raw.field_nodes
    key = (id(nodes[0]), path)
    known = _selected.get(key)
    if known is not None and known[0] is nodes[0]:
        return known[1]
    names = frozenset(_names(nodes, raw.fragments, path))
    if len(_selected) >= 512:
        _selected.clear()
    _selected[key] = (nodes[0], names)
    return names


def _names(nodes: Iterable[Any], fragments: dict[str, Any], path: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, FieldNode):
            if not path:
                found.add(node.name.value)
            elif node.name.value == path[0] and node.selection_set is not None:
                found |= _names(node.selection_set.selections, fragments, path[1:])
        elif isinstance(node, InlineFragmentNode):
            found |= _names(node.selection_set.selections, fragments, path)
        elif isinstance(node, FragmentSpreadNode):
            found |= _names(fragments[node.name.value].selection_set.selections, fragments, path)
    return found
