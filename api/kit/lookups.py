"""Guards for user-supplied strings on their way to a look-up or a filter.

The ORM checks an equality or IN value against the length of its column and raises when it is longer (a crash,
not "no match"); so whatever a caller typed is measured first. A value longer than its column cannot match any
row, so the natural answer is "none": no row, an empty list."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.models import Model


def _column_length(model: type[Model], field: str) -> int:
    return model._meta.fields_map[field].max_length


def fits(value: str | None, model: type[Model], field: str) -> bool:
    """Tells whether a value could stand in the column at all (None always does)."""
    return value is None or len(value) <= _column_length(model, field)


def fitting(values: Iterable[str], model: type[Model], field: str) -> list[str]:
    """Returns the values that could stand in the column; the others match nothing."""
    limit = _column_length(model, field)
    return [v for v in values if len(v) <= limit]

