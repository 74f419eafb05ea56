from django.tasks import task

from hippocratic.communications import forwarding


@task
def forward_message(customer_id: int, message_id: int) -> bool:
    """Send a stored message on to the customer's forwarding address (COM-1)."""
    return forwarding.forward(customer_id, message_id)


def on_to_forward(sender, *, customer_id: int, message_id: int, **kwargs) -> None:
    forward_message.enqueue(customer_id, message_id)
