"""Background work of the accounts app (Django's tasks framework)."""

from django.tasks import task

from hippocratic.accounts import closing, recovery


@task()
def mail_recovery_links(customer_ids: list[int]) -> int:
    """Mail each account a link that sets a new password (the list may be empty: the
    page queues the same work whether or not an account has the address given).
    Returns how many mails went."""
    return sum(recovery.mail_link(customer_id) for customer_id in customer_ids)


@task()
def mail_closing_notice(customer_id: int) -> bool:
    """Mail a closed account the dates its information goes; whether a mail went."""
    return closing.mail_notice(customer_id)
