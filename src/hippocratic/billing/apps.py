import logging

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete

from hippocratic.purposes import Purpose

logger = logging.getLogger(__name__)


class BillingConfig(AppConfig):
    name = "hippocratic.billing"
    label = "billing"
    verbose_name = "Billing"
    promises = ("PAY-1", "PAY-2", "PAY-3", "DIS-6")
    # Dormant where the policy collects no payment data (PAY-3).
    policy_categories = ("user.financial", "user.payment")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE, Purpose.PAYMENT)
    optional_purposes = ()

    def ready(self):
        from hippocratic.accounts import customer_log
        from hippocratic.accounts import services as accounts
        from hippocratic.accounts.signals import erasing
        from hippocratic.billing import logs, services
        from hippocratic.billing.models import BillingEvent

        customer_log.register(BillingEvent)
        logs.install()
        accounts.START_CHECKS.register("billing", services.may_start)
        erasing.connect(_detach_cards, dispatch_uid="billing.detach_cards")
        post_delete.connect(
            _detach_deleted, sender="billing.PaymentMethod", dispatch_uid="billing.detach_deleted"
        )


def _detach_cards(sender, *, customer_id, by, **kwargs):
    """A token that can still be charged does not outlive an erasure (ACC-8)."""
    from hippocratic.billing import services

    if services.payments_enabled():
        services.remove_cards(by, customer_id)


def _detach_deleted(sender, instance, **kwargs):
    """However a card's row goes (a customer row deleted by retention takes its cards
    with it), its token is detached at the processor once the deletion commits."""
    token = instance.processor_token
    if token:
        transaction.on_commit(lambda: _detach(token))


def _detach(token: str) -> None:
    from hippocratic.billing.processors import PaymentError, current_processor

    try:
        current_processor().detach(token)
    except PaymentError:
        logger.warning("a deleted card could not be detached at the processor: detach it there")
