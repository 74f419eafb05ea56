"""Every scheduled job runs on every profile, on a populated database: under each of the
five policies, published and in force as `make run` and production enforce them, on a
site holding what visitors, customers and mail leave behind (customers with services,
page views, a list join never confirmed, mail to the unsubscribe address), then again
two years on, when billing, retention and the forgetting jobs all have work. No job may
raise, log an exception, or be refused a purpose (a job whose promise the profile does
not make does nothing). tests/jobs/test_scheduler.py runs them on an empty database."""

import datetime as dt
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from factories import ADA, GRACE, SYSTEM, eml, flush, running_since
from freezegun import freeze_time

from hippocratic.accounts.models import Customer
from hippocratic.enforcement import audit
from hippocratic.enforcement.models import AuditEntry
from hippocratic.jobs.schedule import SCHEDULE
from hippocratic.jobs.tasks import run_job
from hippocratic.messaging import campaigns, inbound
from hippocratic.provider import current_policy
from hippocratic.versions import publishing


def _populate(signed_up) -> None:
    """What visitors, customers and mail leave behind on this profile's site."""
    for username, person in (("ada", ADA), ("grace", GRACE)):
        _client, customer = signed_up(username, person)
        running_since(customer)
    visitor = Client()
    for path in ("/", "/privacy/", "/account/sign-up/"):
        visitor.get(path)
    flush()
    if campaigns.prospect_list_open():  # someone asks to join and never confirms
        visitor.post(reverse("messaging:join"), {"name": "Some One", "email": "one@join.example"})
    unsubscribe = current_policy().provider.contacts.unsubscribe
    if unsubscribe and unsubscribe.email:  # a reader mails the unsubscribe address
        to = unsubscribe.email
        inbound.receive(eml("please take me off", "reader@x.example", to=to), [to])


def _run_every_job() -> tuple[dict, dict[str, str]]:
    done, failed = {}, {}
    for job in SCHEDULE:
        try:
            done[job.name] = run_job.call(job.name)
        except Exception as error:  # every job's failure, not the first alone
            failed[job.name] = f"{type(error).__name__}: {error}"
    return done, failed


@pytest.mark.django_db
def test_every_scheduled_job_runs_on_every_profile_on_a_populated_site(
    profile, signed_up, settings, tmp_path, caplog
):
    settings.HIPPOCRATIC_AUDIT_KEY = str(tmp_path / "audit.pem")
    settings.HIPPOCRATIC_AUDIT_CHECKPOINTS = str(tmp_path / "checkpoints")
    settings.HIPPOCRATIC_PARTNER_EXPORTS = str(tmp_path / "exports")
    audit.generate_key(tmp_path / "audit.pem")
    settings.HIPPOCRATIC_POLICY_VERSIONS = True  # the published version is enforced
    publishing.publish(settings.HIPPOCRATIC_POLICY, by="tests", at_once=True)
    _populate(signed_up)
    assert Customer.objects.for_purpose(SYSTEM, "essential.service.authentication").count() == 2

    with caplog.at_level(logging.WARNING):
        done, failed = _run_every_job()
        assert failed == {}
        with freeze_time(timezone.now() + dt.timedelta(days=731), tick=True):
            later, failed = _run_every_job()
        assert failed == {}
    # They did work, where the profile has it for them.
    assert done["tracking.rollup"] >= 1
    assert done["billing.run"]["issued"] == (0 if profile == "dracon" else 2)  # no payment data
    assert later["messaging.forget_unconfirmed"] == int(campaigns.prospect_list_open())
    assert later["enforcement.retention"] > 0
    assert not [r.getMessage() for r in caplog.records if r.exc_info]
    assert not AuditEntry.objects.filter(reason="purpose_not_declared").exists()
