"""The configured provider: its policy and the compiled decision engine, loaded once.

The policy in force is the newest published version whose effective time has come
(versions.publishing, POL-3, POL-4); before any version is published, the file named by
settings.HIPPOCRATIC_POLICY. Both are read lazily (never at import time) and cached.
Each process notices by itself when a scheduled version's time comes (the next call
after it loads it: no restart) and, within VERSION_CHECK_SECONDS, a version another
process published. The caches are cleared when a test overrides the setting, as
Django does for PASSWORD_HASHERS.
"""

import time
from email.utils import formataddr, parseaddr
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, transaction
from django.dispatch import Signal, receiver
from django.utils import timezone

from hippocratic.capabilities import enforced
from hippocratic.policy import LoadedPolicy, Policy, load_policy, load_policy_text
from hippocratic.policy.decision import Engine
from hippocratic.policy.render import revised_on, to_html
from hippocratic.versions import publishing
from hippocratic.versions.signals import version_published

VERSION_CHECK_SECONDS = 30
# Sent when this process starts enforcing another version: caches built from the
# policy (tracking's recording rules) clear themselves.
policy_switched = Signal()
# What this process knows of the published versions: the one it enforces, when the
# next one is due, and when it last asked the database.
_versions = {"number": None, "switch_at": None, "checked": None}


@cache
def loaded_policy() -> LoadedPolicy:
    """The provider's policy in force; raises PolicyError if it is invalid."""
    version = _in_force()
    if version is not None:
        return load_policy_text(version.text, file=f"published version {version.number}")
    return load_policy(settings.HIPPOCRATIC_POLICY)


def _in_force():
    if not getattr(settings, "HIPPOCRATIC_POLICY_VERSIONS", True):
        return None
    try:
        return publishing.in_force()
    except DatabaseError:  # not migrated yet: the file
        return None


def current_policy() -> Policy:
    _switch_when_due()
    return loaded_policy().policy


def _switch_when_due() -> None:
    """Load another version when one's time has come or another process published one."""
    switch_at, checked = _versions["switch_at"], _versions["checked"]
    now = time.monotonic()
    if (
        checked is not None
        and now - checked < VERSION_CHECK_SECONDS
        and (switch_at is None or timezone.now() < switch_at)
    ):
        return
    if not getattr(settings, "HIPPOCRATIC_POLICY_VERSIONS", True):
        _versions["checked"] = now
        return
    try:
        number, switch_at = publishing.schedule()
    except DatabaseError:
        number, switch_at = None, None
    switched = number != _versions["number"]
    _versions.update(number=number, switch_at=switch_at, checked=now)
    if switched:
        _clear()
        policy_switched.send(sender=None, number=number)


def current_engine() -> Engine:
    _switch_when_due()
    return _engine()


@cache
def _engine() -> Engine:
    return Engine(loaded_policy().policy)


def policy_version() -> str:
    """The SHA-256 of the policy in force (audit entries name it)."""
    _switch_when_due()
    return loaded_policy().version


def declares(purpose: str) -> bool:
    """Whether the policy in force declares `purpose`: code that uses an optional
    purpose (purposes.Purpose, an app's `optional_purposes`) asks first."""
    return str(purpose) in current_policy().purposes


def sender_address() -> str:
    """The bare address the provider's mail comes from (the envelope sender, the
    Message-ID's domain): its support address, else DEFAULT_FROM_EMAIL's address (which
    may carry a display name, `Dúcallier <news@example.com>`)."""
    support = current_policy().provider.contacts.support.email
    return support or parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL


def sender() -> str:
    """The From: header of the provider's mail: its name, as RFC 2047 encoded words
    where it is not ASCII (the address stays plain, where a reader and a filter look
    for it; encoding the whole "Name <address>" left no address to find), and the
    address. As ASCII, so every path that writes headers keeps it as it is."""
    return formataddr((current_policy().provider.name, sender_address()), charset="utf-8")


def own_domains() -> frozenset[str]:
    """The provider's own mail domains: its contacts' (support@, unsubscribe@, …, where
    the reply+ and bounce+ addresses live too), its sender's, its web site's (less
    "www.") and the customers' mailbox domain."""
    policy = current_policy()
    contacts = policy.provider.contacts
    addresses = [getattr(contacts, name) for name in type(contacts).model_fields]
    found = {c.email for c in addresses if c is not None and c.email} | {sender_address()}
    domains = {a.rsplit("@", 1)[-1] for a in found}
    host = policy.provider.website.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    domains.add(host.removeprefix("www."))
    if policy.communications is not None and policy.communications.mailbox_domain:
        domains.add(policy.communications.mailbox_domain)
    return frozenset(d.strip().lower().rstrip(".") for d in domains if d.strip())


def is_own_address(address: str) -> bool:
    """Whether mail to `address` comes back to the provider (at one of its domains or
    below one): never a customer's address, nor one to forward to (issue 30: each
    automatic mail to it made another request, and another mail)."""
    domain = address.strip().lower().rsplit("@", 1)[-1].rstrip(".")
    return any(domain == own or domain.endswith("." + own) for own in own_domains())


def policy_html() -> str:
    """The published page: the promises this build enforces, and no others."""
    _switch_when_due()
    return _page()


def policy_revised():
    """The date the page gives for the policy's last revision (POL-2): the provider's
    own where its file gives one, else the day the version in force was published;
    None for a file never published (never an invented date)."""
    _switch_when_due()
    return _revised()


@cache
def _revised():
    version = _in_force()
    published = version.revision_date if version is not None else None
    return revised_on(loaded_policy().policy, published)


@cache
def _page() -> str:
    return to_html(loaded_policy().policy, enforced=enforced(), published=_revised())


def _clear() -> None:
    for cached in (loaded_policy, _engine, _page, _revised):
        cached.cache_clear()


def forget_versions() -> None:
    """Ask the database again at the next call (after publishing, in this process)."""
    _versions.update(number=None, switch_at=None, checked=None)
    _clear()


@receiver(version_published)
def _published(**kwargs):
    """A version was just published here: ask again now, and once it is committed."""
    forget_versions()
    transaction.on_commit(forget_versions)


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting in ("HIPPOCRATIC_POLICY", "HIPPOCRATIC_POLICY_VERSIONS"):
        forget_versions()
