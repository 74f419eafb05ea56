"""Staff and customers' contents: never in bulk (COM-2), one customer at a time on a
recorded ground (COM-3), harmful messages reviewed one by one with the ground recorded
(COM-4), and hosted records only with the customer's time-limited permission (COM-5)."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from factories import ADA, GRACE, SECRET, address, letter, staff_user
from freezegun import freeze_time
from tests_paths import use_profile

from hippocratic.communications import harm, mailbox
from hippocratic.communications.models import HarmReport, StoredMessage
from hippocratic.enforcement import cases as access
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.enforcement.models import AccessCase, AuditEntry
from hippocratic.hosted.models import HostedRecord
from hippocratic.messaging import inbound
from hippocratic.policy.decision import DEFAULT_ROLES
from hippocratic.provider import current_policy

pytestmark = pytest.mark.django_db
ISP_LIKE = ["isp", "japoon"]
STAFF_ROLES = sorted(r for r in DEFAULT_ROLES if r.startswith("staff."))
NOTE = "Board minutes: the merger with Babbage and Co is secret"


def mail_for_ada_and_grace(signed_up):
    ada_client, ada = signed_up("ada", ADA)
    _, grace = signed_up("grace", GRACE)
    inbound.receive(letter(address("ada")), [address("ada")])
    inbound.receive(letter(address("grace"), subject="Grace's own", message_id="<g@x>"),
                    [address("grace")])  # fmt: skip
    (ada_message,) = mailbox.page(ada)
    (grace_message,) = mailbox.page(grace)
    return ada_client, ada, ada_message.id, grace, grace_message.id


def staff_urls() -> list[str]:
    """Every staff page with no argument in its path, and each admin page of a model."""
    found = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        found.append(f"/admin/{meta.app_label}/")
        found.append(f"/admin/{meta.app_label}/{meta.model_name}/")
        if model_admin.has_add_permission is not None:
            found.append(f"/admin/{meta.app_label}/{meta.model_name}/add/")

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<" not in route and route.startswith("staff/"):
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


@pytest.mark.promise("COM-2")
@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_no_role_can_list_search_or_count_contents_across_customers(
    signed_up, staff_client, profile
):
    mail_for_ada_and_grace(signed_up)
    for role in STAFF_ROLES:
        actor = Actor(role, f"user:0:{role}")
        for purpose in ("essential.service", "essential.legal_obligation"):
            with pytest.raises(AccessDenied, match="no_ground"):
                StoredMessage.objects.for_purpose(actor, purpose)
        refused = AuditEntry.objects.filter(role=role, reason="no_ground", allowed=False)
        assert refused.count() == 2 and refused.first().subject_ref == "*"
    assert StoredMessage not in admin.site._registry
    assert HostedRecord not in admin.site._registry
    pages = staff_urls()
    assert "/staff/access/" in pages
    for role in STAFF_ROLES:
        client = staff_client(role)
        for url in pages:
            body = client.get(url).content
            assert SECRET.encode() not in body, (role, url)
            assert b"Lunch on Friday" not in body and b"Grace's own" not in body, (role, url)


@pytest.mark.promise("COM-2", "COM-5")
def test_hosted_records_are_never_listed_to_staff_on_any_page(signed_up):
    with use_profile("ducallier"):
        client, _ada = signed_up("ada", ADA)
        assert client.post("/api/records", {"kind": "note", "title": NOTE},
                           content_type="application/json").status_code == 201  # fmt: skip
        pages = staff_urls()
        for role in STAFF_ROLES:
            user = staff_user(role)
            with pytest.raises(AccessDenied, match="no_ground"):
                HostedRecord.objects.for_purpose(Actor.for_user(user, role), "essential.service")
            viewer = Client()
            viewer.force_login(user)
            for url in pages:
                assert NOTE.encode() not in viewer.get(url).content, (role, url)


@pytest.mark.promise("COM-3")
@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_staff_reach_one_customers_mail_only_on_a_recorded_ground(signed_up, profile):
    _, ada, ada_message, _grace, grace_message = mail_for_ada_and_grace(signed_up)
    sam = staff_user("staff.support", "sam")
    case = access.open_case(sam, customer_id=ada, what="messages",
                            ground="service_to_customer", reason="ticket 42")  # fmt: skip
    rows = StoredMessage.objects.under_case(case, sam)
    opened = mailbox.open_message(rows, ada_message, ada)
    assert SECRET in opened.text
    with pytest.raises(StoredMessage.DoesNotExist):  # bound to Ada: Grace's is not there
        mailbox.open_message(rows, grace_message, ada)
    entry = AuditEntry.objects.filter(rule=case.rule, action="read").last()
    assert (entry.subject_ref, entry.allowed, entry.role) == (str(ada), True, "staff.support")
    assert entry.promise == "COM-3" and "user.content.private" in entry.categories
    # The page shows the case's items, and one opens; every view is audited.
    client = Client()
    client.force_login(sam)
    assert "Lunch on Friday?" in client.get(f"/staff/access/{case.pk}/").content.decode()
    assert SECRET in client.get(f"/staff/access/{case.pk}/{ada_message}/").content.decode()
    # Another staff member may not use Sam's case.
    tom = staff_user("staff.support", "tom")
    with pytest.raises(AccessDenied, match="another staff member"):
        StoredMessage.objects.under_case(case, tom)
    assert Client().get(f"/staff/access/{case.pk}/").status_code == 302  # to log in
    # A ground the policy does not list is refused before anything opens.
    with pytest.raises(ValidationError, match="no ground"):
        access.open_case(sam, customer_id=ada, what="messages", ground="terms_of_service",
                         reason="x")  # fmt: skip
    # Support staff may not open legal process: that is the legal team's.
    with pytest.raises(PermissionDenied):
        access.open_case(sam, customer_id=ada, what="messages", ground="legal_process",
                         reason="warrant 7")  # fmt: skip
    # A case past its hours is refused, and so audited.
    hours = current_policy().communications.access_hours
    with (
        freeze_time(case.expires_at + dt.timedelta(seconds=1)),
        pytest.raises(AccessDenied, match="expired"),
    ):
        StoredMessage.objects.under_case(case, sam)
    assert AuditEntry.objects.filter(rule__contains="expired", allowed=False).exists()
    assert case.expires_at - case.created_at == dt.timedelta(hours=hours)


@pytest.mark.promise("COM-3")
@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_legal_process_needs_a_second_staff_member_who_is_not_the_requester(signed_up, profile):
    _, ada, ada_message, _, _ = mail_for_ada_and_grace(signed_up)
    lex, ida = staff_user("staff.legal", "lex"), staff_user("staff.legal", "ida")
    case = access.open_case(lex, customer_id=ada, what="messages", ground="legal_process",
                            scope=[ada_message], reason="warrant 2026-17")  # fmt: skip
    with pytest.raises(AccessDenied, match="approval"):
        StoredMessage.objects.under_case(case, lex)
    with pytest.raises(PermissionDenied, match="other than its requester"):
        access.approve(case.pk, lex)
    assert AuditEntry.objects.filter(rule__contains="requester may not approve").exists()
    with pytest.raises(AccessDenied, match="approval"):  # still shut
        StoredMessage.objects.under_case(case, lex)
    access.approve(case.pk, ida)
    rows = StoredMessage.objects.under_case(case, lex)
    assert SECRET in mailbox.open_message(rows, ada_message, ada).text
    entry = AuditEntry.objects.filter(rule=case.rule, action="read", allowed=True).last()
    assert entry.purpose == "essential.legal_obligation" and entry.subject_ref == str(ada)


@pytest.mark.promise("COM-4")
@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_a_reported_message_is_reviewed_alone_then_blocked_with_the_ground_and_the_owner_told(
    signed_up, profile
):
    ada_client, ada, ada_message, _, grace_message = mail_for_ada_and_grace(signed_up)
    # Anyone may report, by the recipient's address and the Message-ID; the answer is
    # the same for a message we do not hold.
    stranger = Client()
    form = {"address": address("ada"), "message_id": "<m1@friend.example>",
            "reason": "It is phishing for bank passwords"}  # fmt: skip
    assert "Thank you" in stranger.post("/report-harm/", form).content.decode()
    unknown = stranger.post("/report-harm/", {**form, "message_id": "<nope@x>"})
    assert "Thank you" in unknown.content.decode()
    (report,) = HarmReport.objects.all()
    assert (report.message_id, report.customer_id, report.by_owner) == (ada_message, ada, False)
    sam = staff_user("staff.support", "sam")
    reviewer = Client()
    reviewer.force_login(sam)
    review = reviewer.get(f"/staff/harm/{report.pk}/")
    assert review.status_code == 200 and SECRET in review.content.decode()
    (case,) = AccessCase.objects.filter(ground="harm_review")
    assert case.scope == [ada_message]  # that one message only
    with pytest.raises(StoredMessage.DoesNotExist):
        mailbox.open_message(StoredMessage.objects.under_case(case, sam), grace_message, ada)
    decided = reviewer.post(
        f"/staff/harm/{report.pk}/",
        {"status": "blocked", "ground": "terms", "note": "phishing"},
    )
    assert decided.status_code == 302
    report.refresh_from_db()
    assert report.status == "blocked" and "terms of service" in report.ground
    assert report.decided_by == sam
    # The owner can no longer open it, and finds a notice saying why.
    assert "We blocked access" in ada_client.get(f"/account/mail/{ada_message}/").content.decode()
    assert ada_client.get(f"/account/mail/{ada_message}.eml").status_code == 403
    notice = mailbox.page(ada)[0]
    assert notice.subject == "We blocked access to a message in your mailbox"
    assert "violates our terms of service" in mailbox.collect(ada, notice.id).text
    # The review case closed with the decision.
    with pytest.raises(AccessDenied, match="closed"):
        StoredMessage.objects.under_case(case, sam)


@pytest.mark.promise("COM-4")
def test_the_owner_reports_and_staff_delete_with_the_ground(signed_up):
    with use_profile("isp"):
        ada_client, ada, ada_message, _, _ = mail_for_ada_and_grace(signed_up)
        ada_client.post(f"/account/mail/{ada_message}/report/", {"reason": "Malware attached"})
        (report,) = HarmReport.objects.filter(by_owner=True)
        sam = staff_user("staff.support", "sam")
        with pytest.raises(ValidationError, match="ground"):
            harm.decide(report.pk, sam, status="deleted", ground="")
        harm.decide(report.pk, sam, status="deleted", ground="customers")
        assert ada_message not in [m.id for m in mailbox.page(ada)]
        assert HarmReport.objects.get().ground.startswith("It may harm our customers")
        deleted = AuditEntry.objects.filter(action="delete", rule__contains="harm_review").get()
        assert deleted.rows == 1 and deleted.subject_ref == str(ada)


@pytest.mark.promise("COM-5")
def test_support_reads_hosted_records_only_within_the_customers_permission(signed_up):
    with use_profile("ducallier"):
        client, ada = signed_up("ada", ADA)
        made = client.post("/api/records", {"kind": "note", "title": NOTE, "body": "Q3"},
                           content_type="application/json").json()  # fmt: skip
        sam = staff_user("staff.support", "sam")
        with pytest.raises(AccessDenied, match="no_ground"):
            HostedRecord.objects.for_purpose(Actor.for_user(sam, "staff.support"),
                                             "essential.service")  # fmt: skip
        assert AuditEntry.objects.filter(role="staff.support", reason="no_ground").exists()
        with pytest.raises(ValidationError):  # staff cannot open a case on hosted records
            access.open_case(sam, customer_id=ada, what="records",
                             ground="customer_permission", reason="x")  # fmt: skip
        # Ada lets support in for the policy's 72 hours, from her account page.
        granted = client.post("/account/access/", {"reason": "Support request 981"})
        assert granted.status_code == 302
        (case,) = AccessCase.objects.filter(customer_id=ada)
        assert case.expires_at - case.created_at == dt.timedelta(hours=72)
        viewer = Client()
        viewer.force_login(sam)
        assert NOTE in viewer.get(f"/staff/access/{case.pk}/{made['id']}/").content.decode()
        entry = AuditEntry.objects.filter(rule=case.rule, action="read", allowed=True).last()
        assert (entry.promise, entry.subject_ref) == ("COM-5", str(ada))
        # Ada sees that view on her page.
        page = client.get("/account/access/").content.decode()
        assert "Support request 981" in page and "Viewed" in page
        assert f"your permission #{case.pk}" in page and "Support staff (sam)" in page
        # At 72 hours and one second the permission is over.
        with freeze_time(case.created_at + dt.timedelta(hours=72, seconds=1)):
            with pytest.raises(AccessDenied, match="expired"):
                HostedRecord.objects.under_case(case, sam)
            assert viewer.get(f"/staff/access/{case.pk}/").status_code == 403
        # A new permission, taken back at once, shuts again.
        client.post("/account/access/", {"reason": "Support request 982"})
        again = AccessCase.objects.filter(customer_id=ada).first()
        assert list(HostedRecord.objects.under_case(again, sam).values_list("title", flat=True))
        client.post(f"/account/access/{again.pk}/revoke/")
        with pytest.raises(AccessDenied, match="closed"):
            HostedRecord.objects.under_case(again, sam)
        assert timezone.now() < again.expires_at


@pytest.mark.promise("COM-5")
def test_customers_keep_their_own_records_on_the_site_and_the_api(signed_up):
    with use_profile("ducallier"):
        client, _ada = signed_up("ada", ADA)
        other, _ = signed_up("grace", GRACE)
        client.post("/apps/records/", {"kind": "contact", "title": "Charles Babbage",
                                       "body": "charles@engine.example"})  # fmt: skip
        (row,) = client.get("/api/records").json()
        assert row["title"] == "Charles Babbage"
        assert other.get("/api/records").json() == []
        assert other.get(f"/api/records/{row['id']}").status_code == 404
        assert other.get(f"/apps/records/{row['id']}/").status_code == 404
        changed = client.put(f"/api/records/{row['id']}",
                             {"kind": "contact", "title": "C. Babbage"},
                             content_type="application/json")  # fmt: skip
        assert changed.json()["title"] == "C. Babbage"
        too_long = client.post("/api/records", {"title": "x" * 201},
                               content_type="application/json")  # fmt: skip
        assert too_long.status_code == 422
        assert client.delete(f"/api/records/{row['id']}").status_code == 204
        assert client.get("/api/records").json() == []
    with use_profile("isp"):  # no hosted applications there
        assert client.get("/apps/records/").status_code == 404


@pytest.mark.promise("COM-3")
@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_contents_leave_only_through_legal_process_with_a_second_approver(signed_up, profile):
    import base64
    import json

    from hippocratic.disclosure import services

    _, ada, _, grace, _ = mail_for_ada_and_grace(signed_up)
    lex, ida = staff_user("staff.legal", "lex"), staff_user("staff.legal", "ida")
    contents = ["user.content.private"]
    # On a ground the communications section does not name, nothing is even recorded.
    with pytest.raises(services.DisclosureRefused, match="ground_not_allowed"):
        services.record(kind="court_order", recipient="authorities",
                        ground="harm_prevention", reference="Case 1",
                        customer_ids=[ada], categories=contents, by=lex)  # fmt: skip
    warrant = services.record(kind="warrant", recipient="authorities",
                              ground="legal_process", reference="Warrant 2026-9",
                              customer_ids=[ada], categories=contents, by=lex)  # fmt: skip
    with pytest.raises(services.DisclosureRefused, match="second staff member"):
        services.approve(warrant.pk, by=lex)
    package = json.loads(services.approve(warrant.pk, by=ida))
    (row,) = package["customers"]
    (message,) = row["user.content.private"]
    assert SECRET.encode() in base64.b64decode(message["message_base64"])
    (entry,) = AuditEntry.objects.filter(action="disclose")
    assert (entry.subject_ref, entry.categories) == (str(ada), contents)
    assert [r["pk"] for r in package["customers"]] == [ada]  # Grace's mail stays
    assert b"Grace's own" not in base64.b64decode(message["message_base64"])
    assert grace != ada


@pytest.mark.parametrize("profile", ISP_LIKE, indirect=True)
def test_identical_harm_reports_collapse_into_the_one_waiting(signed_up, profile):
    """Issue 30, item 4: each anonymous report was a row, without bound."""
    _, ada, ada_message, _, _ = mail_for_ada_and_grace(signed_up)
    form = {"address": address("ada"), "message_id": "<m1@friend.example>",
            "reason": "It is phishing"}  # fmt: skip
    for n in range(30):
        assert (
            Client().post("/report-harm/", {**form, "reason": f"phishing {n}"}).status_code == 200
        )
    (report,) = HarmReport.objects.filter(customer_id=ada)
    assert report.message_id == ada_message and report.reason == "phishing 0"
    assert harm.report(ada, ada_message, reason="mine", by_owner=True).pk != report.pk
