"""Account recovery (issue 31): a forgotten password is replaced, never told.

Where the policy keeps customers' e-mail addresses, by a link mailed to the address
the account gave (Django's password-reset tokens: one use, three days): the page
answers the same whether or not an account has the address, and the mail goes from
the worker, so no one learns from the page who is a customer. Where it keeps none
(Dracon, the ISP, Quality), by recovery codes shown once at sign-up: only their
SHA-256 is kept, each works once, with the user name.

    recovery.by_mail()                     -> which of the two this policy uses
    recovery.accounts_at(address)          -> open accounts that gave the address
    recovery.mail_link(customer_id)        -> the mail with the link (worker)
    recovery.new_codes(user)               -> codes to show once (the old ones go)
    recovery.with_code(username, code)     -> the login the code opens, or None
    recovery.set_password(user, password)  -> the new password; every session ends
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from hippocratic.accounts import notices, remember
from hippocratic.accounts.customer_log import record
from hippocratic.accounts.models import AccountEvent, AccountSession, Customer, RecoveryCode
from hippocratic.accounts.sessions import session_store
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

EMAIL = "user.contact.email"
CODES = 8  # shown at sign-up
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, none mistaken for another
GROUPS, GROUP = 4, 4  # 16 symbols: 80 random bits
ACTOR = Actor.system("accounts.recovery")


def by_mail() -> bool:
    """Whether recovery is by a mailed link: the policy keeps customers' addresses and
    may mail them (accounts.notices). Otherwise by recovery codes."""
    collected = current_policy().collected_categories("customer")
    return EMAIL in collected and notices.address_purpose() is not None


# --- By mail ---------------------------------------------------------------------------


def accounts_at(address: str) -> list[int]:
    """The open accounts, with a login that works, that gave `address`."""
    purpose = notices.address_purpose()
    if purpose is None or not address.strip():
        return []
    rows = Customer.objects.for_purpose(ACTOR, purpose).filter(
        email__iexact=address.strip(), closed_at__isnull=True, user__is_active=True
    )
    return list(rows.values_list("pk", flat=True)[:5])


def reset_path(user) -> str:
    """The page that sets a new password for `user`, with a token of one use."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:recover_confirm", args=[uid, token])


def mail_link(customer_id: int) -> bool:
    """Mail the customer a link that sets a new password; whether a mail went."""
    rows = Customer.objects.for_purpose(ACTOR, notices.address_purpose() or "")
    user_id = rows.filter(pk=customer_id, closed_at__isnull=True).values_list("user_id", flat=True)
    user = get_user_model().objects.filter(pk=user_id.first(), is_active=True).first()
    if user is None:
        return False
    provider = current_policy().provider.name
    body = render_to_string("accounts/mail/recover.txt", {
        "provider": provider, "username": user.get_username(),
        "link": settings.SITE_URL + reset_path(user),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    })  # fmt: skip
    subject = f"Set a new password for your {provider} account"
    return notices.mail_customer(customer_id, subject, body, by=ACTOR)


# --- By code ----------------------------------------------------------------------------


def _digest(code: str) -> str:
    """The code as kept: its SHA-256, over the symbols alone (case, dashes and spaces
    as typed do not matter)."""
    symbols = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(symbols.encode()).hexdigest()


def _code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


@transaction.atomic
def new_codes(user) -> list[str]:
    """A new set of codes for `user`, to show once: only their digests are kept, and
    the codes they had before stop working."""
    codes = [_code() for _ in range(CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_digest(c)) for c in codes)
    customer = customer_of(user)
    if customer is not None:
        record(customer, AccountEvent.Kind.RECOVERY_CODES, "", by=Actor.for_customer(customer))
    return codes


def codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user).count()


def _code_row(username: str, code: str):
    return RecoveryCode.objects.filter(
        user__username=username, user__is_active=True, code_hash=_digest(code)
    ).select_related("user")


def with_code(username: str, code: str):
    """The working login that `code` opens with `username`, or None (the same None
    for an unknown user name and a wrong code)."""
    row = _code_row(username, code).first()
    return row.user if row else None


@transaction.atomic
def use_code(username: str, code: str, password: str):
    """Spend the code (once: the row is deleted) and set the new password; the login,
    or None where the code opens none (spent meanwhile)."""
    row = _code_row(username, code).select_for_update().first()
    if row is None:
        return None
    row.delete()
    set_password(row.user, password)
    return row.user


# --- Both ----------------------------------------------------------------------------------


def customer_of(user) -> int | None:
    """The customer number of a login, read as the login itself (it sees only its own)."""
    mine = Customer.objects.for_purpose(Actor.for_login(user), Purpose.AUTHENTICATION)
    return mine.values_list("pk", flat=True).first()


def set_password(user, password: str) -> None:
    """The new password (hashed, as every password), and every session and remember-me
    token of the login ended: whoever held the old password is out."""
    user.set_password(password)
    user.save(update_fields=["password"])
    after_new_password(user)


def after_new_password(user) -> None:
    """Every session and remember-me token of the login ends; the customer log says so."""
    for key in AccountSession.objects.filter(user=user).values_list("session_key", flat=True):
        session_store(key).delete()
    AccountSession.objects.filter(user=user).delete()
    remember.forget_all(user)
    customer = customer_of(user)
    if customer is not None:
        record(customer, AccountEvent.Kind.RECOVERED, "", by=Actor.for_customer(customer))
