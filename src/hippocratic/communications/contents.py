"""Contents through the gateway: customers' messages and hosted records.

    StoredMessage.objects.for_purpose(actor, purpose)   # the customer, or a system task
    StoredMessage.objects.under_case(case, user)        # staff: one customer, one ground

The gateway refuses any staff query on these models that is not bound to an access
case in force (COM-2: no listing, searching or counting across customers, on any
role, admin included), and audits the refusal. Under a case, the rows are that one
customer's items in the case's scope, and every read is audited naming the case.
"""

import datetime as dt

from django.utils import timezone

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import STAFF_ROLE_PREFIX, Actor, staff_role
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gate import Basis
from hippocratic.enforcement.gateway import AccessDenied, PersonalDataManager, PersonalQuerySet
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

# The purpose a case's ground serves: legal process and evidence of crime are the
# law's; the rest serve the customer's service (support, security, harm review).
LEGAL_GROUNDS = frozenset({"legal_process", "crime_evidence"})
CUSTOMER_PERMISSION = "customer_permission"
HARM_REVIEW = "harm_review"


def now() -> dt.datetime:
    """The clock cases run on (tests move it)."""
    return timezone.now()


def purpose_of(ground: str) -> str:
    return Purpose.LEGAL_OBLIGATION if ground in LEGAL_GROUNDS else Purpose.SERVICE


def grounds_for(what: str) -> tuple[str, ...]:
    """The grounds on which the policy lets staff reach `what` (messages or records)."""
    comms = current_policy().communications
    if comms is None:
        return ()
    if what == "records":
        hosted = comms.hosted_data
        return (
            (CUSTOMER_PERMISSION,) if hosted and hosted.staff_access == CUSTOMER_PERMISSION else ()
        )
    return tuple(g.value for g in comms.disclosure_grounds) + (
        (HARM_REVIEW,) if comms.moderation else ()
    )


def refusal(case, user, now: dt.datetime) -> str:
    """Why `user` may not read under `case` now; "" when they may."""
    if case.closed_at is not None:
        return f"access case {case.pk} was closed"
    if case.expires_at <= now:
        return f"access case {case.pk} expired at {case.expires_at.isoformat()}"
    if case.ground not in grounds_for(case.what):
        return f"the policy gives no ground {case.ground!r} for {case.what}"
    if case.ground in LEGAL_GROUNDS and case.approved_at is None:
        return f"access case {case.pk} waits for a second staff member's approval"
    if case.approved_by_id is not None and case.approved_by_id == case.requested_by_id:
        return f"access case {case.pk} was approved by the staff member who asked for it"
    if not case.granted_by_customer and case.requested_by_id != user.pk:
        return f"access case {case.pk} was opened by another staff member"
    return ""


class ContentsManager(PersonalDataManager):
    """The manager of a contents model, which declares `contents_kind` (the kind of an
    AccessCase that reaches it), `bulk_promise` and `case_promise` (what a refusal and
    a read under a case are audited as)."""

    def for_purpose(self, actor: Actor, purpose: str) -> PersonalQuerySet:
        if actor.role.startswith(STAFF_ROLE_PREFIX):
            self._refuse(actor, purpose, "*", "staff reach contents only under an access case",
                         self.model.bulk_promise)  # fmt: skip
        return super().for_purpose(actor, purpose)

    def under_case(self, case, user) -> PersonalQuerySet:
        """The case's customer's items in its scope, read as `user` (a staff member)."""
        actor = Actor.for_user(user, staff_role(user))
        case = type(case).objects.get(pk=case.pk)  # as it is now: revoked, closed, approved
        purpose = purpose_of(case.ground)
        wanted = self.model.contents_kind
        why = refusal(case, user, now())
        if not why and case.what != wanted:
            why = f"access case {case.pk} reaches {case.what}, not {wanted}"
        if why:
            self._refuse(actor, purpose, str(case.customer_id), why, self.model.case_promise)
        # Audited as the case: its rule and promise, naming its one customer.
        basis = Basis(case.rule, self.model.case_promise, str(case.customer_id))
        rows = self.get_queryset()._scoped(actor, purpose, basis=basis)
        rows = rows.filter(customer_id=case.customer_id)
        return rows.filter(pk__in=case.scope) if case.scope else rows

    def _refuse(self, actor: Actor, purpose: str, ref: str, why: str, promise: str):
        audit.append(
            actor=actor, action=Action.READ, purpose=purpose, reason=Reason.NO_GROUND,
            subject="customer", subject_ref=ref, allowed=False, rule=why, promise=promise,
            categories={category_of(f) for f in self.model.personal_fields()},
        )  # fmt: skip
        raise AccessDenied(None, f"{actor.label} ({actor.role}) may not read "
                           f"{self.model.__name__}: {why} ({Reason.NO_GROUND})")  # fmt: skip
