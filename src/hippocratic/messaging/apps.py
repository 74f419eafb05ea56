from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "hippocratic.messaging"
    label = "messaging"
    verbose_name = "Mail to customers"
    promises = ("MSG-1", "MSG-2", "MSG-3", "MSG-4", "MSG-5", "MSG-6")

    def ready(self):
        from hippocratic.accounts.signals import erasing

        erasing.connect(_suppress_erased, dispatch_uid="messaging.suppress_erased")
        erasing.connect(_forget_queued_mail, dispatch_uid="messaging.forget_queued_mail")


def _suppress_erased(sender, *, customer_id, by, **kwargs):
    """An erased customer's address stays only as a keyed hash: re-imported, it is
    never mailed marketing again."""
    from hippocratic.accounts.models import Customer
    from hippocratic.messaging import suppression
    from hippocratic.messaging.models import Suppression

    rows = Customer.objects.for_purpose(by, "essential.service").filter(pk=customer_id)
    if "user.contact.email" in _collected():
        suppression.suppress(rows.values_list("email", flat=True).first() or "",
                             Suppression.Reason.ERASED)  # fmt: skip


def _forget_queued_mail(sender, *, customer_id, by, **kwargs):
    """Mail from the erased customer still waiting for the worker goes with them: acted
    on afterwards, an unsubscribe from an address no longer on the list would become a
    staff request naming it. (Queued rows name no customer; their sender, or the
    reply+ or bounce+ address they came to, says whose they are. Counted and audited
    with the rest of the erasure.)"""
    from django.db.models import Q

    from hippocratic.accounts.models import Customer
    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.messaging.models import InboundMail

    address = ""
    if "user.contact.email" in _collected():  # a profile may hold no customer's address
        rows = Customer.objects.for_purpose(by, "essential.service").filter(pk=customer_id)
        address = rows.values_list("email", flat=True).first() or ""
    theirs = Q(who=str(customer_id)) | (Q(sender__iexact=address) if address else Q())
    with decided_elsewhere():
        InboundMail.internal.filter(theirs).delete()


def _collected() -> set[str]:
    from hippocratic.provider import current_policy

    return current_policy().collected_categories("customer")
