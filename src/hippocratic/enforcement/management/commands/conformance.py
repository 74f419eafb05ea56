"""`hippocratic policy conformance`: does the code do only what the policy allows?"""

from django.core.management.base import BaseCommand, CommandError

from hippocratic.enforcement.conformance import check
from hippocratic.provider import current_policy


class Command(BaseCommand):
    help = "Check models, source and stored data against the configured policy."

    def add_arguments(self, parser):
        parser.add_argument("--no-data", action="store_true", help="skip the database check")

    def handle(self, *args, no_data, **options):
        findings = check(current_policy(), with_data=not no_data)
        for finding in findings:
            self.stderr.write(str(finding))
        if findings:
            raise CommandError(f"{len(findings)} conformance error(s)")
        self.stdout.write("conformance: ok")
