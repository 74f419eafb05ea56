"""What the tests build, shared: people and how they sign up, cards and invoices, staff
members, mail as it arrives, and servers on loopback. Plain functions and classes, no
fixtures: the conftests' fixtures call these, and so do the tests."""

import datetime as dt
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.test import Client
from dnslib import PTR, QTYPE, RR
from dnslib.server import BaseResolver

from hippocratic.accounts.models import Customer, Service, Subscription
from hippocratic.billing import runs
from hippocratic.billing.models import Invoice
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.messaging.inbound.proof import authserv_id
from hippocratic.messaging.lmtp import Intake, LMTPController
from hippocratic.messaging.models import Campaign, InboundMail, ListMembership
from hippocratic.messaging.tasks import send_campaign
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.tracking.services import page_view_buffer

# --- people, signed up the way customers sign themselves up ------------------------------

PASSWORD = "a long and unusual passphrase 7"
SYSTEM = Actor.system("tests")

ADA = {
    "name": "Ada Lovelace", "email": "ada@lovelace.example", "phone": "+44 20 7946 0018",
    "address": "12 St James's Square, London", "company": "Analytical Engines Ltd",
    "domain_name": "analytical-engines.example", "title": "Countess",
    "department": "Mathematics", "fax": "+44 20 7946 0019",
}  # fmt: skip
GRACE = {
    "name": "Grace Hopper", "email": "grace@hopper.example", "phone": "+1 212 555 0142",
    "address": "Arlington, Virginia", "company": "Compilers Inc",
    "domain_name": "hopper-compilers.example", "title": "Rear Admiral",
    "department": "Programming", "fax": "+1 212 555 0143",
}  # fmt: skip
LIN = {**ADA, "name": "Lin Wu", "email": "lin@wu.example"}


def sign_up(client: Client, username: str, person: dict, path="/account/sign-up/", **extra):
    """POST the sign-up form with every field the page asks for, from `person`."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    form = page.context["form"]
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    data.update({name: person[name] for name in form.fields if name in person})
    if "terms" in form.fields:  # the terms, where the provider has them, are accepted
        data["terms"] = "on"
    data.update(extra)
    return client.post(path, data)


def customer_id(username: str) -> int:
    rows = Customer.objects.for_purpose(SYSTEM, "essential.service.authentication")
    return rows.filter(user__username=username).values_list("pk", flat=True).get()


def three_customers(signed_up) -> list[tuple[Client, int]]:
    """Ada, Grace and Lin, each signed up with the `signed_up` fixture."""
    return [signed_up(user, person) for user, person in
            [("ada", ADA), ("grace", GRACE), ("lin", LIN)]]  # fmt: skip


# --- staff --------------------------------------------------------------------------------


def staff_user(role: str | None, username: str | None = None, *, permissions=()) -> User:
    """A staff member with the policy role `role` (its group; "staff.admin" is a superuser;
    None: no role at all), and the Django permissions named (codenames or Permission rows).
    The user name is the role's ("staff_support") unless given."""
    username = username or (role or "staff").replace(".", "_")
    user = User.objects.create_user(username, password="x", is_staff=True,
                                    is_superuser=role == "staff.admin")  # fmt: skip
    if role and role != "staff.admin":
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    for permission in permissions:
        if not isinstance(permission, Permission):
            permission = Permission.objects.get(codename=permission)
        user.user_permissions.add(permission)
    return user


# --- billing, as the site does it: the run early next month bills this month ---------------

NUMBER = "4242424242424242"
_TODAY = dt.datetime.now(dt.UTC).date()
_MONTH = _TODAY.replace(day=1)
NEXT_RUN = dt.datetime.combine(
    (_MONTH + dt.timedelta(days=32)).replace(day=1), dt.time(6), tzinfo=dt.UTC
)
SINCE_LAST_MONTH = dt.datetime.combine(
    (_MONTH - dt.timedelta(days=1)).replace(day=1), dt.time(9), tzinfo=dt.UTC
)


def card_form(number=NUMBER, **extra):
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return {
        "number": spaced, "exp_month": 12, "exp_year": 2031, "cvc": "123",
        "billing_name": "A. Lovelace", "billing_address": "12 St James's Square", **extra,
    }  # fmt: skip


def hosting(price=1500, currency="USD") -> Service:
    service, _ = Service.objects.get_or_create(
        code=f"hosting-{price}-{currency.lower()}",
        defaults={"name": "Web hosting", "monthly_price_cents": price, "currency": currency},
    )
    return service


def running_since(customer_id: int, started=SINCE_LAST_MONTH, service=None) -> Subscription:
    """A service the customer chose on `started` (written as the sign-up would)."""
    return Subscription.objects.for_purpose(SYSTEM, "essential.service").create(
        customer_id=customer_id, service=service or hosting(), created_at=started
    )


def billed(customer_id: int, now=NEXT_RUN) -> Invoice:
    """Run billing at `now` and return the customer's newest invoice."""
    runs.run(now)
    mine = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(customer_id=customer_id)
    return mine.latest("period_start")


# --- mail to customers, and mail as it arrives --------------------------------------------


def list_members(count: int) -> list[int]:
    """`count` customers on the mailing list (member0@example.com …), written as rows."""
    now = dt.datetime.now(dt.UTC)
    blank = ["phone", "address", "company", "domain_name", "title", "department", "fax"]
    Customer.objects.for_purpose(SYSTEM, "essential.service").insert_rows(
        ["name", "email", "status", "membership", "created_at", *blank],
        [(f"Member {i}", f"member{i}@example.com", "active", "individual", now,
          *[""] * len(blank)) for i in range(count)],
    )  # fmt: skip
    with decided_elsewhere():
        members = Customer.internal.filter(email__startswith="member")
        ids = list(members.values_list("pk", flat=True))
    ListMembership.objects.for_purpose(SYSTEM, "essential.service").insert_rows(
        ["customer_id", "source", "consent_text", "policy_version", "created_at"],
        [(pk, "test", "yes", "0" * 64, now) for pk in ids],
    )
    return ids


def send(kind, body="Hello from {{ provider }}", subject="News from {{ provider }}"):
    """A campaign of `kind`, sent now; mail.outbox holds what it sent."""
    campaign = Campaign.objects.create(kind=kind, subject=subject, body=body)
    mail.outbox.clear()
    send_campaign.call(campaign.pk)
    return campaign


def eml(subject: str, sender: str = ADA["email"], to: str = "unsubscribe@ducallier.com",
        message_id: str | None = None, *, proven: bool = False) -> bytes:  # fmt: skip
    """A message from `sender`, as the MTA hands it over; `proven`: with our MTA's DKIM
    pass for the sender's domain (Authentication-Results under our authserv-id)."""
    message = EmailMessage()
    if proven:
        domain = sender.rsplit("@", 1)[-1]
        message["Authentication-Results"] = f"{authserv_id()}; dkim=pass header.d={domain}"
    message["From"], message["To"], message["Subject"] = f"Ada <{sender}>", to, subject
    message["Message-ID"] = message_id or f"<{abs(hash((subject, sender, to)))}@mail.example>"
    message.set_content("Please take me off.")
    return bytes(message)


def dsn(to: str, status: str) -> bytes:
    """A delivery status notification (RFC 3464), as an MTA sends one back."""
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail\r\n"
        f"Message-ID: <dsn-{status}-{abs(hash(to))}@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        f"Action: failed\r\nStatus: {status}\r\n--b--\r\n"
    ).encode()


def queued_mail() -> int:
    """Inbound mail waiting for the worker."""
    with decided_elsewhere():
        return InboundMail.internal.count()


SECRET = "The vault code is 7319-ALPHA-PLAINTEXT"


def letter(to: str, subject="Lunch on Friday?", body=SECRET, message_id="<m1@friend.example>"):
    """A friend's letter to a customer's mailbox."""
    return (
        f"From: Friend <friend@friend.example>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


def address(username="ada") -> str:
    """The customer's mailbox address, in the policy's mailbox domain."""
    return f"{username}@{current_policy().communications.mailbox_domain}"


# --- servers on loopback, on a port each binds itself -------------------------------------


class OnItsOwnPort:
    """An aiosmtpd controller listening on 127.0.0.1, port 0: the system gives it a free
    port as it binds (no port probed first and freed for another to take), and the
    controller reads it back before it checks that it answers."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer(OnItsOwnPort, Controller):
    """An SMTP server on loopback; `handler` answers as aiosmtpd's handlers do."""


class LMTPServer(OnItsOwnPort, LMTPController):
    """The site's LMTP server (hippocratic.messaging.lmtp, as serve() makes it), on a port
    of its own."""

    def __init__(self):
        super().__init__(Intake())
        self.host, self._stopped = self.hostname, False

    def stop(self, *args, **kwargs):
        """Stop it (once): mail it queued and has not yet announced is announced now."""
        if not self._stopped:
            self._stopped = True
            super().stop(*args, **kwargs)


# --- page views and the DNS ---------------------------------------------------------------

# Addresses in the documentation ranges (RFC 5737), with the PTR names our server gives.
PTR_NAMES = {
    "81.2.69.10": "dsl-192-0-2-10.pool.example-isp.co.uk.",
    "81.2.70.7": "host7.cable.example.net.",
}

PAGE_HEADERS = {
    "REMOTE_ADDR": "81.2.69.10",
    "HTTP_USER_AGENT": ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    "HTTP_REFERER": "https://news.example.org/story/42?who=ada@example.com",
}


class PtrResolver(BaseResolver):
    """Answers PTR queries from PTR_NAMES; NXDOMAIN otherwise. Counts queries, and
    can be held (to show that nothing waits for it)."""

    def __init__(self):
        self.queries: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def resolve(self, request, handler):
        self.release.wait(5)
        name = str(request.q.qname)
        self.queries.append(name)
        reply = request.reply()
        for address, target in PTR_NAMES.items():
            if name == ".".join(reversed(address.split("."))) + ".in-addr.arpa.":
                reply.add_answer(RR(name, QTYPE.PTR, rdata=PTR(target), ttl=3600))
                return reply
        reply.header.rcode = 3  # NXDOMAIN
        return reply


def flush() -> int:
    """Write the page views buffered so far."""
    return page_view_buffer().flush()


# A material change to a policy file: a new kind of recipient (replaces "recipients:\n").
MATERIAL_PARTNER = """recipients:
  - key: metrics_partner
    kind: marketing_partner
    name: Metrics Partner Inc.
    description: Measures how our newsletters are read.
    categories: [user.contact.email]
    grounds: [terms_of_service]
    opt_out: true
"""
