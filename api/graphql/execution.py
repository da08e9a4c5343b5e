"""A cheaper way through the many fields of a large result.

A page of 50 cases completes about 1,900 fields. For each, graphql-core builds a path, a resolve-info object, a
list of nodes and a chain of completion calls, and Strawberry wraps every resolver (an `Info` object, argument
conversion, field extensions): most of the time GraphQL added to such a page.

`PlainFieldsExecutionContext` takes a short cut for three kinds of field, planned once per schema:

- **plain leaf fields**: no resolver, field extensions or permission classes (Strawberry's "basic" fields), no
  arguments, a scalar or enum type. The attribute is read as Strawberry's resolver of such a field reads it (the
  configured default resolver, `getattr`) and serialised with the type's own `coerce_output_value` (or, for an
  `int`, an enum member or a date and time, a quicker function that gives the same result). Any value the
  short cut does not expect (null for a non-null field, an exception, a value the scalar refuses) goes the
  ordinary way, so errors and their paths are graphql-core's own.
- **plain object fields**: basic fields whose type is an object type or a list of them (`edges`, `node`,
  `pageInfo`): the attribute is read the same way, without a resolve-info object.
- **simple resolvers**: a synchronous resolver without GraphQL arguments, field extensions, permission classes
  or exception handlers, that asks for nothing but `self` and `info` (`Case.events`, `Applicant.idNumber`). The
  resolver is called as Strawberry calls it (the source as `self`, a Strawberry `Info` around graphql-core's
  resolve info), without Strawberry's argument conversion and extension chain, which such a field does not use.
  The `Info` is one object whose graphql-core resolve info is made only when something other than the context
  is asked of it (`_lazy_info`).

The values of the last two are completed as graphql-core completes them (null, non-null, lists item by item,
objects through their sub-selection); anything else (an awaitable, an abstract type, an object type with
`is_type_of`, an iterable that is not a list) is handed to graphql-core's own completion with the value already
resolved, and every error is located and handled by graphql-core's `handle_field_error`, so errors, their paths
and null propagation are what graphql-core gives. Keys keep the order of the selection. Fields with arguments
and asynchronous resolvers are untouched, and when an extension wraps every resolver (`resolve`), no field
takes a short cut.
"""

from __future__ import annotations

import datetime
import inspect
from enum import Enum
from operator import attrgetter
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.types.base_scalars import isoformat

_LEAF, _VALUE, _RESOLVER = 0, 1, 2
# (_LEAF, default resolver, attribute, leaf type, non-null, the Python type the leaf returns as it is, or None,
#  a Python type the leaf serialises by a quicker function of the same result, or None, that function)
# (_VALUE, default resolver, attribute, GraphQL field)
# (_RESOLVER, function, name of its info parameter or None, GraphQL field, Strawberry field, Info class, self?)
_Plan = tuple
_ORDINARY = object()  # the short cut does not apply to this value
# graphql-core's String and ID serialise a str, Boolean a bool, as it is (`serialize_string` and so on)
_AS_IS = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
# Strawberry's DateTime, Date and Time serialise with `isoformat` (a `methodcaller`): the same as the type's own
_ISOFORMAT = {"DateTime": datetime.datetime, "Date": datetime.date, "Time": datetime.time}
_new_path = tuple.__new__  # `Path(prev, key, typename)` without the named tuple's Python-level `__new__`


def _int32(value: int) -> Any:
    """graphql-core's `serialize_int` of an `int`: the value itself, if it fits in 32 bits."""
    return value if GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT else _ORDINARY


def _quicker(leaf: Any) -> tuple[type | None, Any]:
    """For a leaf type, a Python type whose values it serialises by a quicker function that gives the same result
    as its `coerce_output_value`, and the function (`_ORDINARY` for a value that function refuses)."""
    if leaf is GraphQLInt:
        return int, _int32
    wrapped = getattr(leaf, "wrapped_cls", None)
    if isinstance(leaf, GraphQLEnumType) and isinstance(wrapped, type) and issubclass(wrapped, Enum):
        names = {}
        for member in wrapped:  # Strawberry's enum serialises a member by scanning its values: once, here
            try:
                names[member] = leaf.coerce_output_value(member)
            except Exception:  # noqa: BLE001, S112 (such a member keeps the ordinary way)
                continue

        def name_of(member: Enum) -> Any:
            return names.get(member, _ORDINARY)

        return wrapped, name_of
    if getattr(leaf, "coerce_output_value", None) is isoformat and leaf.name in _ISOFORMAT:
        return _ISOFORMAT[leaf.name], _ISOFORMAT[leaf.name].isoformat
    return None, None


def _simple_resolver(definition: Any, converter: Any) -> bool:
    """Tells whether a Strawberry field's resolver can be called straight: synchronous, no GraphQL arguments,
    no field extensions (permission classes are some), no exception handlers, no `root`/`parent` parameter."""
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.is_async or resolver.arguments:
        return False
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return False
    handlers = getattr(converter, "_get_field_exception_handlers", None)
    return handlers is not None and not handlers(definition)


def field_plans(schema: GraphQLSchema) -> dict[str, dict[str, _Plan]]:
    """Returns, by object type and field name, the fields that may take a short cut and how to read them."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    converter = getattr(strawberry_schema, "schema_converter", None)
    info_class = strawberry_schema.config.info_class if strawberry_schema is not None else None
    plans: dict[str, dict[str, _Plan]] = {}
    for type_name, graphql_type in schema.type_map.items():
        fields = getattr(graphql_type, "fields", None)
        if type_name.startswith("__") or not fields or not isinstance(graphql_type, GraphQLObjectType):
            continue  # introspection types, input types, interfaces keep the ordinary path
        if schema.subscription_type is graphql_type:
            continue  # a subscription's root fields are resolved by graphql-core's subscribe
        for field_name, field in fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if definition is None or field.args or field.resolve is None:
                continue
            plan = None
            if definition.is_basic_field and getattr(field.resolve, "_is_default", False):
                non_null = isinstance(field.type, GraphQLNonNull)
                leaf = field.type.of_type if non_null else field.type
                if is_leaf_type(leaf):
                    plan = (_LEAF, definition.default_resolver, definition.python_name, leaf, non_null,
                            _AS_IS.get(leaf), *_quicker(leaf))
                else:
                    plan = (_VALUE, definition.default_resolver, definition.python_name, field)
            elif info_class is not None and _simple_resolver(definition, converter):
                resolver = definition.base_resolver
                info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
                takes_self = resolver.self_parameter is not None
                parameters = list(resolver.signature.parameters.values())[1 if takes_self else 0:]
                positional = bool(parameters) and parameters[0].name == info_name and parameters[0].kind in (
                    inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                plan = (_RESOLVER, resolver.wrapped_func, info_name, field, definition, _lazy_info(info_class),
                        takes_self, positional)
            if plan is not None:
                plans.setdefault(type_name, {})[field_name] = plan
    return plans


def _coerced(plan: _Plan, value: Any) -> Any:
    """A plain leaf's value as graphql-core's completion serialises it, or `_ORDINARY` when that would fail."""
    if value is None:
        return _ORDINARY if plan[4] else None
    if value is Undefined or isinstance(value, Exception):
        return _ORDINARY
    try:
        coerced = plan[3].coerce_output_value(value)
    except Exception:  # noqa: BLE001 (the ordinary path reports it)
        return _ORDINARY
    return _ORDINARY if coerced is None or coerced is Undefined else coerced


class _ResolveInfo:
    """graphql-core's resolve info of a field, made only when asked for: the context at once (all that the simple
    resolvers read), anything else from the real object (`build_resolve_info`), built the first time."""

    _lazy = True
    __slots__ = ("context", "_execution", "_field", "_field_details_list", "_parent_type", "_path", "_real")

    def __init__(self, execution: Any, field: Any, field_details_list: Any, parent_type: Any, path: Path) -> None:
        self.context = execution.context_value
        self._execution, self._field, self._field_details_list = execution, field, field_details_list
        self._parent_type, self._path, self._real = parent_type, path, None

    def built(self) -> Any:
        if self._real is None:
            self._real = self._execution.build_resolve_info(
                self._field, [d.node for d in self._field_details_list], self._parent_type, self._path)
        return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.built(), name)


_lazy_infos: dict[type, type] = {}


def _lazy_info(info_class: type) -> type:
    """A subclass of the schema's Strawberry `Info` for a simple resolver: its context is read at once (all that
    the simple resolvers read), graphql-core's resolve info (`_raw_info`, behind every other property) is built the
    first time it is asked for; one object with slots instead of an `Info`, its `__dict__` and a resolve info."""
    made = _lazy_infos.get(info_class)
    if made is None:
        def raw_info(info: Any) -> Any:
            real = info._real
            if real is None:
                real = info._real = info._execution.build_resolve_info(
                    info._graphql_field, [d.node for d in info._field_details_list], info._parent_type, info._path)
            return real

        made = _lazy_infos[info_class] = type(f"Lazy{info_class.__name__}", (info_class,), {
            "__slots__": ("_context", "_field", "_execution", "_graphql_field", "_field_details_list",
                          "_parent_type", "_path", "_real"),
            "_lazy": True, "built": raw_info, "_raw_info": property(raw_info),
            "context": property(lambda info: info._context)})
    return made


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the short cuts for plain fields and simple resolvers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self._plans = {} if middleware is not None and middleware.middlewares else _plans(self.schema)
        # per selection (graphql-core collects a sub-selection once and reuses it for every object of a list):
        # each field's response name, field details and plan, and, when they are all plain leaves, a getter of
        # them all, worked out once (`_steps`)
        self._steps_of: dict[int, tuple[Any, Any, list[tuple[str, Any, _Plan | None]] | None, Any]] = {}

    def _steps(self, parent_type, grouped_field_set) -> tuple[list[tuple[str, Any, _Plan | None]] | None, Any]:
        """Each field's response name, field details and plan (None: no plan for this type), and, when every field
        is a plain leaf read by `getattr`, a getter of them all with each one's response name and plan."""
        known = self._steps_of.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set and known[1] is parent_type:
            return known[2], known[3]
        plans = self._plans.get(parent_type.name)
        steps = leaves = None
        if plans:
            steps = []
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                steps.append((response_name, field_details_list,
                              None if node.arguments else plans.get(node.name.value)))
            if steps and all(p is not None and p[0] == _LEAF and p[1] is getattr for _, _, p in steps):
                leaves = (attrgetter(*(p[2] for _, _, p in steps)), [(name, p) for name, _, p in steps])
        # held: the field set's id stays its own
        self._steps_of[id(grouped_field_set)] = (grouped_field_set, parent_type, steps, leaves)
        return steps, leaves

    def _leaves(self, leaves, source) -> dict[str, Any] | None:
        """The fields of an object whose selected fields are all plain leaves, read in one call (`attrgetter` of
        them all); None when any value needs the ordinary way, and then the fields are read again one by one."""
        getter, plans = leaves
        try:
            values = getter(source)
        except Exception:  # noqa: BLE001 (the fields read one by one report it)
            return None
        if len(plans) == 1:
            values = (values,)
        results: dict[str, Any] = {}
        for (response_name, plan), value in zip(plans, values, strict=True):
            kind = type(value)
            if kind is not plan[5]:  # else serialised as it is (`_AS_IS`)
                value = plan[7](value) if kind is plan[6] else _coerced(plan, value)
                if value is _ORDINARY:
                    return None
            results[response_name] = value
        return results

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        steps, leaves = self._steps(parent_type, grouped_field_set)
        if steps is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        if leaves is not None:
            results = self._leaves(leaves, source_value)
            if results is not None:
                return results
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        type_name = parent_type.name
        try:
            for response_name, field_details_list, plan in steps:
                if plan is not None:
                    if plan[0] == _LEAF:
                        try:
                            value = plan[1](source_value, plan[2])
                        except Exception:  # noqa: BLE001 (the ordinary path reports it)
                            value = _ORDINARY
                        else:
                            kind = type(value)
                            if kind is plan[6]:
                                value = plan[7](value)
                            elif kind is not plan[5]:  # else serialised as it is (`_AS_IS`)
                                value = _coerced(plan, value)
                        if value is not _ORDINARY:
                            results[response_name] = value
                            continue
                    else:
                        result = self._planned_field(plan, parent_type, source_value, field_details_list,
                                                     _new_path(Path, (path, response_name, type_name)),
                                                     position_context)
                        results[response_name] = result
                        if is_awaitable(result):
                            awaitable_fields.append(response_name)
                        continue
                result = self.execute_field(parent_type, source_value, field_details_list,
                                            _new_path(Path, (path, response_name, type_name)), position_context)
                if result is not Undefined:  # a field graphql-core skips (not in the type) stays out
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                name = awaitable_fields[0]
                results[name] = await results[name]
            else:
                awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _planned_field(self, plan: _Plan, parent_type, source, field_details_list, path: Path, position_context):
        """`execute_field` for a plain object field or a simple resolver (see the module's docstring)."""
        field = plan[3]
        return_type = field.type
        info = None
        try:
            if plan[0] == _VALUE:
                result = plan[1](source, plan[2])
            else:
                _, function, info_name, _, definition, info_class, takes_self, positional = plan
                if info_name:
                    info = info_class.__new__(info_class)  # a Strawberry `Info` whose resolve info is made when asked
                    info._context, info._field, info._execution = self.context_value, definition, self
                    info._graphql_field, info._field_details_list = field, field_details_list
                    info._parent_type, info._path, info._real = parent_type, path, None
                    if positional:
                        result = function(source, info) if takes_self else function(info)
                    else:
                        result = function(source, **{info_name: info}) if takes_self else function(**{info_name: info})
                else:
                    result = function(source) if takes_self else function()
            if self.is_awaitable(result):
                return self.complete_awaitable_value(return_type, field_details_list,
                                                     self._info(info, field, field_details_list, parent_type, path),
                                                     path, result, position_context)
            completed = self._complete(return_type, field, parent_type, field_details_list, info, path, result,
                                       position_context)
            if self.is_awaitable(completed):
                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw_error:  # noqa: BLE001 (handled as graphql-core handles it)
                        self.handle_field_error(raw_error, return_type, field_details_list, path)
                        return None

                return await_completed()
            return completed
        except Exception as raw_error:  # noqa: BLE001 (handled as graphql-core handles it)
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _info(self, info, field, field_details_list, parent_type, path: Path):
        """graphql-core's resolve info of the field, for graphql-core's own completion."""
        if info is None:
            return self.build_resolve_info(field, [d.node for d in field_details_list], parent_type, path)
        return info.built() if getattr(type(info), "_lazy", False) else info

    def _complete(self, return_type, field, parent_type, field_details_list, info, path: Path, result: Any,
                  position_context):
        """`complete_value` without a resolve-info object for the usual cases; graphql-core's own for the rest."""
        if isinstance(result, Exception):
            raise result
        if isinstance(return_type, GraphQLNonNull):
            completed = self._complete(return_type.of_type, field, parent_type, field_details_list, info, path,
                                       result, position_context)
            if completed is None:
                raise TypeError("Cannot return null for non-nullable field"
                                f" {parent_type}.{field_details_list[0].node.name.value}.")
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            if type(result) is list:
                return self._complete_list(return_type.of_type, field, parent_type, field_details_list, info, path,
                                           result, position_context)
        elif isinstance(return_type, GraphQLObjectType):
            if return_type.is_type_of is None:
                grouped_field_set, new_defer_usages, _ = self.collect_subfields(return_type, field_details_list)
                if position_context is None and not new_defer_usages:  # `execute_collected_subfields`, no @defer
                    return self.execute_fields(return_type, result, path, grouped_field_set, None)
                return self.collect_and_execute_subfields(return_type, field_details_list, path, result,
                                                          position_context)
        elif is_leaf_type(return_type):
            if type(result) is _AS_IS.get(return_type):  # a resolver's string: serialised as it is
                return result
            return self.complete_leaf_value(return_type, result)
        info = self._info(info, field, field_details_list, parent_type, path)
        return self.complete_value(return_type, field_details_list, info, path, result, position_context)

    def _complete_list(self, item_type, field, parent_type, field_details_list, info, path: Path, items: list,
                       position_context):
        """`complete_iterable_value` for a list (no streaming: the schema has no @stream)."""
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        if info is None:  # graphql-core's completion of an item gets the field's resolve info, with the field's path
            info = _ResolveInfo(self, field, field_details_list, parent_type, path)
        try:
            for index, item in enumerate(items):
                item_path = _new_path(Path, (path, index, None))
                if is_awaitable(item):
                    completed_results.append(self.complete_awaitable_list_item_value(
                        item, item_type, field_details_list, self._info(info, field, field_details_list, parent_type,
                                                                        path),
                        item_path, position_context))
                    awaitable_indices.append(index)
                    continue
                try:
                    completed = self._complete(item_type, field, parent_type, field_details_list, info, item_path,
                                               item, position_context)
                    if is_awaitable(completed):
                        completed_results.append(self._await_item(completed, item_type, field_details_list,
                                                                  item_path))
                        awaitable_indices.append(index)
                    else:
                        completed_results.append(completed)
                except Exception as raw_error:  # noqa: BLE001 (handled as graphql-core handles it)
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed_results.append(None)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(*(completed_results[i] for i in awaitable_indices))
                for index, value in zip(awaitable_indices, awaited, strict=True):
                    completed_results[index] = value
            return completed_results

        return get_completed_results()

    async def _await_item(self, completed, item_type, field_details_list, item_path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001 (handled as graphql-core handles it)
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None


_by_schema: WeakKeyDictionary[GraphQLSchema, dict[str, dict[str, _Plan]]] = WeakKeyDictionary()


def _plans(schema: GraphQLSchema) -> dict[str, dict[str, _Plan]]:
    plans = _by_schema.get(schema)
    if plans is None:
        plans = _by_schema[schema] = field_plans(schema)
    return plans
