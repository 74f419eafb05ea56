"""Access cases: the only way staff reach one customer's contents (COM-2, COM-3, COM-5),
an extension of the gateway for the rows no purpose alone opens to staff.

    StoredMessage.objects.for_purpose(actor, purpose)   # the customer, or a system task
    StoredMessage.objects.under_case(case, user)        # staff: one customer, one ground

- Ducallier's customers grant support staff access to their hosted records from
  their account, for the policy's permission_hours, and may revoke it (COM-5).
- On the ISP's policy staff open a case on one of the policy's grounds; a case of
  legal process needs a second staff member's approval before it opens (COM-3).
- A report of a harmful message opens a review case on that one message (COM-4).

A contents model's manager is a ContentsManager naming the kind of case that reaches it
and the promises its refusals and reads are audited as; it enters the model in CONTENTS.
The gateway refuses any staff query on such a model that is not bound to a case in force
(COM-2: no listing, searching or counting across customers, admin included), and audits
the refusal. Under a case, the rows are that one customer's items in the case's scope,
and every read is audited naming the case; the customer sees those entries.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import STAFF_ROLE_PREFIX, Actor, staff_role
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gate import Basis
from hippocratic.enforcement.gateway import AccessDenied, PersonalDataManager, PersonalQuerySet
from hippocratic.enforcement.models import AccessCase, AuditEntry
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_engine, current_policy
from hippocratic.purposes import Purpose
from hippocratic.registry import Registry


@dataclass(frozen=True)
class Contents:
    """A model of contents: the kind of case that reaches it, and the promises a
    refusal of bulk access and a read under a case are audited as."""

    model: type
    kind: str
    bulk_promise: str
    case_promise: str


CONTENTS: Registry[Contents] = Registry(
    "enforcement.contents",
    "A kind of contents (messages, records) -> its model and promises: filled by each "
    "ContentsManager as its model is defined.",
)


def now() -> dt.datetime:
    """The clock cases run on (tests move it)."""
    return timezone.now()


# The purpose a case's ground serves: legal process and evidence of crime are the
# law's; the rest serve the customer's service (support, security, harm review).
LEGAL_GROUNDS = frozenset({"legal_process", "crime_evidence"})
CUSTOMER_PERMISSION = "customer_permission"
HARM_REVIEW = "harm_review"


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
    """The manager of a contents model: `kind` of case that reaches it, the promises a
    refusal of bulk access (`bulk_promise`) and a read under a case (`case_promise`) are
    audited as."""

    def __init__(self, *, kind: str, bulk_promise: str, case_promise: str):
        super().__init__()
        self.kind, self.bulk_promise, self.case_promise = kind, bulk_promise, case_promise

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        if not cls._meta.abstract:
            CONTENTS.register(self.kind, Contents(cls, self.kind, self.bulk_promise,
                                                  self.case_promise))  # fmt: skip

    def deconstruct(self):  # a manager with arguments, as migrations write one
        return (False, f"{ContentsManager.__module__}.ContentsManager", None,
                (), {"kind": self.kind, "bulk_promise": self.bulk_promise,
                     "case_promise": self.case_promise})  # fmt: skip

    def for_purpose(self, actor: Actor, purpose: str) -> PersonalQuerySet:
        if actor.role.startswith(STAFF_ROLE_PREFIX):
            self._refuse(actor, purpose, "*", "staff reach contents only under an access case",
                         self.bulk_promise)  # fmt: skip
        return super().for_purpose(actor, purpose)

    def under_case(self, case, user) -> PersonalQuerySet:
        """The case's customer's items in its scope, read as `user` (a staff member)."""
        actor = Actor.for_user(user, staff_role(user))
        case = AccessCase.objects.get(pk=case.pk)  # as it is now: revoked, closed, approved
        purpose = purpose_of(case.ground)
        wanted = self.kind
        why = refusal(case, user, now())
        if not why and case.what != wanted:
            why = f"access case {case.pk} reaches {case.what}, not {wanted}"
        if why:
            self._refuse(actor, purpose, str(case.customer_id), why, self.case_promise)
        # Audited as the case: its rule and promise, naming its one customer.
        basis = Basis(case.rule, self.case_promise, str(case.customer_id))
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


# --- a case's life ------------------------------------------------------------------------


MAX_SCOPE = 1000


def _clean_scope(scope) -> list[int]:
    items = sorted({int(i) for i in scope or ()})
    if len(items) > MAX_SCOPE:
        raise ValidationError(f"a case names at most {MAX_SCOPE} items")
    return items


def grant(customer_id: int, *, scope=(), reason: str) -> AccessCase:
    """The customer lets support staff view their hosted records (all, or those in
    `scope`) for the policy's permission_hours (COM-5)."""
    if CUSTOMER_PERMISSION not in grounds_for("records"):
        raise ValidationError("this provider's staff never view hosted records")
    hours = current_policy().communications.hosted_data.permission_hours
    at = now()
    case = AccessCase.objects.create(
        customer_id=customer_id, what=AccessCase.What.RECORDS, ground=CUSTOMER_PERMISSION,
        scope=_clean_scope(scope), reason=reason.strip()[:300] or "support",
        granted_by_customer=True, created_at=at, approved_at=at,
        expires_at=at + dt.timedelta(hours=hours),
    )  # fmt: skip
    _record(case, Actor.for_customer(customer_id), "granted")
    return case


def revoke(customer_id: int, case_id: int) -> bool:
    """The customer takes a permission back at once."""
    with transaction.atomic():
        rows = AccessCase.objects.select_for_update().filter(
            pk=case_id, customer_id=customer_id, granted_by_customer=True, closed_at__isnull=True
        )
        case = rows.first()
        if case is None:
            return False
        case.closed_at = now()
        case.save(update_fields=["closed_at"])
        _record(case, Actor.for_customer(customer_id), "revoked")
    return True


def open_case(user, *, customer_id: int, what: str, ground: str, scope=(), reason: str):
    """A staff member asks to reach one customer's messages on a ground the policy
    names (COM-3). Legal process waits for approval; the others open at once."""
    if ground not in grounds_for(what) or ground == CUSTOMER_PERMISSION:
        raise ValidationError(f"the policy gives no ground {ground!r} for staff to reach {what}")
    if not reason.strip():
        raise ValidationError("say why: a ticket, a warrant's number")
    role = staff_role(user)
    decision = current_engine().decide(role, purpose_of(ground), (), "customer")
    if not decision.allowed:
        raise PermissionDenied(f"{role} may not act for {purpose_of(ground)}")
    if not 0 < customer_id <= MAX_ID or not _customer_exists(customer_id):
        raise ValidationError(f"there is no customer number {customer_id}")
    at = now()
    waits = ground in LEGAL_GROUNDS
    case = AccessCase.objects.create(
        customer_id=customer_id, what=what, ground=ground, scope=_clean_scope(scope),
        reason=reason.strip()[:300], requested_by=user, created_at=at,
        approved_at=None if waits else at,
        expires_at=at + dt.timedelta(hours=current_policy().communications.access_hours),
    )  # fmt: skip
    _record(case, Actor.for_user(user, role), "opened, waiting for approval" if waits else "opened")
    return case


MAX_ID = 2**63 - 1  # the largest key a database row holds


CHECKER = Actor.system("enforcement.cases")


def _customer_exists(customer_id: int) -> bool:
    """Whether the case names a customer (the foreign key failed only at commit, a 500;
    customer 0 was "disclosed" with an empty package). Only the number is read, by
    the service itself; the customer table is the one the key names, not imported:
    it sits on a floor above."""
    customers = AccessCase._meta.get_field("customer").related_model
    rows = customers.objects.for_purpose(CHECKER, Purpose.SERVICE)
    return rows.filter(pk=customer_id).values_list("pk", flat=True).first() is not None


def approve(case_id: int, user) -> AccessCase:
    """A second staff member approves a case of legal process: never its requester."""
    role = staff_role(user)
    case = AccessCase.objects.get(pk=case_id)
    if case.requested_by_id == user.pk:  # refused, and the refusal kept in the audit log
        audit.append(
            actor=Actor.for_user(user, role), action=Action.READ,
            purpose=purpose_of(case.ground), reason=Reason.NO_GROUND, subject="customer",
            subject_ref=str(case.customer_id), allowed=False, promise="COM-3",
            rule=f"{case.rule}: the requester may not approve it",
        )  # fmt: skip
        raise PermissionDenied("a case is approved by a staff member other than its requester")
    with transaction.atomic():
        case = AccessCase.objects.select_for_update().get(pk=case_id)
        if case.ground not in LEGAL_GROUNDS or case.approved_at is not None:
            raise ValidationError(f"access case {case.pk} needs no approval")
        if case.requested_by_id == user.pk:
            raise PermissionDenied("a case is approved by a staff member other than its requester")
        if not current_engine().decide(role, purpose_of(case.ground), (), "customer").allowed:
            raise PermissionDenied(f"{role} may not approve legal process")
        case.approved_by, case.approved_at = user, now()
        case.save(update_fields=["approved_by", "approved_at"])
        _record(case, Actor.for_user(user, role), "approved")
    return case


def _record(case: AccessCase, actor: Actor, what: str) -> None:
    """The case's own life in the audit log: granted, opened, approved, revoked."""
    audit.append(
        actor=actor, action=Action.UPDATE, purpose=purpose_of(case.ground),
        reason=Reason.SUBJECT_REQUEST if case.granted_by_customer else Reason.ALLOWED,
        subject="customer", subject_ref=str(case.customer_id), allowed=True,
        rule=f"{case.rule}: {what}", promise="COM-5" if case.what == "records" else "COM-3",
    )  # fmt: skip


def views_of(customer_id: int) -> list[dict]:
    """Every read of the customer's contents under a case, for the customer to see:
    who, when, under which case, how many items."""
    rows = AuditEntry.objects.filter(
        subject="customer",
        subject_ref=str(customer_id),
        action=Action.READ.value,
        rule__startswith="access case ",
    ).order_by("-seq")
    return [
        {**row, "who": _who(row["actor"], row["role"]), "under": _under(row["rule"])}
        for row in rows.values("at", "actor", "role", "rule", "rows", "allowed")[:500]
    ]


ROLE_WORDS = {"staff.support": "Support staff", "staff.legal": "Legal staff",
              "staff.admin": "An administrator"}  # fmt: skip


def _who(label: str, role: str) -> str:
    """'user:3:sam', staff.support -> 'Support staff (sam)'."""
    name = label.split(":", 2)[-1] if label.startswith("user:") else label
    return f"{ROLE_WORDS.get(role, 'Staff')} ({name})"


def _under(rule: str) -> str:
    """'access case 4: customer_permission' -> 'your permission #4'."""
    number, _, ground = rule.removeprefix("access case ").partition(":")
    ground = ground.strip().split(":")[0]
    if ground == CUSTOMER_PERMISSION:
        return f"your permission #{number}"
    return f"case #{number} ({ground.replace('_', ' ')})"


def in_force(customer_id: int):
    """The customer's cases, newest first, each marked whether it is in force now."""
    at = now()
    cases = list(AccessCase.objects.filter(customer_id=customer_id)[:100])
    for case in cases:
        case.in_force = (
            case.closed_at is None and case.expires_at > at and (case.approved_at is not None)
        )
    return cases
