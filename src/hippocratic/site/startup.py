"""What a WSGI or ASGI server runs before it serves: Django runs system checks only
for management commands, so a production server runs ours here and refuses to
start on an error (an invalid policy file, a promise this build cannot keep)."""

import logging

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("hippocratic.startup")


def refuse_to_start_on_errors() -> None:
    messages = checks.run_checks(tags=["hippocratic"])
    for message in messages:
        if not message.is_serious():
            logger.warning("%s: %s", message.id, message.msg)
    errors = [m for m in messages if m.is_serious()]
    if errors:
        raise ImproperlyConfigured(
            "the site will not start:\n" + "\n".join(f"{m.id}: {m.msg}" for m in errors)
        )
