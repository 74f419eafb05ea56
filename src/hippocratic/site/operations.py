"""For those who look after the site: /healthz for the load balancer and /metrics for
Prometheus, answered by a middleware before sessions, CSRF and the visitor log (a probe
every few seconds is not a page view), and a count of every other response by status.

/healthz needs no login and tells no personal data: the database answers, the queue's
depth, the audit sequencer's lag, the newest signed head's age, the workers' heartbeat;
200 when all is well, 503 when the site should be taken out. Answers are reused for a
second, so a probe storm costs a few queries a second.

/metrics (Prometheus' text format, prometheus_client) answers a request bearing
`Authorization: Bearer $HIPPOCRATIC_METRICS_TOKEN`, or one from loopback that did not
come through the reverse proxy (no X-Forwarded-* header); anyone else gets 404.
"""

import hmac
import os
import time

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from hippocratic.site import health

HEALTH_CACHE_SECONDS = 1.0
LOOPBACK = {"127.0.0.1", "::1"}

RESPONSES = Counter("hippocratic_http_responses", "Responses the site gave, by status", ["status"])

_cached: dict = {"at": 0.0, "health": None}


def current_health() -> health.Health:
    now = time.monotonic()
    if _cached["health"] is None or now - _cached["at"] > HEALTH_CACHE_SECONDS:
        _cached.update(at=now, health=health.check())
    return _cached["health"]


class FromTheDatabase:
    """What every process shares, read when Prometheus scrapes: the queue's depth, the
    tasks that failed, the audit log's lag and newest head, the workers' heartbeat."""

    def collect(self):
        facts = current_health()
        yield GaugeMetricFamily("hippocratic_up", "1 when /healthz answers 200", int(facts.ok))
        gauges = {
            "hippocratic_queue_ready": ("Tasks waiting to run", facts.queue_ready),
            "hippocratic_audit_pending": ("Audit entries not yet in the tree", facts.audit_pending),
            "hippocratic_audit_oldest_pending_seconds": (
                "How long the oldest waiting audit entry has waited",
                facts.audit_oldest_pending_seconds,
            ),
            "hippocratic_audit_checkpoint_age_seconds": (
                "Age of the newest signed tree head", facts.last_checkpoint_seconds),
            "hippocratic_worker_heartbeat_age_seconds": (
                "Seconds since a worker was last seen", facts.worker_seen_seconds),
        }  # fmt: skip
        for name, (text, value) in gauges.items():
            if value is not None:
                yield GaugeMetricFamily(name, text, value)
        try:
            failed = health.failed_tasks()
        except DatabaseError:
            return
        yield CounterMetricFamily(
            "hippocratic_job_failures", "Tasks (scheduled jobs among them) that failed", failed
        )


_shared = CollectorRegistry()  # collected only when scraped
_shared.register(FromTheDatabase())


def exposition() -> bytes:
    """This process's counters, or every process's where they share a folder
    (PROMETHEUS_MULTIPROC_DIR), then what the database says."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_shared)


def _may_see_metrics(request) -> bool:
    token = os.environ.get("HIPPOCRATIC_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    proxied = any(h.startswith("X-Forwarded-") for h in request.headers)
    return request.META.get("REMOTE_ADDR") in LOOPBACK and not proxied


class OperationsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            facts = current_health()
            return JsonResponse(facts.as_json(), status=200 if facts.ok else 503,
                                headers={"Cache-Control": "no-store"})  # fmt: skip
        if request.path == "/metrics":
            if not _may_see_metrics(request):
                return HttpResponse(status=404)
            return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
        response = self.get_response(request)
        RESPONSES.labels(str(response.status_code)).inc()
        return response
