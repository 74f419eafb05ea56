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
        from hippocratic.accounts.signals import erasing

        erasing.connect(_forget_erased, dispatch_uid="messaging.forget_erased")


def _forget_erased(sender, *, customer_id, by, **kwargs):
    """What messaging keeps of an erased customer, read once:
    - their address stays only as a keyed hash: re-imported, it is never mailed
      marketing again;
    - their mail still waiting for the worker goes with them (acted on afterwards, an
      unsubscribe would become a staff request naming the address). Queued rows name no
      customer: their sender, or the reply+ or bounce+ address they came to, says whose
      they are. The erasure's own audit entry covers their category."""
    from django.db.models import Q

    from hippocratic.accounts.models import Customer
    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.messaging import suppression
    from hippocratic.messaging.models import InboundMail, Suppression

    address = ""
    if "user.contact.email" in _collected():  # a profile may hold no customer's address
        rows = Customer.objects.for_purpose(by, Purpose.SERVICE).filter(pk=customer_id)
        address = rows.values_list("email", flat=True).first() or ""
        suppression.suppress(address, Suppression.Reason.ERASED)
    theirs = Q(who=str(customer_id)) | (Q(sender__iexact=address) if address else Q())
    with decided_elsewhere():
        InboundMail.internal.filter(theirs).delete()


def _collected() -> set[str]:
    from hippocratic.provider import current_policy

    return current_policy().collected_categories("customer")
