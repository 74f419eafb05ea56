"""What happens to requests that their tasks act on (requests.tasks connects it):

mail_wanted(request_id, kind)  -> the asker is mailed (a RequestMail), once committed
"""

from enum import StrEnum

from django.db import transaction
from django.dispatch import Signal


class RequestMail(StrEnum):
    CONFIRM = "confirm"  # a mailed request waits for the sender to confirm it
    ANSWERED = "answered"  # staff answered a question
    RECEIVED = "received"  # a question from the online form was received


mail_wanted = Signal()


def tell(request_id: int, kind: RequestMail) -> None:
    """Mail the asker about their request once the transaction commits."""
    transaction.on_commit(
        lambda: mail_wanted.send(sender=None, request_id=request_id, kind=str(kind))
    )
