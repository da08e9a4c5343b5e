"""A cheaper way through the many plain fields of a large result.

A page of 50 cases completes about 1,900 fields, most of them plain attributes (`number`, `status`, a step's
`createdAt`) that Strawberry resolves with `getattr`. graphql-core still builds a path, a resolve-info object, a
list of nodes and a chain of completion calls for each: most of the time GraphQL added to such a page.

`PlainFieldsExecutionContext` takes a short cut for exactly those fields: a field without a resolver, field
extensions or permission classes (Strawberry's "basic" fields), without arguments, whose type is a scalar or an
enum (nullable or not). It reads the attribute as Strawberry's resolver of such a field does (the configured
default resolver, `getattr`) and serialises it with the type's own `coerce_output_value`, as graphql-core's
completion does. Every other field of the object, and any value the short cut does not expect (null for a
non-null field, an exception, a value the scalar refuses), goes the ordinary way, so errors and their paths are
graphql-core's own; the object's keys keep the order of the selection. Fields with resolvers (masking, access
checks, loaders) are untouched, and when an extension wraps every resolver (`resolve`), no field takes it.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLNonNull, GraphQLSchema, is_leaf_type
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_Plan = tuple[Any, str, Any, bool]  # (default resolver, attribute, leaf type, non-null)
_ORDINARY = object()  # the short cut does not apply to this value


def plain_leaf_fields(schema: GraphQLSchema) -> dict[str, dict[str, _Plan]]:
    """Returns, by object type and field name, the fields that may take the short cut and how to read them."""
    plans: dict[str, dict[str, _Plan]] = {}
    for type_name, graphql_type in schema.type_map.items():
        fields = getattr(graphql_type, "fields", None)
        if type_name.startswith("__") or not fields or not hasattr(graphql_type, "is_type_of"):
            continue  # introspection types and input types keep the ordinary path
        for field_name, field in fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if (definition is None or not definition.is_basic_field or field.args or field.resolve is None
                    or not getattr(field.resolve, "_is_default", False)):
                continue
            non_null = isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if non_null else field.type
            if is_leaf_type(leaf):
                plans.setdefault(type_name, {})[field_name] = (definition.default_resolver, definition.python_name,
                                                               leaf, non_null)
    return plans


def _plain_value(plan: _Plan, source: Any) -> Any:
    read, attribute, leaf, non_null = plan
    try:
        value = read(source, attribute)
    except Exception:  # noqa: BLE001 (the ordinary path reports it)
        return _ORDINARY
    if value is None:
        return _ORDINARY if non_null else None
    if value is Undefined or isinstance(value, Exception):
        return _ORDINARY
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # noqa: BLE001 (the ordinary path reports it)
        return _ORDINARY
    return _ORDINARY if coerced is None or coerced is Undefined else coerced


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the short cut for plain scalar and enum fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self._plain = {} if middleware is not None and middleware.middlewares else _plans(self.schema)

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        plain = self._plain.get(parent_type.name)
        if not plain:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        values: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            plan = plain.get(node.name.value)
            if plan is not None and not node.arguments:
                value = _plain_value(plan, source_value)
                if value is not _ORDINARY:
                    values[response_name] = value
                    continue
            rest[response_name] = field_details_list
        if not rest:
            return values
        others = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if self.is_awaitable(others):
            async def merge() -> dict[str, Any]:
                return _in_order(grouped_field_set, values, await others)

            return merge()
        return _in_order(grouped_field_set, values, others)


def _in_order(grouped_field_set: dict[str, Any], values: dict[str, Any], others: dict[str, Any]) -> dict[str, Any]:
    if not values:
        return others
    merged: dict[str, Any] = {}
    for name in grouped_field_set:
        if name in values:
            merged[name] = values[name]
        elif name in others:  # a field graphql-core skipped (not in the type) stays out
            merged[name] = others[name]
    return merged


_by_schema: WeakKeyDictionary[GraphQLSchema, dict[str, dict[str, _Plan]]] = WeakKeyDictionary()


def _plans(schema: GraphQLSchema) -> dict[str, dict[str, _Plan]]:
    plans = _by_schema.get(schema)
    if plans is None:
        plans = _by_schema[schema] = plain_leaf_fields(schema)
    return plans
