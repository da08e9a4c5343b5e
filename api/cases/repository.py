"""Every query of the cases domain."""

from __future__ import annotations

from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

from tortoise import timezone
from tortoise.expressions import Q
from tortoise.fields import DatetimeField
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.applicants.models import Applicant
from api.cases.models import Case, CaseEvent
from api.kit import db

M = TypeVar("M", bound=Model)
_row_classes: dict[tuple, type] = {}


def _row_class(model: type, columns: tuple[str, ...]) -> type:
    """The class of a model's rows read from records with these columns, in this order: a tuple of the record's
    values, each column read by name through a property (`itemgetter`, as a named tuple reads it); a column that
    needs converting (a timestamp, JSON, a value of another Python type) is converted by the model's field when
    first read and kept (a page's rows carry columns no field of the query reads). Rows compare and hash by
    identity, as objects do, not by value."""
    meta = model._meta  # the conversion lists are the connected backend's (rebuilt when Tortoise starts)
    native = tuple((key, attr) for key, attr, _ in meta.db_native_fields)
    default = tuple((key, attr, field) for key, attr, field in meta.db_default_fields)
    complex_ = tuple((key, attr, field) for key, attr, field in meta.db_complex_fields)
    use_tz = timezone.get_use_tz()
    shape = (model, columns, native, tuple(k for k, _, _ in default), tuple(k for k, _, _ in complex_), use_tz,
             timezone.get_timezone())
    row_class = _row_classes.get(shape)
    if row_class is None:
        index = {key: i for i, key in enumerate(columns)}
        namespace: dict[str, Any] = {"__eq__": object.__eq__, "__ne__": object.__ne__, "__hash__": object.__hash__,
                                     "__repr__": lambda row: f"<{type(row).__name__} {dict(zip(columns, row, strict=True))}>"}
        for key, attr in native:
            namespace[attr] = property(itemgetter(index[key]))
        for key, attr, field in default:
            namespace[attr] = _Converted(index[key], attr, _with_type(field.field_type))
        for key, attr, field in complex_:
            to_python = field.to_python_value
            if type(field) is DatetimeField and use_tz:
                to_python = _aware_datetime(to_python, timezone.get_default_timezone())
            namespace[attr] = _Converted(index[key], attr, to_python)
        row_class = _row_classes[shape] = type(f"{model.__name__}Row", (tuple,), namespace)
    return row_class


def _aware_datetime(to_python: Any, zone: Any) -> Any:
    """`DatetimeField.to_python_value` with time zones on, for the usual value (an aware `datetime`, as PostgreSQL
    returns a timestamp): moved to the default zone, as that method does, without looking the setting up each time;
    any other value goes to the field's own method."""
    def convert(value: Any) -> Any:
        if type(value) is datetime and value.utcoffset() is not None:
            return value.astimezone(zone)
        return to_python(value)

    return convert


def _with_type(to_type: Any) -> Any:
    def convert(value: Any) -> Any:  # `Model._init_from_db` for a field without its own conversion
        return None if value is None else to_type(value)

    return convert


class _Converted:
    """A column converted when first read; the value is then kept in the row's `__dict__`, which is read first
    from then on (this descriptor defines no `__set__`)."""

    __slots__ = ("index", "attr", "to_python")

    def __init__(self, index: int, attr: str, to_python: Any) -> None:
        self.index, self.attr, self.to_python = index, attr, to_python

    def __get__(self, row: Any, owner: type | None = None) -> Any:
        if row is None:
            return self
        value = self.to_python(tuple.__getitem__(row, self.index))
        row.__dict__[self.attr] = value
        return value


async def read_rows(queryset: QuerySet[M]) -> list[M]:
    """Runs a plain queryset's own statement (the SQL Tortoise sends for it) and reads each row into a light
    object: the model's columns as attributes, each converted by the model's own field as Tortoise converts it
    (`Model._init_from_db`; a column that needs a conversion, such as a timestamp or JSON, when first read),
    without building the model: for reads whose callers only read columns (the page of cases, the GraphQL
    loaders). The objects have no methods, relations or `save`. A page of 50 cases with their steps, materials
    and applicants costs ~2.5 ms less CPU than through models."""
    if (queryset._fields_for_select or queryset._annotations or queryset._prefetch_map
            or queryset._select_related or queryset._single):
        raise ValueError("read_rows takes a plain queryset")  # those need the ORM's own reading
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    _, records = await queryset._db.execute_query(*queryset.query.get_parameterized_sql())
    return _rows(queryset.model, records)


# The statements of `read_rows_in`, by model, column, order, number of keys and SQL dialect (at most
# `_MAX_STATEMENTS`: the loaders' batches are a page's worth of keys, so a few dozen shapes in practice).
_statements: dict[tuple, str] = {}
_MAX_STATEMENTS = 2000


async def read_rows_in(model: type[M], column: str, keys: list, order_by: tuple[str, ...] = ()) -> list[M]:
    """`read_rows(model.filter(<column>__in=keys).order_by(*order_by))`, the loaders' one statement, with the
    statement built once per shape: Tortoise builds it the first time (its text and parameters, ~0.3 ms through
    pypika for 50 keys), and later calls with as many keys send the same text with their own keys. Only a
    statement whose parameters are exactly the keys, in order, is kept (the keys are sent as Tortoise would send
    them); any other is built each time."""
    keys = list(keys)
    db = model._choose_db()  # what the queryset would choose: the request's transaction if there is one
    shape = (model, column, order_by, len(keys), db.capabilities.dialect)
    sql = _statements.get(shape)
    if sql is None:
        queryset = model.filter(**{f"{column}__in": keys}).order_by(*order_by)
        queryset._db = db
        queryset._make_query()
        sql, params = queryset.query.get_parameterized_sql()
        if (len(_statements) < _MAX_STATEMENTS and len(params) == len(keys)
                and all(type(p) is type(k) and p == k for p, k in zip(params, keys, strict=True))):
            _statements[shape] = sql
        else:
            _, records = await db.execute_query(sql, params)
            return _rows(model, records)
    _, records = await db.execute_query(sql, keys)
    return _rows(model, records)


def _rows(model: type[M], records: Any) -> list[M]:
    if not records:
        return []
    row_class = _row_class(model, tuple(records[0].keys()))
    new = tuple.__new__
    return [new(row_class, record) for record in records]  # type: ignore[misc]  # the model's columns, by name


async def by_id(case_id: int, *, for_update: bool = False) -> Case | None:
    return await db.get_by_pk(Case, case_id, for_update=for_update)


async def lock_applicant(applicant_id: int) -> None:
    """Holds the applicant's row until the transaction ends, so their submissions run one at a time."""
    await Applicant.filter(id=applicant_id).select_for_update().first()


async def by_submission_or_open_key(submission_key: str, open_key: str) -> list[Case]:
    """The case of a submission key and the open case of an open key (the same case, two, or none)."""
    return await Case.filter(Q(submission_key=submission_key) | Q(open_key=open_key))


async def add(**values) -> Case:
    return await Case.create(**values)


async def add_event(**values) -> CaseEvent:
    event = CaseEvent(**values)
    await db.insert(event)
    return event


async def add_events(events: list[CaseEvent]) -> None:
    """Adds several events in one statement (their ids are not read back: nothing that follows needs them)."""
    await CaseEvent.bulk_create(events)


async def by_ids_for_update(case_ids: list[int]) -> list[Case]:
    """The cases, each locked until the transaction ends, taken in id order (so that two batches touching the
    same cases wait for each other instead of deadlocking)."""
    return await Case.filter(id__in=case_ids).select_for_update().order_by("id")


async def save_many(cases: list[Case], fields: tuple[str, ...]) -> None:
    """Writes these fields of several cases back in one round trip; a case listed twice is written twice."""
    await db.save_many(cases, fields)


async def events_of(case_id: int, *, public_only: bool, after_seq: int = 0) -> list[CaseEvent]:
    qs = CaseEvent.filter(case_id=case_id, seq__gt=after_seq)
    if public_only:
        qs = qs.filter(public=True)
    return await qs.order_by("seq")


async def events_of_many(case_ids: list[int]) -> list[CaseEvent]:
    return await CaseEvent.filter(case_id__in=case_ids).order_by("case_id", "seq")


async def page(*, region_prefix: str | None, applicant_id: int | None, statuses: list[str] | None,
               item_ids: list[int] | None, channel: str | None, clock: str | None, now: datetime,
               after_id: int | None, limit: int, proxy_by: int | None = None,
               assignee: int | None = None) -> list[Case]:
    qs = Case.all()
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    if proxy_by is not None:
        qs = qs.filter(proxy_by_id=proxy_by)
    if region_prefix is not None:
        qs = qs.filter(region_id__startswith=region_prefix)
    if applicant_id is not None:
        qs = qs.filter(applicant_id=applicant_id)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if item_ids is not None:
        qs = qs.filter(item_id__in=item_ids)
    if channel:
        qs = qs.filter(channel=channel)
    if clock == "overdue":
        qs = qs.filter(Q(due_at__lte=now) | Q(case_due_at__lte=now))
    elif clock == "warning":
        qs = qs.filter(warn_at__lte=now, due_at__gt=now).filter(Q(case_due_at=None) | Q(case_due_at__gt=now))
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    # light rows: the GraphQL page of cases and `cases.service` only read the cases' columns
    return await read_rows(qs.order_by("-id").limit(limit))


OPEN_STATUSES = ["submitted", "accepted", "investigating", "verifying", "reviewing", "approving",
                 "province_review", "approved", "paying"]


# The clock scan's reads hold the cases they find until its flags are written, and pass over a case an action
# holds: that action may move it to a stage with a fresh clock, which flags read before its commit would overwrite
# (the next scan looks at the case again).


async def newly_overdue(now: datetime, limit: int) -> list[Case]:
    return await (Case.filter(status__in=OPEN_STATUSES).exclude(clock_flag="overdue")
                  .filter(Q(due_at__lte=now) | Q(case_due_at__lte=now)).order_by("id").limit(limit)
                  .select_for_update(skip_locked=True))


async def newly_warning(now: datetime, limit: int) -> list[Case]:
    return await (Case.filter(status__in=OPEN_STATUSES, clock_flag="ok", warn_at__lte=now)
                  .order_by("id").limit(limit).select_for_update(skip_locked=True))


async def notice_just_ended(now: datetime, limit: int) -> list[Case]:
    return await (Case.filter(notice_ended=False, notice_until__lte=now).order_by("id").limit(limit)
                  .select_for_update(skip_locked=True))


async def set_flags(case_ids: list[int], **values) -> None:
    await Case.filter(id__in=case_ids).update(**values)


async def counts(region_prefix: str, now: datetime) -> list[dict]:
    """Counts open cases per status in a region subtree, with their warning and overdue numbers."""
    from tortoise.functions import Count

    base = Case.filter(region_id__startswith=region_prefix, status__in=OPEN_STATUSES + ["returned"])
    totals = await base.annotate(n=Count("id")).group_by("status").values("status", "n")
    overdue = await (base.filter(Q(due_at__lte=now) | Q(case_due_at__lte=now)).annotate(n=Count("id"))
                     .group_by("status").values("status", "n"))
    warning = await (base.filter(warn_at__lte=now, due_at__gt=now).annotate(n=Count("id"))
                     .group_by("status").values("status", "n"))
    o = {r["status"]: r["n"] for r in overdue}
    w = {r["status"]: r["n"] for r in warning}
    return [{"status": r["status"], "total": r["n"], "warning": w.get(r["status"], 0), "overdue": o.get(r["status"], 0)}
            for r in sorted(totals, key=lambda r: r["status"])]


async def clock_groups(region_prefix: str, now: datetime) -> list[dict]:
    """Counts open warning and overdue cases of a region subtree per village, item and status (GROUP BY)."""
    from tortoise.functions import Count

    base = Case.filter(region_id__startswith=region_prefix, status__in=OPEN_STATUSES + ["returned"])
    overdue = await (base.filter(Q(due_at__lte=now) | Q(case_due_at__lte=now)).annotate(n=Count("id"))
                     .group_by("region_id", "item_id", "status").values("region_id", "item_id", "status", "n"))
    warning = await (base.filter(warn_at__lte=now, due_at__gt=now)
                     .filter(Q(case_due_at=None) | Q(case_due_at__gt=now)).annotate(n=Count("id"))
                     .group_by("region_id", "item_id", "status").values("region_id", "item_id", "status", "n"))
    out: dict[tuple, dict] = {}
    for kind, rows in (("overdue", overdue), ("warning", warning)):
        for r in rows:
            key = (r["region_id"], r["item_id"], r["status"])
            row = out.setdefault(key, {"region_id": key[0], "item_id": key[1], "status": key[2],
                                       "warning": 0, "overdue": 0})
            row[kind] += r["n"]
    return list(out.values())


async def staff_for(*, roles: list[str], regions: list[str]) -> list:
    """Returns the active staff accounts of these roles bound to one of these regions, by name."""
    from api.accounts.models import StaffAccount

    if not roles or not regions:
        return []
    return await (StaffAccount.filter(role__in=roles, region_id__in=regions, disabled=False)
                  .order_by("role", "display_name", "id").limit(200))
