"""The LMTP server the MTA delivers to (Postfix: `mailbox_transport = lmtp:inet:…`).

A message is answered 250 only once it is stored; 550 when it cannot be read; 451
when the database does not answer, so the MTA keeps it and tries again."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import DatabaseError, connections

from hippocratic.messaging import inbound

logger = logging.getLogger(__name__)


def _receive(content: bytes, recipients: list[str]):
    """On the store thread, which keeps one connection (a connection per message costs
    more than the store); after a database error it is closed, and the next message
    connects afresh."""
    try:
        return inbound.receive(content, recipients)
    except DatabaseError:
        connections.close_all()
        raise


class Intake:
    """Stores run one at a time on a thread of our own, which keeps its database
    connection; stopping the server closes it there."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lmtp-store")

    def close(self):
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown()

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
        return f"250 2.0.0 Stored ({got.kind})"


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
