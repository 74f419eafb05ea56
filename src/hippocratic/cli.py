"""The `hippocratic` console command: Django's management commands, set up for us.

`hippocratic policy ...` is handled by the policy core directly: checking or
rendering a policy file needs no settings, secrets or database. `hippocratic keys ...`
makes the keys the settings need (hippocratic.keys), so it runs before them too.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

from hippocratic import keys
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
    elif len(argv) > 1 and argv[1] == "keys":
        # Before the settings: production's refuse to load without the mailbox key.
        raise SystemExit(keys.main(argv[2:]))
    deploy_check = argv[1:3] == ["deploy", "check"]
    if deploy_check and "--fix" in argv:
        # The keys first: production's settings refuse to load without the mailbox key.
        for line in keys.init().created:
            print(f"fixed {line}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippocratic.settings")

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:  # a setting to fix: one clear line, no traceback
        if deploy_check:
            print(f"FAIL  settings: {error}")
            raise SystemExit(1) from None
        print(f"hippocratic: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
