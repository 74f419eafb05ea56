"""The LMTP server's queue: a sorted message kept as one InboundMail row (what its
request needs: a mail to support's subject and text, sealed, and no one's text else)
until the worker acts on it, once."""

import logging
from functools import lru_cache

from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone

from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.messaging.inbound.outcomes import Incoming, Kind, Received
from hippocratic.messaging.models import InboundMail

logger = logging.getLogger("hippocratic.messaging.inbound")

# The one-letter status column holds a bounce's class ("2", "4", "5"); a request's row,
# which has none, keeps there that its message proves its sender.
PROVEN = "v"
_QUEUED = ("message_key", "kind", "sender", "who", "choice", "status", "attempts",
           "last_error", "created_at", "subject", "text")  # fmt: skip
_SEALED = ("subject", "text")


@lru_cache(maxsize=4)
def _statement(alias: str) -> str:
    """One INSERT that skips a message already queued (an MTA's retry): SQLite and
    PostgreSQL both take ON CONFLICT DO NOTHING."""

    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(InboundMail._meta.get_field(n).column) for n in _QUEUED)
    return "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(  # noqa: S608
        quote(InboundMail._meta.db_table), columns, ", ".join(["%s"] * len(_QUEUED))
    )  # names from the model, quoted; values are parameters


def put(mail: Incoming) -> Received:
    """Keep a message for the worker; answered once it is committed."""

    # Decided here: the intake keeps what the request needs, as the MTA's own queue
    # did, until the worker acts on it; no one else reads the row, and acting on it
    # (the request written, the customer looked up) is audited. One plain statement,
    # committed when it ends: it is the LMTP server's whole store, and the ORM's save
    # was most of its cost.
    connection = connections[InboundMail.internal.db]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    kind = str(mail.kind)  # the value, not the enum: a driver may write an enum's name
    status = PROVEN if mail.proven else mail.status  # a bounce's status, or the proof
    subject, text = (  # sealed here, as the field seals them
        InboundMail._meta.get_field(name).get_db_prep_save(getattr(mail, name), connection)
        for name in _SEALED
    )
    with connection.cursor() as cursor, decided_elsewhere():
        cursor.execute(
            _statement(connection.alias),
            [mail.key, kind, mail.sender, mail.who, mail.choice, status, 0, "", at, subject,
             text],
        )  # fmt: skip
    return Received(mail.kind, False, queued=True)


def _incoming(row: InboundMail) -> Incoming:
    """A queued row, as the message it keeps."""
    proven = row.status == PROVEN
    return Incoming(Kind(row.kind), row.sender, row.message_key, who=row.who,
                    choice=row.choice, status="" if proven else row.status,
                    received=row.created_at, proven=proven, subject=row.subject,
                    text=row.text)  # fmt: skip


def work(act, limit: int) -> dict:
    """Act on queued mail with `act`, oldest first, each message in one transaction with
    its row's deletion, so it is acted on once however many workers run. A message that
    fails stays queued with its error and is tried again on the next pass, up to
    MAX_ATTEMPTS times; a database that does not answer ends the pass. Counts."""

    counts = {"done": 0, "failed": 0}
    with decided_elsewhere():
        waiting = InboundMail.internal.filter(attempts__lt=InboundMail.MAX_ATTEMPTS)
        ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            with transaction.atomic():
                with decided_elsewhere():
                    taken = InboundMail.internal.select_for_update(skip_locked=True)
                    row = taken.filter(pk=pk).first()
                    if row is None:
                        continue  # another worker acted on it
                    incoming = _incoming(row)
                    row.delete()
                act(incoming)  # through the gateway, audited
        except DatabaseError:
            raise
        except Exception as error:  # a fault of ours: kept, with the reason, for the next pass
            logger.exception("queued mail %s: acting on it failed", pk)
            with decided_elsewhere():
                InboundMail.internal.filter(pk=pk).update(
                    attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:200]
                )  # fmt: skip
            counts["failed"] += 1
        else:
            counts["done"] += 1
    return counts
