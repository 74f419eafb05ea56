"""The LMTP server the MTA delivers to (Postfix: `mailbox_transport = lmtp:inet:…`).

A message is answered 250 only once it is stored (queued for the worker, or sealed in
a mailbox); 550 when it cannot be read; 451 when the database does not answer, so the
MTA keeps it and tries again. While mail is queued, the server asks the worker to act
on it within half a second (one task for any number of messages); the scheduler's
minutely job takes whatever is left (a server stopped before it asked)."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import DatabaseError, connections

from hippocratic.messaging import inbound
from hippocratic.messaging.tasks import act_on_inbound_mail

logger = logging.getLogger(__name__)


ANNOUNCE_SECONDS = 0.5


def _receive(content: bytes, recipients: list[str]):
    """On the store thread, which keeps one connection (a connection per message costs
    more than the store); after a database error it is closed, and the next message
    connects afresh."""
    try:
        return inbound.accept(content, recipients)
    except DatabaseError:
        connections.close_all()
        raise


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

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content or b""
        loop = asyncio.get_running_loop()
        try:
            got = await loop.run_in_executor(
                self.executor, _receive, content, list(envelope.rcpt_tos)
            )
        except inbound.MailRejected as reason:
            logger.warning("inbound mail refused: %s", reason)
            return f"550 5.6.0 {reason}"
        except DatabaseError:
            logger.exception("inbound mail deferred: the database did not answer")
            return "451 4.3.0 Try again later"
        if got.queued:
            self._announce_soon()
        return f"250 2.0.0 {'Queued' if got.queued else 'Stored'} ({got.kind})"


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
