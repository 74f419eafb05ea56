"""Closing an account (issue 31): different from erasure (ACC-8), which removes
everything at once. A closed account's services end, what is owed is invoiced, its
cards are detached and deleted, and its login stops working; then the policy's
retention periods that run "after your account closes" start, and the retention job
(enforcement.retention) deletes the password, the user name and the rest on their
dates.

    closing.schedule(closed_at)        -> when each kind of information goes
    closing.terms(customer_id)         -> what closing would do, for the confirm page
    closing.close(customer_id, by=…)   -> what was done, in sentences for the customer
    closing.mail_notice(customer_id)   -> the same dates by mail, where an address is kept

Other apps settle what they hold through two registries (billing: the final
invoice, the cards), never by being imported here.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from hippocratic.accounts import notices, remember
from hippocratic.accounts.customer_log import record
from hippocratic.accounts.models import (
    AccountEvent,
    AccountSession,
    Customer,
    Organisation,
    RecoveryCode,
    Service,
    Subscription,
)
from hippocratic.accounts.sessions import session_store
from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.registry import Registry

CLOSING_TERMS: Registry[Callable[[int], list[str]]] = Registry(
    "accounts.closing_terms",
    "customer id -> sentences saying what closing the account would do in the app "
    "(billing: the final invoice, the cards), for the confirm page.",
)
CLOSING_STEPS: Registry[Callable[[int, Actor], list[str]]] = Registry(
    "accounts.closing_steps",
    "(customer id, actor) -> settle what the app holds for an account that has just "
    "closed (billing: issue and charge the final invoice, detach and delete the cards); "
    "returns sentences saying what was done.",
)


@dataclass(frozen=True)
class Deletion:
    """Information that goes on one date after the account closes."""

    on: dt.date
    labels: tuple[str, ...]
    legally_required: bool  # kept that long because the law requires it


def schedule(closed_at: dt.datetime) -> list[Deletion]:
    """When each kind of customer information the policy keeps "after your account
    closes" is deleted, earliest first: the policy's periods from `closed_at`."""
    by_day: dict[tuple[int, bool], list[str]] = {}
    for kind, item in current_policy().data_items():
        kept = item.retention
        if kind != "customer" or kept is None or kept.after != "account_closure":
            continue
        by_day.setdefault((kept.days, kept.legally_required), []).append(item.label)
    day = timezone.localdate(closed_at)
    return [
        Deletion(day + dt.timedelta(days=days), tuple(labels), legally)
        for (days, legally), labels in sorted(by_day.items())
    ]


def running_services(customer_id: int) -> list[str]:
    """The names of the customer's services that run now."""
    mine = Subscription.objects.for_purpose(Actor.for_customer(customer_id), Purpose.SERVICE)
    ids = mine.filter(status=Subscription.Status.ACTIVE).values_list("service_id", flat=True)
    names = dict(Service.objects.values_list("pk", "name"))
    return [names.get(pk, "") for pk in ids]


def terms(customer_id: int) -> list[str]:
    """What closing would do in the other apps, for the confirm page."""
    return [sentence for describe in CLOSING_TERMS for sentence in describe(customer_id)]


NOTICE = Actor.system("accounts.closing")


def mail_notice(customer_id: int) -> bool:
    """Mail the closed account the dates its information goes (and a warning, should
    someone else have closed it); whether a mail went (none where no address is kept)."""
    rows = Customer.objects.for_purpose(NOTICE, Purpose.SERVICE).filter(pk=customer_id)
    closed_at = rows.values_list("closed_at", flat=True).first()
    if closed_at is None:
        return False
    provider = current_policy().provider.name
    body = render_to_string("accounts/mail/closed.txt", {
        "provider": provider, "closed_on": closed_at, "schedule": schedule(closed_at),
    })  # fmt: skip
    subject = f"Your {provider} account is closed"
    return notices.mail_customer(customer_id, subject, body, by=NOTICE)


class AlreadyClosed(Exception):
    """The account is closed already: nothing is done twice."""


@dataclass(frozen=True)
class Closed:
    at: dt.datetime  # when the periods that run from closing started
    done: list[str]  # what was done, in sentences for the customer


def close(customer_id: int, *, by: Actor) -> Closed:
    """Close the account: its running services end, the login is switched off and
    every session, remember-me token and recovery code goes; the account is marked
    closed now, which starts the retention periods that run from closing. Then each
    app settles what it holds (CLOSING_STEPS)."""
    closed = _close(customer_id, by=by)
    for step in CLOSING_STEPS:
        closed.done.extend(step(customer_id, by))
    return closed


@transaction.atomic
def _close(customer_id: int, *, by: Actor) -> Closed:
    rows = Customer.objects.for_purpose(by, Purpose.SERVICE).filter(pk=customer_id)
    found = rows.filter(closed_at__isnull=True).values_list("user_id", "organisation_id")
    if not found:
        raise AlreadyClosed(f"customer {customer_id} is closed already")
    (user_id, organisation_id), now = found[0], timezone.now()
    if organisation_id is not None:  # one member fewer, as with an erasure
        Organisation.objects.filter(pk=organisation_id).update(size=F("size") - 1)
        with decided_elsewhere():  # a link, no personal data: the account leaves it
            Customer.internal.filter(pk=customer_id).update(organisation=None)
    services = running_services(customer_id)
    Subscription.objects.for_purpose(by, Purpose.SERVICE).filter(
        customer_id=customer_id, status=Subscription.Status.ACTIVE
    ).update(status=Subscription.Status.DISCONTINUED, ended_at=now)
    rows.update(status=Customer.Status.CLOSED, closed_at=now)
    record(customer_id, AccountEvent.Kind.CLOSED, ", ".join(services), by=by)
    _switch_off_login(user_id)
    audit.append(
        actor=by, action=Action.UPDATE, purpose=Purpose.SERVICE, reason=Reason.SUBJECT_REQUEST,
        subject="customer", subject_ref=str(customer_id),
        categories=["user.account.settings", "user.behavior.purchase_history"],
        allowed=True, rule="account closed", promise="ACC-7", rows=1,
    )  # fmt: skip
    done = ["You are logged out everywhere, and your user name and password no longer log in."]
    if services:
        done.insert(0, "These services have ended: " + ", ".join(services) + ".")
    return Closed(now, done)


def _switch_off_login(user_id: int | None) -> None:
    """The login can no longer be used: inactive (Django's backend refuses it), its
    sessions ended on the server, its remember-me tokens and recovery codes gone. The
    login itself (user name, password hash) goes when the policy's retention says."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    for key in AccountSession.objects.filter(user=user).values_list("session_key", flat=True):
        session_store(key).delete()
    AccountSession.objects.filter(user=user).delete()
    remember.forget_all(user)
    RecoveryCode.objects.filter(user=user).delete()
