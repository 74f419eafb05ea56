"""Terms of Service (issue 31): the profiles whose seeds rest grounds on their terms
(Ducallier: DIS-2, DIS-9, COM-5, the partners' data; JAPOON and the ISP: COM-4's
"violations of our terms") publish them at /terms/, each clause at its anchor; the
privacy page links every sentence resting on the terms to its clause; sign-up asks for
them to be accepted and records the version; a change to them is a new version, with
the notice the policy promises. Dracon and Quality rest nothing on terms and offer none."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from factories import ADA, GRACE, customer_id, sign_up
from freezegun import freeze_time
from tests_paths import POLICIES, use_profile

from hippocratic.accounts.models import TermsAcceptance
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.policy import load_policy
from hippocratic.policy.diff import changes
from hippocratic.policy.document import TERMS_PATH
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine
from hippocratic.site.tasks import notice_text
from hippocratic.versions import publishing
from hippocratic.versions.terms import terms_digest, terms_versions

pytestmark = pytest.mark.django_db

# The promises each profile's page rests on its terms, and the clause each links to.
RESTING = {
    "ducallier": {"DIS-2": "email-addresses", "DIS-9": "disclosure", "COM-5": "hosted-data",
                  "DIS-4": "partners", "DIS-5": "partners"},
    "japoon": {"COM-4": "acceptable-use"},
    "isp": {"COM-4": "acceptable-use"},
}  # fmt: skip


def _paragraph(page: str, promise: str) -> str:
    found = re.search(rf'<p[^>]*data-promise="{promise}"[^>]*>(.*?)</p>', page, re.S)
    assert found, f"no paragraph states {promise}"
    return found.group(1)


def _paragraph_of(response, section: str) -> str:
    page = response.content.decode()
    return page[page.index(f'<section id="{section}">') :].split("</p>", 1)[0]


def _accepted(username: str) -> list[tuple]:
    with decided_elsewhere():
        rows = TermsAcceptance.internal.filter(customer_id=customer_id(username))
        return list(rows.values_list("version", "sha256"))


def test_the_terms_address_is_the_one_the_policy_page_links():
    assert reverse("site:terms") == TERMS_PATH


@pytest.mark.parametrize(
    "name,promise",
    [(name, promise) for name, links in RESTING.items() for promise in links],
)
def test_each_ground_resting_on_the_terms_links_to_its_clause(name, promise, request):
    request.applymarker(pytest.mark.promise(promise))
    clause = RESTING[name][promise]
    with use_profile(name):
        client = Client()
        privacy = client.get("/privacy/").content.decode()
        assert f'href="/terms/#{clause}"' in _paragraph(privacy, promise)
        terms = client.get("/terms/")
        assert terms.status_code == 200
        assert f'<section id="{clause}">' in terms.content.decode()


@pytest.mark.promise("COM-5")
def test_the_hosted_data_sentence_names_the_terms_and_the_clause_the_files_figures():
    """Ducallier's seed: hosted data is not shared "except as provided in our Terms of
    Service, or as may be required by law"; the clause states the permission's hours and
    the deletion's days that the software uses, from the same file."""
    policy = load_policy(POLICIES / "ducallier.yaml").policy
    with use_profile("ducallier"):
        sentence = _paragraph(Client().get("/privacy/").content.decode(), "COM-5")
    assert "as our Terms of Service provide" in sentence and "as the law may require" in sentence
    clause = policy.terms.clause_for("COM-5").text
    hours = policy.communications.hosted_data.permission_hours
    kept = next(i for _, i in policy.data_items() if i.field == "business_data").retention
    assert f"a permission lasts {hours} hours" in clause
    assert f"{kept.days} days after your account closes" in clause


@pytest.mark.promise("DIS-2")
def test_the_e_mail_clause_is_what_the_engine_decides():
    """The clause: an e-mail address goes to no partner, only to authorities as the
    terms provide or the law requires; the engine refuses the partners' grounds."""
    with use_profile("ducallier"):
        engine = current_engine()
        email = ["user.contact.email"]
        for recipient, ground in [("referral_partners", "joint_customer"),
                                  ("integration_partners", "integrated_service")]:  # fmt: skip
            refused = engine.decide_share(recipient, ground, email, "customer")
            assert (refused.allowed, refused.reason, refused.promise) == (
                False, Reason.PROHIBITED_USE, "DIS-2")  # fmt: skip
        for ground in ("terms_of_service", "legal_requirement"):
            assert engine.decide_share("authorities", ground, email, "customer").allowed


@pytest.mark.promise("DIS-1")
@pytest.mark.parametrize("name", ["dracon", "quality"])
def test_profiles_resting_nothing_on_terms_offer_none(name):
    with use_profile(name):
        assert load_policy(POLICIES / f"{name}.yaml").policy.terms is None
        client = Client()
        assert client.get("/terms/").status_code == 404
        assert "/terms/" not in client.get("/").content.decode()
        assert "/terms/" not in client.get("/privacy/").content.decode()
        assert "terms" not in client.get("/account/sign-up/").context["form"].fields


@pytest.mark.parametrize("name", ["ducallier", "japoon", "isp"])
def test_the_terms_are_linked_from_the_footer_and_the_home_page(name):
    with use_profile(name):
        client = Client()
        assert 'href="/terms/"' in _paragraph_of(client.get("/privacy/"), "introduction")
        home = client.get("/").content.decode()
        footer = home[home.index("<footer") :]
        assert 'href="/terms/"' in footer
        assert 'href="/terms/"' in home[: home.index("<footer")]


@pytest.mark.parametrize("name", ["ducallier", "japoon", "isp"])
def test_sign_up_requires_the_terms_and_records_the_version_accepted(name, request):
    request.applymarker(pytest.mark.promise("DIS-9" if name == "ducallier" else "COM-4"))
    with use_profile(name):
        client = Client()
        refused = sign_up(client, "ada", ADA, terms="")
        assert refused.status_code == 200
        assert "terms" in refused.context["form"].errors
        assert 'href="/terms/"' in refused.content.decode()  # read before accepted
        with decided_elsewhere():
            assert not TermsAcceptance.internal.exists()
        assert sign_up(client, "grace", GRACE).status_code == 302
        policy = load_policy(POLICIES / f"{name}.yaml").policy
        assert _accepted("grace") == [(1, terms_digest(policy))]
        mine = client.get("/account/data/").content.decode()  # the customer sees it too
        accepted = mine[mine.index("<h2>Terms accepted (1)</h2>") :].split("</table>", 1)[0]
        assert '<td data-label="Version">1</td>' in accepted


@pytest.mark.promise("POL-3")
def test_a_changed_clause_is_a_material_change():
    old = load_policy(POLICIES / "ducallier.yaml").policy
    clauses = tuple(
        c.model_copy(update={"text": c.text + " And more."}) if c.key == "disclosure" else c
        for c in old.terms.clauses
    )
    new = old.model_copy(update={"terms": old.terms.model_copy(update={"clauses": clauses})})
    (found,) = changes(old, new)
    assert (found.rule, found.material) == ("terms-clause-changed", True)
    assert "Disclosure to authorities" in found.words


@pytest.mark.promise("POL-3", "POL-4")
def test_a_new_version_of_the_terms_waits_its_notice_and_every_version_stays_readable(
    settings, tmp_path
):
    """Ducallier: a changed clause is version 2 of the terms, in effect after the notice
    period; until then /terms/ shows version 1, announces version 2, and sign-up records
    version 1; the notice names the changed clause; both versions stay readable."""
    settings.HIPPOCRATIC_POLICY_VERSIONS = True
    path = tmp_path / "ducallier.yaml"
    original = (POLICIES / "ducallier.yaml").read_text()
    path.write_text(original)
    settings.HIPPOCRATIC_POLICY = str(path)
    reverse("accounts:export")  # the URLconf loaded before time is frozen
    with freeze_time("2026-02-02 09:00:00"):
        publishing.publish(path, by="legal")
    changed = original.replace("unless the law forbids it.",
                               "unless the law forbids it, never in bulk.")  # fmt: skip
    assert changed != original
    path.write_text(changed)
    with freeze_time("2026-03-02 10:00:00"):
        second = publishing.publish(path, by="legal")
        assert second.effective_at.date().isoformat() == "2026-04-14"  # 30 US business days
        assert [v.number for v in terms_versions()] == [1, 2]
        _, body = notice_text(second)
        assert "Terms of Service: the clause Disclosure to authorities changes" in body
        assert f"Read the new Terms of Service: {settings.SITE_URL}/terms/versions/2/" in body
        client = Client()
        page = client.get("/terms/").content.decode()
        assert "Version 1, in effect since" in page
        assert "never in bulk" not in page
        assert 'href="/terms/versions/2/"' in page
        assert "never in bulk" in client.get("/terms/versions/2/").content.decode()
        assert sign_up(client, "ada", ADA).status_code == 302
        assert _accepted("ada")[0][0] == 1
    with freeze_time("2026-04-15 10:00:00"):
        client = Client()
        page = client.get("/terms/").content.decode()
        assert "Version 2, in effect since" in page and "never in bulk" in page
        assert "never in bulk" not in client.get("/terms/versions/1/").content.decode()
        # Each published policy links the terms it was published with.
        first = client.get("/privacy/versions/1/").content.decode()
        assert 'href="/terms/versions/1/#disclosure"' in _paragraph(first, "DIS-9")
        assert 'href="/terms/versions/2/#disclosure"' in _paragraph(
            client.get("/privacy/versions/2/").content.decode(), "DIS-9")  # fmt: skip
        assert sign_up(client, "grace", GRACE).status_code == 302
        assert _accepted("grace")[0][0] == 2
