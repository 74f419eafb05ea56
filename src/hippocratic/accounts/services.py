"""Signing in and out (SEC-1, SEC-3, SEC-4, CK-4)."""

import datetime as dt
import json
from collections.abc import Callable

from django.contrib import auth
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hippocratic.accounts import own_data, remember
from hippocratic.accounts.contact import PROFILE, asked_names
from hippocratic.accounts.customer_log import record
from hippocratic.accounts.models import (
    AccountEvent,
    AccountSession,
    Customer,
    Organisation,
    Prospect,
    Service,
    Subscription,
    TermsAcceptance,
)
from hippocratic.accounts.sessions import session_store
from hippocratic.accounts.signals import erasure_waits
from hippocratic.accounts.signals import request_done as done
from hippocratic.enforcement import tokens
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.purposes import Purpose
from hippocratic.registry import Registry

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_start(request, user) -> None:
    """Sign `user` in: Django's login() gives a new session key (SEC-4), which we
    note so that all the user's sessions can be ended later. (A user who came
    through authenticate() carries its backend; one remembered by cookie gets
    the model backend.)"""
    auth.login(request, user, backend=getattr(user, "backend", MODEL_BACKEND))
    request.session.save()
    AccountSession.objects.get_or_create(user=user, session_key=request.session.session_key)


def session_end(request) -> None:
    """Log off: the session is deleted on the server, not just forgotten (SEC-3)."""
    key = request.session.session_key
    if key:
        AccountSession.objects.filter(session_key=key).delete()
    auth.logout(request)  # flushes the session from the store


def sessions_end_all(request) -> int:
    """End every session of the signed-in user, everywhere, and their remember-me
    tokens; returns how many other sessions there were (SEC-3)."""
    user = request.user
    current = request.session.session_key
    others = AccountSession.objects.filter(user=user).exclude(session_key=current)
    count = 0
    for session in others:
        session_store(session.session_key).delete()
        count += 1
    others.delete()
    remember.forget_all(user)
    session_end(request)
    return count


# --- Customers: sign-up, profile, services (ACC-1, ACC-3, ACC-5, ACC-7) -------------------

SESSION_CUSTOMER = "hippocratic_customer"


def customer_id(request) -> int | None:
    """The signed-in user's customer id (None for staff without a customer row),
    noted in the session so that it is looked up once per session. The login looks
    itself up: it can see no customer row but the one that names it."""
    if not request.user.is_authenticated:
        return None
    if SESSION_CUSTOMER not in request.session:
        mine = Customer.objects.for_purpose(Actor.for_login(request.user), Purpose.AUTHENTICATION)
        request.session[SESSION_CUSTOMER] = mine.values_list("pk", flat=True).first()
    return request.session[SESSION_CUSTOMER]


def request_done(customer_id: int | None, kind: str, channel: str, outcome: str, *,
                 by: Actor) -> None:  # fmt: skip
    """Tell the ledger of requests (which accounts does not import) of a request done."""

    done.send(sender=Customer, customer_id=customer_id, kind=kind, channel=channel,
              outcome=outcome, by=by)  # fmt: skip


def erasure_waiting(customer_id: int, channel: str, *, by: Actor) -> None:
    """Tell the ledger that the customer's erasure waits on a preservation hold."""
    erasure_waits.send(sender=Customer, customer_id=customer_id, channel=channel, by=by)


def log_event(customer_id: int, kind, detail: str = "") -> None:
    """The customer's own action, in their log (ACC-3)."""
    record(customer_id, kind, detail, by=Actor.for_customer(customer_id))


@transaction.atomic
def sign_up(form, *, organisation: Organisation | None = None) -> tuple[object, int]:
    """Create the login and the customer from a valid SignUpForm; returns both."""
    user = form.save()
    membership = Customer.Membership.INDIVIDUAL
    if organisation is not None:
        membership = Customer.Membership.MEMBER
    elif form.cleaned_data.get("account") == "organisation":
        organisation, membership = Organisation.objects.create(), Customer.Membership.OWNER
    contact = {k: v for k, v in form.contact_data.items() if v not in (None, "")}
    customer = Customer.objects.for_purpose(Actor.newcomer(), Purpose.SERVICE).create(
        user=user, organisation=organisation, membership=membership, **contact
    )
    if organisation is not None:
        Organisation.objects.filter(pk=organisation.pk).update(size=F("size") + 1)
    accepted = getattr(form, "terms_version", None)
    if accepted is not None and form.cleaned_data.get("terms"):
        TermsAcceptance.objects.for_purpose(
            Actor.for_customer(customer.pk), Purpose.SERVICE
        ).create(customer_id=customer.pk, version=accepted.number, sha256=accepted.sha256)
    joined = membership == Customer.Membership.MEMBER
    log_event(customer.pk, AccountEvent.Kind.JOINED if joined else AccountEvent.Kind.SIGNED_UP)
    return user, customer.pk


# The same inquiry again within this time is the first one, counted (issue 30: each
# replayed post added a row, without bound).
INQUIRY_WINDOW = dt.timedelta(days=1)


def inquiry_fingerprint(data: dict[str, str]) -> str:
    """A keyed digest of an inquiry's fields (case and spacing aside): the same inquiry
    gives the same digest; nothing of it can be read back."""
    canonical = json.dumps(
        {k: " ".join(str(v).split()).lower() for k, v in data.items() if v}, sort_keys=True
    )
    return tokens.inquiry_fingerprint.digest(canonical)


def prospect_inquire(data: dict[str, str]) -> bool:
    """Record an inquiry (ACC-6): a new prospect, or, where the same inquiry came within
    INQUIRY_WINDOW, that one with its count raised (no second row: the count and the
    digest are not personal data). True where a new prospect was recorded."""
    fingerprint = inquiry_fingerprint(data)
    since = timezone.now() - INQUIRY_WINDOW
    with transaction.atomic():
        # The inquirer reads nothing (their scope holds no rows): this statement names
        # only the digest, a time and the count, none of them personal data, and
        # reads or changes nothing else of the row; decided here.
        with decided_elsewhere():
            counted = Prospect.objects.filter(
                fingerprint=fingerprint, created_at__gte=since
            ).update(times=F("times") + 1)
        if counted:
            return False
        rows = Prospect.objects.for_purpose(Actor.inquirer(), purpose_for(Prospect))
        rows.create(fingerprint=fingerprint, **data)
        return True


INVITATION_DAYS = 7


def invitation_token(organisation_id: int) -> str:
    """A signed link token that lets a colleague sign up into the organisation (ACC-5).
    It carries only the organisation's number."""
    return tokens.invitation_link.make({"org": organisation_id})


def organisation_of_invitation(token: str) -> Organisation | None:
    data = tokens.invitation_link.check(token, max_age=INVITATION_DAYS * 86400)
    if not isinstance(data, dict):
        return None
    return Organisation.objects.filter(pk=data.get("org")).first()


def organisation_size(organisation_id: int) -> int:
    """How many customers belong to an organisation: the organisation's own count,
    kept as members join and are erased (no one's row is read)."""
    sizes = Organisation.objects.filter(pk=organisation_id).values_list("size", flat=True)
    return sizes.first() or 0


def own_customer(customer_id: int, purpose: str = Purpose.SERVICE):
    """The customer's own row, read by the customer (ACC-9)."""
    return Customer.objects.for_purpose(Actor.for_customer(customer_id), purpose).get()


def contact_details(customer_id: int) -> dict[str, str]:
    """The contact details the customer may see and correct: the profile form's fields."""
    row = own_customer(customer_id)
    return {name: getattr(row, name) for name in asked_names(Customer, PROFILE)}


def subscriptions(customer_id: int) -> list[dict]:
    """The customer's services, oldest first, each with the service's name."""
    names = dict(Service.objects.values_list("pk", "name"))
    return [
        {
            **row,
            "service": names.get(row["service_id"], ""),
            "status_label": Subscription.Status(row["status"]).label,
        }
        for row in own_data.rows(customer_id, Subscription)
    ]


@transaction.atomic
def update_profile(customer_id: int, changes: dict[str, str]) -> list[str]:
    """Correct the customer's details (ACC-7); returns the names of the fields changed."""
    me = Actor.for_customer(customer_id)
    rows = Customer.objects.for_purpose(me, Purpose.SERVICE)
    current = rows.values(*changes).get()
    changed = {k: v for k, v in changes.items() if (current[k] or "") != (v or "")}
    if changed:
        rows.update(**changed)
        labels = ", ".join(sorted(changed))
        log_event(customer_id, AccountEvent.Kind.PROFILE_CHANGED, f"changed: {labels}")
    return sorted(changed)


class ServiceRefused(Exception):
    """A service may not start yet; the message says why, fit to show the customer,
    and `where` is the page that lets them put it right."""

    def __init__(self, message: str, where: str = ""):
        self.where = where
        super().__init__(message)


START_CHECKS: Registry[Callable[[int, Service], None]] = Registry(
    "accounts.start_checks",
    "May this customer start this service? check(customer_id, service) raises ServiceRefused "
    "where not (billing: a paid service needs a card on file).",
)


@transaction.atomic
def subscribe(customer_id: int, service: Service) -> Subscription:
    """Start a service for the customer, unless a start check refuses (ServiceRefused)."""
    for check in START_CHECKS:
        check(customer_id, service)
    me = Actor.for_customer(customer_id)
    subscription = Subscription.objects.for_purpose(me, Purpose.SERVICE).create(
        customer_id=customer_id, service=service
    )
    log_event(customer_id, AccountEvent.Kind.SUBSCRIBED, service.name)
    return subscription


@transaction.atomic
def discontinue(customer_id: int, subscription_id: int) -> bool:
    """End one of the customer's services (ACC-7); False if it is not theirs or not active."""
    me = Actor.for_customer(customer_id)
    mine = Subscription.objects.for_purpose(me, Purpose.SERVICE).filter(
        pk=subscription_id, status=Subscription.Status.ACTIVE
    )
    service_id = mine.values_list("service_id", flat=True).first()
    if service_id is None:
        return False
    mine.update(status=Subscription.Status.DISCONTINUED, ended_at=timezone.now())
    name = Service.objects.filter(pk=service_id).values_list("name", flat=True).first() or ""
    log_event(customer_id, AccountEvent.Kind.DISCONTINUED, name)
    return True


@transaction.atomic
def suspend_services(customer_id: int, reason: str, *, by: Actor, purpose: str) -> list[str]:
    """Stop the customer's running services (an unpaid invoice); returns their names.
    The customer is told, and the log says why: never silently."""
    running = Subscription.objects.for_purpose(by, purpose).filter(
        customer_id=customer_id, status=Subscription.Status.ACTIVE
    )
    service_ids = list(running.values_list("service_id", flat=True))
    if not service_ids:
        return []
    running.update(status=Subscription.Status.SUSPENDED, ended_at=timezone.now())
    names = dict(Service.objects.filter(pk__in=service_ids).values_list("pk", "name"))
    return [names.get(pk, "") for pk in service_ids]
