from hippocratic.communications import mailbox
from hippocratic.enforcement import cases


def communications(request) -> dict:
    """Which of the mailbox, the hosted records and the staff-access page this policy offers."""
    return {
        "mail_offered": bool(mailbox.domain()),
        "records_offered": cases.CUSTOMER_PERMISSION in cases.grounds_for("records"),
    }
