"""`hippocratic tracking import-log|rollup|forget-salts`: visitor logging chores."""

import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hippocratic.tracking import services
from hippocratic.tracking.logimport import ImportReport, import_log


class Command(BaseCommand):
    help = "Import web server logs, roll up daily stats, forget expired visitor salts."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        imp = commands.add_parser("import-log", help="import Apache/nginx access logs (VIS-12)")
        imp.add_argument("files", nargs="+", metavar="FILE", help="a log file, .gz, or - (stdin)")
        imp.add_argument(
            "--no-dns", action="store_true", help="do not look up addresses (ISP unknown)"
        )
        imp.add_argument("--batch", type=int, default=5000, help="lines per transaction")
        imp.add_argument("--quiet", action="store_true", help="no progress bar")
        rollup = commands.add_parser("rollup", help="recount the daily stats of recent days")
        rollup.add_argument("--days", type=int, default=2, help="how many days back (default 2)")
        commands.add_parser("forget-salts", help="delete visitor salts older than 48 hours")

    def handle(self, *args, command, **options):
        if command == "import-log":
            for name in options["files"]:
                self._import(name, options)
        elif command == "rollup":
            today = timezone.localdate()
            days = [today - dt.timedelta(days=n) for n in range(options["days"])]
            self.stdout.write(f"{services.rollup_days(days)} daily stat rows written")
        else:
            self.stdout.write(f"{services.forget_expired_salts()} salt(s) deleted")

    def _import(self, name, options):
        started = time.monotonic()
        bar = None if options["quiet"] else ProgressBar(self.stderr, name, started)
        try:
            report = import_log(
                name, resolve_addresses=not options["no_dns"], batch=options["batch"],
                progress=bar,
            )  # fmt: skip
        except OSError as error:
            raise CommandError(f"{name}: {error.strerror or error}") from None
        if bar:
            bar.done()
        self._summary(report, time.monotonic() - started)
        if report.broken:
            raise CommandError(
                f"{name}: the file is broken after line {report.skipped + report.lines} "
                f"({report.broken}); what was read before is kept"
            )

    def _summary(self, report: ImportReport, seconds: float):
        if report.already_done:
            self.stdout.write(
                f"{report.name}: already imported ({report.skipped} lines), nothing added"
            )
            return
        rate = report.lines / seconds if seconds else 0
        resumed = f", resumed after line {report.skipped}" if report.skipped else ""
        self.stdout.write(
            f"{report.name}: {report.lines} lines{resumed}, {report.views} page views, "
            f"{report.dropped} not pages, {report.malformed} malformed ({rate:,.0f} lines/s)"
        )
        for number, problem in report.first_malformed:
            self.stdout.write(f"  line {number}: {problem}")
        if report.malformed > len(report.first_malformed):
            self.stdout.write(f"  … and {report.malformed - len(report.first_malformed)} more")


class ProgressBar:
    WIDTH = 30

    def __init__(self, out, name, started):
        self.out, self.name, self.started = out, name, started
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

    def __call__(self, report: ImportReport):
        if not self.tty:
            return
        seconds = max(time.monotonic() - self.started, 1e-6)
        if report.size:
            share = report.position / report.size
            filled = int(share * self.WIDTH)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} "
        else:
            bar = ""
        self.out.write(
            f"\r{self.name}: {bar}{report.lines:,} lines ({report.lines / seconds:,.0f}/s)",
            ending="",
        )
        self.out.flush()

    def done(self):
        if self.tty:
            self.out.write("")
