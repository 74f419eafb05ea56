"""Background work of the disclosure app. A task's arguments carry ids, never an
address."""

from django.tasks import task

from hippocratic.disclosure import partners, telling


@task()
def tell_customer(disclosure_id: int, customer_id: int, what: str) -> bool:
    """Returns whether a mail went."""
    return telling.tell(disclosure_id, customer_id, what)


@task
def share_with_partners() -> int:
    """The daily partner exports (disclosure.partners.scheduled_shares)."""
    return partners.scheduled_shares()


def on_customer_to_tell(sender, *, disclosure_id, customer_id, what, when=None, **kwargs):
    queued = tell_customer.using(run_after=when) if when else tell_customer
    queued.enqueue(disclosure_id, customer_id, what)
