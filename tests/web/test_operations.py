"""Looking after the site: /healthz for a load balancer (200/503, no personal data, no
login, no page view), /metrics in Prometheus' format for those allowed, and one JSON
object per log line where HIPPOCRATIC_LOG_FORMAT=json."""

import json
import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from factories import ADA
from prometheus_client.parser import text_string_to_metric_families

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.jobs import heartbeat
from hippocratic.jobs.models import WorkerHeartbeat
from hippocratic.policy.reasons import Reason
from hippocratic.site import operations
from hippocratic.tracking.services import page_view_buffer


@pytest.fixture(autouse=True)
def _fresh_answers():
    operations._cached.update(at=0.0, health=None)
    yield
    operations._cached.update(at=0.0, health=None)


@pytest.mark.django_db
def test_healthz_is_200_with_a_live_worker_and_503_without(signed_up):
    signed_up("ada", ADA)
    heartbeat.beat()
    page_view_buffer().discard()
    with override_settings(SECURE_SSL_REDIRECT=True):  # a probe over plain HTTP: answered
        got = Client().get("/healthz")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["ok"] and body["database"] and body["problems"] == []
    assert set(body) == {"ok", "database", "queue_ready", "audit_pending", "problems",
                         "audit_oldest_pending_seconds", "last_checkpoint_seconds",
                         "worker_seen_seconds"}  # fmt: skip
    assert 0 <= body["worker_seen_seconds"] < 5
    text = got.content.decode().lower()
    assert ADA["email"].lower() not in text and "ada" not in text  # counts and ages only
    assert got.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in got.headers
    assert page_view_buffer().discard() == 0  # a probe is not a page view
    WorkerHeartbeat.objects.update(seen_at="2020-01-01T00:00:00Z")
    operations._cached.update(health=None)
    down = Client().get("/healthz")
    assert down.status_code == 503
    assert down.json()["problems"][0].startswith("worker: last seen")


def _metrics(client: Client, **extra) -> dict:
    got = client.get("/metrics", **extra)
    assert got.status_code == 200, got.status_code
    assert got["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(got.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.django_db
def test_metrics_count_responses_refusals_appends_and_the_queue():
    client = Client()
    client.get("/privacy/")
    before = _metrics(client)
    audit.append(actor=Actor.system("tests"), action=Action.READ, purpose="marketing.email",
                 reason=Reason.PURPOSE_NOT_DECLARED, subject="customer", allowed=False)  # fmt: skip
    client.get("/privacy/")
    after = _metrics(client)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("hippocratic_access_refusals_total", reason="purpose_not_declared") == 1
    assert grew("hippocratic_audit_appends_total", allowed="false") == 1
    assert grew("hippocratic_http_responses_total", status="200") >= 1
    assert ("hippocratic_queue_ready", ()) in after
    assert ("hippocratic_job_failures_total", ()) in after
    assert ("hippocratic_up", ()) in after


@pytest.mark.django_db
def test_metrics_answer_loopback_not_through_the_proxy_or_a_bearer_token(monkeypatch):
    client = Client()
    assert client.get("/metrics").status_code == 200  # loopback, straight to gunicorn
    assert client.get("/metrics", headers={"X-Forwarded-Proto": "https"}).status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    monkeypatch.setenv("HIPPOCRATIC_METRICS_TOKEN", "t0ken-for-tests")
    far = {"REMOTE_ADDR": "203.0.113.9", "headers": {"X-Forwarded-Proto": "https"}}
    right = far["headers"] | {"Authorization": "Bearer t0ken-for-tests"}
    wrong = far["headers"] | {"Authorization": "Bearer guess"}
    assert client.get("/metrics", REMOTE_ADDR=far["REMOTE_ADDR"], headers=right).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR=far["REMOTE_ADDR"], headers=wrong).status_code == 404


def test_json_logs_are_one_object_a_line_with_card_numbers_masked():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('hippocratic.test').warning('charged 4242 4242 4242 4242')"
    )
    env = os.environ | {"HIPPOCRATIC_LOG_FORMAT": "json",
                        "DJANGO_SETTINGS_MODULE": "settings_for_tests"}  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, cwd=os.path.dirname(__file__) + "/..")  # fmt: skip
    assert run.returncode == 0, run.stderr
    (line,) = [line for line in run.stderr.splitlines() if "hippocratic.test" in line]
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "hippocratic.test"
    assert "4242 4242 4242 4242" not in entry["message"] and entry["message"].startswith("charged")
    assert "time" in entry
