"""`hippocratic scheduler [--once]`: start the periodic jobs as they fall due."""

import time

from django.core.management.base import BaseCommand

from hippocratic.jobs import scheduler


class Command(BaseCommand):
    help = "Enqueue periodic jobs as they fall due (--once: those due now, for cron)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")

    def handle(self, *args, once, interval, **options):
        while True:
            started = scheduler.tick()
            if once:
                self.stdout.write(f"started: {', '.join(started) or 'nothing due'}")
                return
            time.sleep(interval)
