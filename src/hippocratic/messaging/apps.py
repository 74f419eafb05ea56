from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "hippocratic.messaging"
    label = "messaging"
    verbose_name = "Mail to customers"
    promises = ("MSG-1", "MSG-2", "MSG-3", "MSG-4", "MSG-5", "MSG-6")

    def ready(self):
        from hippocratic.accounts.signals import erasing

        erasing.connect(_suppress_erased, dispatch_uid="messaging.suppress_erased")


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


def _collected() -> set[str]:
    from hippocratic.provider import current_policy

    return current_policy().collected_categories("customer")
