"""The one way to mail a customer: their address read through the gateway by whoever
sends (an Actor), for a purpose the policy gives addresses (the service itself where it
may), and the mail sent from the provider's address. A policy that keeps no customer's
address (Dracon's) sends nothing: the pages say what a mail would have said.

    notices.mail_customer(customer_id, subject, body, by=NOTICE)  -> whether a mail went
    notices.mail_address(address, subject, body)                  # a sender who is not a
                                                                  # customer row (a request)
"""

from email.utils import make_msgid

from django.core.mail import EmailMessage

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_engine, sender, sender_address
from hippocratic.purposes import Purpose

EMAIL = frozenset({"user.contact.email"})
AUTO_GENERATED = "auto-generated"  # RFC 3834: made by the site on its own
AUTO_REPLIED = "auto-replied"  # RFC 3834: in answer to a message that came in


def address_purpose() -> str | None:
    """The purpose a customer's address is read for to mail them: the service itself
    where the policy gives addresses to it, else the first purpose it does; None where
    the policy keeps no address."""
    serving = current_engine().purposes_serving("customer", EMAIL)
    if not serving:
        return None
    return Purpose.SERVICE if Purpose.SERVICE in serving else serving[0]


def address_of(customer_id: int, *, by: Actor) -> str:
    """The customer's address, or "" (none kept, or none given)."""
    purpose = address_purpose()
    if purpose is None:
        return ""
    rows = Customer.objects.for_purpose(by, purpose).filter(pk=customer_id)
    return rows.values_list("email", flat=True).first() or ""


def mail_customer(customer_id: int, subject: str, body: str, *, by: Actor) -> bool:
    """Mail the customer at the address they gave; False where there is none."""
    to = address_of(customer_id, by=by)
    if not to:
        return False
    mail_address(to, subject, body)
    return True


def mail_address(address: str, subject: str, body: str, *, auto: str = AUTO_GENERATED) -> None:
    """Mail someone at an address they wrote from, from the provider's address. Every
    such mail is automatic, and says so (RFC 3834 `Auto-Submitted`): `auto-replied`
    where it answers a message, so no responder answers it, and our intake never does."""
    domain = sender_address().rsplit("@", 1)[-1]  # not the host's name (DNS_NAME)
    headers = {"Auto-Submitted": auto, "Message-ID": make_msgid(domain=domain)}
    EmailMessage(subject, body, sender(), [address], headers=headers).send()
