"""The notice of a material policy change (POL-3): one mail to every customer with an
address, the changes in words and how to respond, recorded per customer. Resumable:
a notice row is made before its mail goes, and a retry sends only what did not go."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from hippocratic.accounts import notices
from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.site.models import PolicyNotice
from hippocratic.versions.models import PolicyVersion
from hippocratic.versions.terms import terms_versions

NOTIFIER = Actor.system("site.policy_notice")
BATCH = 500


def notice_text(version: PolicyVersion) -> tuple[str, str]:
    policy = current_policy()  # the version in force: its provider, its directions
    when = timezone.localtime(version.effective_at)
    lines = [f"We have published version {version.number} of our privacy policy. It takes "
             f"effect on {date_format(when)}; until then the current version applies.", "",
             "What changes:"]  # fmt: skip
    lines += [f"- {c['words']}" for c in version.changes] or [
        "- The wording of the policy (nothing it lets us do with your information)."
    ]
    lines += ["", "How you can respond:"]
    support = policy.provider.contacts.support
    if support is not None and support.email:
        lines += [f"- To object, reply to this message (it goes to {support.email}): your "
                  "reply becomes a request in our queue, which we track to an answer."]  # fmt: skip
    lines += [f"- To close your account rather than accept the change: {settings.SITE_URL}"
              f"{reverse('accounts:close')} (after you log in; the page says what we keep, "
              "and until when)."]  # fmt: skip
    lines += [f"- To keep a copy of your data first, download it: {settings.SITE_URL}"
              f"{reverse('accounts:export')} (after you log in)."]  # fmt: skip
    terms = next((t for t in terms_versions() if t.policy_number == version.number), None)
    if terms is not None and terms.number > 1:  # the terms change with it
        lines += ["", f"Read the new {terms.terms.title}: {settings.SITE_URL}"
                  f"{reverse('site:terms_version', args=[terms.number])}"]  # fmt: skip
    lines += ["", f"Read it in full: {settings.SITE_URL}/privacy/versions/{version.number}/",
              "", policy.provider.name]  # fmt: skip
    return f"Changes to our privacy policy, in effect {date_format(when)}", "\n".join(lines)


@task
def send_policy_notices(version_id: int) -> int:
    """Mail the notice of `version_id` to every customer not yet sent it."""
    version = PolicyVersion.objects.get(pk=version_id)
    if "user.contact.email" not in current_policy().collected_categories("customer"):
        return 0
    subject, body = notice_text(version)
    customers = Customer.objects.for_purpose(NOTIFIER, Purpose.SERVICE).filter(
        closed_at__isnull=True
    )
    sent = 0
    while True:
        done = PolicyNotice.objects.filter(version=version, sent_at__isnull=False)
        batch = list(
            customers.exclude(pk__in=done.values("customer_id")).exclude(email="")
            .order_by("pk").values_list("pk", "email")[:BATCH]
        )  # fmt: skip
        if not batch:
            return sent
        for customer_id, address in batch:
            try:
                with transaction.atomic():
                    notice, _ = PolicyNotice.objects.get_or_create(
                        version=version, customer_id=customer_id
                    )
            except IntegrityError:
                continue
            notices.mail_address(address, subject, body)
            PolicyNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
            sent += 1


def notify_of(sender, *, version: PolicyVersion, **kwargs) -> None:
    """A published version that waits for its notice period (a material change, or
    any change where the policy promises notice of every one): every customer is told,
    once it is committed (POL-3)."""
    if version.effective_at > timezone.now():
        version_id = version.pk
        transaction.on_commit(lambda: send_policy_notices.enqueue(version_id))
