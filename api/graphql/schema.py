"""Assembles the schema from each domain's queries and mutations, with limits and error masking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import suppress

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from api.accounts.mutations import AccountMutations
from api.accounts.queries import AccountQueries
from api.aid_items.mutations import AidItemMutations
from api.aid_items.queries import AidItemQueries
from api.analytics.queries import AnalyticsQueries
from api.applicants.mutations import ApplicantMutations
from api.applicants.queries import ApplicantQueries
from api.audit.queries import AuditQueries
from api.cases.mutations import CaseMutations
from api.cases.queries import CaseQueries
from api.cases.subscriptions import CaseSubscriptions
from api.disbursements.mutations import DisbursementMutations
from api.disbursements.queries import DisbursementQueries
from api.graphql.execution import PlainFieldsExecutionContext
from api.graphql.limits import OperationGuard, without_suggestions
from api.kit.db import UNAVAILABLE, database_unavailable
from api.kit.errors import DomainError, cut_quoted
from api.kit.metrics import OperationMetrics
from api.province.mutations import ProvinceMutations
from api.province.queries import ProvinceQueries
from api.regions.mutations import RegionMutations
from api.regions.queries import RegionQueries
from api.settings import Settings
from api.surveys.mutations import SurveyMutations

log = logging.getLogger("dachuan.graphql")


@strawberry.type
class Query(AccountQueries, RegionQueries, AidItemQueries, ApplicantQueries, CaseQueries, ProvinceQueries,
            DisbursementQueries, AnalyticsQueries, AuditQueries):
    pass


@strawberry.type
class Mutation(AccountMutations, RegionMutations, AidItemMutations, ApplicantMutations, CaseMutations,
               ProvinceMutations, SurveyMutations, DisbursementMutations):
    pass


@strawberry.type
class Subscription(CaseSubscriptions):
    pass


LONG_MESSAGE = 120  # characters of a graphql-core message past which the values it quotes are cut


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (DomainError, GraphQLError, MissingQueryError))


NO_QUERY = "请求中没有查询语句"


class DomainErrorCodes(MaskErrors):
    """Adds `extensions.code` to expected failures in queries; masks everything unexpected.

    Masking also drops graphql-core's "Did you mean …?" hints, which would spell out the schema to a stranger."""

    def __init__(self, mask: bool) -> None:
        super().__init__(should_mask_error=lambda e: mask and _is_unexpected(e),
                         error_message="系统繁忙，请稍后再试")
        self.mask = mask

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if database_unavailable(error.original_error):  # down or restarting: worth sending again shortly
            return GraphQLError(UNAVAILABLE, nodes=error.nodes, source=error.source, positions=error.positions,
                                path=error.path, extensions={"code": "unavailable"})
        return GraphQLError(self.error_message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions={"code": "internal_error"})

    def _process_result(self, result: object) -> None:
        # what MaskErrors asks through a runtime-checked Protocol (an isinstance that inspects the class each
        # time, once per request and per frame sent to a subscriber), asked directly
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for e in errors:
            if isinstance(e.original_error, DomainError):
                e.extensions = {**(e.extensions or {}), "code": e.original_error.code}
            elif isinstance(e.original_error, MissingQueryError):  # an empty `subscribe` over the socket
                e.message, e.extensions = NO_QUERY, {**(e.extensions or {}), "code": "query_missing"}
            elif _is_unexpected(e):
                log.error("unexpected error at %s", e.path, exc_info=e.original_error)
            elif self.mask and "Did you mean" in e.message:
                e.message = without_suggestions(e.message)
            if len(e.message) > LONG_MESSAGE and not isinstance(e.original_error, DomainError):
                e.message = cut_quoted(e.message)  # graphql-core repeats a wrong value whole, 10 KB if sent so
        return super()._process_errors(errors)


# strawberry's caches live at module level, one per size: every request and every schema shares them
_parse = ParserCache(maxsize=256).cached_parse_document  # one shared document per operation text
_validate = ValidationCache(maxsize=256).cached_validate_document


class PreparedDocuments(SchemaExtension):
    """Parses each operation text once (within the token limit) and validates each document once (with the depth
    and alias rules), in caches every request shares: what strawberry's ParserCache, MaxTokensLimiter, two
    AddValidationRules and ValidationCache do, in one extension, so each request builds two hooks instead of five.

    A document it cannot parse is left to strawberry's own parsing, which answers the syntax error as a GraphQL
    error. Over the socket, the error raised inside the hook escaped strawberry's handling: the operation ended
    with a bare `complete`, as if it had run, and the error was logged as a crash."""

    def __init__(self, *, max_tokens: int, rules: tuple) -> None:
        self.max_tokens = max_tokens
        self.rules = rules

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens  # strawberry's own parsing, below, keeps it too
        with suppress(GraphQLError):  # left unparsed: strawberry parses it again, inside its own error handling
            context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = context.validation_rules + self.rules
        context.pre_execution_errors = _validate(context.schema._schema, context.graphql_document,
                                                 context.validation_rules)
        yield


class Schema(strawberry.Schema):
    """strawberry's Schema without its log line per error: a caller's mistake (a syntax or validation error, a
    typed refusal) is answered, not logged as an error of the service with a traceback; what went wrong on our
    side is logged by DomainErrorCodes ("unexpected error at …", with its traceback)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        return None


def build_schema(settings: Settings) -> strawberry.Schema:
    """Returns the schema with depth, token, alias and cost limits; unexpected errors masked outside development."""
    # factories, not instances: an extension keeps the request it serves, so overlapping requests need their own
    # the limits' rule classes are made once, so the validation cache sees the same rules for the same document
    rules = (*QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=settings.max_query_aliases).validation_rules)
    extensions = [
        OperationMetrics,
        lambda: PreparedDocuments(max_tokens=settings.max_query_tokens, rules=rules),
        lambda: OperationGuard(max_cost=settings.max_query_cost,
                               staff_only_introspection=settings.environment == "production"),
        lambda: DomainErrorCodes(mask=not settings.is_development),
    ]
    return Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
                  config=StrawberryConfig(auto_camel_case=True),
                  execution_context_class=PlainFieldsExecutionContext)
