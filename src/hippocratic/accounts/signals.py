"""What the accounts app tells other apps, which it does not import."""

from django.dispatch import Signal

# Sent inside an erasure (ACC-8), before any row goes, with customer_id and by (the
# Actor erasing). A receiver that raises stops the erasure: nothing is erased.
erasing = Signal()
