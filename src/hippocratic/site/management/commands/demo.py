"""Prepare the demo site: a staff login with a fresh password, and where to go."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from hippocratic.accounts.models import Customer, Service
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.versions import publishing

DEMO_STAFF = "staff"
DEMO = Actor.system("site.demo")
DEMO_SERVICES = [
    ("hosting", "Web hosting", "A web site of your own, with e-mail.", 1500),
    ("domains", "Domain names", "Register and renew your domain names.", 200),
    ("backup", "Off-site backup", "Nightly copies of your data, kept 30 days.", 500),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo staff login and print the demo site's addresses."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        if not settings.DEBUG:
            raise CommandError("demo resets a staff password: it runs only with DEBUG on.")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(username=DEMO_STAFF)
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            for code, name, description, cents in DEMO_SERVICES:
                Service.objects.get_or_create(
                    code=code, defaults={"name": name, "description": description,
                                         "monthly_price_cents": cents},
                )  # fmt: skip
        # The demo's policy file is published as it is (a new version if it changed). In
        # force at once only where no customer exists to be told (POL-3); over a database
        # with customers a change waits as the version in force promises, with notice.
        customers = Customer.objects.for_purpose(DEMO, Purpose.SERVICE).exists()
        version = publishing.publish(settings.HIPPOCRATIC_POLICY, by="demo",
                                     at_once=not customers)  # fmt: skip
        policy = current_policy()
        comms = policy.communications
        base = f"http://{host}:{port}"
        mailbox_domain = comms.mailbox_domain if comms else None
        # Only where the policy keeps mailboxes (not Ducallier): "@None" else.
        received = (
            f"  Mail received:   {base}/account/mail/ (for <user name>@{mailbox_domain}; "
            "`hippocratic mail receive < message.eml`)\n"
            if mailbox_domain else ""
        )  # fmt: skip
        self.stdout.write(
            f"\n  {policy.provider.name} ({settings.HIPPOCRATIC_POLICY})\n"
            f"  Home page:       {base}/\n"
            f"  Privacy policy:  {base}/privacy/ ({_version_note(version)})\n"
            f"  Its versions:    {base}/privacy/versions/\n"
            f"  Staff admin:     {base}/admin/\n"
            f"  Traffic:         {base}/staff/traffic/\n"
            f"  Staff access:    {base}/staff/access/ (cases on one customer; harm reports)\n"
            f"  Sign up:         {base}/account/sign-up/\n"
            f"  Log in:          {base}/account/login/\n"
            f"  API docs:        {base}/api/docs\n"
            f"  Mail sent:       {base}/mail/outbox/ (staff; the demo's outbox)\n"
            f"{received}"
            f"  Staff login:     {DEMO_STAFF} / {password}\n"
            "  Test cards:      4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;\n"
            "                   4000 0000 0000 0341 is added, then declined when charged\n"
            "  (a new password each time; set HIPPOCRATIC_POLICY=policies/dracon.yaml "
            "for another profile)\n"
        )


def _version_note(version) -> str:
    if version.effective_at <= timezone.now():
        return f"version {version.number}"
    when = timezone.localtime(version.effective_at)
    return (
        f"version {version.number} of the file takes effect {when:%d %B %Y}, after the "
        "notice customers are sent; the version in force until then is shown"
    )
