"""The LMTP server the MTA delivers to (Postfix: `mailbox_transport = lmtp:inet:…`).

LMTP answers each recipient (RFC 2033): 250 for a recipient only once the message is
stored for them (queued for the worker, or sealed in a mailbox); 550 when it cannot be
read or names no mailbox of ours; 554 when it holds what the database cannot keep (a
NUL byte in PostgreSQL's text); 452/552 when the mailbox is over its quota (for now /
for good); 451 when the database does not answer, so the MTA keeps it and tries again.
A transaction takes MAX_RECIPIENTS recipients; past them, 452 4.5.3 and the MTA sends
the rest again. While mail is queued, the server asks the worker to act on it within
half a second (one task for any number of messages); the scheduler's minutely job
takes whatever is left (a server stopped before it asked)."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import DatabaseError, DataError, connections

from hippocratic.messaging import inbound
from hippocratic.messaging.tasks import act_on_inbound_mail

logger = logging.getLogger(__name__)


ANNOUNCE_SECONDS = 0.5


def _receive(content: bytes, recipients: list[str]):
    """On the store thread, which keeps one connection (a connection per message costs
    more than the store); after a database error it is closed, and the next message
    connects afresh."""
    try:
        return inbound.accept_each(content, recipients)
    except DatabaseError:
        connections.close_all()
        raise


def _answer(got) -> str:
    """One recipient's LMTP answer."""
    if isinstance(got, inbound.MailRejected):
        return f"{got.code} {got}"
    return f"250 2.0.0 {'Queued' if got.queued else 'Stored'} ({got.kind})"


def _announce() -> None:
    """Ask the worker to act on the queued mail. Where that fails, the scheduler's
    job finds the mail within the minute: nothing is lost, the answer stands."""

    try:
        act_on_inbound_mail.enqueue()
    except Exception:
        logger.exception("could not enqueue act_on_inbound_mail; the scheduler will")
        connections.close_all()


class Intake:
    """Stores run one at a time on a thread of our own, which keeps its database
    connection; stopping the server closes it there."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lmtp-store")
        self.announcing = None  # the timer that will ask the worker to act on the queue

    def close(self):
        if self.announcing is not None:  # mail queued since the last ask: ask now
            self.announcing.cancel()
            self.executor.submit(_announce).result()
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown()

    def _announce_soon(self):
        """One task per half second at most, and one after the last message queued."""
        if self.announcing is None:
            loop = asyncio.get_running_loop()
            self.announcing = loop.call_later(ANNOUNCE_SECONDS, self._announce_now, loop)

    def _announce_now(self, loop):
        self.announcing = None
        loop.run_in_executor(self.executor, _announce)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= inbound.MAX_RECIPIENTS:
            return f"452 4.5.3 Too many recipients (at most {inbound.MAX_RECIPIENTS} at once)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content or b""
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()

        def each(line: str) -> str:  # LMTP: one answer per recipient, in their order
            return "\r\n".join([line] * len(recipients))

        try:
            outcomes = await loop.run_in_executor(self.executor, _receive, content, recipients)
        except inbound.MailRejected as reason:
            logger.warning("inbound mail refused: %s", reason)
            return each(f"{reason.code} {reason}")
        except DataError as error:  # what no retry changes (PostgreSQL: a NUL in text)
            logger.warning("inbound mail refused: the database cannot keep it: %s", error)
            return each("554 5.6.0 The message holds data that cannot be stored")
        except DatabaseError:
            logger.exception("inbound mail deferred: the database did not answer")
            return each("451 4.3.0 Try again later")
        for got in outcomes:
            if isinstance(got, inbound.MailRejected):
                logger.warning("inbound mail refused for a recipient: %s", got)
        if any(isinstance(got, inbound.Received) and got.queued for got in outcomes):
            self._announce_soon()
        return "\r\n".join(_answer(got) for got in outcomes)


class LMTPController(Controller):
    def factory(self):
        return LMTP(self.handler, data_size_limit=inbound.MAX_BYTES, enable_SMTPUTF8=True)

    def stop(self, *args, **kwargs):
        super().stop(*args, **kwargs)
        self.handler.close()


def serve(host: str, port: int) -> LMTPController:
    controller = LMTPController(Intake(), hostname=host, port=port)
    controller.start()
    return controller
