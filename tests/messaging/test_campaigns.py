"""Campaigns (MSG-1, MSG-6): a bulletin reaches every customer whatever their choices,
by mail where the policy keeps addresses and on the account page always; no campaign
can name billing data."""

import pytest
from django.core import mail
from factories import ADA, GRACE, LIN, card_form, send, three_customers
from tests_paths import making, use_profile

from hippocratic.enforcement.models import OptOut
from hippocratic.messaging import campaigns
from hippocratic.messaging.models import Campaign
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-1")
def test_a_bulletin_reaches_every_customer_whatever_their_choices(signed_up):
    with use_profile("japoon"):
        people = three_customers(signed_up)
        OptOut.objects.create(
            subject="customer", subject_id=people[1][1], use=Purpose.MARKETING_EMAIL
        )
        send(Campaign.Kind.BULLETIN, "Maintenance on Sunday night.", "Planned maintenance")
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p["email"] for p in (ADA, GRACE, LIN))
        assert all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)
        page = people[1][0].get("/account/").content.decode()
        assert "Planned maintenance" in page and "Maintenance on Sunday night." in page
    with use_profile("dracon"):  # no e-mail addresses: the bulletin is on the account page
        client, _ = signed_up("dora", {"name": "Dora", "address": "1 Road", "phone": "1"})
        send(Campaign.Kind.BULLETIN, "Dracon's lines are down on Monday.", "Line works")
        assert mail.outbox == []
        assert "Line works" in client.get("/account/").content.decode()
        assert campaigns.kinds_available() == [Campaign.Kind.BULLETIN]  # no marketing at all


@pytest.mark.promise("MSG-6")
@pytest.mark.parametrize("name", ["japoon", "quality", "ducallier"])
def test_no_campaign_can_name_billing_data(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        client.post("/account/billing/card/", card_form())
        for kind in campaigns.kinds_available():
            for body in ("Your card ends {{ card.last4 }}", "You paid {{ invoice.total }}"):
                campaign = Campaign(kind=kind, subject="Hi", body=body)
                with pytest.raises(campaigns.CampaignRefused) as refused:
                    campaigns.template_fields(campaign)
                assert "may not be used" in str(refused.value), refused.value
        if campaigns.mails_customers():  # announcements by e-mail
            announcement = Campaign(kind=Campaign.Kind.ANNOUNCEMENT, subject="New: backups",
                                    body="Dear {{ customer.name }}")  # fmt: skip
            with pytest.raises(campaigns.CampaignRefused, match="may n"):  # only the address
                campaigns.template_fields(announcement)
            send(Campaign.Kind.ANNOUNCEMENT, "Backups are here. Write to {{ customer.email }}.")
            assert [m.to[0] for m in mail.outbox] == [ADA["email"]]
            assert "4242" not in mail.outbox[0].body


@pytest.mark.promise("MSG-1")
@pytest.mark.parametrize("profile", making("MSG-1"), indirect=True)
def test_a_bulletin_reaches_every_customer_on_each_profile(signed_up, profile):
    """Each profile whose page promises bulletins: every customer gets it, opted out of
    marketing or not: by mail where the policy keeps addresses, on the account page
    always; never with an unsubscribe header (it is not marketing)."""
    people = three_customers(signed_up)
    OptOut.objects.create(subject="customer", subject_id=people[1][1], use=Purpose.MARKETING_EMAIL)
    send(Campaign.Kind.BULLETIN, "Maintenance on Sunday night.", "Planned maintenance")
    if campaigns.mails_customers():
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p["email"] for p in (ADA, GRACE, LIN))
        assert all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)
    else:
        assert mail.outbox == []
    for client, _ in people:
        assert "Planned maintenance" in client.get("/account/").content.decode()


@pytest.mark.promise("MSG-1")
@pytest.mark.parametrize("profile", making("MSG-1"), indirect=True)
def test_a_bulletin_on_the_account_page_names_the_customer_it_is_shown_to(signed_up, profile):
    """Issue 31: the account page rendered `Dear , our network…`; each customer reads
    the bulletin with their own name, as their mail would have it."""
    people = three_customers(signed_up)
    send(Campaign.Kind.BULLETIN, "Dear {{ customer.name }}, our network is down on Sunday.",
         "Maintenance, {{ customer.name }}")  # fmt: skip
    for (client, _), person in zip(people, (ADA, GRACE, LIN), strict=True):
        page = client.get("/account/").content.decode()
        assert f"Dear {person['name']}, our network" in page
        assert f"Maintenance, {person['name']}" in page
        assert "Dear , " not in page


@pytest.mark.promise("MSG-1")
@pytest.mark.parametrize("name", ["dracon", "japoon"])
def test_the_bulletin_sentence_keeps_the_seeds_at_our_discretion(name):
    """Issue 31: the seeds reserve the right to send bulletins "at our discretion"; the
    page promised them "to every customer", which neither seed says."""
    from tests_paths import POLICIES

    from hippocratic.capabilities import enforced
    from hippocratic.policy import load_policy
    from hippocratic.policy.render import to_html

    page = to_html(load_policy(POLICIES / f"{name}.yaml").policy, enforced=enforced())
    sentence = page[page.index('id="MSG-1"') :][:400]
    assert "at our discretion" in sentence
    assert "to every customer" not in sentence


@pytest.mark.promise("MSG-6")
def test_quality_tells_of_new_products_on_the_account_page_to_who_has_not_opted_out(signed_up):
    """Issue 31: Quality's seed may give customers "information about new or upgraded
    products"; it collects no e-mail address and the software refused announcements,
    while the page said "your e-mail address may be used". Now: on the account page,
    less whoever opted out on their choices page, and the page says so."""
    from tests_paths import POLICIES

    from hippocratic.capabilities import enforced
    from hippocratic.policy import load_policy
    from hippocratic.policy.render import to_html

    with use_profile("quality"):
        person = {"name": "Ada", "address": "1 Road", "phone": "1"}
        ada, _ = signed_up("ada", person)
        grace, grace_id = signed_up("grace", {**person, "name": "Grace"})
        assert Campaign.Kind.ANNOUNCEMENT in campaigns.kinds_available()
        OptOut.objects.create(subject="customer", subject_id=grace_id, use=Purpose.MARKETING_EMAIL)
        send(Campaign.Kind.ANNOUNCEMENT, "Fibre is here.", "New: fibre")
        assert mail.outbox == []
        assert "Fibre is here." in ada.get("/account/").content.decode()
        assert "New: fibre" not in grace.get("/account/").content.decode()
        page = to_html(load_policy(POLICIES / "quality.yaml").policy, enforced=enforced())
        sentence = page[page.index('id="MSG-6"') :][:300]
        assert "e-mail" not in sentence and "account pages" in sentence
        partners = page[page.index('id="DIS-3"') :][:600]
        assert "on your account pages, under Your choices" in partners
        assert "Sharing with" in ada.get("/account/choices/").content.decode()
