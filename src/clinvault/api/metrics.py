"""Prometheus metrics, in a registry owned by the app (never the global default)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass(frozen=True)
class ApiMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    denials: Counter
    answers: Counter


def new_metrics() -> ApiMetrics:
    registry = CollectorRegistry()
    return ApiMetrics(
        registry=registry,
        requests=Counter(
            "clinvault_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "clinvault_http_request_seconds",
            "HTTP request latency by route template",
            ["route"],
            registry=registry,
        ),
        denials=Counter(
            "clinvault_denials", "Refused requests by reason code", ["reason"], registry=registry
        ),
        answers=Counter("clinvault_answers", "Answers by outcome", ["outcome"], registry=registry),
    )
