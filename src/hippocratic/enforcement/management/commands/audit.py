"""`hippocratic audit verify|checkpoint|keygen`: check and anchor the audit chain."""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hippocratic.enforcement import audit


class Command(BaseCommand):
    help = "Verify the audit chain, sign its head, or create the signing key."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        verify = commands.add_parser("verify", help="check every entry of the chain")
        verify.add_argument(
            "--checkpoint", help="check this checkpoint file (default: the newest kept one)"
        )
        verify.add_argument(
            "--chain-only", action="store_true",
            help="check the chain's links alone (it cannot prove its tail was not cut)",
        )  # fmt: skip
        checkpoint = commands.add_parser("checkpoint", help="sign and print the chain head")
        checkpoint.add_argument("-o", "--output", help="also write it to this file")
        commands.add_parser("keygen", help="create the Ed25519 signing key")

    def handle(self, *args, command, **options):
        if command == "verify":
            self._verify(options)
        elif command == "checkpoint":
            try:
                signed = audit.checkpoint()
            except (FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from None
            kept = audit.keep_checkpoint(signed)
            self.stderr.write(f"kept in {kept}")
            text = json.dumps(audit.checkpoint_data(signed), indent=2)
            if options.get("output"):
                Path(options["output"]).write_text(text + "\n")
            self.stdout.write(text)
        else:
            path = Path(settings.HIPPOCRATIC_AUDIT_KEY)
            if path.exists():
                raise CommandError(f"{path} exists already; it is not overwritten")
            audit.generate_key(path)
            public, _ = audit.operator_key()
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.stdout.write(f"wrote {path}; keep a copy outside this machine")
            self.stdout.write(f"HIPPOCRATIC_AUDIT_PUBLIC_KEY={base64.b64encode(raw).decode()}")

    def _verify(self, options):
        try:
            if options.get("checkpoint"):
                data = json.loads(Path(options["checkpoint"]).read_text())
                verdict = audit.verify_checkpoint(data)
            elif options.get("chain_only"):
                verdict = audit.verify()
            else:
                verdict = audit.verify_against_newest_checkpoint()
        except (LookupError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if not verdict.ok:
            raise CommandError(str(verdict))
        if not options.get("chain_only"):
            public, source = audit.operator_key()
            self.stdout.write(f"checkpoint checked against {source} (key {audit.key_id(public)})")
        self.stdout.write(str(verdict))
