"""`hippocratic audit verify|checkpoint|keygen|sequence|proof|check-proof`: check,
anchor and prove the audit log."""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hippocratic.enforcement import audit, proofs, sequencer


class Command(BaseCommand):
    help = "Verify the audit log, sign its head, place pending entries, prove an entry."

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
        commands.add_parser("sequence", help="place pending entries in the tree now")
        proof = commands.add_parser("proof", help="print the inclusion proof of one entry")
        proof.add_argument("seq", type=int)
        check = commands.add_parser("check-proof", help="check an inclusion proof (JSON file)")
        check.add_argument("file")
        check.add_argument("--public-key", help="the operator's public key (base64), if not ours")

    def handle(self, *args, command, **options):
        if command == "verify":
            self._verify(options)
        elif command == "sequence":
            done = sequencer.sequence()
            self.stdout.write(
                f"placed {done.integrated} entries; the tree holds {done.size} "
                f"(longest wait {done.max_delay:.3f} s)"
            )
        elif command == "proof":
            try:
                self.stdout.write(json.dumps(proofs.inclusion(options["seq"]), indent=2))
            except LookupError as exc:
                raise CommandError(str(exc)) from None
        elif command == "check-proof":
            self._check_proof(options)
        elif command == "checkpoint":
            try:
                signed = audit.checkpoint()
            except (FileNotFoundError, ValueError, audit.NotExtended) as exc:
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

    def _check_proof(self, options):
        path = Path(options["file"])
        try:
            if path.stat().st_size > proofs.MAX_PROOF_BYTES:
                raise CommandError(f"{path}: larger than a proof ({proofs.MAX_PROOF_BYTES} bytes)")
            proof = json.loads(path.read_text())
            if options.get("public_key"):
                raw = base64.b64decode(options["public_key"], validate=True)
                public = Ed25519PublicKey.from_public_bytes(raw)
            else:
                public, _ = audit.operator_key()
        except (OSError, ValueError, LookupError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        ok, said = proofs.check(proof if isinstance(proof, dict) else {}, public)
        if not ok:
            raise CommandError(said)
        self.stdout.write(said)
