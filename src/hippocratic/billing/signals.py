"""What happens in billing that its tasks act on (billing.tasks connects them):

card_added(customer_id)           -> their invoices waiting on a failed charge, now
customer_to_tell(invoice_id, kind) -> a mail about an invoice (notify.CHARGE_FAILED …)
"""

from django.dispatch import Signal

card_added = Signal()
customer_to_tell = Signal()
