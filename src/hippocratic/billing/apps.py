from django.apps import AppConfig
from django.db.models.signals import post_delete

from hippocratic.purposes import Purpose


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
        from hippocratic.accounts import closing as accounts_closing
        from hippocratic.accounts import customer_log
        from hippocratic.accounts import services as accounts
        from hippocratic.accounts.signals import erasing
        from hippocratic.billing import closing, logs, services, tasks
        from hippocratic.billing.models import BillingEvent
        from hippocratic.billing.signals import card_added, customer_to_tell

        customer_log.EVENT_KINDS.register("billing", BillingEvent)
        logs.install()
        accounts.START_CHECKS.register("billing", services.may_start)
        accounts_closing.CLOSING_TERMS.register("billing", closing.terms)
        accounts_closing.CLOSING_STEPS.register("billing", closing.settle)
        erasing.connect(services.detach_cards, dispatch_uid="billing.detach_cards")
        post_delete.connect(
            services.detach_deleted, sender="billing.PaymentMethod",
            dispatch_uid="billing.detach_deleted",
        )  # fmt: skip
        card_added.connect(tasks.on_card_added, dispatch_uid="billing.charge_soon")
        customer_to_tell.connect(tasks.on_customer_to_tell, dispatch_uid="billing.tell")
