"""The LMTP server the MTA delivers to (Postfix: `mailbox_transport = lmtp:inet:…`).

A message is answered 250 only once it is stored; 550 when it cannot be read; 451
when the database does not answer, so the MTA keeps it and tries again."""

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections

from hippocratic.messaging import inbound

logger = logging.getLogger(__name__)


def _receive(content: bytes, recipients: list[str]):
    close_old_connections()
    return inbound.receive(content, recipients)


class Intake:
    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content or b""
        try:
            got = await sync_to_async(_receive, thread_sensitive=True)(
                content, list(envelope.rcpt_tos)
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


def serve(host: str, port: int) -> LMTPController:
    controller = LMTPController(Intake(), hostname=host, port=port)
    controller.start()
    return controller
