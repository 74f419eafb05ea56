"""hippocratic requests overdue | report [--months N]

`overdue` lists open requests past their due date and exits 1 when there is any, for
monitoring (a cron job, a Nagios check); `report` prints the service levels per month."""

import sys

from django.core.management.base import BaseCommand

from hippocratic.enforcement.actors import Actor
from hippocratic.requests import report

MONITOR = Actor.system("requests.monitor")


class Command(BaseCommand):
    help = "Requests past their due date (exit 1 if any), or the service-level report."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("overdue", help="List overdue requests; exit 1 when there is any")
        monthly = sub.add_parser("report", help="Received, done and times to done per month")
        monthly.add_argument("--months", type=int, default=12)

    def handle(self, *args, what, **options):
        if what == "overdue":
            late = report.overdue(MONITOR)
            for row in late:
                self.stdout.write(
                    f"#{row['pk']} {row['kind']} by {row['channel']}, received "
                    f"{row['created_at']:%Y-%m-%d}, due {row['due_at']:%Y-%m-%d}"
                )
            self.stdout.write(f"{len(late)} request(s) overdue")
            if late:
                sys.exit(1)
            return
        try:
            rows = report.monthly(MONITOR, options["months"])
        except ValueError as error:
            self.stderr.write(f"error: {error}")
            sys.exit(2)
        self.stdout.write(f"{'month':8} {'kind':12} {'received':>8} {'done':>5} "
                          f"{'median h':>9} {'worst h':>8} {'overdue':>7} "
                          "within usual")  # fmt: skip
        for r in rows:
            median = "-" if r.median_hours is None else f"{r.median_hours:.1f}"
            worst = "-" if r.worst_hours is None else f"{r.worst_hours:.1f}"
            usual = ("-" if r.usual_days is None else
                     f"{r.within_usual}/{r.received} ({r.within_usual_percent}%) in "
                     f"{r.usual_days} days")  # fmt: skip
            self.stdout.write(f"{r.month:8} {r.kind:12} {r.received:>8} {r.done:>5} "
                              f"{median:>9} {worst:>8} {r.overdue:>7} {usual}")  # fmt: skip
