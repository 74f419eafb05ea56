"""The `hippocratic` console command: Django's management commands, set up for us.

`hippocratic policy ...` is handled by the policy core directly: checking or
rendering a policy file needs no settings, secrets or database.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

from hippocratic.capabilities import enforced
from hippocratic.policy.cli import main as policy_main


def main(argv: list[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv)
    if argv[1:3] == ["policy", "conformance"]:
        # Conformance reads models and data, and publishing keeps a version in the
        # database: the policy commands that need Django.
        argv = [argv[0], "conformance", *argv[3:]]
    elif argv[1:3] == ["policy", "publish"]:
        argv = [argv[0], "publish_policy", *argv[3:]]
    elif argv[1:3] == ["policy", "prove"]:
        argv = [argv[0], "prove", *argv[3:]]
    elif len(argv) > 1 and argv[1] == "policy":
        raise SystemExit(policy_main(argv[2:], enforced=enforced()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippocratic.settings")

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:  # a setting to fix: one clear line, no traceback
        print(f"hippocratic: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
