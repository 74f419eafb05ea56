"""`hippocratic retention`: remove personal data past its retention (dry run by default)."""

from django.core.management.base import BaseCommand

from hippocratic.enforcement import retention


class Command(BaseCommand):
    help = (
        "Remove personal data past its retention period. Shows what it would do unless --for-real."
    )

    def add_arguments(self, parser):
        parser.add_argument("--for-real", action="store_true", help="remove it, and audit it")

    def handle(self, *args, for_real, **options):
        removals = retention.purge(for_real=for_real)
        for r in removals:
            self.stdout.write(f"{r.model}: {r.action} {r.field} ({r.category}): {r.rows} row(s)")
        verb = "removed" if for_real else "would remove (dry run; add --for-real)"
        self.stdout.write(f"{verb}: {sum(r.rows for r in removals)} row change(s)")
