"""Disclosures (DIS-1, DIS-2, DIS-3, DIS-8): one way out, a second approver for the
authorities, exactly what left in the audit chain, gag orders, partner opt-outs, and a
transparency report counted from the chain."""

import datetime as dt
import hashlib
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from factories import GRACE, SYSTEM, staff_user
from freezegun import freeze_time
from tests_paths import use_profile

from hippocratic.accounts import own_data
from hippocratic.accounts.models import Customer
from hippocratic.disclosure import services, transparency
from hippocratic.disclosure.models import Disclosure
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.models import AuditEntry
from hippocratic.policy.taxonomy import is_within
from hippocratic.provider import current_policy

pytestmark = pytest.mark.django_db
HARM_PROFILES = ["dracon", "isp", "japoon", "quality"]


def legal(username: str):
    """A member of the legal team."""
    return staff_user("staff.legal", username)


def authorities():
    return next(r for r in current_policy().recipients if r.kind == "law_enforcement")


def account_data(recipient) -> list[str]:
    """What the authorities may receive on any of their grounds: not the contents of
    communications, which leave only on the grounds COM-3 names."""
    return [c for c in recipient.categories if not c.startswith("user.content")]


def ask(customer_ids, by, ground="legal_requirement", kind="court_order", **extra):
    recipient = authorities()
    return services.record(
        kind=kind, recipient=recipient.key, ground=ground, reference="Case 2026-17",
        customer_ids=customer_ids, categories=account_data(recipient), by=by, **extra,
    )  # fmt: skip


@pytest.mark.promise("DIS-1")
@pytest.mark.parametrize("profile", HARM_PROFILES, indirect=True)
def test_a_disclosure_needs_a_second_approver_and_records_exactly_what_left(signed_up, profile):
    _, me = signed_up()
    _, grace = signed_up("grace", GRACE)
    asker, approver = legal("lex"), legal("ida")
    disclosure = ask([me], asker)
    with pytest.raises(services.DisclosureRefused, match="second staff member"):
        services.approve(disclosure.pk, by=asker)  # the requester alone
    assert not AuditEntry.objects.filter(action="disclose").exists()
    package = services.approve(disclosure.pk, by=approver)
    sent = json.loads(package)
    assert [row["pk"] for row in sent["customers"]] == [me]  # Grace's data stays
    (entry,) = AuditEntry.objects.filter(action="disclose")
    held = {category_of(Customer._meta.get_field(name))
            for name in sent["customers"][0] if name != "pk"}  # fmt: skip
    assert set(entry.categories) == {
        c for c in account_data(authorities()) if any(is_within(h, c) for h in held)
    }
    assert entry.subject_ref == str(me) and entry.actor.endswith(":ida")
    done = Disclosure.objects.get()
    assert done.manifest["sha256"] == hashlib.sha256(package).hexdigest()
    assert done.manifest["sha256"] in entry.rule
    assert (done.status, done.approved_by, done.ground) == (
        "disclosed",
        approver,
        "legal_requirement",
    )
    # A ground the policy does not give the authorities is refused before anything.
    with pytest.raises(services.DisclosureRefused, match="ground_not_allowed"):
        ask([grace], asker, ground="partner_offers")
    with pytest.raises(services.DisclosureRefused, match="already"):
        services.approve(disclosure.pk, by=legal("max"))


@pytest.mark.promise("DIS-8")
@pytest.mark.parametrize("profile", [*HARM_PROFILES, "ducallier"], indirect=True)
def test_the_customer_sees_a_gagged_disclosure_only_once_the_gag_ends(signed_up, profile):
    client, me = signed_up()
    open_one = ask([me], legal("lex"))
    services.approve(open_one.pk, by=legal("ida"))
    gagged = ask([me], legal("leo"), kind="warrant", gag_until=dt.date(2027, 3, 1))
    services.approve(gagged.pk, by=legal("ivy"))
    page = client.get("/account/data/").content.decode()
    assert page.count(authorities().name) == 1  # the open one only
    with freeze_time("2027-03-01 09:00:00"):  # (her session has ended by then)
        later = own_data.everything(me)["disclosures"]
    assert [d["reference"] for d in later] == ["Court order", "Warrant"]


@pytest.mark.promise("DIS-2")
def test_ducallier_sends_e_mail_addresses_only_under_the_terms_or_the_law(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up()
        asker = legal("lex")
        from factories import billed, card_form, running_since

        client.post("/account/billing/card/", card_form())
        running_since(me)
        assert billed(me).paid_at is not None  # a paying user: a joint customer (DIS-4)
        with pytest.raises(services.DisclosureRefused, match="DIS-2"):
            services.record(
                kind="partner", recipient="referral_partners", ground="joint_customer",
                reference="Agreement 4", customer_ids=[me], categories=["user.contact.email"],
                by=asker,
            )  # fmt: skip
        from hippocratic.sales.models import Affiliate, Referral

        acme = Affiliate.objects.create(code="acme", name="Acme", partner="referral_partners")
        Referral.objects.for_purpose(SYSTEM, "essential.service").create(
            customer_id=me, affiliate=acme
        )  # a joint customer: referral partners receive no one else (DIS-4)
        without_email = services.record(
            kind="partner", recipient="referral_partners", ground="joint_customer",
            reference="Agreement 4", customer_ids=[me], categories=["user.name"], by=asker,
        )  # fmt: skip
        assert "email" not in json.loads(services.approve(without_email.pk, by=asker))[
            "customers"][0]  # fmt: skip
        legal_one = ask([me], asker, ground="legal_requirement")
        assert "email" in json.loads(services.approve(legal_one.pk, by=legal("ida")))[
            "customers"][0]  # fmt: skip


@pytest.mark.promise("DIS-3")
def test_quality_partner_export_leaves_out_who_opted_out(signed_up):
    with use_profile("quality"):
        client, me = signed_up()
        _, grace = signed_up("grace", GRACE)
        client.post("/account/choices/", {})  # Ada refuses the partners
        share = services.record(kind="partner", recipient="partners", ground="partner_offers",
                                reference="Partner agreement 2026", customer_ids=[me, grace],
                                categories=["user.name"], by=None)  # fmt: skip
        sent = json.loads(services.approve(share.pk, by=None))
        assert [row["pk"] for row in sent["customers"]] == [grace]
        assert Disclosure.objects.get().manifest["refused"] == {str(me): "subject_opted_out"}
        assert not AuditEntry.objects.filter(action="disclose", subject_ref=str(me)).exists()


@pytest.mark.promise("DIS-1")
def test_the_transparency_report_counts_the_chain_and_refuses_a_tampered_one(signed_up, capsys):
    with use_profile("isp"), freeze_time("2026-11-20 10:00:00"):
        _, me = signed_up()
        _, grace = signed_up("grace", GRACE)
        a, b = legal("lex"), legal("ida")
        services.approve(ask([me, grace], a).pk, by=b)
        services.decline(ask([me], a, kind="subpoena").pk, by=b, decision="contest",
                         reasons="overbroad")  # fmt: skip
        services.approve(ask([grace], a, ground="legal_process", kind="warrant").pk, by=b)
        report = transparency.report(2026)
        h2 = report.halves[1]
        assert h2.received == {"court_order": 1, "subpoena": 1, "warrant": 1}
        assert h2.decided[("court_order", "comply")] == 1
        assert h2.decided[("subpoena", "contest")] == 1
        assert h2.accounts["court_order"] == 2
        disclosed = AuditEntry.objects.filter(action="disclose").count()
        assert sum(h2.accounts.values()) == disclosed == 3
        assert transparency.report(2026, band=250).shown(3) == "0-249"
        call_command("transparency", "2026")
        assert "court_order" in capsys.readouterr().out
        assert Client().get("/transparency/").status_code == 200
        AuditEntry.objects.filter(action="disclose").update(rows=0)  # tampering
        with pytest.raises(SystemExit) as exited:
            call_command("transparency", "2026")
        assert exited.value.code == 1
        assert Client().get("/transparency/").status_code == 503  # the newest outcome
        # The downloads answer what a program reads, not the page.
        as_json = Client().get("/transparency/figures.json")
        assert as_json.status_code == 503 and "does not verify" in as_json.json()["error"]
        as_csv = Client().get("/transparency/figures.csv")
        assert as_csv.status_code == 503 and as_csv["Content-Type"].startswith("text/plain")


@pytest.mark.promise("DIS-1")
def test_the_public_report_reads_the_newest_verification_and_walks_no_log(monkeypatch):
    """A visitor's view of /transparency/ costs a query, not a walk of every entry
    (a million entries take half a minute): it reads the worker's hourly outcome, and
    verifies only where none is recent."""
    from hippocratic.enforcement import audit, tasks

    with use_profile("isp"):
        assert tasks.verify_audit_log.call() is True  # the hourly job
        walks = []
        monkeypatch.setattr(audit, "verify", lambda **kw: walks.append(1) or audit.Verdict(True, 0))
        assert Client().get("/transparency/").status_code == 200
        assert walks == []
        later = audit._now() + audit.VERIFIED_WITHIN + dt.timedelta(minutes=1)
        monkeypatch.setattr(audit, "_now", lambda: later)
        assert Client().get("/transparency/").status_code == 200
        assert walks == [1]  # none recent: verified once, and recorded
        assert Client().get("/transparency/").status_code == 200
        assert walks == [1]


@pytest.mark.promise("DIS-9")
def test_ducallier_discloses_only_under_its_terms_or_the_law_with_a_record(signed_up):
    with use_profile("ducallier"):
        _, me = signed_up()
        asker = legal("lex")
        # Its authorities receive on the terms of service or the law, not on "harm".
        with pytest.raises(services.DisclosureRefused, match="ground_not_allowed"):
            ask([me], asker, ground="harm_prevention")
        disclosure = ask([me], asker, ground="terms_of_service", kind="harm")
        with pytest.raises(services.DisclosureRefused, match="second staff member"):
            services.approve(disclosure.pk, by=asker)
        services.approve(disclosure.pk, by=legal("ida"))
        entry = AuditEntry.objects.get(action="disclose")
        done = Disclosure.objects.get()
        assert (done.ground, done.approved_by.username) == ("terms_of_service", "ida")
        assert entry.categories == done.manifest["categories"] and entry.promise == "DIS-9"
        # A recipient the policy does not name gets nothing.
        with pytest.raises(services.DisclosureRefused, match="recipient_not_declared"):
            services.record(kind="harm", recipient="nobody", ground="terms_of_service",
                            reference="x", customer_ids=[me], categories=["user.name"],
                            by=asker)  # fmt: skip


@pytest.mark.promise("DIS-8")
def test_the_customer_is_told_before_unless_gagged_then_when_the_gag_ends(
    signed_up, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    with use_profile("japoon"):
        _, me = signed_up()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            ask([me], legal("lex"))  # a court order, no gag: told now, before anything leaves
            gagged = ask(
                [me],
                legal("leo"),
                kind="warrant",
                gag_until=dt.date(2027, 3, 1),
            )
            services.approve(gagged.pk, by=legal("ivy"))
        queued = list(DBTaskResult.objects.order_by("enqueued_at")
                      .values_list("args_kwargs", "run_after"))  # fmt: skip
        when = [(q[0]["args"][2], q[1].date()) for q in queued]  # 9999-01-01: at once
        assert when == [("received", dt.date(9999, 1, 1)), ("disclosed", dt.date(2027, 3, 1))]
        from hippocratic.disclosure.tasks import tell_customer

        for args_kwargs, run_after in queued:  # what the worker runs today
            if run_after.year == 9999:
                tell_customer.call(*args_kwargs["args"])
        (told,) = mail.outbox  # the gagged one waits for its day
        assert "Nothing has been disclosed yet" in told.body and told.to == ["ada@lovelace.example"]


@pytest.mark.promise("DIS-5")
def test_integration_partners_get_business_data_of_integrated_customers_only(signed_up):
    """Customers of both: those who use the integrated service and have paid us (the
    seed's "Customers who pay us ... and use this Integrated Service")."""
    from factories import billed, card_form, running_since

    with use_profile("ducallier"):
        client, me = signed_up()
        other, grace = signed_up("grace", GRACE)
        for who in (client, other):
            who.post("/apps/records/", {"kind": "note", "title": "Q3 plan", "body": "Expand"})
        client.post("/apps/integrations/integration_partners/", {"on": "1"})
        categories = ["user.name", "user.content.private.business_data"]
        unpaid = services.record(kind="partner", recipient="integration_partners",
                                 ground="integrated_service", reference="Integration 8",
                                 customer_ids=[me], categories=categories, by=None)  # fmt: skip
        assert json.loads(services.approve(unpaid.pk, by=None))["customers"] == []
        client.post("/account/billing/card/", card_form())
        running_since(me)
        assert billed(me).paid_at is not None  # Ada pays; Grace neither pays nor integrates
        share = services.record(kind="partner", recipient="integration_partners",
                                ground="integrated_service", reference="Integration 9",
                                customer_ids=[me, grace], categories=categories,
                                by=None)  # fmt: skip
        sent = json.loads(services.approve(share.pk, by=None))
        (row,) = sent["customers"]
        assert row["pk"] == me and row["name"] == "Ada Lovelace"
        assert [r["title"] for r in row["user.content.private.business_data"]] == ["Q3 plan"]
        assert Disclosure.objects.get(pk=share.pk).manifest["refused"] == {
            str(grace): "not_their_customer"
        }
        (entry,) = AuditEntry.objects.filter(action="disclose")
        assert entry.subject_ref == str(me) and entry.promise == "DIS-5"
        assert set(entry.categories) == set(categories)
        # Turned off, the partner receives nothing more of hers.
        client.post("/apps/integrations/integration_partners/", {"on": "0"})
        again = services.record(kind="partner", recipient="integration_partners",
                                ground="integrated_service", reference="Integration 9",
                                customer_ids=[me], categories=categories, by=None)  # fmt: skip
        assert json.loads(services.approve(again.pk, by=None))["customers"] == []
        # Referral partners never receive business data (DIS-4); integration partners may.
        with pytest.raises(services.DisclosureRefused, match="category_not_for_recipient"):
            services.record(kind="partner", recipient="referral_partners",
                            ground="joint_customer", reference="Agreement 4",
                            customer_ids=[me], categories=categories, by=None)  # fmt: skip


@pytest.mark.promise("DIS-1")
def test_a_preservation_hold_keeps_data_from_retention_and_discloses_nothing():
    import datetime as dt

    from django.utils import timezone

    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.enforcement.tasks import purge_expired_personal_data

    with use_profile("ducallier"):
        rows = Customer.objects.for_purpose(SYSTEM, "essential.service")
        closed = timezone.now() - dt.timedelta(days=400)  # past Ducallier's 365 days
        held, _other = (rows.create(name=n, email=f"{n}@x.example", closed_at=closed)
                       for n in ("kept", "gone"))  # fmt: skip
        lex = legal("lex")
        found = services.hold(customer_ids=[held.pk], reference="Preservation 12", by=lex)
        purge_expired_personal_data.call()
        with decided_elsewhere():
            names = set(Customer.internal.values_list("name", flat=True))
        assert "kept" in names and "gone" not in names
        assert not AuditEntry.objects.filter(action="disclose").exists()
        assert AuditEntry.objects.filter(rule=f"preservation:{found.pk} held").exists()
        services.release(found.pk, by=lex)
        purge_expired_personal_data.call()
        with decided_elsewhere():
            assert not Customer.internal.filter(pk=held.pk).exists()


@pytest.mark.promise("DIS-3")
def test_a_registered_partner_fetches_its_share_by_token_less_those_who_opted_out(
    signed_up, settings, tmp_path
):
    from hippocratic.disclosure import partners

    settings.HIPPOCRATIC_PARTNER_EXPORTS = str(tmp_path / "exports")
    with use_profile("quality"):
        client, _ = signed_up()
        _, grace = signed_up("grace", GRACE)
        client.post("/account/choices/", {})  # Ada refuses the partners
        partner = partners.register(
            recipient="partners", name="Offers Ltd", agreement="Partner agreement 2026",
            ground="partner_offers", categories=["user.name"], schedule="daily",
        )  # fmt: skip
        with pytest.raises(services.DisclosureRefused):  # not what the policy gives it
            partners.register(recipient="partners", name="x", agreement="y",
                              ground="partner_offers",
                              categories=["user.contact.email"])  # fmt: skip
        token = partners.issue_token(partner)
        api = Client()
        assert api.get("/api/partner/share").status_code == 401
        assert api.get("/api/partner/share",
                       HTTP_AUTHORIZATION="Bearer wrong").status_code == 401  # fmt: skip
        got = api.get("/api/partner/share?format=csv", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert got.status_code == 200 and got["Content-Type"].startswith("text/csv")
        lines = got.content.decode().splitlines()
        assert lines[0] == "pk,name"
        assert len(lines) == 2 and GRACE["name"] in lines[1] and "Ada" not in got.content.decode()
        (entry,) = AuditEntry.objects.filter(action="disclose")
        assert entry.subject_ref == str(grace) and entry.promise == "DIS-3"
        # The daily export: a file only the site's user reads, and a disclosure again.
        Partner = type(partner)
        Partner.objects.filter(pk=partner.pk).update(last_shared_at=None)
        assert partners.scheduled_shares() == 1
        (export,) = (tmp_path / "exports" / f"partner-{partner.pk}").iterdir()
        assert GRACE["name"] in export.read_text() and oct(export.stat().st_mode)[-3:] == "600"
        assert partners.scheduled_shares() == 0  # not again the same day
        assert Disclosure.objects.filter(kind="partner").count() == 2
        partners.issue_token(partner)  # a new token: the old one stops
        assert api.get("/api/partner/share",
                       HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401  # fmt: skip


@pytest.mark.promise("COM-5")
def test_ducallier_hosted_data_leaves_on_every_ground_its_page_names_and_no_other(signed_up):
    """Issue 31: the seed keeps hosted data in "except as provided in our Terms of
    Service, or as may be required by law"; the page named only the integration. The
    law is a ground the software keeps (a recorded disclosure with a second approver),
    and the Terms of Service, published now, are named with a link to their clause."""
    from hippocratic.capabilities import enforced
    from hippocratic.policy.render import to_html

    with use_profile("ducallier"):
        page = to_html(current_policy(), enforced=enforced())
        sentence = page[page.index('id="COM-5"') :][:700]
        assert "integrated service you turn on" in sentence
        assert "as the law may require" in sentence
        assert "as our Terms of Service provide" in sentence
        assert 'href="/terms/#hosted-data"' in sentence
        client, me = signed_up()
        client.post("/apps/records/", {"kind": "note", "title": "Q3 plan", "body": "Expand"})
        hosted = "user.content.private.business_data"
        disclosure = services.record(
            kind="court_order", recipient=authorities().key, ground="legal_requirement",
            reference="Case 2026-18", customer_ids=[me], categories=["user.name", hosted],
            by=legal("lex"),
        )  # fmt: skip
        sent = json.loads(services.approve(disclosure.pk, by=legal("ida")))
        (row,) = sent["customers"]
        assert [r["title"] for r in row[hosted]] == ["Q3 plan"]
        entry = AuditEntry.objects.get(action="disclose")
        assert hosted in entry.categories


@pytest.mark.promise("DIS-1")
def test_the_transparency_page_has_tables_a_chart_by_month_and_the_figures_to_download(
    signed_up,
):
    """Issue 32: the page was a <pre> of command-line text. Now a table per year in words,
    a bar chart (SVG, drawn on the server) of requests received by month with the same
    figures as a table, and the figures as CSV and JSON."""
    reverse("disclosure:figures", args=["csv"])  # the URLs (and the API's schema) load unfrozen
    with use_profile("isp"), freeze_time("2026-11-20 10:00:00"):
        _, me = signed_up()
        a, b = legal("lex"), legal("ida")
        services.approve(ask([me], a).pk, by=b)
        services.decline(ask([me], a, kind="subpoena").pk, by=b, decision="contest",
                         reasons="overbroad")  # fmt: skip
        page = Client().get("/transparency/").content.decode()
        assert "<pre>" not in page and "court_order" not in page
        assert '<td data-label="Kind of request">Court order</td>' in page
        assert '<td data-label="Contested">1</td>' in page
        assert page.count('class="bar"') == 11  # January to November
        assert "November 2026: 2</title>" in page
        assert "July to December 2026" in page
        csv_text = Client().get("/transparency/figures.csv").content.decode()
        assert csv_text.splitlines()[0].startswith("Period,Kind of request,Received,Complied")
        assert "July to December 2026,Subpoena,1,0,0,0,1,0" in csv_text
        figures = Client().get("/transparency/figures.json").json()
        assert figures["received_by_month"][10] == {"month": "2026-11", "received": 2}
        assert Client().get("/transparency/figures.xml").status_code == 404
