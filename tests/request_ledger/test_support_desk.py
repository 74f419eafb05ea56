"""The support desk (issue 31): mail to the support address and the contact form are
requests that keep what was asked (subject and text, sealed at rest) and who asked
(where the policy collects e-mail addresses); staff read them in the queue, each read
audited, and answer them; a profile that cannot keep a sender offers no mail on its
page."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from factories import ADA, SYSTEM, eml
from tests_paths import making, use_profile

from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.sealing import PREFIX
from hippocratic.messaging import inbound
from hippocratic.messaging.models import InboundMail
from hippocratic.provider import current_policy
from hippocratic.requests import ledger
from hippocratic.requests.models import SUBJECT_MAX, TEXT_MAX, Request
from hippocratic.site import limits

pytestmark = pytest.mark.django_db
KEEPS_SENDERS = ("japoon", "ducallier")  # the profiles that collect customers' addresses
ASKED = "My invoice for March shows two charges; please refund one."


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    """The mails' tasks run as they are queued (the worker's own tests are elsewhere)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def requests():
    return Request.objects.for_purpose(SYSTEM, ledger.purpose())


def support_address() -> str:
    return current_policy().provider.contacts.support.email


def to_support(subject: str, sender: str = "someone@else.example") -> bytes:
    raw = eml(subject, sender, to=support_address())
    return raw.replace(b"Please take me off.", ASKED.encode())


def stored_columns(table: str, *columns: str) -> list[tuple]:
    """What the database itself holds, past every field's conversion."""
    with decided_elsewhere(), connection.cursor() as cursor:  # the test looks past the gate
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 (ours)
        return cursor.fetchall()


# --- mail to support keeps what was asked and who asked ---------------------------------


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_mail_to_support_keeps_its_subject_and_text_and_the_sender_where_collected(profile):
    """Before: a mail to support@ was a request with no text on every profile, so staff
    could not tell what was asked. The sender is kept where the policy collects e-mail
    addresses (JAPOON, Ducallier), and nowhere else (Dracon, the ISP, Quality)."""
    inbound.receive(to_support("Double charge"), [support_address()])
    request = requests().get()
    assert (request.kind, request.channel) == ("support", "email")
    assert (request.subject, request.text) == ("Double charge", ASKED)
    expected_sender = "someone@else.example" if profile in KEEPS_SENDERS else ""
    assert stored_columns("requests_request", "sender") == [(expected_sender,)]
    assert current_policy().keeps_senders is (profile in KEEPS_SENDERS)


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_mail_to_support_through_the_lmtp_queue_keeps_the_text_sealed_on_the_way(profile):
    """The LMTP server's path: the queued row holds the subject and text sealed; the
    worker's request has them in full."""
    got = inbound.accept(to_support("Queued question"), [support_address()])
    assert (got.kind, got.queued) == ("support", True)
    ((subject, text),) = stored_columns("messaging_inboundmail", "subject", "text")
    assert subject.startswith(PREFIX) and text.startswith(PREFIX)
    assert "Queued" not in subject and "invoice" not in text
    assert inbound.act_on_queued() == {"done": 1, "failed": 0}
    with decided_elsewhere():
        assert not InboundMail.internal.exists()
    request = requests().get()
    assert (request.subject, request.text) == ("Queued question", ASKED)


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_what_was_asked_and_answered_is_not_stored_in_plaintext(profile, staff_client):
    """Sealed at rest as mailboxes are (AES-GCM under the master key ring): the columns
    hold ciphertext only, and the model reads the text back."""
    inbound.receive(to_support("Secret subject line"), [support_address()])
    Client().post("/contact/", {"email": "v@example.org", "subject": "Form subject",
                                "message": "A form message about my router"})  # fmt: skip
    mail_request, form_request = (
        requests().get(channel="email"),
        requests().get(channel="online_form"),
    )
    desk = staff_client("staff.support", "sam", _ledger_permissions())
    desk.post(f"/admin/requests/request/{form_request.pk}/change/",
              {"answer": "We refunded the second charge."})  # fmt: skip
    rows = stored_columns("requests_request", "subject", "text", "answer")
    assert len(rows) == 2
    held = " ".join(value for row in rows for value in row)
    for plain in ("Secret subject", "invoice", "Form subject", "router", "refunded"):
        assert plain not in held
    assert all(value.startswith(PREFIX) for row in rows for value in row if value)
    assert requests().get(pk=form_request.pk).answer == "We refunded the second charge."
    assert requests().get(pk=mail_request.pk).text == ASKED


# --- staff read and answer in the queue ---------------------------------------------------


def _ledger_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="requests")


@pytest.mark.promise("SEC-5", "CH-3")
@pytest.mark.parametrize("profile", making("SEC-5", "CH-3"), indirect=True)
def test_staff_read_the_kept_text_in_the_queue_each_read_audited_and_answer_by_mail(
    profile, staff_client, django_capture_on_commit_callbacks
):
    inbound.receive(to_support("Double charge"), [support_address()])
    request = requests().get()
    desk = staff_client("staff.support", "sam", _ledger_permissions())
    AuditEntry.objects.all().delete()
    page = desk.get(f"/admin/requests/request/{request.pk}/change/").content.decode()
    assert "Double charge" in page and ASKED in page and 'name="answer"' in page
    read = AuditEntry.objects.filter(actor__endswith=":sam", action="read", allowed=True)
    assert any("user.account" in e.categories for e in read.filter(purpose=ledger.purpose()))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/admin/requests/request/{request.pk}/change/",
                  {"answer": "We refunded the second charge."})  # fmt: skip
    (reply,) = mail.outbox
    assert reply.to == ["someone@else.example"]
    assert "Double charge" in reply.body and "refunded the second charge" in reply.body
    done = requests().get()
    assert (done.status, done.outcome) == ("done", "answered by mail")


# --- the contact form ------------------------------------------------------------------


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_every_page_links_to_the_contact_form(profile):
    """Ducallier's seed: "at the bottom of the page click the Contact Us link, and simply
    let us know". It is there, at the bottom of every page (and in the navigation)."""
    for path in ("/", "/privacy/", "/contact/"):
        footer = Client().get(path).content.decode().split('<footer class="site-footer">')[1]
        assert '<a href="/contact/">Contact us</a>' in footer, path


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", ["ducallier"], indirect=True)
def test_ducallier_takes_corrections_and_discontinuing_through_the_contact_form(profile, signed_up):
    """The page says so, and a signed-in customer's message is a tracked request."""
    page = Client().get("/privacy/").content.decode()
    for what in ("Correct or update your information", "Discontinue a service"):
        row = page.split(what, 1)[1].split("</tr>", 1)[0]
        assert "our contact form" in row, what
    client, me = signed_up()
    client.post("/contact/", {"subject": "Discontinue", "message": "Please end my hosting."})
    request = requests().get()
    assert (request.kind, request.channel, request.customer_id) == ("support", "online_form", me)
    assert request.due_at > request.created_at


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", KEEPS_SENDERS, indirect=True)
def test_a_visitor_writes_through_the_contact_form_and_is_answered_by_mail(
    profile, staff_client, django_capture_on_commit_callbacks
):
    visitor = Client()
    assert 'name="email"' in visitor.get("/contact/").content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = visitor.post("/contact/", {"email": "Asker@Example.org", "subject": "Hours",
                                          "message": "When is your office open?"})  # fmt: skip
    assert sent.status_code == 200 and "We have your message" in sent.content.decode()
    request = requests().get()
    assert (request.kind, request.channel, request.status) == ("support", "online_form", "open")
    assert (request.subject, request.text, request.sender, request.customer_id) == (
        "Hours", "When is your office open?", "asker@example.org", None)  # fmt: skip
    assert request.due_at > request.created_at
    (received,) = mail.outbox
    assert received.to == ["asker@example.org"]
    desk = staff_client("staff.support", "sam", _ledger_permissions())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/admin/requests/request/{request.pk}/change/",
                  {"answer": "Nine to five, Monday to Friday."})  # fmt: skip
    (reply,) = mail.outbox
    assert reply.to == ["asker@example.org"] and "Nine to five" in reply.body


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_a_signed_in_customers_message_runs_as_that_customer(profile, signed_up):
    client, me = signed_up()
    assert 'name="email"' not in client.get("/contact/").content.decode()
    AuditEntry.objects.all().delete()
    client.post("/contact/", {"subject": "Move", "message": "I am moving house next week."})
    request = requests().get()
    assert (request.customer_id, request.requester) == (me, "customer")
    expected_sender = ADA["email"] if profile in KEEPS_SENDERS else ""
    assert stored_columns("requests_request", "sender") == [(expected_sender,)]
    written = AuditEntry.objects.filter(action="create", subject="customer")
    assert written.filter(actor=f"customer:{me}").exists()
    assert not written.filter(actor="task:requests.intake").exists()  # not as the intake
    assert "I am moving house next week." in client.get("/account/requests/").content.decode()


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", ["dracon", "isp", "quality"], indirect=True)
def test_where_no_sender_is_kept_the_form_asks_no_address_and_the_answer_is_on_its_link(
    profile, staff_client
):
    """Dracon, the ISP and Quality collect no e-mail address: the form asks for none,
    and the answer is shown at the link the form gives (never mailed)."""
    visitor = Client()
    assert 'name="email"' not in visitor.get("/contact/").content.decode()
    sent = visitor.post("/contact/", {"subject": "Outage", "message": "No line since noon."})
    page = sent.content.decode()
    assert sent.status_code == 200 and "Keep this link" in page
    view = page.split('href="/requests/', 1)[1].split('"', 1)[0]
    request = requests().get()
    assert not request.sender and request.text == "No line since noon."
    assert stored_columns("requests_request", "sender") == [("",)]
    desk = staff_client("staff.support", "sam", _ledger_permissions())
    mail.outbox.clear()
    desk.post(f"/admin/requests/request/{request.pk}/change/", {"answer": "Fixed at 3 pm."})
    assert mail.outbox == []
    answered = requests().get()
    assert (answered.status, answered.outcome) == ("done", "answered on the asker's page")
    shown = visitor.get(f"/requests/{view}").content.decode()
    assert "No line since noon." in shown and "Fixed at 3 pm." in shown


@pytest.mark.promise("CH-3")
def test_the_contact_form_bounds_its_input_and_a_replay_is_one_request():
    with use_profile("ducallier"):
        base = {"email": "v@example.org", "subject": "s", "message": "m"}
        too_long = [
            {**base, "subject": "s" * (SUBJECT_MAX + 1)},
            {**base, "message": "m" * (TEXT_MAX + 1)},
            {**base, "email": "x" * 250 + "@example.org"},
            {**base, "message": "   "},
        ]
        for data in too_long:
            page = Client().post("/contact/", data)
            assert page.status_code == 200 and "We have your message" not in page.content.decode()
        assert not requests().exists()
        for _ in range(3):
            Client().post("/contact/", base)
        assert requests().count() == 1


@pytest.mark.promise("CH-3")
def test_the_contact_form_needs_its_csrf_token():
    with use_profile("ducallier"):
        guarded = Client(enforce_csrf_checks=True)
        refused = guarded.post("/contact/", {"email": "v@example.org", "message": "m"})
        assert refused.status_code == 403
        assert not requests().exists()


@pytest.mark.promise("CH-3")
def test_the_contact_form_is_rate_limited_per_client_and_per_address(settings):
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    per_client = int(limits.PER_CLIENT.split("/")[0])
    per_target = int(limits.PER_TARGET.split("/")[0])
    with use_profile("ducallier"):
        one = Client(REMOTE_ADDR="192.0.2.1")
        codes = [one.post("/contact/", {"email": f"a{i}@example.org", "message": f"m{i}"})
                 .status_code for i in range(per_client + 2)]  # fmt: skip
        assert codes[:per_client] == [200] * per_client and set(codes[per_client:]) == {429}
        cache.clear()
        victim = [
            Client(REMOTE_ADDR=f"198.51.100.{i}").post(
                "/contact/", {"email": "victim@example.org", "message": f"m{i}"}).status_code
            for i in range(1, per_target + 3)
        ]  # fmt: skip
        assert victim.count(200) == per_target and victim.count(429) == 2
    cache.clear()


# --- the published page -----------------------------------------------------------------


@pytest.mark.promise("POL-1")
@pytest.mark.parametrize("profile", making("POL-1"), indirect=True)
def test_the_page_offers_mail_only_where_a_request_keeps_its_sender(profile):
    """Dracon, the ISP and Quality cannot keep who wrote: their pages name no address to
    write to and offer the contact form; JAPOON's and Ducallier's offer both."""
    page = Client().get("/privacy/").content.decode()
    support = support_address()
    assert "our contact form" in page
    if profile in KEEPS_SENDERS:
        assert support in page
    else:
        assert support not in page and "e-mail support" not in page


# --- kept for the policy's retention, then gone ---------------------------------------


@pytest.mark.promise("CH-3")
@pytest.mark.parametrize("profile", making("CH-3"), indirect=True)
def test_what_a_stranger_asked_is_kept_for_the_retention_period_then_goes(profile):
    """Kept for the retention the policy gives its category (user.account), run from
    when it came where the request names no account; then blanked, or the row goes."""
    from freezegun import freeze_time

    from hippocratic.enforcement import retention

    inbound.receive(to_support("Double charge"), [support_address()])
    request = requests().get()
    retention.purge(for_real=True)
    kept = requests().get(pk=request.pk)
    assert (kept.subject, kept.text) == ("Double charge", ASKED)  # within the period
    with freeze_time(timezone.now() + dt.timedelta(days=3650)):
        retention.purge(for_real=True)
    gone = stored_columns("requests_request", "subject", "text", "digest", "sender")
    assert gone in ([], [("", "", "", "")])


@pytest.mark.promise("MSG-4")
@pytest.mark.parametrize("profile", making("MSG-4"), indirect=True)
def test_a_customer_who_writes_to_support_to_leave_the_list_is_taken_off_by_staff(
    profile, signed_up, staff_client, django_capture_on_commit_callbacks
):
    """The page offers "e-mail support@…" to opt out (MSG-4): staff read what the mail
    asks, and the queue's action takes its (confirmed) sender off the list."""
    from hippocratic.messaging import services

    client, me = signed_up()
    client.post("/mail/list/", {"join": "1"})
    assert services.is_member(me)
    with django_capture_on_commit_callbacks(execute=True):
        inbound.receive(to_support("Newsletter", sender=ADA["email"]), [support_address()])
    confirm = next(m for m in mail.outbox if "confirm" in m.body)
    link = "/requests/confirm/" + confirm.body.split("/requests/confirm/", 1)[1].split()[0]
    Client().post(link)
    request = requests().get()
    assert (request.status, request.customer_id, request.subject) == ("open", me, "Newsletter")
    desk = staff_client("staff.support", "sam", _ledger_permissions())
    desk.post("/admin/requests/request/", {"action": "remove_from_list",
                                           "_selected_action": [request.pk]})  # fmt: skip
    assert not services.is_member(me)
    done = requests().get()
    assert (done.status, done.outcome) == ("done", services.LEFT)


VIEW_LINK = re.compile(r'href="/requests/([^/"]+)/"')


@pytest.mark.parametrize("profile", ["dracon", "ducallier"], indirect=True)
def test_another_visitor_typing_the_same_message_gets_no_link_to_the_first(profile, signed_up):
    """A replay is one request, and its page linked that request: a second visitor who
    typed the same words (and, on Ducallier, the same address, which anyone may type)
    was given the link to the first visitor's message, its subject and our answer."""
    first = {"email": "jane@roe.example", "subject": "Jane Roe, line 4471", "message": "Help"}
    shown = Client().post("/contact/", first).content.decode()
    assert VIEW_LINK.search(shown)
    again = Client().post("/contact/", {**first, "subject": "anything"}).content.decode()
    assert "We had this message already" in again
    assert not VIEW_LINK.search(again)
    assert requests().count() == 1
    # A signed-in customer is who they say: their own repeat still links their request.
    client, _ = signed_up()
    for _ in range(2):
        page = client.post("/contact/", {"subject": "s", "message": "Mine"}).content.decode()
        assert VIEW_LINK.search(page)
