"""`hippocratic audit verify|checkpoint|keygen`: check and anchor the audit chain."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hippocratic.enforcement import audit


class Command(BaseCommand):
    help = "Verify the audit chain, sign its head, or create the signing key."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        verify = commands.add_parser("verify", help="check every entry of the chain")
        verify.add_argument("--checkpoint", help="also check a checkpoint file kept outside")
        checkpoint = commands.add_parser("checkpoint", help="sign and print the chain head")
        checkpoint.add_argument("-o", "--output", help="also write it to this file")
        commands.add_parser("keygen", help="create the Ed25519 signing key")

    def handle(self, *args, command, **options):
        if command == "verify":
            verdict = (
                audit.verify_checkpoint(json.loads(Path(options["checkpoint"]).read_text()))
                if options.get("checkpoint")
                else audit.verify()
            )
            if not verdict.ok:
                raise CommandError(str(verdict))
            self.stdout.write(str(verdict))
        elif command == "checkpoint":
            try:
                signed = audit.checkpoint()
            except (FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from None
            text = json.dumps(
                {
                    "seq": signed.seq,
                    "hash": signed.hash,
                    "at": signed.at.isoformat(),
                    "signature": signed.signature,
                    "public_key": signed.public_key,
                },
                indent=2,
            )
            if options.get("output"):
                Path(options["output"]).write_text(text + "\n")
            self.stdout.write(text)
        else:
            path = Path(settings.HIPPOCRATIC_AUDIT_KEY)
            if path.exists():
                raise CommandError(f"{path} exists already; it is not overwritten")
            audit.generate_key(path)
            self.stdout.write(f"wrote {path}; keep a copy outside this machine")
