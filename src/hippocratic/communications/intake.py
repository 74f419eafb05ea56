"""Where the rest of the system hands mail and erasures to the mailboxes."""

from django.db import connection, transaction

from hippocratic.communications import crypto, forwarding, mailbox
from hippocratic.communications.signals import to_forward


def deliver(raw: bytes, recipients: list[str], message_key: str) -> int | None:
    """Mail for one or more of our customers' mailboxes (messaging.inbound.MAILBOXES):
    how many stored it, None where no recipient is a mailbox address, LookupError where
    none is an open mailbox."""
    addresses = [a for a in recipients if mailbox.is_mailbox_address(a)]
    if not addresses:
        return None
    stored, full = 0, None
    for address in dict.fromkeys(addresses):
        try:
            customer_id = mailbox.customer_of(address)
            stored_id = mailbox.store(customer_id, raw, message_id=message_key)
        except mailbox.NoSuchMailbox:
            continue
        except mailbox.MailboxFull as over:  # 452/552 for this recipient (LMTP)
            full = over
            continue
        _forward_if_asked(customer_id, stored_id)
        stored += 1
    if not stored:
        raise full or LookupError(f"no such mailbox: {addresses[0]}")
    return stored


def _forward_if_asked(customer_id: int, message_id: int) -> None:
    if forwarding.offered() and forwarding.address_of(customer_id, by=forwarding.FORWARDER):
        transaction.on_commit(lambda: to_forward.send(
            sender=None, customer_id=customer_id, message_id=message_id))  # fmt: skip


def destroy_on_erasure(sender, customer_id: int, **kwargs) -> None:
    """Erasing a customer destroys their mailbox key and messages (crypto-erasure)."""
    mailbox.destroy_key(customer_id)
    if connection.vendor == "sqlite":
        # Old copies of the freed pages may sit in the write-ahead log until a checkpoint.
        transaction.on_commit(_checkpoint)
    transaction.on_commit(crypto.forget_cached_keys)


def _checkpoint() -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
