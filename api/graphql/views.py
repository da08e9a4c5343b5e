"""GraphQL objects read from their row when a field asks, for the types a long list returns.

A type's `from_model` builds every field of the object from the row at once: each case of a page converts its
five timestamps and its enums, each material its id and timestamp, whatever the query selects (a page of 50
cases with their materials, ~0.6 ms of conversions no field reads). `row_view` makes, for such a type, a
subclass whose fields are properties of the row (`_model`): each value is worked out when the field is read, by
the same expression `from_model` uses. The object is still an instance of the type (graphql-core and Strawberry
see the type), its private fields set as `from_model` sets them, and its resolvers are the type's own.

The subclass must cover every field of the type: `row_view` fails at import when a field is added to the type and
not to its view. The values must not depend on when they are read: the row is not changed after it is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any


def row_view(cls: type, **reads: str | Callable[[Any], Any]) -> Callable[..., Any]:
    """Returns a function making a view of the Strawberry type `cls` from a row, with the type's private fields
    given by keyword. `reads` gives each field of the type that has no resolver as the row's attribute of that
    name, or as a function of the view (its row is `_row`, its private fields are set)."""
    # private fields (`strawberry.Private`, named with a leading underscore here) are given to the function made
    plain = {f.python_name for f in cls.__strawberry_definition__.fields
             if f.base_resolver is None and not f.python_name.startswith("_")}
    missing, unknown = plain - reads.keys(), reads.keys() - plain
    if missing or unknown:
        raise TypeError(f"row_view({cls.__name__}): fields without a way to read them {sorted(missing)}, "
                        f"not fields of the type {sorted(unknown)}")
    namespace: dict[str, Any] = {"__doc__": f"A {cls.__name__} read from its row when a field asks (`row_view`).",
                                 "__slots__": ("_row",)}
    for name, read in reads.items():
        namespace[name] = property(attrgetter(f"_row.{read}") if isinstance(read, str) else read)
    view = type(f"{cls.__name__}OfRow", (cls,), namespace)
    new, set_ = view.__new__, object.__setattr__
    private = {f.name for f in dataclasses.fields(cls) if f.name.startswith("_")}

    def make(row: Any, **private_values: Any) -> Any:
        if private_values.keys() != private:
            raise TypeError(f"a {cls.__name__} needs {sorted(private)}")
        made = new(view)
        set_(made, "_row", row)
        for name, value in private_values.items():
            set_(made, name, value)
        return made

    return make

