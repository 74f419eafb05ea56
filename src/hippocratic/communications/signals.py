"""What happens to mail that the communications tasks act on:

to_forward(customer_id, message_id) -> a stored message goes on to the customer's
    forwarding address (communications.tasks.forward_message), once committed
"""

from django.dispatch import Signal

to_forward = Signal()
