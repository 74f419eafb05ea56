"""What the accounts app tells other apps, which it does not import."""

from django.dispatch import Signal

# Sent inside an erasure (ACC-8), before any row goes, with customer_id and by (the
# Actor erasing). A receiver that raises stops the erasure: nothing is erased.
erasing = Signal()

# Sent when a customer's own request is done as it is made (a correction, an export,
# an erasure) with customer_id (None once erased), kind (access, correction,
# deletion), channel (portal, api), outcome (what was done, in words) and by. The
# ledger of requests records it (CH-3).
request_done = Signal()

# Sent after a sign-up, with customer_id and request: an app that credits whoever sent
# the new customer (an affiliate's link, CK-5) reads its own cookie from the request.
signed_up = Signal()

# Sent when a customer asks to be erased while a preservation hold names them, with
# customer_id, channel and by: the ledger keeps the request open (it is done when the
# hold ends: disclosure.services.release).
erasure_waits = Signal()
