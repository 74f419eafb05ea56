from django.apps import AppConfig

from hippocratic.purposes import Purpose


class MessagingConfig(AppConfig):
    name = "hippocratic.messaging"
    label = "messaging"
    verbose_name = "Mail to customers"
    promises = ("MSG-1", "MSG-2", "MSG-3", "MSG-4", "MSG-5", "MSG-6")
    # The purposes its code asks the gateway for: always, and only where the policy
    # declares them (provider.declares). Conformance reads Purpose.X in the source.
    purposes = (Purpose.SERVICE,)
    optional_purposes = (Purpose.MARKETING_EMAIL, Purpose.NOTIFICATIONS)

    def ready(self):
        from hippocratic.accounts import customer_log
        from hippocratic.accounts.signals import erasing
        from hippocratic.messaging import services
        from hippocratic.requests import ledger
        from hippocratic.requests.models import Request

        customer_log.EVENT_KINDS.register("messaging", services.ListEvent)
        ledger.HANDLERS.register(Request.Kind.UNSUBSCRIBE, services.leave_for_staff)
        ledger.CHOICE_EFFECTS.register(Purpose.MARKETING_EMAIL, services.leave_on_refusal)
        erasing.connect(services.forget_erased, dispatch_uid="messaging.forget_erased")
