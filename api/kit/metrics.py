"""Prometheus metrics of this process: requests, GraphQL operations, open subscriptions, and gauges read at scrape."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from strawberry.extensions import SchemaExtension

from api.kit import requests

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter("dachuan_http_requests_total", "HTTP requests answered, by route group and status class.",
                        ["route", "status"], registry=REGISTRY)
HTTP_SECONDS = Histogram("dachuan_http_request_seconds", "Time to answer an HTTP request, by route group.",
                         ["route"], buckets=BUCKETS, registry=REGISTRY)
GRAPHQL_OPERATIONS = Counter("dachuan_graphql_operations_total", "GraphQL operations run, by name, type and outcome.",
                             ["operation", "type", "outcome"], registry=REGISTRY)
GRAPHQL_SECONDS = Histogram("dachuan_graphql_operation_seconds", "Time to run a GraphQL query or mutation, by name.",
                            ["operation", "type"], buckets=BUCKETS, registry=REGISTRY)
SUBSCRIPTIONS_OPEN = Gauge("dachuan_subscriptions_open", "GraphQL subscriptions open in this process.",
                           registry=REGISTRY)
OUTBOX_DEPTH = Gauge("dachuan_outbox_depth", "Outbox messages waiting or in flight.", registry=REGISTRY)
OUTBOX_DEAD = Gauge("dachuan_outbox_dead", "Outbox messages given up on (a supervisor may retry them).",
                    registry=REGISTRY)
PROVINCE_OPEN = Gauge("dachuan_province_syncs_open", "高龄津贴 cases waiting on the province, by state.", ["state"],
                      registry=REGISTRY)
PROVINCE_OLDEST_SECONDS = Gauge("dachuan_province_sync_oldest_open_seconds",
                                "Age of the oldest provincial sync not yet decided (0 when none waits).",
                                registry=REGISTRY)
PROVINCE_LAST_DECIDED_SECONDS = Gauge("dachuan_province_last_decision_age_seconds",
                                      "Seconds since the province last decided a case (-1 when it never has).",
                                      registry=REGISTRY)

# Operation names come from clients: only plain names are used as labels, and only so many, so a client
# cannot grow the metrics without bound.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_NAMES = 300
_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """Returns the label for an operation name: the name, `anonymous`, or `other` past the cap."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    if name not in _names:
        if len(_names) >= MAX_OPERATION_NAMES:
            return "other"
        _names.add(name)
    return name


def route_group(path: str) -> str:
    """Returns a bounded label for a request path."""
    for prefix in ("/graphql", "/api/materials", "/api/", "/province-sim", "/province", "/healthz", "/readyz",
                   "/metrics"):
        if path.startswith(prefix):
            return prefix.rstrip("/")
    return "pwa"


def observe_http(path: str, status: int, seconds: float) -> None:
    """Counts one answered HTTP request."""
    route = route_group(path)
    HTTP_REQUESTS.labels(route, f"{status // 100}xx").inc()
    HTTP_SECONDS.labels(route).observe(seconds)


class OperationMetrics(SchemaExtension):
    """Counts and times each GraphQL operation by name; keeps the number of open subscriptions."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        self._subscription = False
        try:
            yield
        finally:
            ec = self.execution_context
            try:
                op_type = ec.operation_type.value
            except Exception:  # never parsed: a syntax error
                op_type = "unknown"
            label = operation_label(ec.operation_name)
            scope = requests.current()
            if scope is not None:
                scope.operation = label  # for the request's access-log line
            result = ec.result
            failed = bool(getattr(result, "errors", None)) or (result is None and not self._subscription)
            GRAPHQL_OPERATIONS.labels(label, op_type, "error" if failed else "ok").inc()
            if self._subscription:
                SUBSCRIPTIONS_OPEN.dec()
            else:
                GRAPHQL_SECONDS.labels(label, op_type).observe(time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        try:
            is_subscription = ec.operation_type.value == "subscription"
        except Exception:
            is_subscription = False
        if is_subscription and not self._subscription:
            self._subscription = True  # open until the stream ends, which is when on_operation unwinds
            SUBSCRIPTIONS_OPEN.inc()
        yield


def exposition() -> tuple[bytes, str]:
    """Returns the metrics text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
