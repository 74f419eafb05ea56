"""Versions of the terms of service (issue 31): the terms are a section of the policy file
(`terms:`), published with it (publishing.publish), so every published policy version
carries the terms it was published with. A terms version is a run of published policy
versions with the same clauses: the first, its number 1; each change of the clauses, the
next number, in effect when the policy version that changed them is.

    terms_versions() -> [TermsVersion(number=1, sha256=…, policy_number=1, …), …]
    version_of(policy) -> the TermsVersion of `policy`'s terms (the one in force where
        several match); version 1 where nothing was ever published; number None for
        terms no published version carries; None where the policy has no terms

A customer accepts the terms at sign-up; the version and its digest are recorded
(accounts.models.TermsAcceptance).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.utils import timezone

from hippocratic.policy import Policy, load_policy_text
from hippocratic.versions.models import PolicyVersion


@dataclass(frozen=True)
class TermsVersion:
    number: int | None  # None: terms in a file no published version carries
    sha256: str  # of the clauses as JSON (terms_digest)
    policy_number: int | None  # the policy version that published them; None: not published
    effective_at: dt.datetime | None
    terms: object  # policy.models.Terms


def terms_digest(policy: Policy) -> str | None:
    """The SHA-256 of the policy's terms (title and clauses, as sorted JSON); None: none."""
    if policy.terms is None:
        return None
    data = json.dumps(policy.terms.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _terms_of(policy_sha256: str):
    """(digest, terms) of a published policy version, read once per process."""
    text = PolicyVersion.objects.values_list("text", flat=True).get(sha256=policy_sha256)
    policy = load_policy_text(text).policy
    return terms_digest(policy), policy.terms


def terms_versions() -> list[TermsVersion]:
    """Every published version of the terms, oldest first."""
    found: list[TermsVersion] = []
    last = None
    rows = PolicyVersion.objects.order_by("number").values_list("number", "sha256", "effective_at")
    for number, sha256, effective_at in rows:
        digest, terms = _terms_of(sha256)
        if digest is not None and digest != last:
            found.append(TermsVersion(len(found) + 1, digest, number, effective_at, terms))
        last = digest
    return found


def version_of(policy: Policy, now=None) -> TermsVersion | None:
    """The version of `policy`'s terms: of the published ones with its clauses, the newest
    in effect (else the first to come); version 1 where nothing was ever published."""
    digest = terms_digest(policy)
    if digest is None:
        return None
    versions = terms_versions()
    if not versions and not PolicyVersion.objects.exists():
        return TermsVersion(1, digest, None, None, policy.terms)
    now = now or timezone.now()
    same = [v for v in versions if v.sha256 == digest]
    in_effect = [v for v in same if v.effective_at <= now]
    if in_effect:
        return in_effect[-1]
    return same[0] if same else TermsVersion(None, digest, None, None, policy.terms)


def upcoming_terms(now=None) -> TermsVersion | None:
    """The next version of the terms, published and waiting for its notice period."""
    now = now or timezone.now()
    return next((v for v in terms_versions() if v.effective_at > now), None)
