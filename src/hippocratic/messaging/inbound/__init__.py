"""Mail that comes in (MSG-3, MSG-4), by LMTP from the MTA or piped as an .eml.

    receive(raw_bytes, recipients=["unsubscribe@ducallier.com"]) -> Received  (at once)
    accept(raw_bytes, recipients) -> Received                                (queued)

A message is read (reading), sorted by its headers and envelope alone (sorting:
SORTING, its steps in order) and acted on (acting: ACTING). `receive` (the pipe)
acts on a message before it answers. `accept` (the LMTP server) reads and sorts it,
keeps what its request needs in a queue row (InboundMail, queue: never the text) and
answers; the worker acts on the queue (`act_on_queued`), each message in one
transaction with its row's deletion, so it is acted on once. Either way a message is
answered only once it is committed; a message that cannot be read gets MailRejected
with a one-line reason (the LMTP server answers 5xx), and a database that does not
answer raises, so the LMTP server answers 4xx and the MTA tries again. Acting is
idempotent by Message-ID: a retried delivery is one request.

What a message is (Kind), in the order the steps look:
- To a customer's mailbox (<user name>@ the policy's mailbox_domain): kept, sealed,
  for them to collect (communications.mailbox, COM-1).
- To a message's per-recipient bounce address (bounce+<token>@…): a hard bounce stops
  mail to the address, soft ones add up to it.
- To a message's per-recipient reply address (reply+<token>@…): that customer or
  prospect opts out of marketing mail (MSG-4).
- To the policy's unsubscribe address, with "Remove From Mailing List" in the subject
  (any case, Re:/Fwd:, quotes, spaces, encoded words): the sender leaves the list at
  once if they are a customer, else the request waits for staff; due within the
  choice's deadline (Ducallier: 14 days). The sender gets a confirmation.
- To the security address, where the policy takes choices there (Ducallier): a
  request to change how the sender's information is used, done once they confirm by a
  link sent to their address (requests.identity).
- To the support address: a request in the staff queue; from a customer's address, it
  waits for the same confirmation first.
Every one of them is a request in the ledger (requests.ledger), with its deadline.
Anything else is ignored, with its reason (Ignored), and changes nothing.
"""

from hippocratic.mailheaders import decoded_header
from hippocratic.messaging.inbound import queue
from hippocratic.messaging.inbound.acting import (
    ACTING,
    EMAIL,
    INTAKE,
    SOFT_BOUNCE_LIMIT,
    act,
)
from hippocratic.messaging.inbound.addresses import REMOVE, asks_removal, reply_address
from hippocratic.messaging.inbound.outcomes import (
    Ignored,
    Incoming,
    Kind,
    MailRejected,
    Received,
)
from hippocratic.messaging.inbound.reading import MAX_BYTES
from hippocratic.messaging.inbound.sorting import MAILBOXES, SORTING, sort, sort_each

# Recipients one LMTP transaction may name (RFC 5321 4.5.3.1.8's minimum); the MTA
# sends the rest in another (452 4.5.3), so one message is not stored 300 times at once.
MAX_RECIPIENTS = 100

__all__ = [
    "ACTING",
    "EMAIL",
    "INTAKE",
    "MAILBOXES",
    "MAX_BYTES",
    "MAX_RECIPIENTS",
    "REMOVE",
    "SOFT_BOUNCE_LIMIT",
    "SORTING",
    "Ignored",
    "Incoming",
    "Kind",
    "MailRejected",
    "Received",
    "accept",
    "accept_each",
    "act",
    "act_on_queued",
    "asks_removal",
    "decoded_header",
    "receive",
    "receive_each",
    "reply_address",
    "sort",
    "sort_each",
]


Outcome = Received | MailRejected


def receive_each(raw: bytes, recipients: list[str] | tuple = ()) -> list[Outcome]:
    """Read a message and act on it for each recipient before answering (the pipe)."""
    return [got if isinstance(got, Outcome) else act(got) for got in sort_each(raw, recipients)]


def accept_each(raw: bytes, recipients: list[str] | tuple = ()) -> list[Outcome]:
    """Read a message and, for each recipient, queue it for the worker (the LMTP
    server): a mailbox's mail is sealed and stored at once, mail for no one is
    ignored, the rest is one row per request it makes."""
    return [
        got if isinstance(got, Outcome) else queue.put(got) for got in sort_each(raw, recipients)
    ]


def _outcome(outcomes: list[Outcome]) -> Received:
    """One answer for all the recipients: the first that did something, else the first
    that was taken; MailRejected where every recipient was refused."""
    taken = [got for got in outcomes if isinstance(got, Received)]
    if not taken:
        raise outcomes[0]
    return next((got for got in taken if got.kind != Kind.IGNORED), taken[0])


def receive(raw: bytes, recipients: list[str] | tuple = ()) -> Received:
    """receive_each, answered once (the pipe's command prints one line)."""
    return _outcome(receive_each(raw, recipients))


def accept(raw: bytes, recipients: list[str] | tuple = ()) -> Received:
    """accept_each, answered once."""
    return _outcome(accept_each(raw, recipients))


def act_on_queued(limit: int = 10_000) -> dict:
    """Act on queued mail, oldest first, each message once (queue.work). Counts."""
    return queue.work(act, limit)  # `act` looked up here, when called
