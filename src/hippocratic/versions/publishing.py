"""Publishing the policy (POL-3, POL-4): each published file is kept as a version,
readable at its own address for as long as the site runs, byte for byte as it was
published; the site enforces the version in force (provider.loaded_policy).

    publish("policies/ducallier.yaml") -> PolicyVersion   (the same text again: the same one)
    in_force() -> the newest version whose effective time has come
    file_differs() -> True when the file on disk is not the newest published version

A version that changes something material from the version in force (policy.diff), or
any version at all where the version in force promises notice of every change
(`changes.every_change`: Ducallier), takes effect only when the notice period of the
version in force has run, in business days on the provider's holiday calendar
(Ducallier: 30, POL-5's stricter reading, on the US calendar), from the midnight after
the last of them; every customer is sent a notice of it (the site, told by the
`version_published` signal). Any other version takes effect at once.
"""

import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hippocratic.policy import diff
from hippocratic.policy.calendar import due_date
from hippocratic.policy.loader import load_policy_text
from hippocratic.versions.models import PolicyVersion
from hippocratic.versions.signals import version_published

MAX_BYTES = 1024 * 1024  # the loader's own limit for a policy file


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(path: str | Path, *, by: str = "", at=None, at_once: bool = False) -> PolicyVersion:
    """Store the file as the next version; PolicyError (with file:line) if it is invalid.
    `at_once` skips the notice period: for the demo, never for a site with customers."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BYTES // 1024} KB")
    text = raw.decode("utf-8")
    loaded = load_policy_text(text, file=str(path))  # raises PolicyError where it is wrong
    digest = _digest(text)
    existing = PolicyVersion.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    now = at or timezone.now()
    with transaction.atomic():
        number = (PolicyVersion.objects.select_for_update().aggregate(n=Max("number"))["n"]
                  or 0) + 1  # fmt: skip
        current = in_force(now)
        found = []
        if current is not None:
            found = diff.changes(load_policy_text(current.text).policy, loaded.policy)
        effective = now
        if _needs_notice(current, found) and not at_once:
            effective = max(_after_notice(current, now), _last_effective(now))
        try:
            version = PolicyVersion.objects.create(
                number=number, sha256=digest, text=text,
                revision_date=_revision_date(loaded.policy, effective), published_by=by[:200],
                published_at=now, effective_at=effective, material=diff.material(found),
                changes=[{"words": c.words, "material": c.material, "rule": c.rule}
                         for c in found],
            )  # fmt: skip
        except IntegrityError:  # published at the same moment elsewhere
            return PolicyVersion.objects.get(sha256=digest)
        version_published.send(sender=PolicyVersion, version=version)
    return version


def _revision_date(policy, effective: dt.datetime) -> dt.date:
    """The provider's own revision date where its file gives one; else the day this
    version takes effect (the page never shows an invented date, POL-2)."""
    if policy.revision is not None:
        return policy.revision.date
    return timezone.localtime(effective).date()


def _needs_notice(current: PolicyVersion | None, found) -> bool:
    """Whether a new version waits for the notice period: a material change; or any
    change at all where the version in force promises notice of every change."""
    if current is None:
        return False
    if diff.material(found):
        return True
    changes = load_policy_text(current.text).policy.changes
    return changes.every_change and changes.notice is not None


def _after_notice(current: PolicyVersion, now: dt.datetime) -> dt.datetime:
    """The first midnight after the notice period the version in force promises."""
    policy = load_policy_text(current.text).policy
    notice = policy.changes.notice if policy.changes else None
    if notice is None:
        return now
    local = timezone.localtime(now)
    day = due_date(local.date(), notice.days, business=True, holidays=policy.provider.holidays)
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), local.tzinfo)
    return midnight


def _last_effective(now: dt.datetime) -> dt.datetime:
    """A version never takes effect before one published earlier."""
    latest = PolicyVersion.objects.aggregate(at=Max("effective_at"))["at"]
    return max(latest, now) if latest else now


def in_force(now=None) -> PolicyVersion | None:
    """The newest version whose effective time has come."""
    now = now or timezone.now()
    return PolicyVersion.objects.filter(effective_at__lte=now).order_by("-number").first()


def upcoming(now=None) -> PolicyVersion | None:
    now = now or timezone.now()
    return PolicyVersion.objects.filter(effective_at__gt=now).order_by("effective_at").first()


def schedule() -> tuple[int | None, dt.datetime | None]:
    """(the number of the version in force, when the next one takes effect): one query
    over the versions, which are few."""
    now = timezone.now()
    rows = list(PolicyVersion.objects.values_list("number", "effective_at"))
    current = max((n for n, at in rows if at <= now), default=None)
    pending = min((at for n, at in rows if at > now), default=None)
    return current, pending


def newest() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def file_differs() -> bool:
    """Whether the policy file on disk differs from the newest published version."""
    latest = newest()
    if latest is None:
        return False
    try:
        text = Path(settings.HIPPOCRATIC_POLICY).read_text(encoding="utf-8")
    except OSError:
        return False
    return _digest(text) != latest.sha256


def in_force_of(text: str) -> bool:
    return newest() is not None and _digest(text) == newest().sha256
