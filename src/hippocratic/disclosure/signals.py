"""What happens in disclosure that its tasks act on (disclosure.tasks connects it):

customer_to_tell(disclosure_id, customer_id, what, when) -> a mail to the customer
    (what: RECEIVED before it leaves, DISCLOSED after; when: not before, or None)
"""

from django.dispatch import Signal

RECEIVED, DISCLOSED = "received", "disclosed"

customer_to_tell = Signal()
