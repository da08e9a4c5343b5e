"""What a GraphQL operation may ask: a cost limit, introspection only for staff in production, no suggestions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

# A list without a page size (a household's members, a case's steps) is counted as this many items.
LIST_ITEMS = 10
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """Returns the operation a request runs: the one named, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


class _Cost:
    """Counts the objects an operation can return: each object field weighs its number of items times its
    parent's; a list with `first` holds that many, and so do the lists right under a connection with `first`."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None,
                 limit: int) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables or {}
        self.limit = limit
        self.total = 0

    def operation(self, op: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(op.operation)
        if root is not None:
            self._selections(op.selection_set, root, 1, page=None, seen=frozenset())
        return self.total

    def _selections(self, selection_set: SelectionSetNode, parent: GraphQLObjectType | Any, multiplier: int, *,
                    page: int | None, seen: frozenset[str]) -> None:
        for selection in selection_set.selections:
            if self.total > self.limit:
                return  # already over: no need to count the rest
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier, page=page, seen=seen)
            elif isinstance(selection, InlineFragmentNode):
                target = (self.schema.get_type(selection.type_condition.name.value)
                          if selection.type_condition else parent)
                self._selections(selection.selection_set, target or parent, multiplier, page=page, seen=seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # validation reports unknown and cyclic fragments
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                self._selections(fragment.selection_set, target, multiplier, page=page, seen=seen | {name})

    def _field(self, node: FieldNode, parent: Any, multiplier: int, *, page: int | None, seen: frozenset[str]) -> None:
        name = node.name.value
        if name.startswith("__") or node.selection_set is None:
            return  # scalars are free; introspection is limited on its own
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if definition is None:
            return  # validation reports unknown fields
        own_page = self._page_size(node, definition)
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        if is_list:
            items = own_page or page or LIST_ITEMS
        else:
            items = 1  # one object; a connection's page size applies to the lists inside it (edges)
        count = multiplier * items
        self.total += count
        self._selections(node.selection_set, get_named_type(definition.type), count,
                         page=own_page if not is_list else None, seen=seen)

    def _page_size(self, node: FieldNode, definition: Any) -> int | None:
        if "first" not in definition.args:
            return None
        value: Any = definition.args["first"].default_value
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value, value)
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return 1  # no usable size: execution refuses it


def operation_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                   variables: dict[str, Any] | None, limit: int) -> int:
    """Returns the cost of the operation a request runs (counting stops a little past `limit`)."""
    op = operation_of(document, operation_name)
    if op is None:
        return 0
    return _Cost(schema, document, variables, limit).operation(op)


def asks_introspection(document: DocumentNode) -> bool:
    """Tells whether any selection in the document asks for `__schema` or `__type`."""
    def walk(selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
        for s in selection_set.selections if selection_set else ():
            if isinstance(s, FieldNode):
                yield s
            yield from walk(getattr(s, "selection_set", None))

    for definition in document.definitions:
        for field in walk(getattr(definition, "selection_set", None)):
            if field.name.value in INTROSPECTION_FIELDS:
                return True
    return False


def without_suggestions(message: str) -> str:
    """Returns an error message without graphql-core's "Did you mean …?" hints."""
    return _SUGGESTION.sub("", message)


class OperationGuard(SchemaExtension):
    """Refuses, before execution, operations over the cost limit and (in production) introspection by non-staff."""

    def __init__(self, *, max_cost: int, staff_only_introspection: bool) -> None:
        self.max_cost = max_cost
        self.staff_only_introspection = staff_only_introspection

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None and not ec.result:
            error = self._refusal(document)
            if error is not None:
                ec.result = ExecutionResult(data=None, errors=[error])
        yield

    def _refusal(self, document: DocumentNode) -> GraphQLError | None:
        ec = self.execution_context
        if self.staff_only_introspection and asks_introspection(document):
            actor = getattr(ec.context, "actor", None)
            if actor is None or not actor.is_staff:
                return GraphQLError("仅工作人员可以查询接口结构（introspection）",
                                    extensions={"code": "introspection_not_allowed"})
        cost = operation_cost(ec.schema._schema, document, ec.operation_name, ec.variables, self.max_cost)
        if cost > self.max_cost:
            return GraphQLError(f"查询过于复杂（代价超过上限{self.max_cost}），请减少每页条数或嵌套层级",
                                extensions={"code": "query_too_costly", "limit": self.max_cost})
        return None
