from hippocratic.communications import contents, mailbox


def communications(request) -> dict:
    """Which of the mailbox, the hosted records and the staff-access page this policy offers."""
    return {
        "mail_offered": bool(mailbox.domain()),
        "records_offered": contents.CUSTOMER_PERMISSION in contents.grounds_for("records"),
    }
