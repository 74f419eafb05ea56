"""The configured provider: its policy and the compiled decision engine, loaded once.

The file named by settings.HIPPOCRATIC_POLICY is read lazily (never at import
time) and cached; the caches are cleared when a test overrides the setting, as
Django does for PASSWORD_HASHERS.
"""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from hippocratic.capabilities import enforced
from hippocratic.policy import LoadedPolicy, Policy, load_policy
from hippocratic.policy.decision import Engine
from hippocratic.policy.render import to_html


@cache
def loaded_policy() -> LoadedPolicy:
    """The provider's policy; raises PolicyError if the file is invalid."""
    return load_policy(settings.HIPPOCRATIC_POLICY)


def current_policy() -> Policy:
    return loaded_policy().policy


@cache
def current_engine() -> Engine:
    return Engine(current_policy())


def sender_address() -> str:
    """Where the provider's mail comes from: its support address, else DEFAULT_FROM_EMAIL."""
    return current_policy().provider.contacts.support.email or settings.DEFAULT_FROM_EMAIL


@cache
def policy_html() -> str:
    """The published page: the promises this build enforces, and no others."""
    return to_html(current_policy(), enforced=enforced())


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "HIPPOCRATIC_POLICY":
        for cached in (loaded_policy, current_engine, policy_html):
            cached.cache_clear()
