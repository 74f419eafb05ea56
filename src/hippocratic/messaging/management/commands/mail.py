"""`hippocratic mail receive [--to ADDR] < message.eml` and `hippocratic mail lmtp
--listen 127.0.0.1:8024`: inbound mail, piped or by LMTP (messaging.inbound)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DataError

from hippocratic.messaging import inbound
from hippocratic.messaging.lmtp import serve


class Command(BaseCommand):
    help = "Take inbound mail: one message from standard input, or an LMTP server."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        receive = sub.add_parser("receive", help="read one message (.eml) from standard input")
        receive.add_argument("--to", action="append", default=[], help="envelope recipient")
        lmtp = sub.add_parser("lmtp", help="serve LMTP for the MTA")
        lmtp.add_argument("--listen", default="127.0.0.1:8024", help="host:port")

    def handle(self, *args, action, **options):
        if action == "receive":
            raw = sys.stdin.buffer.read(inbound.MAX_BYTES + 1)
            try:
                got = inbound.receive(raw, options["to"])
            except inbound.MailRejected as reason:
                raise CommandError(f"refused: {reason}") from None
            except DataError:  # what no retry changes (PostgreSQL: a NUL in text)
                raise CommandError("refused: it holds data that cannot be stored") from None
            self.stdout.write(f"stored: {got.kind}" + (" (done)" if got.done else ""))
            return

        host, _, port = options["listen"].rpartition(":")
        controller = serve(host or "127.0.0.1", int(port))
        self.stdout.write(f"LMTP on {host}:{port}; Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            controller.stop()
