"""hippocratic transparency YEAR [--band N]: the transparency report, from the audit
chain. Exit 1 when the chain does not verify (nothing is printed from it)."""

import sys

from django.core.management.base import BaseCommand

from hippocratic.disclosure import transparency


class Command(BaseCommand):
    help = "Disclosure requests and decisions per half-year, counted from the audit log."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--band",
            type=int,
            default=0,
            help="Show counts as ranges of this width (as some laws require)",
        )

    def handle(self, *args, year, band, **options):
        try:
            report = transparency.report(year, band=band, fresh=True)
        except transparency.ChainBroken as broken:
            self.stderr.write(f"error: no report: {broken}")
            sys.exit(1)
        except ValueError as error:
            self.stderr.write(f"error: {error}")
            sys.exit(2)
        for line in transparency.lines(report):
            self.stdout.write(line)
