"""Partners the policy names, registered with their agreement (DIS-3, DIS-4, DIS-5):
each receives, on demand through the API with its own token or by a daily export file,
only the categories and customers the policy lets it have. Every share goes through
services.record and services.approve: a Disclosure, and a `disclose` entry per
customer in the chain; a customer who opted out, or who is not the partner's, is not
in it."""

import datetime as dt
import hashlib
import io
import json
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from hippocratic.accounts.models import Customer
from hippocratic.disclosure import services
from hippocratic.disclosure.models import Disclosure, Partner
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.spreadsheet import dict_writer

SHARER = Actor.system("disclosure.partners")


def register(
    *,
    recipient: str,
    name: str,
    agreement: str,
    ground: str,
    categories: list[str],
    schedule: str = Partner.Schedule.ON_DEMAND,
) -> Partner:
    """A partner the policy names; refused where the policy does not let it have these
    categories on this ground."""
    services.recipient_named(recipient)
    services.check_scope(recipient, ground, categories)
    return Partner.objects.create(recipient=recipient, name=name[:200], agreement=agreement[:300],
                                  ground=ground, categories=sorted(set(categories)),
                                  schedule=schedule)  # fmt: skip


def issue_token(partner: Partner) -> str:
    """A new API token for the partner (the old one stops working); shown only now."""
    token = secrets.token_urlsafe(32)
    Partner.objects.filter(pk=partner.pk).update(token_sha256=_digest(token))
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_token(token: str) -> Partner | None:
    if not token or len(token) > 200:
        return None
    return Partner.objects.filter(token_sha256=_digest(token), ended_at__isnull=True).first()


def share(partner: Partner) -> tuple[Disclosure, bytes]:
    """One share now: every customer the policy lets this partner have, as JSON."""
    rows = Customer.objects.for_purpose(SHARER, purpose_for(Customer))
    ids = list(rows.filter(closed_at__isnull=True).order_by("pk")
               .values_list("pk", flat=True)[: services.MAX_SUBJECTS])  # fmt: skip
    if not ids:
        return None, json.dumps({"customers": []}).encode()
    disclosure = services.record(
        kind=Disclosure.Kind.PARTNER, recipient=partner.recipient, ground=partner.ground,
        reference=partner.agreement, customer_ids=ids, categories=partner.categories, by=None,
    )  # fmt: skip
    package = services.approve(disclosure.pk, by=None)
    Partner.objects.filter(pk=partner.pk).update(last_shared_at=timezone.now())
    return disclosure, package


def as_csv(package: bytes) -> str:
    """The package's customers as CSV, one row each (a list, such as hosted records, as
    JSON in its cell): what partners' spreadsheets take, no cell a formula (a name
    `=HYPERLINK(...)` arrives as text)."""
    rows = json.loads(package)["customers"]
    out = io.StringIO()
    if rows:
        fields = ["pk", *(k for k in rows[0] if k != "pk")]  # the customer number first
        writer = dict_writer(out, fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v
                             for k, v in row.items()})  # fmt: skip
    return out.getvalue()


def exports_folder() -> Path:
    return Path(settings.HIPPOCRATIC_PARTNER_EXPORTS)


def scheduled_shares() -> int:
    """The daily job: each partner on a daily schedule not shared with in the last
    day gets an export file (CSV) in its folder. Returns how many were written."""
    due = timezone.now() - dt.timedelta(hours=23)
    written = 0
    for partner in Partner.objects.filter(schedule=Partner.Schedule.DAILY,
                                          ended_at__isnull=True):  # fmt: skip
        if partner.last_shared_at and partner.last_shared_at > due:
            continue
        disclosure, package = share(partner)
        folder = exports_folder() / f"partner-{partner.pk}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y-%m-%d}-disclosure-{disclosure.pk if disclosure else 0}.csv"
        path = folder / name
        path.write_text(as_csv(package), encoding="utf-8")
        path.chmod(0o600)
        written += 1
    return written
