"""`hippocratic deploy check [--fix]`: what this production site lacks or gets wrong, one
line each (site.deploy); exit 0 only when every check holds. `--fix` does what is safe
to do unasked: it makes the keys that are missing (`hippocratic keys init`)."""

from django.core.management.base import BaseCommand, CommandError

from hippocratic import keys
from hippocratic.site import deploy


class Command(BaseCommand):
    help = "Check this site's production set-up, line by line."
    requires_system_checks = []  # their errors are lines of the report, not a stop

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        check = commands.add_parser("check", help="say what the production set-up lacks")
        check.add_argument("--fix", action="store_true", help="make missing keys (keys init)")

    def handle(self, *args, command, fix, **options):
        if fix:
            for line in keys.init().created:
                self.stdout.write(f"fixed {line}")
        lines = deploy.run()
        for line in lines:
            self.stdout.write(str(line))
        failed = [line for line in lines if not line.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(lines)} checks fail")
        self.stdout.write(f"all {len(lines)} checks hold")
