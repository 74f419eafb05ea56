"""Change notice (POL-3): a material change takes effect only after the notice period
the version in force promises, counted in business days on the provider's calendar
(Ducallier: "at least thirty (10) business days", read as 30 by POL-5); until then the
old version is enforced, and at the effective time every process switches by itself.
Every customer is sent one notice; a change of wording alone takes effect at once."""

import datetime as dt
import re
from email.utils import parseaddr

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from factories import ADA, GRACE, MATERIAL_PARTNER
from freezegun import freeze_time
from tests_paths import POLICIES

from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine, current_policy
from hippocratic.site.models import PolicyNotice
from hippocratic.site.tasks import send_policy_notices
from hippocratic.versions import publishing as versions
from hippocratic.versions.models import PolicyVersion

pytestmark = pytest.mark.django_db
PARTNER = MATERIAL_PARTNER


@pytest.fixture
def published(settings, tmp_path):
    """Ducallier's file published as version 1 on 2026-02-02, enforced from the database."""
    settings.HIPPOCRATIC_POLICY_VERSIONS = True
    path = tmp_path / "ducallier.yaml"
    original = (POLICIES / "ducallier.yaml").read_bytes()
    path.write_bytes(original)
    settings.HIPPOCRATIC_POLICY = str(path)
    reverse("accounts:export")  # the URLconf (and its API schemas) loaded before time is frozen
    with freeze_time("2026-02-02 09:00:00"):
        versions.publish(path, by="legal")
    return path, original


def share(recipient="metrics_partner"):
    return current_engine().decide_share(recipient, "terms_of_service",
                                         ["user.contact.email"], "customer")  # fmt: skip


@pytest.mark.promise("POL-3")
def test_a_new_recipient_waits_thirty_business_days_and_then_applies_without_a_restart(
    published, signed_up
):
    path, original = published
    with freeze_time("2026-02-03 10:00:00"):
        signed_up("ada", ADA)
        signed_up("grace", GRACE)
    path.write_bytes(original.replace(b"recipients:\n", PARTNER.encode(), 1))
    with freeze_time("2026-03-02 10:00:00"):  # a Monday
        second = versions.publish(path, by="legal")
        assert second.material
        assert "We may now share data with Metrics Partner Inc." in [
            c["words"] for c in second.changes
        ]
        assert second.effective_at.date() >= dt.date(2026, 4, 13)
        # Until then the old version is enforced: the new recipient is unknown.
        assert share().reason == Reason.RECIPIENT_NOT_DECLARED
        assert "metrics_partner" not in {r.key for r in current_policy().recipients}
        page = Client().get("/privacy/").content.decode()
        assert f"takes effect on <strong>{date_format(second.effective_at)}" in page
        assert "This is version 1 of this policy" in page
    with freeze_time(second.effective_at - dt.timedelta(seconds=1)):
        assert share().reason == Reason.RECIPIENT_NOT_DECLARED
    with freeze_time(second.effective_at + dt.timedelta(seconds=1)):
        assert share().allowed  # the same process, no restart: the version's time came
        assert "This is version 2 of this policy" in Client().get("/privacy/").content.decode()
    # Version 1 is still there, byte for byte.
    assert Client().get("/privacy/versions/1/policy.yaml").content == original


@pytest.mark.promise("POL-3")
def test_every_customer_gets_one_notice_with_the_changes_and_how_to_respond(published, signed_up):
    path, original = published
    with freeze_time("2026-02-03 10:00:00"):
        signed_up("ada", ADA)
        signed_up("grace", GRACE)
    path.write_bytes(original.replace(b"recipients:\n", PARTNER.encode(), 1))
    with freeze_time("2026-03-02 10:00:00"):
        second = versions.publish(path)
        assert send_policy_notices.call(second.pk) == 2
        assert send_policy_notices.call(second.pk) == 0  # a retry mails no one twice
    assert PolicyNotice.objects.filter(version=second, sent_at__isnull=False).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ADA["email"], GRACE["email"]])
    body = mail.outbox[0].body
    assert "We may now share data with Metrics Partner Inc." in body
    assert "To object, reply to this message (it goes to support@ducallier.com)" in body
    assert "/account/data/export.json" in body
    # Closing the account (issue 31): the direction's link is the page that closes it.
    close = re.search(r"https?://\S+(/account/close/)", body)
    assert close and close.group(1) == reverse("accounts:close")
    me = Client()
    me.force_login(User.objects.get(username="ada"))
    page = me.get(close.group(1))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    assert date_format(timezone.localtime(second.effective_at)) in mail.outbox[0].subject


@pytest.mark.promise("POL-3")
def test_ducallier_gives_notice_of_a_change_of_wording_too(
    published, signed_up, django_capture_on_commit_callbacks
):
    """Issue 31: Ducallier's seed gives notice of "the change", any change; the
    software gave it only for material ones."""
    path, original = published
    signed_up("ada", ADA)
    path.write_bytes(original.replace(b"introduction: ", b"introduction: Updated. ", 1))
    with freeze_time("2026-03-02 10:00:00"), django_capture_on_commit_callbacks(execute=True):
        second = versions.publish(path)
        assert not second.material and second.changes == []
        assert second.effective_at.date() >= dt.date(2026, 4, 13)  # 30 business days on
        assert versions.in_force().number == 1
        assert send_policy_notices.call(second.pk) == 1
    (notice,) = mail.outbox
    assert "The wording of the policy" in notice.body and "To object, reply" in notice.body
    page = Client().get("/privacy/").content.decode()
    assert "If we change this policy in any way" in page
    assert "A change of wording alone" not in page


@pytest.mark.promise("POL-3")
def test_a_change_of_wording_alone_takes_effect_at_once_with_no_notice(published, signed_up):
    """Where the version in force promises notice of material changes only."""
    path, original = published
    only_material = original.replace(b"  every_change: true\n", b"")
    assert only_material != original
    path.write_bytes(only_material)
    with freeze_time("2026-02-02 09:30:00"):
        versions.publish(path, by="legal")  # itself a change of wording: waits its notice
    PolicyVersion.objects.update(effective_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
    signed_up("ada", ADA)
    PolicyNotice.objects.all().delete()
    path.write_bytes(only_material.replace(b"introduction: ", b"introduction: Updated. ", 1))
    with freeze_time("2026-03-02 10:00:00"):
        second = versions.publish(path)
        assert not second.material and second.changes == []
        assert second.effective_at == versions.in_force().effective_at
        assert versions.in_force().number == 3
        assert "Updated." in Client().get("/privacy/").content.decode()
    assert PolicyVersion.objects.count() == 3 and not PolicyNotice.objects.exists()


@pytest.mark.promise("POL-3")
def test_the_notice_period_counts_business_days_on_the_providers_calendar(published):
    path, original = published
    path.write_bytes(original.replace(b"recipients:\n", PARTNER.encode(), 1))
    with freeze_time("2026-12-18 10:00:00"):  # a Friday, before the holidays
        second = versions.publish(path)
    # 30 business days from 2026-12-18, skipping weekends and the provider's holidays.
    from hippocratic.policy.calendar import due_date

    holidays = current_policy().provider.holidays
    assert holidays == "US"  # issue 31: 25 December and 1 January were counted
    last = due_date(dt.date(2026, 12, 18), 30, business=True, holidays=holidays)
    assert second.effective_at.date() == last + dt.timedelta(days=1)
    weekdays_only = due_date(dt.date(2026, 12, 18), 30, business=True, holidays=None)
    assert last > weekdays_only  # Christmas, New Year and Martin Luther King Day skipped
    page = Client().get("/privacy/").content.decode()
    assert "less the public holidays of the United States, calendar US" in page


@pytest.mark.promise("POL-3")
def test_replying_to_the_notice_to_object_becomes_a_request(
    published, signed_up, django_capture_on_commit_callbacks
):
    """The notice's first direction works: the reply reaches the support address and
    is a request in the ledger, for the customer who sent it."""
    from factories import eml

    from hippocratic.messaging import inbound
    from hippocratic.requests.models import Request

    path, original = published
    _, me = signed_up("ada", ADA)
    path.write_bytes(original.replace(b"recipients:\n", PARTNER.encode(), 1))
    with freeze_time("2026-03-02 10:00:00"):
        second = versions.publish(path)
        send_policy_notices.call(second.pk)
    (notice,) = mail.outbox
    ours = parseaddr(notice.from_email)[1]  # "The Ducallier Studios <support@…>"
    reply = eml("Re: " + notice.subject, to=ours)
    with django_capture_on_commit_callbacks(execute=True):
        got = inbound.receive(reply, [ours])
    from factories import SYSTEM

    request = Request.objects.for_purpose(SYSTEM, "essential.service").get(pk=got.request_id)
    assert (request.customer_id, request.kind) == (me, Request.Kind.SUPPORT)
    assert request.is_open


@pytest.mark.promise("POL-3")
def test_a_choice_and_an_audit_entry_name_the_version_they_were_made_under(published, signed_up):
    from hippocratic.enforcement.models import AuditEntry, OptOut

    client, me = signed_up("ada", ADA)
    version = versions.in_force()
    client.post("/account/choices/", {})  # Ada refuses what the choices offer
    refused = OptOut.objects.filter(subject="customer", subject_id=me)
    assert refused.exists() and {o.policy_version for o in refused} == {version.sha256}
    assert AuditEntry.objects.last().policy_version == version.sha256
