"""Publishing the policy (POL-4): each published file is kept as a version, readable at
its own address for as long as the site runs, byte for byte as it was published.

    publish("policies/ducallier.yaml") -> PolicyVersion   (the same text again: the same one)
    newest() -> PolicyVersion | None
    file_differs() -> True when the file on disk is not the newest published version
"""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hippocratic.policy.loader import load_policy_text
from hippocratic.site.models import PolicyVersion

MAX_BYTES = 1024 * 1024  # the loader's own limit for a policy file


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(path: str | Path, *, by: str = "", effective_at=None) -> PolicyVersion:
    """Store the file as the next version; PolicyError (with file:line) if it is invalid."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BYTES // 1024} KB")
    text = raw.decode("utf-8")
    loaded = load_policy_text(text, file=str(path))  # raises PolicyError where it is wrong
    digest = _digest(text)
    existing = PolicyVersion.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        number = (PolicyVersion.objects.select_for_update().aggregate(n=Max("number"))["n"]
                  or 0) + 1  # fmt: skip
        try:
            return PolicyVersion.objects.create(
                number=number, sha256=digest, text=text,
                revision_date=loaded.policy.revision.date, published_by=by[:200],
                effective_at=effective_at or timezone.now(),
            )  # fmt: skip
        except IntegrityError:  # published at the same moment elsewhere
            return PolicyVersion.objects.get(sha256=digest)


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
