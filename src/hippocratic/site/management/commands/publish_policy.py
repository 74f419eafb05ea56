"""hippocratic policy publish [FILE]: keep the policy file as a new published version
(POL-4); every version stays readable at /privacy/versions/<n>/."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from hippocratic.policy.errors import PolicyError
from hippocratic.versions import publishing


class Command(BaseCommand):
    help = "Publish the policy file as a new version (the same text twice is one version)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Default: HIPPOCRATIC_POLICY")
        parser.add_argument("--by", default="", help="Who publishes it, for the record")

    def handle(self, *args, file=None, by="", **options):
        path = file or settings.HIPPOCRATIC_POLICY
        try:
            version = publishing.publish(path, by=by)
        except (PolicyError, ValueError, OSError, UnicodeDecodeError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.stderr.write(f"error: {first}")
            sys.exit(1)
        self.stdout.write(f"published: version {version.number} ({version.sha256[:12]}), "
                          f"revised {version.revision_date:%Y-%m-%d}, in effect from "
                          f"{version.effective_at:%Y-%m-%d %H:%M %Z}")  # fmt: skip
        for change in version.changes:
            mark = "material" if change["material"] else "minor"
            self.stdout.write(f"  {mark:8}  {change['words']}")
        if version.material:
            self.stdout.write("  every customer is sent a notice of the change")
